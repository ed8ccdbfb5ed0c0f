"""The signals of customer health (customer_health.py) as SQL: the order
rhythm and revenue trend from the orders (zz_health_rhythm), payment from
the invoices and their reconciliations, service from the hook, and in a
live pass probability alive and the RFM move from the figures. The same
statements for every customer, for a few (the incremental path, through
the partner indexes) and as of a past date (the backtest). Functions of the
health model (`health`), which calls them from its methods of the same
names."""

from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo.tools import SQL

from .value_sql import flush

PAID = ("paid", "in_payment", "reversed")
# service signals: an open complaint or claim weighs two incidents; four
# incidents take the whole service weight
SERVICE_UNITS_FULL = 4.0
# order rhythm: the company's typical gap weighs as much as this many of a
# customer's own gaps (a customer with one or two orders says little)
PRIOR_GAPS = 2


def rhythm_table(health, company, as_of, few=False):
    """Per customer of zz_health_population, from its orders up to the
    date, in zz_health_rhythm: the last order day, its own typical gap
    (the median gap between its order days of the last two years) and how
    many gaps that median is of, and the revenue of the trend's last
    months and of the year before them. `few`: a handful of customers,
    read through the orders' partner index. Returns the company's typical
    gap: the median of the customers' own gaps (all customers: computed
    and kept; a few: the one kept by the last full pass)."""
    cr = health.env.cr
    cr.execute("DROP TABLE IF EXISTS zz_health_rhythm")
    cr.execute(
        SQL(
            "CREATE TEMP TABLE zz_health_rhythm ON COMMIT DROP AS %s",
            rhythm_sql(health, company, as_of, few),
        )
    )
    if few:
        return kept_gap(health, company)
    cr.execute(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY own_gap)"
        " FROM zz_health_rhythm"
    )
    return float(cr.fetchone()[0] or company.class_loyal_max_gap_days or 120)


def kept_gap(health, company):
    """The company's typical gap kept by the last full pass (a few
    customers cannot give the median)."""
    gap = health.env["zhongzheng.value.cuts"]._health_gap(company)
    return float(gap or company.class_loyal_max_gap_days or 120)


def rhythm_sql(health, company, as_of, few=False):
    """The rows of zz_health_rhythm (see rhythm_table)."""
    flush(health.env, "sale.order")
    months = company.health_trend_months
    recent_start = as_of - relativedelta(months=months)
    few_orders = SQL(
        "so.partner_id IN (SELECT rp.id FROM res_partner rp"
        " WHERE rp.commercial_partner_id IN (SELECT id FROM zz_health_population))"
    )
    # a full pass's orders are read once (zz_value_orders)
    orders = health.env["zhongzheng.value.facts"]._orders_sql(
        company, as_of, few_orders if few else None
    )
    return SQL(
        """
        WITH days AS (
            SELECT so.partner_id,
                   so.date_order::date AS day,
                   SUM(so.amount) AS amount,
                   so.date_order::date - LAG(so.date_order::date) OVER (
                       PARTITION BY so.partner_id
                       ORDER BY so.date_order::date) AS gap
              FROM (%(orders)s) so
             WHERE so.partner_id IN (SELECT id FROM zz_health_population)
             GROUP BY so.partner_id, so.date_order::date
        )
        SELECT partner_id, MAX(day) AS last_day,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) FILTER (
                   WHERE day > %(history_start)s) AS own_gap,
               COUNT(gap) FILTER (WHERE day > %(history_start)s) AS gaps,
               COALESCE(SUM(amount) FILTER (WHERE day > %(recent_start)s), 0)
                   AS recent,
               COALESCE(SUM(amount) FILTER (
                   WHERE day <= %(recent_start)s AND day > %(before_start)s),
                   0) * %(share)s AS earlier
          FROM days GROUP BY partner_id
        """,
        orders=orders,
        history_start=as_of - timedelta(days=730),
        recent_start=recent_start,
        before_start=recent_start - relativedelta(months=12),
        share=months / 12.0,
    )


