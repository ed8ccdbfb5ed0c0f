"""Customer health (客户健康度) and early warning (流失预警): a step of the
customer value pipeline, after the tiers and classes.

Per customer, a health score 0-100: 100 minus the points each warning signal
takes off, each signal weighted per company (res_company.HEALTH_SETTINGS):

    rhythm    days since the last order against the customer's own typical
              gap (the median gap between its order days, last two years)
    alive     probability alive, low or fallen since its previous value
    trend     revenue of the last N months against the average N months of
              the year before them
    segment   RFM segment moved down since the last pass
    service   SLA breaches, open complaints and claims, ratings of 1-2 and
              delivery exceptions (a hook: the service side fills it)
    payment   overdue receivables; days to pay getting worse

One set of statements for all customers of a company, the same restricted
to a subset for the incremental path. The signals are kept as the reasons
(zhongzheng.health.signal); status, score and what the next pass compares
against go to the partners through the one writer; status changes go to
the relationship history. The backtest (health_backtest.py) runs the same
signal query as of a past date, without the two signals it cannot rebuild.
"""

import logging
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .value_sql import partner_filter

_logger = logging.getLogger(__name__)

# the figures this step writes
HEALTH_FIELDS = (
    "health_status",
    "health_score",
    "health_since",
    "clv_prob_alive_prev",
    "rfm_segment_prev_id",
)
PAID = ("paid", "in_payment", "reversed")
# service signals: an open complaint or claim weighs two incidents; four
# incidents take the whole service weight
SERVICE_UNITS_FULL = 4.0


