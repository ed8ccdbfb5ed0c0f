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


def _group_figures(measure):
    """Mean, sample variance and total of `measure` for each group (t:
    mailed, c: control), as columns of the per-mailing aggregate."""
    return SQL(
        """
        AVG(%(m)s) FILTER (WHERE NOT is_control)::float8 AS %(t_mean)s,
        AVG(%(m)s) FILTER (WHERE is_control)::float8 AS %(c_mean)s,
        VAR_SAMP(%(m)s) FILTER (WHERE NOT is_control)::float8 AS %(t_var)s,
        VAR_SAMP(%(m)s) FILTER (WHERE is_control)::float8 AS %(c_var)s,
        SUM(%(m)s) FILTER (WHERE NOT is_control)::float8 AS %(t_total)s
        """,
        m=SQL.identifier(measure),
        t_mean=SQL.identifier(f"{measure}_t"),
        c_mean=SQL.identifier(f"{measure}_c"),
        t_var=SQL.identifier(f"{measure}_vt"),
        c_var=SQL.identifier(f"{measure}_vc"),
        t_total=SQL.identifier(f"{measure}_total"),
    )


def uplift_rows_sql(env):
    """One row per sent mailing and measure (METRICS, in their order as
    `sequence`): both groups' sizes, means and the mailed group's total,
    the uplift and its interval. One aggregate per mailing (no self-join),
    so a filter on the mailing reaches the members' index."""
    return SQL(
        """
        SELECT pair.*,
               uplift - %(z)s * se AS ci_low,
               uplift + %(z)s * se AS ci_high,
               COALESCE(uplift - %(z)s * se > 0 OR uplift + %(z)s * se < 0,
                        FALSE) AS significant
          FROM (
            SELECT g.mailing_id, g.company_id, m.sequence, m.metric,
                   g.nt AS targeted_count, g.nc AS control_count,
                   m.mt AS targeted_value, m.mc AS control_value,
                   m.total AS targeted_total, m.mt - m.mc AS uplift,
                   CASE WHEN g.nt > 1 AND g.nc > 1
                        THEN SQRT(m.vt / g.nt + m.vc / g.nc) END AS se
              FROM (
                SELECT mailing_id, company_id,
                       COUNT(*) FILTER (WHERE NOT is_control) AS nt,
                       COUNT(*) FILTER (WHERE is_control) AS nc,
                       %(bought)s, %(orders)s, %(revenue)s, %(margin)s
                  FROM (
                    SELECT o.*, (o.orders > 0)::int AS bought
                      FROM (%(outcomes)s) o
                  ) o
                 GROUP BY mailing_id, company_id
              ) g
             CROSS JOIN LATERAL (VALUES
                 -- a share's variance is p(1 - p) (normal approximation)
                 (1, 'buyers', g.bought_t, g.bought_c,
                  g.bought_t * (1 - g.bought_t), g.bought_c * (1 - g.bought_c),
                  g.bought_total),
                 (2, 'orders', g.orders_t, g.orders_c, g.orders_vt, g.orders_vc,
                  g.orders_total),
                 (3, 'revenue', g.revenue_t, g.revenue_c, g.revenue_vt,
                  g.revenue_vc, g.revenue_total),
                 (4, 'margin', g.margin_t, g.margin_c, g.margin_vt, g.margin_vc,
                  g.margin_total)
             ) AS m(sequence, metric, mt, mc, vt, vc, total)
          ) pair
        """,
        outcomes=member_outcomes_sql(env),
        bought=_group_figures("bought"),
        orders=_group_figures("orders"),
        revenue=_group_figures("revenue"),
        margin=_group_figures("margin"),
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
