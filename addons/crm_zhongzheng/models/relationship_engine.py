"""Customer pyramid tiers and relationship classes: part of the value engine.

They are decided from the figures the engine has just written, per company,
in one SQL read and one Python pass over its customers, and every change is
logged in the relationship history (set-based insert)."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

RELATIONSHIP_FIELDS = {
    "tier_id": "integer",
    "tier_computed_id": "integer",
    "tier_since": "date",
    "relationship_class": "varchar",
    "relationship_since": "date",
}
BASIS_COLUMNS = {
    "margin": "margin_window",
    "revenue": "revenue_window",
    "score": "value_score",
}


class RelationshipEngine(models.AbstractModel):
    """Tier and class rules; the value engine calls them after its ranks."""

    _name = "zhongzheng.relationship.engine"
    _description = "Customer Tier and Class Rules"

    # ------------------------------------------------------------------
    @api.model
    def _relationship_rows(self, company, as_of):
        """Per commercial partner with figures or an open pipeline: the
        inputs of the tier and class rules and their current values, read
        from the value engine's stage (open while it recomputes)."""
        bits = self.env["zhongzheng.value.engine"]._stage_bits()
        start = fields.Datetime.to_datetime(as_of) + timedelta(
            days=1 - company.value_window_days
        )
        end = fields.Datetime.to_datetime(as_of) + timedelta(days=1)
        basis = SQL.identifier(BASIS_COLUMNS[company.tier_basis or "margin"])
        for model in ("sale.order", "crm.lead", "res.partner"):
            self.env[model].flush_model()
        self.env.cr.execute(
            SQL(
                """
            WITH pipeline AS (
                SELECT DISTINCT p.commercial_partner_id AS partner_id
                  FROM crm_lead l JOIN res_partner p ON p.id = l.partner_id
                  LEFT JOIN crm_stage st ON st.id = l.stage_id
                 WHERE l.active AND l.type = 'opportunity'
                   AND l.company_id IS NOT DISTINCT FROM %(company)s
                   AND COALESCE(st.is_won, FALSE) = FALSE
                UNION
                SELECT DISTINCT p.commercial_partner_id
                  FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %(company)s AND so.state IN ('draft', 'sent')
            ),
            gaps AS (
                SELECT p.commercial_partner_id AS partner_id,
                       so.date_order::date - LAG(so.date_order::date) OVER (
                           PARTITION BY p.commercial_partner_id
                           ORDER BY so.date_order) AS gap
                  FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %(company)s AND so.state = 'sale'
                   AND so.date_order >= %(start)s AND so.date_order < %(end)s
            ),
            max_gaps AS (
                SELECT partner_id, MAX(gap) AS max_gap FROM gaps GROUP BY partner_id
            ),
            candidates AS (
                SELECT partner_id FROM zz_value_stage
                 WHERE zz_keys & %(holds)s <> 0
                UNION
                SELECT partner_id FROM pipeline
            )
            SELECT rp.id,
                   COALESCE(s.sale_count_total, 0),
                   COALESCE(s.sale_count_window, 0),
                   s.first_sale_date,
                   s.last_sale_date,
                   COALESCE(s.margin_window, 0) - COALESCE(s.cost_to_serve, 0),
                   COALESCE(s.%(basis)s, 0),
                   mg.max_gap,
                   pl.partner_id IS NOT NULL,
                   s.tier_id,
                   s.tier_computed_id,
                   s.tier_since,
                   s.relationship_class,
                   s.relationship_since
              FROM candidates c
              JOIN res_partner rp ON rp.id = c.partner_id
              LEFT JOIN zz_value_stage s ON s.partner_id = rp.id
              LEFT JOIN max_gaps mg ON mg.partner_id = rp.id
              LEFT JOIN pipeline pl ON pl.partner_id = rp.id
             WHERE rp.id = rp.commercial_partner_id
             ORDER BY rp.id
            """,
                holds=bits["sale_count_total"] | bits["relationship_class"],
                company=company.id,
                start=start,
                end=end,
                basis=basis,
            )
        )
        return self.env.cr.fetchall()

    @api.model
    def _classify(self, company, as_of, row):
        """The relationship class (客户相关度) of one customer."""
        _pid, total, window, _first, last, *_rest = row
        max_gap, has_pipeline = row[7], row[8]
        if not total:
            return "potential" if has_pipeline else "non_customer"
        if (as_of - last).days > company.class_lost_after_days:
            return "lost"
        current_gap = (as_of - last).days
        if (
            window >= company.class_loyal_min_orders
            and max(max_gap or 0, current_gap) <= company.class_loyal_max_gap_days
        ):
            return "loyal"
        return "marginal"

    @api.model
    def _rank_tiers(self, company, as_of, rows):
        """{partner id: (computed tier id, cumulative share before it)} from
        the pyramid rules, before stability and overrides."""
        Tier = self.env["zhongzheng.customer.tier"]
        lead = Tier.search([("is_lead", "=", True)], limit=1)
        bands = Tier._ranked()
        min_first = as_of - timedelta(days=company.tier_min_history_days)
        result, ranked = {}, []
        for row in rows:
            pid, total, _w, first, _l, net, basis = row[:7]
            if not total or first is None or first > min_first:
                result[pid] = (None, None)  # too new: no tier until it qualifies
            elif lead and net < company.tier_lead_floor:
                result[pid] = (lead.id, None)
            else:
                ranked.append((basis, pid))
        ranked.sort(key=lambda item: (-item[0], item[1]))
        grand = sum(b for b, _pid in ranked if b > 0) or 1.0
        running = 0.0
        for basis, pid in ranked:
            share = 100.0 * running / grand
            tier = next((t for t, _lo, hi in bands if share < hi), None)
            if basis <= 0 or tier is None:
                tier = bands[-1][0] if bands else None
            result[pid] = (tier.id if tier else None, share)
            running += max(basis, 0)
        return result, {t.id: (lo, hi) for t, lo, hi in bands}

    @api.model
    def _stable_tier(self, company, as_of, current, since, candidate, share, bands):
        """Keep the current tier during its minimum stay, and while the
        customer is within the hysteresis band around its boundaries."""
        if current is None or candidate == current:
            return candidate
        if since and (as_of - since).days < company.tier_min_stay_days:
            return current
        band = company.tier_hysteresis
        if share is not None and current in bands and candidate in bands:
            low, high = bands[current]
            if low - band <= share < high + band:
                return current
        return candidate

    @api.model
    def _compute_relationships(self, company, as_of=None):
        as_of = as_of or fields.Date.context_today(self)
        rows = self._relationship_rows(company, as_of)
        ranked, bands = self._rank_tiers(company, as_of, rows)
        overrides = self._current_overrides(company, as_of)
        updates, history = [], []
        for row in rows:
            pid = row[0]
            tier, computed_old, tier_since = row[9], row[10], row[11]
            klass, class_since = row[12], row[13]
            candidate, share = ranked.get(pid, (None, None))
            computed = self._stable_tier(
                company, as_of, computed_old, tier_since, candidate, share, bands
            )
            override = overrides.get(pid)
            effective = override.tier_id.id if override else computed
            new_class = self._classify(company, as_of, row)
            if effective != tier:
                share_text = "-" if share is None else f"{share:.1f}%"
                figures = self.env._(
                    "net contribution %(net).2f; %(basis)s %(value).2f; "
                    "cumulative share before %(share)s",
                    net=row[5],
                    basis=company.tier_basis,
                    value=row[6],
                    share=share_text,
                )
                history.append(
                    (
                        pid,
                        "tier",
                        tier,
                        effective,
                        None,
                        None,
                        "manual" if override else "auto",
                        override.reason if override else None,
                        figures,
                    )
                )
                tier_since = as_of
            if new_class != klass:
                gap_text = "-" if row[7] is None else str(row[7])
                last_text = str(row[4]) if row[4] else "-"
                history.append(
                    (
                        pid,
                        "class",
                        None,
                        None,
                        klass,
                        new_class,
                        "auto",
                        None,
                        self.env._(
                            "orders in window %(window)s; last order %(last)s; "
                            "longest gap %(gap)s days",
                            window=row[2],
                            last=last_text,
                            gap=gap_text,
                        ),
                    )
                )
                class_since = as_of
            values = (effective, computed, tier_since, new_class, class_since)
            if values != (tier, computed_old, row[11], klass, row[13]):
                updates.append((pid, *values))  # unchanged rows: nothing to write
        self.env["zhongzheng.value.engine"]._write_values(
            company, updates, list(RELATIONSHIP_FIELDS)
        )
        self._log_history(company, as_of, history)
        return len(rows)

    @api.model
    def _current_overrides(self, company, as_of):
        """Active overrides by partner; expired ones are archived (their end
        date passed), which lets the computed tier return."""
        Override = self.env["zhongzheng.tier.override"]
        overrides = Override.search(
            [("company_id", "=", company.id), ("active", "=", True)]
        )
        expired = overrides.filtered(lambda o: not o._is_current(as_of))
        # archived without re-applying: the caller writes the tiers
        expired.with_context(zz_no_tier_apply=True).write({"active": False})
        return {o.partner_id.id: o for o in overrides - expired}

    @api.model
    def _log_history(self, company, as_of, history):
        if not history:
            return
        self.env["zhongzheng.relationship.history"].flush_model()
        now = fields.Datetime.now()
        uid = self.env.uid
        self.env["zhongzheng.value.engine"]._copy_rows(
            "zhongzheng_relationship_history",
            [
                "partner_id",
                "kind",
                "tier_from_id",
                "tier_to_id",
                "class_from",
                "class_to",
                "origin",
                "reason",
                "figures",
                "company_id",
                "date",
                "user_id",
                "create_uid",
                "write_uid",
                "create_date",
                "write_date",
            ],
            [(*entry, company.id, as_of, uid, uid, uid, now, now) for entry in history],
        )
        self.env["zhongzheng.relationship.history"].invalidate_model()

    @api.model
    def _apply_tier_override(self, partner, company):
        """Make a customer's tier follow its current override, or return to
        its computed tier; log the change as manual."""
        as_of = fields.Date.context_today(self)
        partner = partner.with_company(company).sudo()
        override = self._current_overrides(company, as_of).get(partner.id)
        current = partner.tier_id.id or None
        target = (
            override.tier_id.id if override else (partner.tier_computed_id.id or None)
        )
        if target == current:
            return
        self.env["zhongzheng.value.engine"]._write_values(
            company,
            [
                (
                    partner.id,
                    target,
                    partner.tier_computed_id.id or None,
                    as_of,
                    partner.relationship_class or None,
                    partner.relationship_since or None,
                )
            ],
            list(RELATIONSHIP_FIELDS),
        )
        reason = (
            override.reason
            if override
            else self.env._("Override removed: back to the computed tier.")
        )
        self._log_history(
            company,
            as_of,
            [(partner.id, "tier", current, target, None, None, "manual", reason, None)],
        )
