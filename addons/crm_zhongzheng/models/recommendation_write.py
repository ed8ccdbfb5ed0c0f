"""The recommendation step's writes (recommendation.py computes): the
company's rules to zhongzheng.product.affinity, its customers' top N to
zhongzheng.customer.recommendation, in SQL (the engine's own write,
whatever the user's rights). A room of its own: the step's file stays
under 500 lines."""

import logging

from odoo import api, fields, models
from odoo.tools import SQL

from .recommendation_sql import big_statement
from .value_sql import BULK_ROWS, bulk_fill, bulk_load

_logger = logging.getLogger(__name__)

RECOMMENDATION_COLUMNS = (
    "rank",
    "score",
    "kind",
    "reason_product_id",
    "reason_tier_id",
    "median_days",
    "expected_date",
)


def insert_sql(company_id, rows):
    """INSERT of `rows` (partner_id, product_id and the
    RECOMMENDATION_COLUMNS) as the company's recommendations, in the order
    of the unique index."""
    columns = [SQL.identifier(name) for name in RECOMMENDATION_COLUMNS]
    return SQL(
        "INSERT INTO zhongzheng_customer_recommendation"
        " (company_id, partner_id, product_id, %(columns)s)"
        " SELECT %(company)s, n.partner_id, n.product_id, %(values)s"
        " FROM (%(rows)s) n ORDER BY n.partner_id, n.product_id",
        columns=SQL(", ").join(columns),
        values=SQL(", ").join(SQL("n.%s", c) for c in columns),
        company=company_id,
        rows=rows,
    )