class CustomerHealth(models.AbstractModel):
    _name = "zhongzheng.customer.health"
    _description = "Customer Health"

    # ------------------------------------------------------------------
    # hook
    # ------------------------------------------------------------------
    @api.model
    def _health_service_queries(self, company, as_of, partners):
        """Hook: SQL queries of rows (partner_id, signal, count) as of a
        date, for the commercial partners of the subquery `partners`, with
        signal one of service_sla, service_claims, service_ratings,
        service_exceptions. None in the core: see service_ticket_health.py."""
        return []

    # ------------------------------------------------------------------
    # the step
    # ------------------------------------------------------------------
    @api.model
    def _compute_health(self, company, as_of=None, partner_ids=None):
        """Health of the company's customers (or of partner_ids) as of a
        date: the reasons, then status, score and the compared values via
        the writer, and the status changes in the history. Returns the
        number of customers."""
        as_of = as_of or fields.Date.context_today(self)
        writer = self.env["zhongzheng.value.writer"]
        figures = writer._figures(company)
        cr = self.env.cr
        self._population(
            SQL(
                "SELECT f.partner_id FROM %s f"
                " WHERE COALESCE(f.sale_count_total, 0) > 0 AND %s",
                figures,
                partner_filter(("f", "partner_id"), partner_ids),
            )
        )
        self.env["res.partner"].flush_model()
        key = str(company.id)
        # what the alive and segment signals compare against: the value
        # before its last change (res_partner still holds the last pass's
        # while the stage holds this one's)
        cr.execute("DROP TABLE IF EXISTS zz_health_prev")
        cr.execute(
            SQL(
                """
            CREATE TEMP TABLE zz_health_prev ON COMMIT DROP AS
            SELECT f.partner_id, f.clv_prob_alive AS alive,
                   f.rfm_segment_id AS segment,
                   f.health_status AS old_status, f.health_since AS old_since,
                   CASE WHEN db.alive IS NOT NULL
                         AND db.alive IS DISTINCT FROM f.clv_prob_alive
                        THEN db.alive ELSE f.clv_prob_alive_prev END AS alive_prev,
                   CASE WHEN db.segment IS NOT NULL
                         AND db.segment IS DISTINCT FROM f.rfm_segment_id
                        THEN db.segment ELSE f.rfm_segment_prev_id END
                       AS segment_prev
              FROM %(figures)s f
              JOIN zz_health_population pop ON pop.id = f.partner_id
              LEFT JOIN (
                SELECT rp.id, (rp.clv_prob_alive->>%(key)s)::float8 AS alive,
                       (rp.rfm_segment_id->>%(key)s)::integer AS segment
                  FROM res_partner rp
                 WHERE rp.id IN (SELECT id FROM zz_health_population)
              ) db ON db.id = f.partner_id
            """,
                figures=figures,
                key=key,
            )
        )
        weights = company._health_weights()
        signals = self._signals_sql(company, as_of, weights, live=True)
        count = self._write_signals(company, signals, partner_ids is None)
        self._write_status(company, as_of, weights)
        cr.execute("DROP TABLE zz_health_population")
        cr.execute("DROP TABLE zz_health_prev")
        _logger.info("customer health: company %s, %s customers", company.id, count)
        return count

    @api.model
    def _population(self, query):
        """The customers of this pass, in a temporary table."""
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS zz_health_population")
        cr.execute(
            SQL(
                "CREATE TEMP TABLE zz_health_population ON COMMIT DROP AS"
                " SELECT DISTINCT partner_id AS id FROM (%s) q(partner_id)",
                query,
            )
        )
        cr.execute("ALTER TABLE zz_health_population ADD PRIMARY KEY (id)")
        cr.execute("ANALYZE zz_health_population")

    @api.model
    def _write_signals(self, company, signals, everyone):
        """Make the population's reasons the signals that take points off:
        rows that vanished are deleted, changed ones updated, new ones
        inserted (a pass that changes nothing writes nothing). Returns the
        number of customers."""
        cr = self.env.cr
        Signal = self.env["zhongzheng.health.signal"]
        Signal.flush_model()
        cr.execute("DROP TABLE IF EXISTS zz_health_signals")
        cr.execute(
            SQL(
                "CREATE TEMP TABLE zz_health_signals ON COMMIT DROP AS"
                " SELECT partner_id, signal, ROUND(points::numeric, 1) AS points,"
                " value, reference, segment_from_id, segment_to_id"
                " FROM (%s) s WHERE points >= 0.05",
                signals,
            )
        )
        cr.execute("ANALYZE zz_health_signals")
        params = {
            "company": company.id,
            "uid": self.env.uid,
            "now": fields.Datetime.now(),
            "mine": SQL("TRUE")
            if everyone
            else SQL("h.partner_id IN (SELECT id FROM zz_health_population)"),
            "same": SQL("n.partner_id = h.partner_id AND n.signal = h.signal"),
        }
        cr.execute(
            SQL(
                """
            DELETE FROM zhongzheng_health_signal h
             WHERE h.company_id = %(company)s AND %(mine)s
               AND NOT EXISTS (SELECT 1 FROM zz_health_signals n WHERE %(same)s)
            """,
                **params,
            )
        )
        cr.execute(
            SQL(
                """
            UPDATE zhongzheng_health_signal h
               SET points = n.points, value = n.value, reference = n.reference,
                   segment_from_id = n.segment_from_id,
                   segment_to_id = n.segment_to_id,
                   write_uid = %(uid)s, write_date = %(now)s
              FROM zz_health_signals n
             WHERE h.company_id = %(company)s AND %(same)s
               AND (h.points IS DISTINCT FROM n.points
                    OR h.value IS DISTINCT FROM n.value::numeric
                    OR h.reference IS DISTINCT FROM n.reference::numeric
                    OR h.segment_from_id IS DISTINCT FROM n.segment_from_id
                    OR h.segment_to_id IS DISTINCT FROM n.segment_to_id)
            """,
                **params,
            )
        )
        cr.execute(
            SQL(
                """
            INSERT INTO zhongzheng_health_signal
                   (partner_id, company_id, signal, points, value, reference,
                    segment_from_id, segment_to_id,
                    create_uid, write_uid, create_date, write_date)
            SELECT n.partner_id, %(company)s, n.signal, n.points, n.value,
                   n.reference, n.segment_from_id, n.segment_to_id,
                   %(uid)s, %(uid)s, %(now)s, %(now)s
              FROM zz_health_signals n
             WHERE NOT EXISTS (
                SELECT 1 FROM zhongzheng_health_signal h
                 WHERE h.company_id = %(company)s AND %(same)s)
            """,
                **params,
            )
        )
        Signal.invalidate_model()
        cr.execute("SELECT count(*) FROM zz_health_population")
        return cr.fetchone()[0]

    @api.model
    def _status_sql(self, company, score):
        """The health status of a score (an SQL expression)."""
        return SQL(
            "(CASE WHEN %(s)s >= %(watch)s THEN 'healthy'"
            " WHEN %(s)s >= %(risk)s THEN 'watch'"
            " WHEN %(s)s >= %(critical)s THEN 'at_risk'"
            " ELSE 'critical' END)::varchar",
            s=score,
            watch=company.health_watch_below,
            risk=company.health_at_risk_below,
            critical=company.health_critical_below,
        )

    @api.model
    def _write_status(self, company, as_of, weights):
        """Score and status of each customer from its signals; the changes
        to the history, then everything to the partners via the writer."""
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS zz_health_new")
        cr.execute(
            SQL(
                """
            CREATE TEMP TABLE zz_health_new ON COMMIT DROP AS
            SELECT p.partner_id, p.old_status, p.alive_prev, p.segment_prev,
                   s.score, %(status)s AS status,
                   CASE WHEN p.old_status IS DISTINCT FROM %(status)s
                        THEN %(as_of)s::date ELSE p.old_since END AS since
              FROM zz_health_prev p
              LEFT JOIN (
                SELECT partner_id, SUM(points) AS points FROM zz_health_signals
                 GROUP BY partner_id
              ) g ON g.partner_id = p.partner_id
              CROSS JOIN LATERAL (
                SELECT ROUND(GREATEST(0, 100 - COALESCE(g.points, 0))::numeric,
                             1)::float8 AS score
              ) s
            """,
                status=self._status_sql(company, SQL("s.score")),
                as_of=as_of,
            )
        )
        self.env["zhongzheng.relationship.history"]._log_health_changes(company, as_of)
        self.env["zhongzheng.value.writer"]._write_query(
            company,
            SQL(
                "SELECT partner_id, status AS health_status, score AS health_score,"
                " since AS health_since, alive_prev AS clv_prob_alive_prev,"
                " segment_prev AS rfm_segment_prev_id FROM zz_health_new"
            ),
            HEALTH_FIELDS,
        )
        cr.execute("DROP TABLE zz_health_new")

    # ------------------------------------------------------------------
    # the signals
    # ------------------------------------------------------------------
    @api.model
    def _signals_sql(self, company, as_of, weights, live=True):
        """Rows (partner_id, signal, points, value, reference,
        segment_from_id, segment_to_id) of the customers in
        zz_health_population as of a date. `live` adds the signals read from
        the figures (probability alive, RFM segment: zz_health_prev)."""
        for model in (
            "sale.order",
            "account.move",
            "account.move.line",
            "account.partial.reconcile",
            "zhongzheng.rfm.segment",
        ):
            self.env[model].flush_model()
        months = company.health_trend_months
        recent_start = as_of - relativedelta(months=months)
        service = self._health_service_queries(
            company, as_of, SQL("SELECT id FROM zz_health_population")
        ) or [SQL("SELECT NULL::integer, NULL::varchar, 0::float8 LIMIT 0")]
        params = {
            "company": company.id,
            "as_of": as_of,
            "end": fields.Datetime.to_datetime(as_of) + timedelta(days=1),
            "history_start": as_of - timedelta(days=730),
            "year_start": as_of - timedelta(days=365),
            "recent_start": recent_start,
            "before_start": recent_start - relativedelta(months=12),
            "share": months / 12.0,
            "gap": company.class_loyal_max_gap_days or 120,
            "paid": list(PAID),
            "full": SERVICE_UNITS_FULL,
            **{f"w_{name}": weight for name, weight in weights.items()},
        }
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
            WITH orders AS MATERIALIZED (
                SELECT p.commercial_partner_id AS partner_id,
                       so.date_order::date AS day,
                       so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1)
                           AS amount
                  FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %(company)s AND so.state = 'sale'
                   AND so.date_order < %(end)s
                   AND p.commercial_partner_id IN (SELECT id FROM zz_health_population)
            ),
            days AS (
                SELECT partner_id, day,
                       day - LAG(day) OVER (PARTITION BY partner_id ORDER BY day)
                           AS gap
                  FROM (SELECT DISTINCT partner_id, day FROM orders) d
            ),
            rhythm AS (
                SELECT partner_id, MAX(day) AS last_day,
                       COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY gap)
                                FILTER (WHERE day > %(history_start)s),
                                %(gap)s) AS gap
                  FROM days GROUP BY partner_id
            ),
            trend AS (
                SELECT partner_id,
                       COALESCE(SUM(amount) FILTER (
                           WHERE day > %(recent_start)s), 0) AS recent,
                       COALESCE(SUM(amount) FILTER (
                           WHERE day <= %(recent_start)s), 0) * %(share)s
                           AS earlier
                  FROM orders WHERE day > %(before_start)s GROUP BY partner_id
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
            inv AS MATERIALIZED (
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
                 GROUP BY m.id
            ),
            pay AS (
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
            )
            SELECT partner_id, 'rhythm'::varchar AS signal,
                   %(w_rhythm)s * LEAST(1, GREATEST(0,
                       ((%(as_of)s::date - last_day) / GREATEST(gap, 7) - 1) / 3))
                       AS points,
                   (%(as_of)s::date - last_day)::float8 AS value,
                   gap::float8 AS reference,
                   NULL::integer AS segment_from_id, NULL::integer AS segment_to_id
              FROM rhythm
            UNION ALL
            SELECT partner_id, 'trend',
                   %(w_trend)s * LEAST(1, GREATEST(0, (earlier - recent) / earlier)),
                   recent, earlier, NULL, NULL
              FROM trend WHERE earlier > 0
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
            service=SQL(" UNION ALL ").join(service),
            live_rows=live_rows if live else SQL(""),
            **params,
        )
