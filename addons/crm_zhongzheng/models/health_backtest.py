"""Does the health warn early? A backtest as of a past date.

The health signals are rebuilt as of the date from what carries its own
date (customer_health._signals_sql with live=False): orders (rhythm, trend),
invoices and their reconciliations (overdue receivables, days to pay),
tickets, ratings and tracking events (service). Left out, their weight
shared among the others: probability alive (a lifetime value fit as of the
date would be needed) and the RFM segment move (the ranks of all customers
as of two dates).

The customers: those with revenue in the 12 months before the date whose
class was not lost yet then. The outcome is not made of the predictors: a
customer churned when its
revenue in the 12 months after the date is below 20% of its revenue in the
12 months before. Recall: of the churned, the share flagged at risk or
critical as of the date; precision: of the flagged, the share that churned;
both against the baseline "no order for more than 90 days". Days of warning:
how long before the customer's class would turn lost (its last order plus
the company's lost-after days) the flag came."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

BACKTEST_DAYS = 365
CHURN_SHARE = 0.2
BASELINE_DAYS = 90
# what the backtest can rebuild as of a past date (the others are left out)
REBUILT = ("rhythm", "trend", "service", "payment")


class HealthBacktest(models.Model):
    _name = "zhongzheng.health.backtest"
    _inherit = "zhongzheng.backtest"
    _description = "Customer Health Backtest"
    _order = "as_of_date desc, id desc"
    _rec_name = "as_of_date"

    as_of_date = fields.Date(
        string="As of",
        required=True,
        default=lambda self: (
            fields.Date.context_today(self) - timedelta(days=BACKTEST_DAYS)
        ),
        help="The health is rebuilt as of this date and compared with the "
        "12 months after it.",
    )
    customer_count = fields.Integer(string="Customers", readonly=True)
    churned_count = fields.Integer(string="Churned", readonly=True)
    flagged_count = fields.Integer(string="Flagged (at risk, critical)", readonly=True)
    hit_count = fields.Integer(string="Flagged and Churned", readonly=True)
    recall = fields.Float(string="Recall (%)", digits=(16, 1), readonly=True)
    precision = fields.Float(string="Precision (%)", digits=(16, 1), readonly=True)
    warning_days = fields.Float(
        string="Days of Warning",
        digits=(16, 1),
        readonly=True,
        help="On average, how many days before its class would turn lost a "
        "churned customer was flagged.",
    )
    baseline_flagged_count = fields.Integer(
        string="Baseline Flagged (no order in 90 days)", readonly=True
    )
    baseline_hit_count = fields.Integer(
        string="Baseline Flagged and Churned", readonly=True
    )
    baseline_recall = fields.Float(
        string="Baseline Recall (%)", digits=(16, 1), readonly=True
    )
    baseline_precision = fields.Float(
        string="Baseline Precision (%)", digits=(16, 1), readonly=True
    )
    baseline_warning_days = fields.Float(
        string="Baseline Days of Warning", digits=(16, 1), readonly=True
    )
    complete = fields.Boolean(
        string="Full Year After",
        readonly=True,
        help="The 12 months after the date are over: the outcome is final.",
    )
    signals_note = fields.Text(
        string="Signals", compute="_compute_signals_note", readonly=True
    )

    @api.depends_context("lang")
    def _compute_signals_note(self):
        for backtest in self:
            backtest.signals_note = self.env._(
                "Rebuilt as of the date: order rhythm and revenue trend (orders), "
                "overdue receivables and days to pay (invoices and their "
                "reconciliation dates), SLA breaches, open complaints and claims, "
                "low ratings and delivery exceptions (tickets, ratings and "
                "tracking events by their dates; a ticket's SLA status is "
                "today's). Left out, their weight shared among the others: "
                "probability alive and the RFM segment move."
            )

    def _run(self):
        """The backtest's figures as of its date, from real orders."""
        self.ensure_one()
        company, as_of = self.company_id, self.as_of_date
        health = self.env["zhongzheng.customer.health"]
        cr = self.env.cr
        self.env["zhongzheng.value.engine"]._tune()
        self.env["sale.order"].flush_model()
        end = fields.Datetime.to_datetime(as_of) + timedelta(days=1)
        orders = SQL(
            "SELECT p.commercial_partner_id AS partner_id, so.date_order,"
            " so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1) AS amount"
            " FROM sale_order so JOIN res_partner p ON p.id = so.partner_id"
            " WHERE so.company_id = %s AND so.state = 'sale'",
            company.id,
        )
        # customers with revenue in the 12 months before the date, not lost
        # yet then (an order within the lost-after days): a warning is for
        # those who can still be kept
        health._population(
            SQL(
                "SELECT partner_id FROM (%s) o WHERE o.date_order >= %s"
                " AND o.date_order < %s GROUP BY partner_id"
                " HAVING SUM(amount) > 0 AND MAX(o.date_order) >= %s",
                orders,
                end - timedelta(days=BACKTEST_DAYS),
                end,
                end - timedelta(days=company.class_lost_after_days + 1),
            )
        )
        weights = company._health_weights()
        kept = sum(weights[name] for name in REBUILT) or 1.0
        weights = {
            name: (100.0 * w / kept if name in REBUILT else 0.0)
            for name, w in weights.items()
        }
        # the company's typical gap too is as of the date (of these customers)
        gap = health._rhythm_table(company, as_of)
        cr.execute("DROP TABLE IF EXISTS zz_health_signals")
        cr.execute(
            SQL(
                "CREATE TEMP TABLE zz_health_signals ON COMMIT DROP AS %s",
                health._signals_sql(company, as_of, weights, gap, live=False),
            )
        )
        cr.execute(
            SQL(
                """
            WITH scores AS (
                SELECT pop.id AS partner_id,
                       GREATEST(0, 100 - COALESCE(SUM(g.points), 0)) AS score
                  FROM zz_health_population pop
                  LEFT JOIN zz_health_signals g ON g.partner_id = pop.id
                 GROUP BY pop.id
            ),
            outcome AS (
                SELECT o.partner_id,
                       SUM(o.amount) FILTER (WHERE o.date_order < %(end)s)
                           AS before,
                       COALESCE(SUM(o.amount) FILTER (
                           WHERE o.date_order >= %(end)s), 0) AS after,
                       MAX(o.date_order) FILTER (WHERE o.date_order < %(end)s)::date
                           AS last_day
                  FROM (%(orders)s) o
                 WHERE o.partner_id IN (SELECT id FROM zz_health_population)
                   AND o.date_order >= %(before_start)s
                   AND o.date_order < %(after_end)s
                 GROUP BY o.partner_id
            ),
            judged AS (
                SELECT o.after < %(share)s * o.before AS churned,
                       %(status)s = ANY(%(flagged)s) AS flagged,
                       %(as_of)s::date - o.last_day > %(baseline)s AS baseline,
                       o.last_day + %(lost)s - %(as_of)s::date AS warning
                  FROM outcome o JOIN scores s ON s.partner_id = o.partner_id
            )
            SELECT count(*), count(*) FILTER (WHERE churned),
                   count(*) FILTER (WHERE flagged),
                   count(*) FILTER (WHERE flagged AND churned),
                   AVG(warning) FILTER (WHERE flagged AND churned),
                   count(*) FILTER (WHERE baseline),
                   count(*) FILTER (WHERE baseline AND churned),
                   AVG(warning) FILTER (WHERE baseline AND churned)
              FROM judged
            """,
                end=end,
                orders=orders,
                before_start=end - timedelta(days=BACKTEST_DAYS),
                after_end=end + timedelta(days=BACKTEST_DAYS),
                share=CHURN_SHARE,
                status=health._status_sql(company, SQL("s.score")),
                flagged=["at_risk", "critical"],
                as_of=as_of,
                baseline=BASELINE_DAYS,
                lost=company.class_lost_after_days,
            )
        )
        (customers, churned, flagged, hits, warning, b_flagged, b_hits, b_warning) = (
            cr.fetchone()
        )
        cr.execute("DROP TABLE zz_health_signals")
        cr.execute("DROP TABLE zz_health_rhythm")
        cr.execute("DROP TABLE zz_health_population")

        def rate(part, whole):
            return round(100.0 * part / whole, 1) if whole else 0.0

        return {
            "state": "done",
            "customer_count": customers,
            "churned_count": churned,
            "flagged_count": flagged,
            "hit_count": hits,
            "recall": rate(hits, churned),
            "precision": rate(hits, flagged),
            "warning_days": float(warning or 0.0),
            "baseline_flagged_count": b_flagged,
            "baseline_hit_count": b_hits,
            "baseline_recall": rate(b_hits, churned),
            "baseline_precision": rate(b_hits, b_flagged),
            "baseline_warning_days": float(b_warning or 0.0),
            "complete": as_of + timedelta(days=BACKTEST_DAYS)
            < fields.Date.context_today(self),
        }