class RecommendationWrite(models.AbstractModel):
    _inherit = "zhongzheng.recommendation"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _write_affinity(self, params):
        """The company's co-purchase rules, replaced."""
        Affinity = self.env["zhongzheng.product.affinity"]
        Affinity.flush_model()
        cr = self.env.cr
        cr.execute(
            SQL(
                "DELETE FROM zhongzheng_product_affinity WHERE company_id = %s",
                params["company"],
            )
        )
        cr.execute(
            SQL(
                """
            INSERT INTO zhongzheng_product_affinity
                   (company_id, product_id, other_product_id, customer_count,
                    support, confidence, lift,
                    create_uid, create_date, write_uid, write_date)
            SELECT %(company)s, p.a, p.b, p.both_count,
                   ROUND(100.0 * p.both_count / %(customers)s, 2),
                   ROUND(100.0 * p.both_count / pa.buyers, 2),
                   ROUND(p.both_count::numeric / pa.buyers
                         / (pb.buyers::numeric / %(customers)s), 2),
                   %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM zz_reco_pairs p
              JOIN zz_reco_products pa ON pa.product_id = p.a
              JOIN zz_reco_products pb ON pb.product_id = p.b
             WHERE 100.0 * p.both_count / pa.buyers >= %(min_confidence)s
            """,
                uid=self.env.uid,
                now=fields.Datetime.now(),
                **params,
            )
        )
        Affinity.invalidate_model()

    @api.model
    def _write_recommendations(self, params):
        """Per customer its top N products, made the company's stored
        recommendations: vanished ones deleted, changed ones updated, new
        ones inserted (into an empty table: all inserted in the index's
        order, no comparison). Returns their number."""
        Recommendation = self.env["zhongzheng.customer.recommendation"]
        Recommendation.flush_model()
        cr = self.env.cr
        columns = [SQL.identifier(name) for name in RECOMMENDATION_COLUMNS]
        cr.execute(
            SQL(
                "SELECT 1 FROM zhongzheng_customer_recommendation"
                " WHERE company_id = %s LIMIT 1",
                params["company"],
            )
        )
        if not cr.rowcount:
            # the first pass: every row new, in the order of the unique index
            with big_statement(cr):
                self._temp_table(
                    "zz_reco_new", SQL(self._recommendation_query(), **params)
                )
            cr.execute("SELECT COUNT(*) FROM zz_reco_new")
            count = cr.fetchone()[0]
            self._first_fill(
                insert_sql(params["company"], SQL("SELECT * FROM zz_reco_new")),
                count,
            )
            Recommendation.invalidate_model()
            return count
        self._apply_changes(params, columns)
        cr.execute(
            SQL(
                "SELECT COUNT(*) FROM zhongzheng_customer_recommendation"
                " WHERE company_id = %s",
                params["company"],
            )
        )
        Recommendation.invalidate_model()
        return cr.fetchone()[0]

    @api.model
    def _apply_changes(self, params, columns):
        """The stored recommendations made those of the statement: one join
        of both finds the vanished, the changed and the new rows (usually
        none: a pass that changes nothing writes nothing), then each kind
        is written by id."""
        cr = self.env.cr
        with big_statement(cr):
            self._temp_table(
                "zz_reco_diff",
                SQL(
                    "SELECT r.id, n.partner_id, n.product_id, %(values)s"
                    " FROM (SELECT * FROM zhongzheng_customer_recommendation"
                    "       WHERE company_id = %(company)s) r"
                    " FULL JOIN (%(query)s) n"
                    " ON n.partner_id = r.partner_id AND n.product_id = r.product_id"
                    " WHERE r.id IS NULL OR n.partner_id IS NULL OR %(changed)s",
                    values=SQL(", ").join(SQL("n.%s", c) for c in columns),
                    company=params["company"],
                    query=SQL(self._recommendation_query(), **params),
                    changed=SQL(" OR ").join(
                        SQL("r.%s IS DISTINCT FROM n.%s", c, c) for c in columns
                    ),
                ),
            )
        cr.execute(
            "SELECT COUNT(*) FILTER (WHERE partner_id IS NULL),"
            " COUNT(*) FILTER (WHERE id IS NOT NULL AND partner_id IS NOT NULL),"
            " COUNT(*) FILTER (WHERE id IS NULL) FROM zz_reco_diff"
        )
        vanished, changed, new = cr.fetchone()
        cr.execute("ANALYZE zz_reco_diff")
        if vanished:
            cr.execute(
                "DELETE FROM zhongzheng_customer_recommendation r"
                " USING zz_reco_diff d WHERE d.partner_id IS NULL AND r.id = d.id"
            )
        if changed:
            cr.execute(
                SQL(
                    "UPDATE zhongzheng_customer_recommendation r SET %s"
                    " FROM zz_reco_diff d"
                    " WHERE d.partner_id IS NOT NULL AND r.id = d.id",
                    SQL(", ").join(SQL("%s = d.%s", c, c) for c in columns),
                )
            )
        if new:
            cr.execute(
                insert_sql(
                    params["company"],
                    SQL("SELECT * FROM zz_reco_diff WHERE id IS NULL"),
                )
            )
        _logger.info(
            "recommendations: %s vanished, %s changed, %s new", vanished, changed, new
        )

    @api.model
    def _first_fill(self, insert, count):
        """Run `insert` into the company's empty recommendations. Many rows
        (value_sql.bulk_fill; the context's reco_bulk_rows in tests) go in
        as a bulk load (value_sql.bulk_load): without the per-row checks of
        their five foreign keys (an index probe and a row lock each) and
        without the unique constraint and the other index, which are built
        from all rows at the end, as the keys are checked in one join each;
        a row that fails them fails the step, and its savepoint takes all of
        it back. A once-only cost of the first full pass, which locks the
        table until the transaction ends (the later passes write only what
        changed, with the usual checks)."""
        cr = self.env.cr
        table = "zhongzheng_customer_recommendation"
        threshold = self.env.context.get("reco_bulk_rows", BULK_ROWS)
        if not bulk_fill(cr, table, count, threshold):
            cr.execute(insert)
            return
        with bulk_load(cr, table):
            cr.execute(insert)
