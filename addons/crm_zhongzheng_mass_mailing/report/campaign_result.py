"""The result of a campaign: for each measure, the mailed group against the
control group over the attribution window, the difference (uplift) and its
95% confidence interval, computed in SQL for all mailings at once.

A customer's outcome is what its commercial partner (any of its contacts)
ordered: confirmed sale orders of the mailing's company dated from the
sending to `attribution_days` later, untaxed, in company currency; the
margin is the value engine's one definition (`_sale_margin_sql`).

The interval is the normal approximation: for the share of customers who
ordered, of a difference of proportions (variance p(1-p)/n each); for
orders, revenue and margin per customer, of a difference of means with
each group's own variance (Welch). Below 2 customers in a group there is
no interval."""

from odoo import fields, models
from odoo.tools import SQL

# two-sided 95% quantile of the normal distribution
Z_95 = 1.959964
METRICS = [
    ("buyers", "Customers Who Ordered (share)"),
    ("orders", "Orders per Customer"),
    ("revenue", "Revenue per Customer"),
    ("margin", "Margin per Customer"),
]


def member_outcomes_sql(env):
    """One row per campaign member of a sent mailing: mailing_id,
    company_id, is_control, orders, revenue, margin in the window."""
    margin = env["zhongzheng.value.facts"]._sale_margin_sql()
    return SQL(
        """
        SELECT mem.mailing_id, mem.company_id, mem.is_control,
               COUNT(so.id) AS orders,
               COALESCE(SUM(so.amount), 0) AS revenue,
               COALESCE(SUM(so.margin), 0) AS margin
          FROM zhongzheng_campaign_member mem
          JOIN mailing_mailing mm ON mm.id = mem.mailing_id
          LEFT JOIN LATERAL (
              SELECT so.id, so.amount_untaxed / so.rate AS amount,
                     (SELECT SUM(%(margin)s)
                        FROM sale_order_line sol
                        JOIN product_product p2 ON p2.id = sol.product_id
                        JOIN product_template pt ON pt.id = p2.product_tmpl_id
                        JOIN uom_uom pu ON pu.id = pt.uom_id
                        JOIN uom_uom lu ON lu.id = sol.product_uom
                        CROSS JOIN LATERAL (
                            SELECT COALESCE(
                                       (p2.standard_price->>so.company_id::text)::float8,
                                       0) AS cost,
                                   pu.factor) pp
                       WHERE sol.order_id = so.id AND sol.display_type IS NULL
                         AND sol.is_downpayment IS NOT TRUE) AS margin
                FROM (
                    SELECT so.id, so.company_id, so.amount_untaxed,
                           COALESCE(NULLIF(so.currency_rate, 0), 1) AS rate
                      FROM sale_order so
                      JOIN res_partner p ON p.id = so.partner_id
                     WHERE p.commercial_partner_id = mem.partner_id
                       AND so.company_id = mem.company_id AND so.state = 'sale'
                       AND so.date_order >= mm.sent_date
                       AND so.date_order < mm.sent_date
                           + make_interval(days => mm.attribution_days)
                ) so
          ) so ON TRUE
         WHERE mm.sent_date IS NOT NULL
         GROUP BY mem.id
        """,
        margin=margin,
    )


