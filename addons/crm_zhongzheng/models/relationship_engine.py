"""Customer pyramid tiers and relationship classes: a step of the customer
value pipeline, after the ranks.

They are decided from the figures written so far, per company, in one SQL
statement over its customers (_decisions_sql), for a full pass and for a few
customers alike; the changes are returned for the relationship history."""

from odoo import api, fields, models
from odoo.tools import SQL

from .value_sql import execute, flush, partner_filter, prepared, window

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
        """SQL of the rows, per commercial partner (of partner_ids; None:
        all) with figures or an open pipeline: the inputs of the tier and
        class rules (partner_id, sale_count_total, sale_count_window,
        first_sale_date, last_sale_date, net_contribution, basis, max_gap,
        has_pipeline) and the current tier_id, tier_computed_id, tier_since,
        relationship_class, relationship_since."""
        writer = self.env["zhongzheng.value.writer"]
        start, end = window(company, as_of)
        basis = SQL.identifier(BASIS_COLUMNS[company.tier_basis or "margin"])
        flush(self.env, "sale.order", "crm.lead", "res.partner")
        orders = self.env["zhongzheng.value.facts"]._orders_sql(
            company,
            as_of,
            None
            if partner_ids is None
            else partner_filter(("p", "commercial_partner_id"), partner_ids),
        )
        return SQL(
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
                SELECT so.partner_id,
                       so.date_order::date - LAG(so.date_order::date) OVER (
                           PARTITION BY so.partner_id ORDER BY so.date_order) AS gap
                  FROM (%(orders)s) so
                 WHERE so.date_order >= %(start)s AND so.date_order < %(end)s
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
            """,
            figures=writer._figures(company),
            holds=writer._holds("f", ["sale_count_total", "relationship_class"]),
            company=company.id,
            start=start,
            end=end,
            basis=basis,
            orders=orders,
            only=partner_filter(("p", "commercial_partner_id"), partner_ids),
            only_f=partner_filter(("f", "partner_id"), partner_ids),
        )

    @api.model
    def _compute_relationships(self, company, as_of=None, partner_ids=None, cuts=None):
        """Tier and class of every customer of the company, written through
        the writer; returns the changes for the relationship history (a
        list of dicts, or for the full pass an SQL query of them).

        A full pass (no `cuts`) ranks all customers and stores its cut
        points; with `cuts` only partner_ids are placed against them."""
        as_of = as_of or fields.Date.context_today(self)
        writer = self.env["zhongzheng.value.writer"]
        query = self._decisions_sql(company, as_of, partner_ids, cuts)
        if cuts:
            # a few customers: their decisions read back, written as rows
            execute(self.env.cr, query, prepared(self.env))
            rows = self.env.cr.dictfetchall()
            writer._write_rows(
                company, [r for r in rows if r["zz_changed"]], RELATIONSHIP_FIELDS
            )
            return [change for row in rows for change in self._changes_of(row)]

        def then():
            self.env["zhongzheng.value.cuts"]._store(
                company, "tiers", self._tier_curve_sql(company), as_of
            )
            cr = self.env.cr
            cr.execute("DROP TABLE IF EXISTS zz_relationship_changes")
            cr.execute(
                SQL(
                    "CREATE TEMP TABLE zz_relationship_changes ON COMMIT DROP AS %s",
                    self._changes_sql(SQL("zz_value_rows")),
                )
            )

        writer._write_query(company, query, RELATIONSHIP_FIELDS, then=then)
        return SQL("SELECT * FROM zz_relationship_changes")

    @api.model
    def _changes_sql(self, rows):
        """SQL of the history's changes (CHANGE_COLUMNS) in the decisions
        `rows`: a tier change, manual when an override decided it, and a
        class change."""
        return SQL(
            """
            SELECT partner_id, 'tier'::varchar AS kind, zz_tier_from AS tier_from_id,
                   tier_id AS tier_to_id, NULL::varchar AS class_from,
                   NULL::varchar AS class_to,
                   (CASE WHEN zz_manual THEN 'manual' ELSE 'auto' END)::varchar
                       AS origin,
                   CASE WHEN zz_manual THEN zz_reason END AS reason,
                   zz_tier_text AS figures
              FROM %(rows)s WHERE zz_tier_text IS NOT NULL
            UNION ALL
            SELECT partner_id, 'class', NULL, NULL, zz_class_from,
                   relationship_class, 'auto', NULL, zz_class_text
              FROM %(rows)s WHERE zz_class_text IS NOT NULL
            """,
            rows=rows,
        )

    @api.model
    def _changes_of(self, row):
        """The history's changes of one row of decisions (see _changes_sql)."""
        changes = []
        if row["zz_tier_text"] is not None:
            changes.append(
                {
                    "partner_id": row["partner_id"],
                    "kind": "tier",
                    "tier_from_id": row["zz_tier_from"],
                    "tier_to_id": row["tier_id"],
                    "class_from": None,
                    "class_to": None,
                    "origin": "manual" if row["zz_manual"] else "auto",
                    "reason": row["zz_reason"] if row["zz_manual"] else None,
                    "figures": row["zz_tier_text"],
                }
            )
        if row["zz_class_text"] is not None:
            changes.append(
                {
                    "partner_id": row["partner_id"],
                    "kind": "class",
                    "tier_from_id": None,
                    "tier_to_id": None,
                    "class_from": row["zz_class_from"],
                    "class_to": row["relationship_class"],
                    "origin": "auto",
                    "reason": None,
                    "figures": row["zz_class_text"],
                }
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
