from odoo import fields, models
from odoo.tools import SQL

from . import report_charts
from .analysis_fields import amount, average, rating_average

SERVICE = "crm_zhongzheng.group_service_manager,crm_zhongzheng.group_crm_manager"
PERIODS = [("month", "Month"), ("quarter", "Quarter"), ("year", "Year")]


class CrmKpiReport(models.Model):
    """CRM key figures per company and month, quarter and year, from the
    orders, the relationship history and the service tickets.

    Customers at the start of a period: those who bought before it and were
    not lost then (their last class change before it). Lost: those of them
    whose class turned to lost during it. Retention = (start - lost) / start,
    churn = lost / start, acquisition = new / start (new: first purchase in
    the period). The 80/20 check: the revenue share of the top 20% of the
    period's buying customers (rounded up)."""

    _name = "zhongzheng.crm.kpi.report"
    _description = "CRM Key Figures"
    _auto = False
    _order = "date desc, period"
    _rec_name = "date"
    _depends = {
        **report_charts.SALE_ORDER_DEPENDS,
        "res.partner": ["commercial_partner_id"],
        "zhongzheng.relationship.history": [
            "date",
            "company_id",
            "partner_id",
            "kind",
            "class_to",
        ],
        "zhongzheng.service.ticket": [
            "company_id",
            "date_closed",
            "sla_status",
            "rating_last_value",
            "claim_state",
            "claim_approved_date",
            "claim_approved_amount",
        ],
    }

    period = fields.Selection(PERIODS, readonly=True)
    date = fields.Date(string="Period Start", readonly=True)
    date_to = fields.Date(string="Period End", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    customers_start = fields.Integer(string="Customers at Start", readonly=True)
    new_customers = fields.Integer(readonly=True)
    lost_customers = fields.Integer(readonly=True)
    retained_customers = fields.Integer(readonly=True)
    retention_rate = average("Retention Rate (%)")
    churn_rate = average("Churn Rate (%)")
    acquisition_rate = average("Acquisition Rate (%)")
    buying_customers = fields.Integer(readonly=True)
    revenue = amount()
    top20_revenue_share = average(
        "Top 20% Revenue Share (%)",
        help="Revenue share of the top 20% of the period's buying customers.",
    )
    tickets_closed = fields.Integer(readonly=True, groups=SERVICE)
    sla_compliance = average("SLA Compliance (%)", groups=SERVICE)
    satisfaction = rating_average(
        "Average Satisfaction",
        groups=SERVICE,
        help="Average customer rating (1 to 5) of the tickets closed.",
    )
    claims_paid = fields.Float(
        digits="Account",
        readonly=True,
        groups=SERVICE,
        help="Compensation approved on claims in the period.",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            WITH firsts AS (
                SELECT so.company_id, p.commercial_partner_id AS partner_id,
                       MIN(so.date_order) AS first_sale
                  FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.state = 'sale'
                 GROUP BY 1, 2
            ),
            lost_spans AS (
                SELECT * FROM (
                    SELECT company_id, partner_id, class_to, date AS valid_from,
                           LEAD(date) OVER (PARTITION BY company_id, partner_id
                                            ORDER BY date, id) AS valid_to
                      FROM zhongzheng_relationship_history WHERE kind = 'class'
                ) spans WHERE class_to = 'lost'
            ),
            bounds AS (
                SELECT company_id, MIN(d) AS first_day, MAX(d) AS last_day FROM (
                    SELECT company_id, first_sale::date AS d FROM firsts
                    UNION ALL
                    SELECT company_id, MAX(date_order)::date FROM sale_order
                     WHERE state = 'sale' GROUP BY company_id
                    UNION ALL
                    SELECT company_id, date FROM zhongzheng_relationship_history
                    UNION ALL
                    SELECT company_id, date_closed::date
                      FROM zhongzheng_service_ticket WHERE date_closed IS NOT NULL
                    UNION ALL
                    SELECT company_id, claim_approved_date
                      FROM zhongzheng_service_ticket
                     WHERE claim_approved_date IS NOT NULL
                ) days GROUP BY company_id
            ),
            kinds AS (
                SELECT * FROM (VALUES ('month', interval '1 month'),
                                      ('quarter', interval '3 months'),
                                      ('year', interval '1 year')) AS k(period, step)
            ),
            periods AS (
                SELECT DISTINCT b.company_id, k.period,
                       date_trunc(k.period, m)::date AS date_start,
                       (date_trunc(k.period, m) + k.step)::date AS date_end
                  FROM bounds b
                 CROSS JOIN generate_series(date_trunc('month', b.first_day),
                                            date_trunc('month', b.last_day),
                                            interval '1 month') AS m
                 CROSS JOIN kinds k
            ),
            -- Every period starts on the first of a month: the customers at
            -- the start of a period are counted once per company and day,
            -- as those who bought before it less those of them lost then.
            starts AS (
                SELECT DISTINCT company_id, date_start FROM periods
            ),
            first_months AS (
                SELECT company_id, date_trunc('month', first_sale)::date AS month,
                       COUNT(*) AS customers
                  FROM firsts GROUP BY 1, 2
            ),
            bought_before AS (
                SELECT s.company_id, s.date_start, SUM(fm.customers) AS customers
                  FROM starts s
                  JOIN first_months fm ON fm.company_id = s.company_id
                                      AND fm.month < s.date_start
                 GROUP BY 1, 2
            ),
            lost_at_start AS (
                SELECT s.company_id, s.date_start,
                       COUNT(DISTINCT l.partner_id) AS customers
                  FROM starts s
                  JOIN lost_spans l ON l.company_id = s.company_id
                                   AND l.valid_from < s.date_start
                                   AND (l.valid_to IS NULL
                                        OR l.valid_to >= s.date_start)
                  JOIN firsts f ON f.company_id = l.company_id
                               AND f.partner_id = l.partner_id
                               AND f.first_sale < s.date_start
                 GROUP BY 1, 2
            ),
            -- the customers at the start who turned lost during the period
            lost_during AS (
                SELECT pe.company_id, pe.period, pe.date_start,
                       COUNT(DISTINCT h.partner_id) AS customers
                  FROM zhongzheng_relationship_history h
                 CROSS JOIN kinds k
                  JOIN periods pe
                    ON pe.company_id = h.company_id AND pe.period = k.period
                   AND pe.date_start = date_trunc(k.period, h.date::timestamp)::date
                  JOIN firsts f ON f.company_id = h.company_id
                               AND f.partner_id = h.partner_id
                               AND f.first_sale < pe.date_start
                 WHERE h.kind = 'class' AND h.class_to = 'lost'
                   AND NOT EXISTS (
                       SELECT 1 FROM lost_spans l
                        WHERE l.company_id = h.company_id
                          AND l.partner_id = h.partner_id
                          AND l.valid_from < pe.date_start
                          AND (l.valid_to IS NULL OR l.valid_to >= pe.date_start))
                 GROUP BY 1, 2, 3
            ),
            customers AS (
                SELECT pe.company_id, pe.period, pe.date_start,
                       bb.customers - COALESCE(ls.customers, 0) AS customers_start,
                       COALESCE(ld.customers, 0) AS lost_customers
                  FROM periods pe
                  JOIN bought_before bb USING (company_id, date_start)
                  LEFT JOIN lost_at_start ls USING (company_id, date_start)
                  LEFT JOIN lost_during ld USING (company_id, period, date_start)
                 WHERE bb.customers > COALESCE(ls.customers, 0)
            ),
            news AS (
                SELECT f.company_id, k.period,
                       date_trunc(k.period, f.first_sale)::date AS date_start,
                       COUNT(*) AS new_customers
                  FROM firsts f CROSS JOIN kinds k
                 GROUP BY 1, 2, 3
            ),
            buyers AS (
                SELECT so.company_id, k.period,
                       date_trunc(k.period, so.date_order)::date AS date_start,
                       p.commercial_partner_id AS partner_id,
                       SUM(so.amount_untaxed
                           / COALESCE(NULLIF(so.currency_rate, 0), 1)) AS revenue
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 CROSS JOIN kinds k
                 WHERE so.state = 'sale'
                 GROUP BY 1, 2, 3, 4
            ),
            ranked AS (
                SELECT b.*,
                       ROW_NUMBER() OVER w AS rank,
                       COUNT(*) OVER (PARTITION BY company_id, period, date_start)
                           AS buyer_count
                  FROM buyers b
                WINDOW w AS (PARTITION BY company_id, period, date_start
                             ORDER BY revenue DESC, partner_id)
            ),
            revenues AS (
                SELECT company_id, period, date_start,
                       COUNT(*) AS buying_customers, SUM(revenue) AS revenue,
                       SUM(revenue) FILTER (WHERE rank <= CEIL(0.2 * buyer_count))
                           AS top_revenue
                  FROM ranked GROUP BY 1, 2, 3
            ),
            service AS (
                SELECT t.company_id, k.period,
                       date_trunc(k.period, t.date_closed)::date AS date_start,
                       COUNT(*) AS tickets_closed,
                       COUNT(*) FILTER (WHERE t.sla_status = 'met') AS sla_met,
                       COUNT(*) FILTER (WHERE t.sla_status IN ('met', 'breached'))
                           AS sla_due,
                       AVG(NULLIF(t.rating_last_value, 0)) AS satisfaction
                  FROM zhongzheng_service_ticket t CROSS JOIN kinds k
                 WHERE t.date_closed IS NOT NULL
                 GROUP BY 1, 2, 3
            ),
            claims AS (
                SELECT t.company_id, k.period,
                       date_trunc(k.period, t.claim_approved_date::timestamp)::date
                           AS date_start,
                       SUM(t.claim_approved_amount) AS claims_paid
                  FROM zhongzheng_service_ticket t CROSS JOIN kinds k
                 WHERE t.claim_state = 'approved'
                   AND t.claim_approved_date IS NOT NULL
                 GROUP BY 1, 2, 3
            )
            SELECT ROW_NUMBER() OVER (ORDER BY pe.company_id, pe.period, pe.date_start)
                       AS id,
                   pe.company_id, pe.period, pe.date_start AS date,
                   pe.date_end - 1 AS date_to,
                   COALESCE(c.customers_start, 0) AS customers_start,
                   COALESCE(n.new_customers, 0) AS new_customers,
                   COALESCE(c.lost_customers, 0) AS lost_customers,
                   COALESCE(c.customers_start - c.lost_customers, 0)
                       AS retained_customers,
                   ROUND(100.0 * (c.customers_start - c.lost_customers)
                         / NULLIF(c.customers_start, 0), 2) AS retention_rate,
                   ROUND(100.0 * c.lost_customers
                         / NULLIF(c.customers_start, 0), 2) AS churn_rate,
                   ROUND(100.0 * COALESCE(n.new_customers, 0)
                         / NULLIF(c.customers_start, 0), 2) AS acquisition_rate,
                   COALESCE(r.buying_customers, 0) AS buying_customers,
                   ROUND(COALESCE(r.revenue, 0)::numeric, 2) AS revenue,
                   ROUND((100.0 * r.top_revenue / NULLIF(r.revenue, 0))::numeric, 2)
                       AS top20_revenue_share,
                   COALESCE(s.tickets_closed, 0) AS tickets_closed,
                   ROUND(100.0 * s.sla_met / NULLIF(s.sla_due, 0), 2)
                       AS sla_compliance,
                   ROUND(s.satisfaction::numeric, 2) AS satisfaction,
                   ROUND(COALESCE(cl.claims_paid, 0)::numeric, 2) AS claims_paid
              FROM periods pe
              LEFT JOIN customers c USING (company_id, period, date_start)
              LEFT JOIN news n USING (company_id, period, date_start)
              LEFT JOIN revenues r USING (company_id, period, date_start)
              LEFT JOIN service s USING (company_id, period, date_start)
              LEFT JOIN claims cl USING (company_id, period, date_start)
            """
        )

    def _for_period(self, company, period, date_start):
        """The key figures row of a company's period (empty if none)."""
        return self.search(
            [
                ("company_id", "=", company.id),
                ("period", "=", period),
                ("date", "=", date_start),
            ],
            limit=1,
        )
