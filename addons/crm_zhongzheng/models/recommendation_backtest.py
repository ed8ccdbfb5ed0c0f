"""Do the recommendations foresee what customers buy? A backtest as of a
past date.

As of the date, the recommendation step's own statement (recommendation.py,
_prepare and recommendation_sql) recommends twice from the confirmed sales
before it: by co-purchase (the rules, and best sellers for customers of one
product) and by popularity (the N best sellers of the 12 months before that
the customer has not bought in them). Neither knows a tier (today's tiers
know the future) nor a dismissal made after the date.

The customers judged: those who bought before the date and, in the 90 days
after it, a product they had not bought in the 12 months before (a new
purchase: what a recommendation is for). Precision@N: of the products
recommended to them, the share they bought new; recall@N: of their new
purchases, the share recommended; hit rate: the customers with at least one
recommended product bought. Co-purchase wins when its recall is higher (both
are judged against the same purchases); the company's nightly run then
recommends by the method that won its last complete backtest of enough
customers (a company setting, 30 by default)."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .company_settings import RECOMMENDATION_METHODS
from .recommendation_sql import big_statement

OUTCOME_DAYS = 90
# per method: the temporary table of its recommendations, the field prefix
TABLES = {"co_purchase": "zz_reco_bt_co", "popularity": "zz_reco_bt_pop"}
PREFIXES = {"co_purchase": "", "popularity": "baseline_"}


def figure_fields(prefix, label=""):
    """One method's figures as fields {prefix + name: field}, their labels
    after `label`."""

    def label_of(text):
        return f"{label} {text}" if label else text

    def rate(text):
        return fields.Float(string=label_of(text), digits=(16, 1), readonly=True)

    return {
        prefix + "recommended_count": fields.Integer(
            string=label_of("Recommended"), readonly=True
        ),
        prefix + "hit_count": fields.Integer(
            string=label_of("Recommended and Bought"), readonly=True
        ),
        prefix + "precision": rate("Precision@N (%)"),
        prefix + "recall": rate("Recall@N (%)"),
        prefix + "hit_rate": rate("Hit Rate (%)"),
    }


class RecommendationBacktest(models.Model):
    _name = "zhongzheng.recommendation.backtest"
    _inherit = "zhongzheng.backtest"
    _description = "Recommendation Backtest"
    _order = "as_of_date desc, id desc"
    _rec_name = "as_of_date"

    as_of_date = fields.Date(
        string="As of",
        required=True,
        default=lambda self: (
            fields.Date.context_today(self) - timedelta(days=OUTCOME_DAYS + 1)
        ),
        help="Recommendations are made from the sales before this date and "
        "compared with what the customers bought in the 90 days after it.",
    )
    top_count = fields.Integer(
        string="Recommendations per Customer (N)",
        readonly=True,
        help="The company's setting when the backtest ran.",
    )
    customer_count = fields.Integer(
        string="Customers",
        readonly=True,
        help="Customers who bought before the date and, in the 90 days after "
        "it, a product they had not bought in the 12 months before.",
    )
    purchase_count = fields.Integer(
        string="New Purchases",
        readonly=True,
        help="Their products bought in the 90 days after the date that they "
        "had not bought in the 12 months before.",
    )
    locals().update(figure_fields(""))
    locals().update(figure_fields("baseline_", "Best Sellers"))
    winner = fields.Selection(RECOMMENDATION_METHODS, readonly=True)
    complete = fields.Boolean(
        string="90 Days After",
        readonly=True,
        help="The 90 days after the date are over: the outcome is final, and "
        "the company's nightly run recommends by the winner.",
    )
    decides = fields.Boolean(
        string="Chooses the Method",
        readonly=True,
        help="Complete, with enough customers judged (company setting): the "
        "nightly run recommends by the winner.",
    )
    verdict = fields.Text(compute="_compute_verdict")

    @api.depends_context("lang")
    @api.depends("state", "winner", "recall", "baseline_recall", "complete", "decides")
    def _compute_verdict(self):
        _ = self.env._
        for backtest in self:
            if backtest.state != "done":
                backtest.verdict = False
                continue
            figures = {
                "recall": backtest.recall,
                "baseline": backtest.baseline_recall,
            }
            if backtest.winner == "co_purchase":
                text = _(
                    "Co-purchase won: its recommendations foresaw %(recall).1f%% "
                    "of the customers' new purchases in the 90 days after the "
                    "date, the best sellers %(baseline).1f%%.",
                    **figures,
                )
            else:
                text = _(
                    "The best sellers won: co-purchase foresaw %(recall).1f%% of "
                    "the customers' new purchases in the 90 days after the date, "
                    "no more than the best sellers' %(baseline).1f%%.",
                    **figures,
                )
            if not backtest.complete:
                text += " " + _(
                    "The 90 days after the date are not over: the nightly run "
                    "keeps its method."
                )
            elif not backtest.decides:
                text += " " + _(
                    "Only %(count)s customers bought something new in those 90 "
                    "days, too few to decide: the nightly run keeps its method.",
                    count=backtest.customer_count,
                )
            backtest.verdict = text

    def _store_run(self):
        """The figures, and a complete backtest's winner made the company's
        method: its nightly run recommends by it from then on."""
        result = super()._store_run()
        if self.decides:
            self.company_id.write(
                {
                    "recommendation_method": self.winner,
                    "recommendation_backtest_id": self.id,
                }
            )
        return result

    def _run(self):
        """The backtest's figures as of its date, from real orders."""
        self.ensure_one()
        company, as_of = self.company_id, self.as_of_date
        Recommendation = self.env["zhongzheng.recommendation"]
        self.env["zhongzheng.value.engine"]._tune()
        cr = self.env.cr
        params = Recommendation._prepare(company, as_of, backtest=True)
        for method, table in TABLES.items():
            params["popularity"] = method == "popularity"
            with big_statement(cr):
                Recommendation._temp_table(
                    table, SQL(Recommendation._recommendation_query(), **params)
                )
        cr.execute(
            SQL(
                """
            WITH bought AS (
                SELECT DISTINCT l.partner_id, l.product_id
                  FROM (%(lines)s) l
                 WHERE EXISTS (SELECT 1 FROM zz_reco_buys b
                                WHERE b.partner_id = l.partner_id)
                   AND NOT EXISTS (
                       SELECT 1 FROM zz_reco_buys b
                        WHERE b.partner_id = l.partner_id
                          AND b.product_id = l.product_id
                          AND b.last_date >= %(recent)s)
            ),
            judged AS (SELECT partner_id FROM bought GROUP BY 1),
            shown AS (
                SELECT 'co_purchase' AS method, partner_id, product_id
                  FROM zz_reco_bt_co
                UNION ALL
                SELECT 'popularity', partner_id, product_id FROM zz_reco_bt_pop
            ),
            scored AS (
                SELECT s.method, s.partner_id, COUNT(*) AS shown,
                       COUNT(b.product_id) AS hits
                  FROM shown s
                  JOIN judged j ON j.partner_id = s.partner_id
                  LEFT JOIN bought b
                    ON b.partner_id = s.partner_id AND b.product_id = s.product_id
                 GROUP BY 1, 2
            )
            SELECT m.method, (SELECT COUNT(*) FROM judged),
                   (SELECT COUNT(*) FROM bought),
                   COALESCE(SUM(s.shown), 0), COALESCE(SUM(s.hits), 0),
                   COUNT(*) FILTER (WHERE s.hits > 0)
              FROM (VALUES ('co_purchase'), ('popularity')) m(method)
              LEFT JOIN scored s ON s.method = m.method
             GROUP BY m.method
            """,
                lines=Recommendation._sold_lines(
                    company.id,
                    params["end"] + timedelta(days=OUTCOME_DAYS),
                    params["end"],
                ),
                recent=params["recent"],
            )
        )
        rows = cr.fetchall()
        for table in (
            *TABLES.values(),
            "zz_reco_buys",
            "zz_reco_members",
            "zz_reco_products",
        ):
            cr.execute(SQL("DROP TABLE %s", SQL.identifier(table)))
        cr.execute("DROP TABLE zz_reco_pairs, zz_reco_rules")

        def rate(part, whole):
            return round(100.0 * part / whole, 1) if whole else 0.0

        values = {
            "state": "done",
            "top_count": company.recommendation_count,
            "complete": as_of + timedelta(days=OUTCOME_DAYS)
            < fields.Date.context_today(self),
        }
        for method, customers, purchases, shown, hits, hit_customers in rows:
            prefix = PREFIXES[method]
            values.update(
                {
                    "customer_count": customers,
                    "purchase_count": purchases,
                    prefix + "recommended_count": shown,
                    prefix + "hit_count": hits,
                    prefix + "precision": rate(hits, shown),
                    prefix + "recall": rate(hits, purchases),
                    prefix + "hit_rate": rate(hit_customers, customers),
                }
            )
        values["decides"] = (
            values["complete"]
            and values["customer_count"]
            >= company.recommendation_backtest_min_customers
        )
        values["winner"] = (
            "co_purchase"
            if values["hit_count"] > values["baseline_hit_count"]
            else "popularity"
        )
        return values
