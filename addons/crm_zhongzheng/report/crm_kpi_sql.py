"""The key figures' SQL (zhongzheng.crm.kpi.report): every period of every
company computed from the orders, the relationship history and the tickets,
or only those of a scope (companies, one kind of period, period starts in
[start, end)), whose orders, moves and tickets are then read for those
periods' dates only."""

from dateutil.relativedelta import relativedelta

from odoo.tools import SQL

STEPS = {"month": 1, "quarter": 3, "year": 12}

# the columns of a key figures row, with their types: the stored figures'
# table has them, live rows are cast to them
COLUMNS = [
    ("id", "bigint"),
    ("company_id", "integer"),
    ("period", "varchar"),
    ("date", "date"),
    ("date_to", "date"),
    ("customers_start", "integer"),
    ("new_customers", "integer"),
    ("lost_customers", "integer"),
    ("retained_customers", "integer"),
    ("retention_rate", "numeric"),
    ("churn_rate", "numeric"),
    ("acquisition_rate", "numeric"),
    ("buying_customers", "integer"),
    ("revenue", "numeric"),
    ("top20_revenue_share", "numeric"),
    ("tickets_closed", "integer"),
    ("sla_compliance", "numeric"),
    ("satisfaction", "numeric"),
    ("claims_paid", "numeric"),
]


def typed_columns(alias, columns=None):
    """`alias.column::type AS column, ...` for every column of `columns`
    (name, type): by default the key figures'."""
    return SQL(", ").join(
        SQL(
            "%s::%s AS %s", SQL.identifier(alias, name), SQL(kind), SQL.identifier(name)
        )
        for name, kind in columns or COLUMNS
    )


def kpi_sql(company_ids=None, period=None, start=None, end=None):
    """The key figures rows, as a SELECT: all of them, or those of the
    companies `company_ids`, of the kind `period` (month, quarter, year)
    and starting in [start, end). A scoped period is complete: its orders,
    tickets and moves are read over its whole span. The customers' first
    purchases and lost spans are always read over the whole history (the
    customers at a period's start depend on them)."""
    # the orders, moves and tickets a scope reads: from its first period
    # start to its last period's end at the latest (dates the planner sees)
    low = start
    high = end and end + relativedelta(months=STEPS.get(period, 12))

    def company(column):
        if company_ids is None:
            return SQL("TRUE")
        return SQL("%s = ANY(%s)", SQL.identifier(*column), list(company_ids))

    def dated(column):
        terms = [SQL("TRUE")]
        if low is not None:
            terms.append(SQL("%s >= %s", SQL.identifier(*column), low))
        if high is not None:
            terms.append(SQL("%s < %s", SQL.identifier(*column), high))
        return SQL(" AND ").join(terms)

    period_terms = [SQL("TRUE")]
    if start is not None:
        period_terms.append(SQL("date_trunc(k.period, m)::date >= %s", start))
    if end is not None:
        period_terms.append(SQL("date_trunc(k.period, m)::date < %s", end))
    return SQL(
        """
        WITH firsts AS (
            SELECT so.company_id, p.commercial_partner_id AS partner_id,
                   MIN(so.date_order) AS first_sale
              FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
             WHERE so.state = 'sale' AND %(company_so)s
             GROUP BY 1, 2
        ),
        lost_spans AS (
            SELECT * FROM (
                SELECT company_id, partner_id, class_to, date AS valid_from,
                       LEAD(date) OVER (PARTITION BY company_id, partner_id
                                        ORDER BY date, id) AS valid_to
                  FROM zhongzheng_relationship_history h
                 WHERE kind = 'class' AND %(company_h)s
            ) spans WHERE class_to = 'lost'
        ),
        bounds AS (
            SELECT company_id, MIN(d) AS first_day, MAX(d) AS last_day FROM (
                SELECT company_id, first_sale::date AS d FROM firsts
                UNION ALL
                SELECT company_id, MAX(date_order)::date FROM sale_order so
                 WHERE state = 'sale' AND %(company_so)s GROUP BY company_id
                UNION ALL
                SELECT company_id, date FROM zhongzheng_relationship_history h
                 WHERE %(company_h)s
                UNION ALL
                SELECT company_id, date_closed::date
                  FROM zhongzheng_service_ticket t
                 WHERE date_closed IS NOT NULL AND %(company_t)s
                UNION ALL
                SELECT company_id, claim_approved_date
                  FROM zhongzheng_service_ticket t
                 WHERE claim_approved_date IS NOT NULL AND %(company_t)s
            ) days GROUP BY company_id
        ),
        kinds AS (
            SELECT * FROM (VALUES ('month', interval '1 month', 1),
                                  ('quarter', interval '3 months', 2),
                                  ('year', interval '1 year', 3))
                       AS k(period, step, code)
             WHERE %(kind)s
        ),
        periods AS (
            SELECT DISTINCT b.company_id, k.period, k.code,
                   date_trunc(k.period, m)::date AS date_start,
                   (date_trunc(k.period, m) + k.step)::date AS date_end
              FROM bounds b
             CROSS JOIN generate_series(date_trunc('month', b.first_day),
                                        date_trunc('month', b.last_day),
                                        interval '1 month') AS m
             CROSS JOIN kinds k
             WHERE %(period_range)s
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
             WHERE h.kind = 'class' AND h.class_to = 'lost' AND %(dated_h)s
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
             WHERE %(dated_f)s
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
             WHERE so.state = 'sale' AND %(company_so)s AND %(dated_so)s
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
             WHERE t.date_closed IS NOT NULL AND %(company_t)s AND %(dated_t)s
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
               AND %(company_t)s AND %(dated_claim)s
             GROUP BY 1, 2, 3
        )
        -- an id of its own per company, kind and start: the same row has
        -- the same id live, stored or scoped
        SELECT (pe.company_id::bigint * 4 + pe.code) * 1000000
                   + EXTRACT(YEAR FROM pe.date_start)::int * 100
                   + EXTRACT(MONTH FROM pe.date_start)::int AS id,
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
        """,
        company_so=company(("so", "company_id")),
        company_h=company(("h", "company_id")),
        company_t=company(("t", "company_id")),
        kind=SQL("k.period = %s", period) if period else SQL("TRUE"),
        period_range=SQL(" AND ").join(period_terms),
        dated_h=dated(("h", "date")),
        dated_f=dated(("f", "first_sale")),
        dated_so=dated(("so", "date_order")),
        dated_t=dated(("t", "date_closed")),
        dated_claim=dated(("t", "claim_approved_date")),
    )
