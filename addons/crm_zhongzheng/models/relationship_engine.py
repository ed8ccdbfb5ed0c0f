"""Customer pyramid tiers and relationship classes: a step of the customer
value pipeline, after the ranks.

They are decided from the figures written so far, per company, in one SQL
statement over its customers (_decisions_sql), for a full pass and for a few
customers alike; the changes are returned for the relationship history."""

import re
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .value_cuts import CURVE_POINTS
from .value_sql import array, execute, partner_filter, prepared, window

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


PLACEHOLDER = re.compile(r"%\((\w+)\)[.\d]*[sdf]|%%")


def template_sql(text, **values):
    """SQL of a translated %-template (%(name)s, %(name).2f...) whose
    placeholders are SQL expressions (`values`) formatting themselves:
    the text's other parts as literals, concatenated."""
    parts, pos = [], 0
    for match in PLACEHOLDER.finditer(text):
        parts.append(SQL("%s::text", text[pos : match.start()]))
        if match.group(0) == "%%":
            parts.append(SQL("chr(37)"))
        else:
            parts.append(SQL("(%s)", values[match.group(1)]))
        pos = match.end()
    parts.append(SQL("%s::text", text[pos:]))
    return SQL("concat(%s)", SQL(", ").join(parts))


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
        for model in ("sale.order", "crm.lead", "res.partner"):
            self.env[model].flush_model()
        if partner_ids is None and self.env["zhongzheng.value.facts"]._orders_open(
            company, as_of
        ):
            orders = SQL("SELECT partner_id, date_order FROM zz_value_orders")
        else:
            orders = SQL(
                "SELECT p.commercial_partner_id AS partner_id, so.date_order"
                " FROM sale_order so JOIN res_partner p ON p.id = so.partner_id"
                " WHERE so.company_id = %s AND so.state = 'sale' AND %s",
                company.id,
                partner_filter(("p", "commercial_partner_id"), partner_ids),
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
    def _decisions_sql(self, company, as_of, partner_ids=None, cuts=None):
        """SQL of the tier and class rules over _relationship_rows, one
        row per customer: partner_id, the new RELATIONSHIP_FIELDS, and for
        the history and the cut points zz_tier_from, zz_class_from,
        zz_manual (an override decided the tier), zz_reason, zz_tier_text,
        zz_class_text, zz_changed (a figure differs), zz_i (place in the
        full ranking), zz_basis, zz_share and zz_band (its tier before the
        stability rules).

        The pyramid ranks the customers by their tier basis (too new ones
        get no tier, loss-making ones the loss-making tier): a customer's
        cumulative share before it picks its band. With `cuts` (the stored
        ones) the share is the one of the last stored point at or above its
        basis, not a new ranking. The stability rules keep the current tier
        during its minimum stay and within the hysteresis band around its
        boundaries; an override decides over both."""
        Tier = self.env["zhongzheng.customer.tier"]
        loss_making = Tier._loss_making()
        bands = Tier._ranked()
        last = bands[-1][0].id if bands else None
        min_first = as_of - timedelta(days=company.tier_min_history_days)

        def band_of(share):
            # the first band whose high end is above the share
            if not bands:
                return SQL("NULL::integer")
            return SQL(
                "CASE %s END",
                SQL(" ").join(
                    SQL("WHEN %s < %s THEN %s", share, hi, tier.id)
                    for tier, _lo, hi in bands
                ),
            )

        def bound(tier, part):
            # the low (1) or high (2) end of a ranked tier's band, else null
            if not bands:
                return SQL("NULL::float8")
            return SQL(
                "CASE %s %s END",
                tier,
                SQL(" ").join(
                    SQL("WHEN %s THEN %s::float8", band[0].id, band[part])
                    for band in bands
                ),
            )

        if cuts:
            # the share of the last stored point at or above the basis (the
            # points' -basis ascend: width_bucket's binary search finds it)
            curve = cuts["tiers"]["curve"]
            placed = SQL(
                """
            placed AS (
                SELECT q.*,
                       CASE WHEN q.place = 2 AND %(n)s > 0 THEN COALESCE(
                           (%(shares)s::float8[])[
                               width_bucket(-q.basis, %(keys)s::float8[])], 0.0)
                            WHEN q.place = 2 THEN 0.0 END AS share,
                       NULL::bigint AS i
                  FROM q
            )""",
                n=len(curve),
                keys=array([-basis for basis, _share in curve]),
                shares=array([share for _basis, share in curve]),
            )
        else:
            # the cumulative share of the customers ranked before each
            placed = SQL(
                """
            ranked AS (
                SELECT q.partner_id,
                       100.0 * COALESCE(SUM(GREATEST(q.basis, 0)) OVER (
                           ORDER BY q.basis DESC, q.partner_id
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
                       / COALESCE(NULLIF(SUM(q.basis) FILTER (WHERE q.basis > 0)
                                         OVER (), 0), 1.0) AS share,
                       row_number() OVER (ORDER BY q.basis DESC, q.partner_id) - 1
                           AS i
                  FROM q WHERE q.place = 2
            ),
            placed AS (
                SELECT q.*, rk.share, rk.i
                  FROM q LEFT JOIN ranked rk ON rk.partner_id = q.partner_id
            )"""
            )
        overrides = self._current_overrides(company, as_of)
        return SQL(
            """
            WITH r AS MATERIALIZED (%(rows)s),
            -- 0: too new for a tier, 1: loss-making, 2: ranked
            q AS (
                SELECT r.*,
                       CASE WHEN r.sale_count_total = 0
                              OR r.first_sale_date IS NULL
                              OR r.first_sale_date > %(min_first)s THEN 0
                            WHEN %(loss)s::integer IS NOT NULL
                             AND r.net_contribution < %(lead_floor)s THEN 1
                            ELSE 2 END AS place
                  FROM r
            ),
            %(placed)s,
            cand AS MATERIALIZED (
                SELECT q.*,
                       CASE q.place WHEN 0 THEN NULL WHEN 1 THEN %(loss)s::integer
                            ELSE CASE WHEN q.basis <= 0 THEN %(last)s::integer
                                      ELSE COALESCE(%(band)s, %(last)s::integer) END
                       END AS candidate
                  FROM placed q
            ),
            stable AS MATERIALIZED (
                SELECT c.*,
                       CASE WHEN c.tier_computed_id IS NULL
                              OR c.candidate IS NOT DISTINCT FROM c.tier_computed_id
                            THEN c.candidate
                            WHEN c.tier_since IS NOT NULL
                             AND %(as_of)s::date - c.tier_since < %(min_stay)s
                            THEN c.tier_computed_id
                            WHEN c.share IS NOT NULL
                             AND %(low)s IS NOT NULL AND %(candidate_low)s IS NOT NULL
                             AND %(low)s - %(hysteresis)s <= c.share
                             AND c.share < %(high)s + %(hysteresis)s
                            THEN c.tier_computed_id
                            ELSE c.candidate END AS computed,
                       CASE WHEN c.sale_count_total = 0 THEN
                                CASE WHEN c.has_pipeline THEN 'potential'
                                     ELSE 'non_customer' END
                            WHEN %(as_of)s::date - c.last_sale_date > %(lost_after)s
                            THEN 'lost'
                            WHEN c.sale_count_window >= %(loyal_orders)s
                             AND GREATEST(COALESCE(c.max_gap, 0),
                                          %(as_of)s::date - c.last_sale_date)
                                 <= %(loyal_gap)s
                            THEN 'loyal'
                            ELSE 'marginal' END::varchar AS new_class,
                       o.partner_id IS NOT NULL AS manual, o.reason,
                       o.tier_id AS override_tier
                  FROM cand c
                  LEFT JOIN unnest(%(o_partners)s::integer[],
                                   %(o_tiers)s::integer[], %(o_reasons)s::text[])
                         AS o(partner_id, tier_id, reason)
                         ON o.partner_id = c.partner_id
            ),
            decided AS (
                SELECT s.*,
                       CASE WHEN s.manual THEN s.override_tier ELSE s.computed END
                           AS new_tier
                  FROM stable s
            )
            SELECT d.partner_id,
                   d.new_tier AS tier_id,
                   d.computed AS tier_computed_id,
                   CASE WHEN d.new_tier IS DISTINCT FROM d.tier_id THEN %(as_of)s::date
                        ELSE d.tier_since END AS tier_since,
                   d.new_class AS relationship_class,
                   CASE WHEN d.new_class IS DISTINCT FROM d.relationship_class
                        THEN %(as_of)s::date
                        ELSE d.relationship_since END AS relationship_since,
                   d.tier_id AS zz_tier_from,
                   d.relationship_class AS zz_class_from,
                   d.manual AS zz_manual,
                   d.reason AS zz_reason,
                   CASE WHEN d.new_tier IS DISTINCT FROM d.tier_id
                        THEN %(tier_text)s END AS zz_tier_text,
                   CASE WHEN d.new_class IS DISTINCT FROM d.relationship_class
                        THEN %(class_text)s END AS zz_class_text,
                   (d.new_tier IS DISTINCT FROM d.tier_id
                    OR d.computed IS DISTINCT FROM d.tier_computed_id
                    OR d.new_class IS DISTINCT FROM d.relationship_class)
                       AS zz_changed,
                   d.i AS zz_i,
                   d.basis::float8 AS zz_basis,
                   d.share::float8 AS zz_share,
                   CASE WHEN d.place = 2 THEN d.candidate END AS zz_band
              FROM decided d
             ORDER BY d.partner_id
            """,
            rows=self._relationship_rows(company, as_of, partner_ids if cuts else None),
            min_first=min_first,
            loss=loss_making.id or None,
            lead_floor=company.tier_lead_floor,
            placed=placed,
            last=last,
            band=band_of(SQL("q.share")),
            as_of=as_of,
            min_stay=company.tier_min_stay_days,
            low=bound(SQL("c.tier_computed_id"), 1),
            high=bound(SQL("c.tier_computed_id"), 2),
            candidate_low=bound(SQL("c.candidate"), 1),
            hysteresis=company.tier_hysteresis,
            lost_after=company.class_lost_after_days,
            loyal_orders=company.class_loyal_min_orders,
            loyal_gap=company.class_loyal_max_gap_days,
            o_partners=list(overrides),
            o_tiers=[o.tier_id.id or None for o in overrides.values()],
            o_reasons=[o.reason or None for o in overrides.values()],
            tier_text=template_sql(
                self.env._(
                    "net contribution %(net).2f; %(basis)s %(value).2f; "
                    "cumulative share before %(share)s"
                ),
                net=SQL("ROUND(d.net_contribution::numeric, 2)::text"),
                basis=SQL("%s", str(company.tier_basis)),
                value=SQL("ROUND(d.basis::numeric, 2)::text"),
                share=SQL("COALESCE(ROUND(d.share::numeric, 1)::text || chr(37), '-')"),
            ),
            class_text=template_sql(
                self.env._(
                    "orders in window %(window)s; last order %(last)s;"
                    " longest gap %(gap)s days"
                ),
                window=SQL("d.sale_count_window::text"),
                last=SQL("COALESCE(d.last_sale_date::text, '-')"),
                gap=SQL("COALESCE(d.max_gap::text, '-')"),
            ),
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
    def _tier_curve_sql(self, company):
        """SQL of the tiers' cut points of a full ranking in zz_value_rows:
        {"basis", "curve": [[basis, share before], ...] from the top},
        thinned to about CURVE_POINTS, every tier's first customer kept."""
        return SQL(
            """
            (SELECT json_build_object('basis', %(basis)s::text,
                    'curve', COALESCE(json_agg(json_build_array(zz_basis, zz_share)
                                              ORDER BY zz_i), '[]'::json))::jsonb
               FROM (SELECT zz_i, zz_basis, zz_share,
                            zz_band IS DISTINCT FROM LAG(zz_band) OVER (ORDER BY zz_i)
                                AS first_of_tier,
                            count(*) OVER () AS n
                       FROM zz_value_rows WHERE zz_i IS NOT NULL) t
              WHERE n <= %(keep)s OR zz_i = n - 1 OR first_of_tier
                 OR mod(zz_i + 1, (n + %(keep)s - 1) / %(keep)s) = 0)
            """,
            basis=company.tier_basis or "margin",
            keep=CURVE_POINTS,
        )

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