def expected_gap_sql(gap):
    """A customer's expected gap between orders, in days, from its row `r`
    of zz_health_rhythm: its own typical gap blended with the company's
    (`gap`), which weighs as much as PRIOR_GAPS of the customer's own. The
    health step's order rhythm and the care rule's expected next order
    read this one definition."""
    return SQL(
        "CASE WHEN r.gaps > 0 THEN (r.gaps * r.own_gap + %(prior)s * %(gap)s)"
        " / (r.gaps + %(prior)s) ELSE %(gap)s END",
        prior=PRIOR_GAPS,
        gap=gap,
    )


def signals_sql(health, company, as_of, weights, gap, live=True, few=False):
    """Rows (partner_id, signal, points, value, reference,
    segment_from_id, segment_to_id) of the customers in
    zz_health_population as of a date, their orders in zz_health_rhythm
    (_rhythm_table, whose company gap is `gap`). `live` adds the signals
    read from the figures (probability alive, RFM segment: zz_health_prev);
    `few`: a handful of customers, read through the partner indexes.
    Payment: a live pass reads the facts the fact step has just written
    (overdue receivable, a quarter of the window's invoicing, days to pay of
    the last 90 days and before: zz_health_prev); the backtest rebuilds them
    from the invoices and their reconciliation dates.

    Order rhythm: the expected gap is the customer's own typical gap
    weighed with the company's, as if the company's counted PRIOR_GAPS
    gaps (a customer with one order has the company's); points from
    health_rhythm_start gaps since the last order, all at
    health_rhythm_full."""
    flush(
        health.env,
        "account.move",
        "account.move.line",
        "account.partial.reconcile",
        "zhongzheng.rfm.segment",
    )
    service = health._health_service_queries(
        company, as_of, SQL("SELECT id FROM zz_health_population")
    ) or [SQL("SELECT NULL::integer, NULL::varchar, 0::float8 LIMIT 0")]
    params = {
        "company": company.id,
        "as_of": as_of,
        "history_start": as_of - timedelta(days=730),
        "year_start": as_of - timedelta(days=365),
        "start": company.health_rhythm_start,
        "ramp": company.health_rhythm_full - company.health_rhythm_start,
        "paid": list(PAID),
        "full": SERVICE_UNITS_FULL,
        "few_moves": health.env["zhongzheng.value.facts"]._moves_of(
            SQL("SELECT id FROM zz_health_population")
        )
        if few
        else SQL(),
        **{f"w_{name}": weight for name, weight in weights.items()},
    }
    # payment as of the date from the invoices and their reconciliations
    # (the backtest); a live pass reads the facts the fact step has just
    # written (zz_health_prev)
    invoice_pay = SQL(
        """
        WITH inv AS MATERIALIZED (
            SELECT m.commercial_partner_id AS partner_id, m.invoice_date,
                   m.invoice_date_due, m.payment_state,
                   m.amount_total_signed, m.amount_residual_signed,
                   m.amount_untaxed_signed, MAX(apr.max_date) AS paid_date
              FROM account_move m
              LEFT JOIN account_move_line l
                ON l.move_id = m.id AND l.display_type = 'payment_term'
              LEFT JOIN account_partial_reconcile apr
                ON apr.debit_move_id = l.id
             WHERE m.company_id = %(company)s AND m.state = 'posted'
               AND m.move_type = 'out_invoice'
               AND m.invoice_date <= %(as_of)s
               AND m.invoice_date > %(history_start)s
               AND m.commercial_partner_id IN (SELECT id FROM zz_health_population)
               %(few_moves)s
             GROUP BY m.id
        )
        SELECT partner_id,
                   COALESCE(SUM(CASE
                       WHEN payment_state = ANY(%(paid)s)
                            AND paid_date <= %(as_of)s THEN 0
                       WHEN invoice_date_due >= %(as_of)s THEN 0
                       WHEN payment_state = ANY(%(paid)s)
                       THEN amount_total_signed
                       ELSE amount_residual_signed END), 0) AS overdue,
                   COALESCE(SUM(amount_untaxed_signed) FILTER (
                       WHERE invoice_date > %(year_start)s), 0) / 4 AS quarter,
                   AVG(GREATEST(paid_date - invoice_date, 0)) FILTER (
                       WHERE payment_state = ANY(%(paid)s)
                         AND paid_date <= %(as_of)s
                         AND paid_date > %(as_of)s::date - 90) AS days_recent,
                   AVG(GREATEST(paid_date - invoice_date, 0)) FILTER (
                       WHERE payment_state = ANY(%(paid)s)
                         AND paid_date <= %(as_of)s::date - 90
                         AND paid_date > %(year_start)s) AS days_before
              FROM inv GROUP BY partner_id
        """,
        **params,
    )
    live_pay = SQL(
        "SELECT partner_id, overdue, quarter, days_recent, days_before"
        " FROM zz_health_prev"
    )
    live_rows = SQL(
        """
        UNION ALL
        SELECT partner_id, 'alive',
               %(w_alive)s * GREATEST(
                   LEAST(1, GREATEST(0, (0.5 - alive) / 0.5)),
                   LEAST(1, GREATEST(0, (COALESCE(alive_prev, alive) - alive)
                                        / 0.3))),
               alive, COALESCE(alive_prev, alive), NULL, NULL
          FROM zz_health_prev WHERE alive IS NOT NULL
        UNION ALL
        SELECT p.partner_id, 'segment', %(w_segment)s, NULL, NULL,
               p.segment_prev, p.segment
          FROM zz_health_prev p
          JOIN zhongzheng_rfm_segment sn ON sn.id = p.segment
          JOIN zhongzheng_rfm_segment so ON so.id = p.segment_prev
         WHERE sn.sequence > so.sequence
        """,
        **params,
    )
    return SQL(
        """
        WITH rhythm AS (
            SELECT r.*, %(expected)s AS gap FROM zz_health_rhythm r
        ),
        service AS (
            SELECT partner_id, signal, SUM(count) AS count,
                   SUM(count) * CASE WHEN signal = 'service_claims' THEN 2
                                     ELSE 1 END AS units
              FROM (%(service)s) s(partner_id, signal, count)
             WHERE count > 0 GROUP BY partner_id, signal
        ),
        service_total AS (
            SELECT partner_id, SUM(units) AS units FROM service
             GROUP BY partner_id
        ),
        pay AS (%(pay)s)
        SELECT partner_id, 'rhythm'::varchar AS signal,
               %(w_rhythm)s * LEAST(1, GREATEST(0,
                   ((%(as_of)s::date - last_day) / GREATEST(gap, 7) - %(start)s)
                   / %(ramp)s)) AS points,
               (%(as_of)s::date - last_day)::float8 AS value,
               gap::float8 AS reference,
               NULL::integer AS segment_from_id, NULL::integer AS segment_to_id
          FROM rhythm
        UNION ALL
        SELECT partner_id, 'trend',
               %(w_trend)s * LEAST(1, GREATEST(0, (earlier - recent) / earlier)),
               recent, earlier, NULL, NULL
          FROM zz_health_rhythm WHERE earlier > 0
        UNION ALL
        SELECT s.partner_id, s.signal,
               %(w_service)s * LEAST(1, t.units / %(full)s) * s.units / t.units,
               s.count, NULL, NULL, NULL
          FROM service s JOIN service_total t ON t.partner_id = s.partner_id
        UNION ALL
        SELECT partner_id, 'payment_overdue',
               %(w_payment)s * 0.6 * LEAST(1, overdue / GREATEST(quarter, 1)),
               overdue, quarter, NULL, NULL
          FROM pay WHERE overdue > 0
        UNION ALL
        SELECT partner_id, 'payment_days',
               %(w_payment)s * 0.4 * LEAST(1, (days_recent - days_before)
                                              / GREATEST(days_before, 15)),
               days_recent, days_before, NULL, NULL
          FROM pay WHERE days_recent > days_before
        %(live_rows)s
        """,
        expected=expected_gap_sql(gap),
        service=SQL(" UNION ALL ").join(service),
        live_rows=live_rows if live else SQL(""),
        pay=live_pay if live else invoice_pay,
        **params,
    )
