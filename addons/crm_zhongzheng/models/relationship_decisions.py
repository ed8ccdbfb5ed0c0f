"""The tier and class rules of the relationship engine as SQL: one
statement deciding every customer's tier, class and their history's
entries (_decisions_sql), and the cut points of a full ranking."""

import re
from datetime import timedelta

from odoo import api, models
from odoo.tools import SQL

from .value_cuts import CURVE_POINTS

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


class RelationshipDecisions(models.AbstractModel):
    # a room of its own: the engine's file stays under 500 lines
    _inherit = "zhongzheng.relationship.engine"  # pylint: disable=consider-merging-classes-inherited

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
        loss_making, bands = Tier._pyramid()
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
            # points' -basis ascend: width_bucket's binary search finds it),
            # the curve read where it is stored (not decoded and sent back)
            placed = SQL(
                """
            curve AS MATERIALIZED (
                SELECT c.zz_tier_keys AS keys, c.zz_tier_shares AS shares
                  FROM zhongzheng_value_cuts c WHERE c.company_id = %(company)s
            ),
            placed AS (
                SELECT q.*,
                       CASE WHEN q.place = 2 THEN COALESCE(
                           k.shares[width_bucket(-q.basis, k.keys)], 0.0) END
                           AS share,
                       NULL::bigint AS i
                  FROM q LEFT JOIN curve k ON TRUE
            )""",
                company=company.id,
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
            %(order)s
            """,
            # a few customers' rows are read back in order; a full pass's
            # go into a table
            order=SQL("ORDER BY d.partner_id") if cuts else SQL(),
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
