"""The cut points of a company's last full ranking.

A full pass of the customer value pipeline ranks every customer of the
company (RFM quintiles, ABC, the value score's distributions, the pyramid's
cumulative shares) and stores here where the ranks fell. An incremental
update (one customer after a confirmed order, a queue batch) scores its
customers against these cut points instead of re-ranking everyone; the next
full pass re-ranks all and stores new ones."""

import hashlib
import json

from odoo import api, fields, models
from odoo.tools import SQL

# points kept per distribution (a curve of value -> cumulative share)
CURVE_POINTS = 1000
# The stored curves as float8 arrays, kept by PostgreSQL from the jsonb
# (generated columns, not fields: the ORM has no array type). The
# incremental path looks a customer up in them by width_bucket's binary
# search; reading them from the jsonb decoded 10,000 numbers per update
# (numeric to float8 goes through text), 3 ms, more than the lookup.
CURVE_COLUMNS = {
    **{
        f"zz_{key}_{'vc'[part]}": ("ranks", f"$.{key}[{part}][*]")
        for key in ("current", "potential", "frequency", "first")
        for part in (0, 1)
    },
    # the tiers' points from the top: -basis ascends, as width_bucket wants
    "zz_tier_keys": ("tiers", "- $.curve[*][0]"),
    "zz_tier_shares": ("tiers", "$.curve[*][1]"),
}


def curve_sql(column, rows="zz_value_rows"):
    """SQL of [values, cumulative shares] of `column` over `rows`, ascending:
    CUME_DIST at each distinct value, thinned to about CURVE_POINTS."""
    return SQL(
        """
        (SELECT json_build_array(array_agg(v ORDER BY v), array_agg(c ORDER BY v))
           FROM (SELECT v, c, row_number() OVER (ORDER BY v) AS i,
                        count(*) OVER () AS d
                   FROM (SELECT v, max(c) AS c
                           FROM (SELECT (%(col)s)::float8 AS v,
                                        CUME_DIST() OVER (ORDER BY %(col)s) AS c
                                   FROM %(rows)s) x
                          GROUP BY v) g) t
          WHERE i = d OR (i * %(keep)s) / d <> ((i - 1) * %(keep)s) / d)
        """,
        col=SQL(column),
        rows=SQL(rows),
        keep=CURVE_POINTS,
    )