def uplift_rows_sql(env):
    """One row per sent mailing and measure (METRICS, in their order as
    `sequence`): both groups' sizes, means and the mailed group's total,
    the uplift and its interval."""
    return SQL(
        """
        WITH outcome AS (%(outcomes)s),
        grp AS (
            SELECT mailing_id, company_id, is_control, COUNT(*) AS n,
                   COUNT(*) FILTER (WHERE orders > 0)::float8 / COUNT(*) AS share,
                   COUNT(*) FILTER (WHERE orders > 0) AS buyers,
                   SUM(orders) AS orders, AVG(orders) AS orders_mean,
                   VAR_SAMP(orders) AS orders_var,
                   SUM(revenue) AS revenue, AVG(revenue) AS revenue_mean,
                   VAR_SAMP(revenue) AS revenue_var,
                   SUM(margin) AS margin, AVG(margin) AS margin_mean,
                   VAR_SAMP(margin) AS margin_var
              FROM outcome
             GROUP BY mailing_id, company_id, is_control
        ),
        stat AS (
            SELECT g.mailing_id, g.company_id, g.is_control, g.n, m.*
              FROM grp g
             CROSS JOIN LATERAL (VALUES
                 (1, 'buyers', g.share, g.share * (1 - g.share), g.buyers::float8),
                 (2, 'orders', g.orders_mean::float8, g.orders_var::float8,
                  g.orders::float8),
                 (3, 'revenue', g.revenue_mean, g.revenue_var, g.revenue),
                 (4, 'margin', g.margin_mean, g.margin_var, g.margin)
             ) AS m(sequence, metric, mean, var, total)
        ),
        pair AS (
            SELECT t.mailing_id, t.company_id, t.sequence, t.metric,
                   t.n AS targeted_count, COALESCE(c.n, 0) AS control_count,
                   t.mean AS targeted_value, c.mean AS control_value,
                   t.total AS targeted_total, t.mean - c.mean AS uplift,
                   CASE WHEN t.n > 1 AND c.n > 1
                        THEN SQRT(t.var / t.n + c.var / c.n) END AS se
              FROM stat t
              LEFT JOIN stat c
                ON c.mailing_id = t.mailing_id AND c.metric = t.metric
               AND c.is_control
             WHERE NOT t.is_control
        )
        SELECT pair.*,
               uplift - %(z)s * se AS ci_low,
               uplift + %(z)s * se AS ci_high,
               COALESCE(uplift - %(z)s * se > 0 OR uplift + %(z)s * se < 0,
                        FALSE) AS significant
          FROM pair
        """,
        outcomes=member_outcomes_sql(env),
        z=Z_95,
    )


class CampaignResult(models.Model):
    _name = "zhongzheng.campaign.result"
    _description = "Campaign Result"
    _auto = False
    _order = "mailing_id desc, sequence"
    _depends = {
        "zhongzheng.campaign.member": [
            "mailing_id",
            "partner_id",
            "company_id",
            "is_control",
        ],
        "mailing.mailing": ["sent_date", "attribution_days"],
        "res.partner": ["commercial_partner_id"],
        "sale.order": [
            "partner_id",
            "company_id",
            "state",
            "date_order",
            "amount_untaxed",
            "currency_rate",
        ],
        "sale.order.line": [
            "order_id",
            "product_id",
            "product_uom",
            "product_uom_qty",
            "price_subtotal",
            "display_type",
            "is_downpayment",
        ],
        "product.product": ["standard_price"],
    }

    mailing_id = fields.Many2one("mailing.mailing", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    sequence = fields.Integer(readonly=True)
    metric = fields.Selection(METRICS, string="Measure", readonly=True)
    targeted_count = fields.Integer(string="Customers Mailed", readonly=True)
    control_count = fields.Integer(string="Control Customers", readonly=True)
    targeted_value = fields.Float(string="Mailed", digits=(16, 3), readonly=True)
    control_value = fields.Float(string="Control", digits=(16, 3), readonly=True)
    targeted_total = fields.Float(
        string="Mailed Group Total", digits=(16, 2), readonly=True
    )
    uplift = fields.Float(digits=(16, 3), readonly=True)
    ci_low = fields.Float(string="95% Interval From", digits=(16, 3), readonly=True)
    ci_high = fields.Float(string="95% Interval To", digits=(16, 3), readonly=True)
    significant = fields.Boolean(
        readonly=True,
        help="The 95% interval of the uplift does not include 0. Otherwise "
        "the difference may be chance: not significant.",
    )

    @property
    def _table_query(self):
        return SQL(
            "SELECT mailing_id * 10 + sequence AS id, r.* FROM (%s) r",
            uplift_rows_sql(self.env),
        )
