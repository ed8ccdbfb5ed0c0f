"""RFM, ABC and the value score: a step of the customer value pipeline."""

import logging

from odoo import api, fields, models
from odoo.tools import SQL

from .value_cuts import curve_sql
from .value_sql import flush, partner_filter, round_sql

_logger = logging.getLogger(__name__)

# the figures this step writes
RANK_FIELDS = (
    "rfm_recency",
    "rfm_frequency",
    "rfm_monetary",
    "rfm_r_score",
    "rfm_f_score",
    "rfm_m_score",
    "rfm_segment_id",
    "abc_class",
    "value_score",
    "value_points_current",
    "value_points_potential",
    "value_points_loyalty",
    "value_points_payment",
    "value_points_cost",
)


class ValueRanks(models.AbstractModel):
    """Ranks are relative to every customer of the company: this step reads
    the facts and lifetime value of all of them as written so far."""

    _name = "zhongzheng.value.ranks"
    _description = "Customer Value Ranks"

    @api.model
    def _compute_ranks(self, company, as_of=None, partner_ids=None, cuts=None):
        """RFM quintile scores and segment, ABC class and the value score of
        every customer (a partner with a confirmed sale) of the company, from
        the facts and CLV already written. Ties get the same score. Returns
        the number of customers.

        A full ranking (no `cuts`) ranks all of them and stores its cut
        points; with `cuts` (the company's stored ones) only the customers
        partner_ids are scored against them, without re-ranking anyone."""
        as_of = as_of or fields.Date.context_today(self)
        writer = self.env["zhongzheng.value.writer"]
        figures = writer._figures(company)
        flush(self.env, "zhongzheng.rfm.segment")
        weights = company._value_weights()
        total_weight = sum(weights.values()) or 1.0
        share = {k: 100.0 * w / total_weight for k, w in weights.items()}
        only = partner_filter(("f", "partner_id"), partner_ids if cuts else None)
        query = SQL(
            """
            WITH c AS (
                SELECT partner_id AS id,
                       last_sale_date AS last_sale,
                       first_sale_date AS first_sale,
                       COALESCE(sale_count_window, 0) AS freq,
                       COALESCE(revenue_window, 0) AS monetary,
                       COALESCE(margin_window, 0) AS margin,
                       COALESCE(clv_value, 0) AS clv,
                       average_days_to_pay AS days_to_pay,
                       COALESCE(receivable_overdue, 0) AS overdue,
                       COALESCE(invoiced_window, 0) AS invoiced,
                       COALESCE(cost_to_serve, 0) AS cost
                  FROM %(figures)s f
                 WHERE COALESCE(sale_count_total, 0) > 0 AND %(only)s
            ),
            -- materialised: the steps below read each score several times
            scored AS MATERIALIZED (%(scored)s),
            -- the 25 score pairs looked up once, not once per customer: the
            -- segment of (r, fm) at (r - 1) * 5 + fm
            segments AS MATERIALIZED (
                SELECT array_agg(segment_id ORDER BY r, fm) AS ids FROM (
                SELECT r, fm,
                       (SELECT seg.id FROM zhongzheng_rfm_segment seg
                         WHERE seg.active
                           AND r BETWEEN seg.r_min AND seg.r_max
                           AND fm BETWEEN seg.fm_min AND seg.fm_max
                         ORDER BY seg.sequence, seg.id LIMIT 1) AS segment_id
                  FROM generate_series(1, 5) r, generate_series(1, 5) fm) m
            ),
            final AS (
                SELECT s.*,
                       -- (f + m) / 2 rounded half up, in integers
                       (s.f_score + s.m_score + 1) / 2 AS fm_score,
                       (CASE WHEN s.days_to_pay IS NULL THEN 0.5
                             ELSE 1 - LEAST(s.days_to_pay, 90) / 90.0 END)
                       * (1 - LEAST(1, s.overdue / GREATEST(s.invoiced, 1)))
                           AS c_payment,
                       CASE WHEN s.cost <= 0 THEN 1
                            ELSE 1 - LEAST(1, s.cost / GREATEST(s.monetary, 1))
                            END AS c_cost
                  FROM scored s
            ),
            ranked AS MATERIALIZED (
                SELECT f.id AS partner_id,
                       f.recency AS rfm_recency,
                       f.freq AS rfm_frequency,
                       %(monetary)s AS rfm_monetary,
                       f.r_score AS rfm_r_score,
                       f.f_score AS rfm_f_score,
                       f.m_score AS rfm_m_score,
                       (SELECT ids FROM segments)[(f.r_score - 1) * 5 + f.fm_score]
                           AS rfm_segment_id,
                       f.abc::varchar AS abc_class,
                       (f.last_sale - DATE '1970-01-01')::float8 AS zz_last,
                       f.freq::float8 AS zz_freq,
                       f.monetary::float8 AS zz_monetary,
                       GREATEST(f.margin, 0)::float8 AS zz_margin,
                       GREATEST(f.clv, 0)::float8 AS zz_clv,
                       (DATE '1970-01-01' - f.first_sale)::float8 AS zz_first,
                       %(p_current)s AS p_current,
                       %(p_potential)s AS p_potential,
                       %(p_loyalty)s AS p_loyalty,
                       %(p_payment)s AS p_payment,
                       %(p_cost)s AS p_cost
                  FROM final f
            )
            SELECT r.*,
                   %(score)s AS value_score,
                   p_current AS value_points_current,
                   p_potential AS value_points_potential,
                   p_loyalty AS value_points_loyalty,
                   p_payment AS value_points_payment,
                   p_cost AS value_points_cost
              FROM ranked r
            """,
            figures=figures,
            only=only,
            scored=self._scored_sql(company, as_of, cuts),
            as_of=as_of,
            monetary=round_sql(SQL("f.monetary"), 2),
            # each part rounded to a tenth; their sum rounded to a tenth again,
            # as float8 may hold a sum of tenths a unit off in its last digit
            score=round_sql(
                SQL("p_current + p_potential + p_loyalty + p_payment + p_cost"), 1
            ),
            **{
                f"p_{part}": round_sql(
                    SQL("%s * %s", weight, SQL.identifier("f", f"c_{part}")), 1
                )
                for part, weight in share.items()
            },
        )
        then = None if cuts else (lambda: self._store_cuts(company, as_of))
        written = writer._write_query(company, query, RANK_FIELDS, then=then)
        _logger.log(
            logging.DEBUG if cuts else logging.INFO,  # a few partners: per order
            "customer value ranks: company %s, %s changed (%s)",
            company.id,
            written,
            "scored against the cut points" if cuts else "full ranking",
        )
        return written

    @api.model
    def _scored_sql(self, company, as_of, cuts):
        """The customers `c` with recency, tenure, RFM scores, ABC class and
        the cumulative shares of the value score: ranked among themselves,
        or looked up in the stored cut points."""
        if not cuts:
            return SQL(
                """
                SELECT w.*,
                       CASE WHEN monetary <= 0 THEN 'c'
                            WHEN cum_before < %(a_share)s THEN 'a'
                            WHEN cum_before < %(b_share)s THEN 'b'
                            ELSE 'c' END AS abc
                  FROM (
                SELECT c.*,
                       %(as_of)s::date - last_sale AS recency,
                       %(as_of)s::date - first_sale AS tenure,
                       1 + FLOOR(5.0 * (RANK() OVER (ORDER BY last_sale) - 1)
                                 / COUNT(*) OVER ())::int AS r_score,
                       1 + FLOOR(5.0 * (RANK() OVER (ORDER BY freq) - 1)
                                 / COUNT(*) OVER ())::int AS f_score,
                       1 + FLOOR(5.0 * (RANK() OVER (ORDER BY monetary) - 1)
                                 / COUNT(*) OVER ())::int AS m_score,
                       COALESCE(SUM(monetary) OVER (
                           ORDER BY monetary DESC, id
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
                           / NULLIF(SUM(monetary) OVER (), 0) * 100 AS cum_before,
                       CASE WHEN margin > 0
                            THEN CUME_DIST() OVER (ORDER BY GREATEST(margin, 0))
                            ELSE 0 END AS c_current,
                       CASE WHEN clv > 0
                            THEN CUME_DIST() OVER (ORDER BY GREATEST(clv, 0))
                            ELSE 0 END AS c_potential,
                       (CASE WHEN freq > 0
                             THEN CUME_DIST() OVER (ORDER BY freq) ELSE 0 END
                        + CUME_DIST() OVER (ORDER BY first_sale DESC)) / 2
                           AS c_loyalty
                  FROM c) w
                """,
                as_of=as_of,
                a_share=company.abc_a_share,
                b_share=company.abc_b_share,
            )

        # read in SQL from the stored cut points (not as thousands of
        # parameters)
        def score(key, value):
            # 1 + the quintile edges at or below the value
            return SQL(
                "1 + (SELECT count(*) FROM jsonb_array_elements_text(k.%s) e"
                " WHERE e::float8 <= %s)::int",
                SQL(key),
                value,
            )

        def cume(key, value):
            # the cumulative share of the last stored point at or below (the
            # points ascend: width_bucket's binary search finds it)
            return SQL(
                "COALESCE(k.%s[width_bucket(%s, k.%s)], 0)",
                SQL(f"{key}_c"),
                value,
                SQL(f"{key}_v"),
            )

        def curve(key, part):
            # one stored curve's values (0) or shares (1), an array kept by
            # PostgreSQL (value_cuts.CURVE_COLUMNS)
            name = f"{key}_{'vc'[part]}"
            return SQL("%s AS %s", SQL.identifier(f"zz_{name}"), SQL(name))

        return SQL(
            """
            WITH k AS MATERIALIZED (
                SELECT ranks->'r' AS r, ranks->'f' AS f, ranks->'m' AS m,
                       (ranks->'abc'->>0)::float8 AS a_min,
                       (ranks->'abc'->>1)::float8 AS b_min, %(curves)s
                  FROM zhongzheng_value_cuts WHERE company_id = %(company)s
            )
            SELECT c.*,
                   %(as_of)s::date - last_sale AS recency,
                   %(as_of)s::date - first_sale AS tenure,
                   %(r_score)s AS r_score,
                   %(f_score)s AS f_score,
                   %(m_score)s AS m_score,
                   CASE WHEN monetary <= 0 THEN 'c'
                        WHEN monetary >= k.a_min THEN 'a'
                        WHEN monetary >= k.b_min THEN 'b'
                        ELSE 'c' END AS abc,
                   CASE WHEN margin > 0 THEN %(current)s ELSE 0 END AS c_current,
                   CASE WHEN clv > 0 THEN %(potential)s ELSE 0 END AS c_potential,
                   (CASE WHEN freq > 0 THEN %(frequency)s ELSE 0 END
                    + %(first)s) / 2 AS c_loyalty
              FROM c, k
            """,
            as_of=as_of,
            company=company.id,
            r_score=score("r", SQL("(last_sale - DATE '1970-01-01')::float8")),
            f_score=score("f", SQL("freq::float8")),
            m_score=score("m", SQL("monetary::float8")),
            current=cume("current", SQL("GREATEST(margin, 0)::float8")),
            potential=cume("potential", SQL("GREATEST(clv, 0)::float8")),
            frequency=cume("frequency", SQL("freq::float8")),
            first=cume("first", SQL("(DATE '1970-01-01' - first_sale)::float8")),
            curves=SQL(", ").join(
                curve(key, part)
                for key in ("current", "potential", "frequency", "first")
                for part in (0, 1)
            ),
        )

    @api.model
    def _store_cuts(self, company, as_of):
        """The cut points of the full ranking in zz_value_rows: the lowest
        value of each RFM quintile 2-5 and of ABC classes a and b, and the
        distributions of the value score's ranked components."""

        def edges(column, score):
            return SQL(
                "json_build_array(%s)",
                SQL(", ").join(
                    SQL(
                        "min(%s) FILTER (WHERE %s >= %s)",
                        SQL(column),
                        SQL(score),
                        k,
                    )
                    for k in range(2, 6)
                ),
            )

        query = SQL(
            """
            (SELECT json_build_object(
                'n', count(*),
                'r', %(r)s, 'f', %(f)s, 'm', %(m)s,
                'abc', json_build_array(
                    min(zz_monetary) FILTER (WHERE abc_class = 'a'),
                    min(zz_monetary) FILTER (WHERE abc_class IN ('a', 'b'))),
                'current', %(current)s, 'potential', %(potential)s,
                'frequency', %(frequency)s, 'first', %(first)s)::jsonb
               FROM zz_value_rows)
            """,
            r=edges("zz_last", "rfm_r_score"),
            f=edges("zz_freq", "rfm_f_score"),
            m=edges("zz_monetary", "rfm_m_score"),
            current=curve_sql("zz_margin"),
            potential=curve_sql("zz_clv"),
            frequency=curve_sql("zz_freq"),
            first=curve_sql("zz_first"),
        )
        self.env["zhongzheng.value.cuts"]._store(company, "ranks", query, as_of)