class ValueCuts(models.Model):
    _name = "zhongzheng.value.cuts"
    _description = "Customer Value Cut Points"
    _rec_name = "company_id"

    # read-only for everyone by its access rights: only the engine writes
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    ranks_as_of = fields.Date(string="Ranked as of", readonly=True)
    ranks = fields.Json(
        readonly=True,
        help="RFM quintile edges, ABC thresholds and the value score's "
        "distributions of the last full ranking.",
    )
    tiers = fields.Json(
        readonly=True,
        help="The pyramid's cumulative share by tier basis of the last full ranking.",
    )
    health_typical_gap = fields.Float(
        string="Typical Gap (days)",
        readonly=True,
        help="The median of the customers' typical gaps between orders at the "
        "last full health pass: the gap expected of a customer with too few "
        "orders of its own.",
    )
    rerank_pending = fields.Boolean(
        readonly=True,
        help="Every customer is queued: the queue re-ranks all once drained.",
    )

    _sql_constraints = [
        ("company_unique", "unique(company_id)", "One set of cut points per company.")
    ]

    def init(self):
        cr = self.env.cr
        for column, (source, path) in CURVE_COLUMNS.items():
            # jsonb text has no spaces inside numbers: '[1, 2.5, "NaN"]'
            expression = SQL(
                "string_to_array(translate(jsonb_path_query_array(%s, %s::jsonpath)"
                "::text, '[]\" ', ''), ',', 'null')::float8[]",
                SQL.identifier(source),
                path,  # psycopg2 inlines it: a constant of the expression
            )
            # the column's comment tells which expression made it: another
            # version of the addon makes it again
            signature = hashlib.sha1(cr.mogrify(expression)).hexdigest()[:16]
            cr.execute(
                "SELECT col_description(a.attrelid, a.attnum) FROM pg_attribute a"
                " WHERE a.attrelid = 'zhongzheng_value_cuts'::regclass"
                " AND a.attname = %s AND NOT a.attisdropped",
                [column],
            )
            row = cr.fetchone()
            if row and row[0] == signature:
                continue
            cr.execute(
                SQL(
                    "ALTER TABLE zhongzheng_value_cuts DROP COLUMN IF EXISTS %(c)s;"
                    " ALTER TABLE zhongzheng_value_cuts ADD COLUMN %(c)s float8[]"
                    " GENERATED ALWAYS AS (%(e)s) STORED;"
                    " COMMENT ON COLUMN zhongzheng_value_cuts.%(c)s IS %(s)s",
                    c=SQL.identifier(column),
                    e=expression,
                    s=signature,
                )
            )

    @api.model
    def _get(self, company, ranks=True):
        """{"ranks": ..., "tiers": ..., "pending": ...} of the company, or
        None when it was never fully ranked. Without `ranks` the curves are
        not read: "ranks" is None and "tiers" only {"basis": ...}, for the
        incremental path, which reads them in SQL (decoding them here, and
        sending the tiers' back as parameters, cost more than its lookup)."""
        self.env.cr.execute(
            SQL(
                "SELECT CASE WHEN %(ranks)s THEN ranks END, ranks IS NOT NULL,"
                " CASE WHEN tiers IS NULL OR tiers->'curve' IS NULL THEN NULL"
                "      WHEN %(ranks)s THEN tiers"
                "      ELSE jsonb_build_object('basis', tiers->'basis') END,"
                " rerank_pending FROM zhongzheng_value_cuts"
                " WHERE company_id = %(company)s",
                ranks=ranks,
                company=company.id,
            )
        )
        row = self.env.cr.fetchone()
        if not row or not row[1] or not row[2]:
            return None
        return {"ranks": row[0], "tiers": row[2], "pending": row[3]}

    @api.model
    def _store(self, company, column, value, as_of=None):
        """Upsert one part (ranks or tiers) of the company's cut points; a
        stored ranking ends a pending re-rank."""
        assert column in ("ranks", "tiers")
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
            INSERT INTO zhongzheng_value_cuts AS c
                   (company_id, %(col)s, ranks_as_of, rerank_pending,
                    create_uid, write_uid, create_date, write_date)
            VALUES (%(company)s, %(value)s, %(as_of)s, FALSE,
                    %(uid)s, %(uid)s, now() at time zone 'UTC',
                    now() at time zone 'UTC')
            ON CONFLICT (company_id) DO UPDATE
               SET %(col)s = EXCLUDED.%(col)s,
                   ranks_as_of = COALESCE(EXCLUDED.ranks_as_of, c.ranks_as_of),
                   rerank_pending = FALSE,
                   write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
            """,
                col=SQL.identifier(column),
                company=company.id,
                value=value if isinstance(value, SQL) else SQL("%s", json.dumps(value)),
                as_of=as_of,
                uid=self.env.uid,
            )
        )
        self.invalidate_model()

    @api.model
    def _health_gap(self, company):
        """The typical gap of the company's last full health pass, or None
        (one column: not the record, whose curves are large)."""
        self.flush_model(["health_typical_gap"])
        self.env.cr.execute(
            SQL(
                "SELECT health_typical_gap FROM zhongzheng_value_cuts"
                " WHERE company_id = %s",
                company.id,
            )
        )
        row = self.env.cr.fetchone()
        return (row and row[0]) or None

    @api.model
    def _store_health_gap(self, company, gap):
        """Keep the typical gap of a full health pass for the incremental
        path (one customer cannot give the company's median)."""
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
            INSERT INTO zhongzheng_value_cuts AS c
                   (company_id, health_typical_gap, rerank_pending,
                    create_uid, write_uid, create_date, write_date)
            VALUES (%(company)s, %(gap)s, FALSE, %(uid)s, %(uid)s,
                    now() at time zone 'UTC', now() at time zone 'UTC')
            ON CONFLICT (company_id) DO UPDATE
               SET health_typical_gap = EXCLUDED.health_typical_gap
             WHERE c.health_typical_gap IS DISTINCT FROM EXCLUDED.health_typical_gap
            """,
                company=company.id,
                gap=gap,
                uid=self.env.uid,
            )
        )
        self.invalidate_model()

    @api.model
    def _mark_pending(self, companies):
        """Every customer of these companies is queued: re-rank them all once
        the queue is drained, not against the old cut points."""
        self.flush_model()
        self.env.cr.execute(
            SQL(
                "UPDATE zhongzheng_value_cuts SET rerank_pending = TRUE"
                " WHERE company_id = ANY(%s)",
                companies.ids,
            )
        )
        self.invalidate_model()
