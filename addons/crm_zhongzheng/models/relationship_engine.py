"""Customer pyramid tiers and relationship classes: a step of the customer
value pipeline, after the ranks.

They are decided from the figures written so far, per company, in one SQL
read and one Python pass over its customers; the changes are returned for
the relationship history."""

from bisect import bisect_right
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .value_cuts import thin
from .value_sql import execute, partner_filter, prepared, window

# the figures this step writes
RELATIONSHIP_FIELDS = (
    "tier_id",
    "tier_computed_id",
    "tier_since",
    "relationship_class",
    "relationship_since",
)
BASIS_COLUMNS = {
    "margin": "margin_window",
    "revenue": "revenue_window",
    "score": "value_score",
}


class RelationshipEngine(models.AbstractModel):
    """Tier and class rules."""

    _name = "zhongzheng.relationship.engine"
    _description = "Customer Tier and Class Rules"

    # ------------------------------------------------------------------
    @api.model
    def _relationship_rows(self, company, as_of, partner_ids=None):
        """Per commercial partner (of partner_ids; None: all) with figures or
        an open pipeline, a dict:
        the inputs of the tier and class rules (partner_id, sale_count_total,
        sale_count_window, first_sale_date, last_sale_date, net_contribution,
        basis, max_gap, has_pipeline) and the current tier_id,
        tier_computed_id, tier_since, relationship_class, relationship_since."""
        writer = self.env["zhongzheng.value.writer"]
        start, end = window(company, as_of)
        basis = SQL.identifier(BASIS_COLUMNS[company.tier_basis or "margin"])
        for model in ("sale.order", "crm.lead", "res.partner"):
            self.env[model].flush_model()
        execute(
            self.env.cr,
            SQL(
                """
            WITH pipeline AS (
                SELECT DISTINCT p.commercial_partner_id AS partner_id
                  FROM crm_lead l JOIN res_partner p ON p.id = l.partner_id
                  LEFT JOIN crm_stage st ON st.id = l.stage_id
                 WHERE l.active AND l.type = 'opportunity'
                   AND l.company_id IS NOT DISTINCT FROM %(company)s
                   AND COALESCE(st.is_won, FALSE) = FALSE AND %(only)s
                UNION
                SELECT DISTINCT p.commercial_partner_id
                  FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %(company)s AND so.state IN ('draft', 'sent')
                   AND %(only)s
            ),
            gaps AS (
                SELECT p.commercial_partner_id AS partner_id,
                       so.date_order::date - LAG(so.date_order::date) OVER (
                           PARTITION BY p.commercial_partner_id
                           ORDER BY so.date_order) AS gap
                  FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %(company)s AND so.state = 'sale'
                   AND so.date_order >= %(start)s AND so.date_order < %(end)s
                   AND %(only)s
            ),
            max_gaps AS (
                SELECT partner_id, MAX(gap) AS max_gap FROM gaps GROUP BY partner_id
            ),
            candidates AS (
                SELECT f.partner_id FROM %(figures)s f WHERE %(holds)s
                   AND %(only_f)s
                UNION
                SELECT partner_id FROM pipeline
            )
            SELECT rp.id AS partner_id,
                   COALESCE(s.sale_count_total, 0) AS sale_count_total,
                   COALESCE(s.sale_count_window, 0) AS sale_count_window,
                   s.first_sale_date,
                   s.last_sale_date,
                   COALESCE(s.margin_window, 0) - COALESCE(s.cost_to_serve, 0)
                       AS net_contribution,
                   COALESCE(s.%(basis)s, 0) AS basis,
                   mg.max_gap,
                   pl.partner_id IS NOT NULL AS has_pipeline,
                   s.tier_id,
                   s.tier_computed_id,
                   s.tier_since,
                   s.relationship_class,
                   s.relationship_since
              FROM candidates c
              JOIN res_partner rp ON rp.id = c.partner_id
              LEFT JOIN %(figures)s s ON s.partner_id = rp.id
              LEFT JOIN max_gaps mg ON mg.partner_id = rp.id
              LEFT JOIN pipeline pl ON pl.partner_id = rp.id
             WHERE rp.id = rp.commercial_partner_id
             ORDER BY rp.id
            """,
                figures=writer._figures(company),
                holds=writer._holds("f", ["sale_count_total", "relationship_class"]),
                company=company.id,
                start=start,
                end=end,
                basis=basis,
                only=partner_filter(("p", "commercial_partner_id"), partner_ids),
                only_f=partner_filter(("f", "partner_id"), partner_ids),
            ),
            prepared(self.env),
        )
        return self.env.cr.dictfetchall()

    @api.model
    def _classify(self, company, as_of, row):
        """The relationship class (客户相关度) of one customer."""
        if not row["sale_count_total"]:
            return "potential" if row["has_pipeline"] else "non_customer"
        current_gap = (as_of - row["last_sale_date"]).days
        if current_gap > company.class_lost_after_days:
            return "lost"
        if (
            row["sale_count_window"] >= company.class_loyal_min_orders
            and max(row["max_gap"] or 0, current_gap)
            <= company.class_loyal_max_gap_days
        ):
            return "loyal"
        return "marginal"

    @api.model
    def _rank_tiers(self, company, as_of, rows, cuts=None):
        """{partner id: (computed tier id, cumulative share before it)} from
        the pyramid rules, before stability and overrides, the share bands
        {tier id: (low, high)} of the ranked tiers, and the cut points of
        the ranking: [basis, share before] from the top, thinned (every
        tier's first customer kept).

        With `cuts` (the stored cut points) a customer's share is the one
        of the last stored point at or above its basis, not a new ranking."""
        Tier = self.env["zhongzheng.customer.tier"]
        loss_making = Tier._loss_making()
        bands = Tier._ranked()
        min_first = as_of - timedelta(days=company.tier_min_history_days)
        result, ranked = {}, []
        for row in rows:
            pid, first = row["partner_id"], row["first_sale_date"]
            if not row["sale_count_total"] or first is None or first > min_first:
                result[pid] = (None, None)  # too new: no tier until it qualifies
            elif loss_making and row["net_contribution"] < company.tier_lead_floor:
                result[pid] = (loss_making.id, None)
            else:
                ranked.append((row["basis"], pid))
        ranked.sort(key=lambda item: (-item[0], item[1]))
        if cuts:
            curve = cuts["tiers"]["curve"]
            keys = [-basis for basis, _share in curve]
            shares = [share for _basis, share in curve]
        else:
            grand = sum(b for b, _pid in ranked if b > 0) or 1.0
            running, curve, firsts, last_tier = 0.0, [], [], None
        for basis, pid in ranked:
            if cuts:
                i = bisect_right(keys, -basis) - 1
                share = shares[i] if i >= 0 else 0.0
            else:
                share = 100.0 * running / grand
            tier = next((t for t, _lo, hi in bands if share < hi), None)
            if basis <= 0 or tier is None:
                tier = bands[-1][0] if bands else None
            result[pid] = (tier.id if tier else None, share)
            if not cuts:
                running += max(basis, 0)
                if tier != last_tier:
                    firsts.append(len(curve))
                    last_tier = tier
                curve.append((basis, share))
        if not cuts:
            curve = thin(curve, always=firsts)
        return result, {t.id: (lo, hi) for t, lo, hi in bands}, curve

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
    def _compute_relationships(self, company, as_of=None, partner_ids=None, cuts=None):
        """Tier and class of every customer of the company, written through
        the writer; returns the changes for the relationship history.

        A full pass (no `cuts`) ranks all customers and stores its cut
        points; with `cuts` only partner_ids are placed against them."""
        as_of = as_of or fields.Date.context_today(self)
        rows = self._relationship_rows(company, as_of, partner_ids if cuts else None)
        ranked, bands, curve = self._rank_tiers(company, as_of, rows, cuts)
        if not cuts:
            self.env["zhongzheng.value.cuts"]._store(
                company,
                "tiers",
                {"basis": company.tier_basis or "margin", "curve": curve},
                as_of,
            )
        overrides = self._current_overrides(company, as_of)
        # translated once, formatted per change
        tier_text = self.env._(
            "net contribution %(net).2f; %(basis)s %(value).2f; "
            "cumulative share before %(share)s"
        )
        class_text = self.env._(
            "orders in window %(window)s; last order %(last)s; longest gap %(gap)s days"
        )
        updates, changes = [], []
        for row in rows:
            pid = row["partner_id"]
            candidate, share = ranked.get(pid, (None, None))
            computed = self._stable_tier(
                company,
                as_of,
                row["tier_computed_id"],
                row["tier_since"],
                candidate,
                share,
                bands,
            )
            override = overrides.get(pid)
            new = {
                "partner_id": pid,
                "tier_id": override.tier_id.id if override else computed,
                "tier_computed_id": computed,
                "tier_since": row["tier_since"],
                "relationship_class": self._classify(company, as_of, row),
                "relationship_since": row["relationship_since"],
            }
            if new["tier_id"] != row["tier_id"]:
                changes.append(
                    self._tier_change(
                        pid,
                        row["tier_id"],
                        new["tier_id"],
                        override,
                        tier_text
                        % {
                            "net": row["net_contribution"],
                            "basis": company.tier_basis,
                            "value": row["basis"],
                            "share": "-" if share is None else f"{share:.1f}%",
                        },
                    )
                )
                new["tier_since"] = as_of
            if new["relationship_class"] != row["relationship_class"]:
                changes.append(
                    {
                        "partner_id": pid,
                        "kind": "class",
                        "tier_from_id": None,
                        "tier_to_id": None,
                        "class_from": row["relationship_class"],
                        "class_to": new["relationship_class"],
                        "origin": "auto",
                        "reason": None,
                        "figures": class_text
                        % {
                            "window": row["sale_count_window"],
                            "last": str(row["last_sale_date"] or "-"),
                            "gap": "-"
                            if row["max_gap"] is None
                            else str(row["max_gap"]),
                        },
                    }
                )
                new["relationship_since"] = as_of
            if any(new[name] != row[name] for name in RELATIONSHIP_FIELDS):
                updates.append(new)  # unchanged rows: nothing to write
        self.env["zhongzheng.value.writer"]._write_rows(
            company, updates, RELATIONSHIP_FIELDS
        )
        return changes

    @api.model
    def _tier_change(self, partner_id, old, new, override, figures=None):
        """A tier change for the relationship history (manual when an
        override decided it)."""
        return {
            "partner_id": partner_id,
            "kind": "tier",
            "tier_from_id": old,
            "tier_to_id": new,
            "class_from": None,
            "class_to": None,
            "origin": "manual" if override else "auto",
            "reason": override.reason if override else None,
            "figures": figures,
        }

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
    def _apply_tier_override(self, partner, company):
        """Make a customer's tier follow its current override, or return to
        its computed tier; log the change as manual."""
        as_of = fields.Date.context_today(self)
        partner = partner.with_company(company).sudo()
        override = self._current_overrides(company, as_of).get(partner.id)
        current = partner.tier_id.id or None
        computed = partner.tier_computed_id.id or None
        target = override.tier_id.id if override else computed
        if target == current:
            return
        self.env["zhongzheng.value.writer"]._write_rows(
            company,
            [
                {
                    "partner_id": partner.id,
                    "tier_id": target,
                    "tier_computed_id": computed,
                    "tier_since": as_of,
                    "relationship_class": partner.relationship_class or None,
                    "relationship_since": partner.relationship_since or None,
                }
            ],
            RELATIONSHIP_FIELDS,
        )
        change = self._tier_change(partner.id, current, target, override)
        if not override:
            change.update(
                origin="manual",
                reason=self.env._("Override removed: back to the computed tier."),
            )
        self.env["zhongzheng.relationship.history"]._log_changes(
            company, as_of, [change]
        )
