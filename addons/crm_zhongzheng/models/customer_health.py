"""Customer health (客户健康度) and early warning (流失预警): a step of the
customer value pipeline, after the tiers and classes.

Per customer, a health score 0-100: 100 minus the points each warning signal
takes off, each signal weighted per company (res_company.HEALTH_SETTINGS):

    rhythm    days since the last order against the customer's typical gap
              (the median gap between its order days, last two years,
              weighed with the company's typical gap)
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
the relationship history. The signals' SQL is in customer_health_signals.py;
the backtest (health_backtest.py) runs it as of a past date, without the
two signals it cannot rebuild.
"""

import logging

from odoo import api, fields, models
from odoo.tools import SQL

from . import customer_health_signals as signals_sql
from .value_sql import (
    BULK_ROWS,
    bulk_fill,
    bulk_load,
    execute,
    flush,
    id_list,
    partner_filter,
    prepared,
)
from .value_writer import FIGURES_TABLE

_logger = logging.getLogger(__name__)

# the figures this step writes
HEALTH_FIELDS = (
    "health_status",
    "health_score",
    "health_since",
    "clv_prob_alive_prev",
    "rfm_segment_prev_id",
)
# the figures the step reads
PREV_FIGURES = (
    "sale_count_total",
    "clv_prob_alive",
    "clv_prob_alive_prev",
    "rfm_segment_id",
    "rfm_segment_prev_id",
    "health_status",
    "health_since",
    "receivable_overdue",
    "invoiced_window",
    "days_to_pay_recent",
    "days_to_pay_before",
)


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
        if writer._stage_company() != company.id:
            # the engine's session settings (no JIT, sorts in memory), also
            # when the step runs on its own (the pipeline has set them)
            self.env["zhongzheng.value.engine"]._tune()
        figures = writer._figures(company, PREV_FIGURES)
        cr = self.env.cr
        flush(self.env, "res.partner")
        prev = self._prev_sql(company, figures, partner_ids)
        weights = company._health_weights()
        few = partner_ids is not None
        if few and writer._stage_few(company):
            return self._compute_health_few(company, as_of, prev, weights)
        cr.execute("DROP TABLE IF EXISTS zz_health_prev")
        cr.execute(SQL("CREATE TEMP TABLE zz_health_prev ON COMMIT DROP AS %s", prev))
        self._population(SQL("SELECT partner_id FROM zz_health_prev"))
        gap = self._rhythm_table(company, as_of, few)
        if not few:
            self.env["zhongzheng.value.cuts"]._store_health_gap(company, gap)
        signals = self._signals_sql(company, as_of, weights, gap, live=True, few=few)
        count = self._write_signals(company, signals, not few)
        self._write_status(company, as_of, weights)
        cr.execute("DROP TABLE zz_health_rhythm")
        cr.execute("DROP TABLE zz_health_population")
        cr.execute("DROP TABLE zz_health_prev")
        _logger.info("customer health: company %s, %s customers", company.id, count)
        return count

    @api.model
    def _prev_sql(self, company, figures, partner_ids):
        """The customers of the pass (those with an order), their payment
        facts and what the alive and segment signals compare against: the
        value before its last change (the figures' table still holds the last
        pass's while the stage holds this one's). zz_health_prev."""
        return SQL(
            """
            SELECT f.partner_id, f.clv_prob_alive AS alive,
                   f.rfm_segment_id AS segment,
                   f.health_status AS old_status, f.health_since AS old_since,
                   CASE WHEN db.alive IS NOT NULL
                         AND db.alive IS DISTINCT FROM f.clv_prob_alive
                        THEN db.alive ELSE f.clv_prob_alive_prev END AS alive_prev,
                   CASE WHEN db.segment IS NOT NULL
                         AND db.segment IS DISTINCT FROM f.rfm_segment_id
                        THEN db.segment ELSE f.rfm_segment_prev_id END
                       AS segment_prev,
                   -- the payment facts the fact step has just written
                   COALESCE(f.receivable_overdue, 0) AS overdue,
                   COALESCE(f.invoiced_window, 0) * %(quarter)s AS quarter,
                   f.days_to_pay_recent AS days_recent,
                   f.days_to_pay_before AS days_before
              FROM %(figures)s f
              LEFT JOIN LATERAL (
                SELECT d.clv_prob_alive AS alive, d.rfm_segment_id AS segment
                  FROM %(stored)s d
                 WHERE d.partner_id = f.partner_id AND d.company_id = %(company)s
              ) db ON TRUE
             WHERE COALESCE(f.sale_count_total, 0) > 0 AND %(mine)s
            """,
            figures=figures,
            stored=SQL.identifier(FIGURES_TABLE),
            company=company.id,
            quarter=91.25 / (company.value_window_days or 365),
            mine=partner_filter(("f", "partner_id"), partner_ids),
        )

    @api.model
    def _compute_health_few(self, company, as_of, prev, weights):
        """The full pass's statements for the few customers of an
        incremental update's stage, as one: each of its temporary tables a
        CTE of the same name, its writes data-modifying CTEs (all see the
        tables as they were before the statement; they touch different
        rows). Returns the number of customers."""
        writer = self.env["zhongzheng.value.writer"]
        History = self.env["zhongzheng.relationship.history"]
        self.env["zhongzheng.health.signal"].flush_model()
        History.flush_model()
        gap = signals_sql.kept_gap(self, company)
        signals = self._signals_sql(company, as_of, weights, gap, live=True, few=True)
        execute(
            self.env.cr,
            SQL(
                """
            WITH zz_health_prev AS MATERIALIZED (%(prev)s),
            zz_health_population AS MATERIALIZED (%(population)s),
            zz_health_rhythm AS MATERIALIZED (%(rhythm)s),
            zz_health_signals AS MATERIALIZED (%(signals)s),
            zz_health_new AS MATERIALIZED (%(new)s),
            zz_health_merge AS (%(figures)s),
            %(writes)s,
            zz_health_log AS (%(history)s),
            %(stage)s
            SELECT count(*) FROM zz_health_population
            """,
                prev=prev,
                population=self._population_sql(
                    SQL("SELECT partner_id FROM zz_health_prev")
                ),
                rhythm=signals_sql.rhythm_sql(self, company, as_of, True),
                signals=self._signal_rows_sql(signals),
                new=self._new_sql(company, as_of),
                figures=self._health_figures_sql(),
                writes=SQL(", ").join(
                    SQL("zz_health_w%s AS (%s)", i, write)
                    for i, write in enumerate(self._signal_writes_sql(company, False))
                ),
                history=History._health_changes_sql(company, as_of),
                stage=writer._stage_merge_ctes(HEALTH_FIELDS, SQL("zz_health_merge")),
            ),
            prepared(self.env),
        )
        count = self.env.cr.fetchone()[0]
        self.env["zhongzheng.health.signal"].invalidate_model()
        History.invalidate_model()
        return count

    @api.model
    def _population(self, query):
        """The customers of this pass, in a temporary table."""
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS zz_health_population")
        cr.execute(
            SQL(
                "CREATE TEMP TABLE zz_health_population ON COMMIT DROP AS %s",
                self._population_sql(query),
            )
        )
        cr.execute("ALTER TABLE zz_health_population ADD PRIMARY KEY (id)")
        cr.execute("ANALYZE zz_health_population")

    @api.model
    def _population_sql(self, query):
        """The distinct customers of a query (zz_health_population)."""
        return SQL("SELECT DISTINCT partner_id AS id FROM (%s) q(partner_id)", query)

    @api.model
    def _signal_rows_sql(self, signals):
        """The signals that take points off (zz_health_signals)."""
        return SQL(
            "SELECT partner_id, signal, ROUND(points::numeric, 1) AS points,"
            " value, reference, segment_from_id, segment_to_id"
            " FROM (%s) s WHERE points >= 0.05",
            signals,
        )

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
                "CREATE TEMP TABLE zz_health_signals ON COMMIT DROP AS %s",
                self._signal_rows_sql(signals),
            )
        )
        cr.execute("ANALYZE zz_health_signals")
        *changes, insert = self._signal_writes_sql(company, everyone)
        for write in changes:
            cr.execute(write)
        if everyone and self._first_fill(company):
            with bulk_load(cr, Signal._table):
                cr.execute(insert)
        else:
            cr.execute(insert)
        Signal.invalidate_model()
        cr.execute("SELECT count(*) FROM zz_health_population")
        return cr.fetchone()[0]

    @api.model
    def _first_fill(self, company):
        """Whether this pass's signals are the company's first, and many
        (the context's health_bulk_rows in tests): they go in as a bulk load
        (value_sql.bulk_load), without the per-row checks of their six
        foreign keys (an index probe and a row lock each, the partners' rows
        among them), checked in one join each at the end, and with the
        partner index built after."""
        cr = self.env.cr
        cr.execute(
            "SELECT (SELECT count(*) FROM zz_health_signals),"
            " EXISTS (SELECT 1 FROM zhongzheng_health_signal WHERE company_id = %s)",
            [company.id],
        )
        count, stored = cr.fetchone()
        return not stored and bulk_fill(
            cr,
            "zhongzheng_health_signal",
            count,
            self.env.context.get("health_bulk_rows", BULK_ROWS),
        )

    @api.model
    def _signal_writes_sql(self, company, everyone):
        """The DELETE, UPDATE and INSERT that make the stored signals of
        the population (`everyone`: of the company) those of
        zz_health_signals; each touches other rows."""
        params = {
            "company": company.id,
            "uid": self.env.uid,
            # the transaction's time, as the ORM stamps (and no literal
            # that changes the statement at each update: value_sql.execute)
            "now": SQL("(now() AT TIME ZONE 'UTC')"),
            "mine": SQL("TRUE")
            if everyone
            else SQL("h.partner_id IN (SELECT id FROM zz_health_population)"),
            "same": SQL("n.partner_id = h.partner_id AND n.signal = h.signal"),
        }
        return [
            SQL(
                """
            DELETE FROM zhongzheng_health_signal h
             WHERE h.company_id = %(company)s AND %(mine)s
               AND NOT EXISTS (SELECT 1 FROM zz_health_signals n WHERE %(same)s)
            """,
                **params,
            ),
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
            ),
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
            ),
        ]

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
                "CREATE TEMP TABLE zz_health_new ON COMMIT DROP AS %s",
                self._new_sql(company, as_of),
            )
        )
        self.env["zhongzheng.relationship.history"]._log_health_changes(company, as_of)
        self.env["zhongzheng.value.writer"]._write_query(
            company, self._health_figures_sql(), HEALTH_FIELDS
        )
        cr.execute("DROP TABLE zz_health_new")

    @api.model
    def _new_sql(self, company, as_of):
        """Per customer of zz_health_prev: its score from the signals, its
        status and since when (zz_health_new)."""
        return SQL(
            """
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

    @api.model
    def _health_figures_sql(self):
        """The step's figures of zz_health_new, for the writer."""
        return SQL(
            "SELECT partner_id, status AS health_status, score AS health_score,"
            " since AS health_since, alive_prev AS clv_prob_alive_prev,"
            " segment_prev AS rfm_segment_prev_id FROM zz_health_new"
        )

    # ------------------------------------------------------------------
    # the signals (their SQL: customer_health_signals.py)
    # ------------------------------------------------------------------
    @api.model
    def _rhythm_table(self, company, as_of, few=False):
        """The customers' orders as of a date in zz_health_rhythm; returns
        the company's typical gap."""
        return signals_sql.rhythm_table(self, company, as_of, few)

    @api.model
    def _expected_gaps(self, company, partners, as_of):
        """{customer id: (last order day, expected gap in days)} of
        `partners` with an order up to the date, by the order rhythm of the
        health step (the company's typical gap is the last full pass's)."""
        cr = self.env.cr
        self._population(id_list(partners.ids))
        gap = self._rhythm_table(company, as_of, few=True)
        cr.execute(
            SQL(
                "SELECT r.partner_id, r.last_day, %s FROM zz_health_rhythm r",
                signals_sql.expected_gap_sql(gap),
            )
        )
        found = {row[0]: (row[1], row[2]) for row in cr.fetchall()}
        cr.execute("DROP TABLE zz_health_rhythm")
        cr.execute("DROP TABLE zz_health_population")
        return found

    @api.model
    def _signals_sql(self, company, as_of, weights, gap, live=True, few=False):
        """The signal rows of zz_health_population as of a date."""
        return signals_sql.signals_sql(self, company, as_of, weights, gap, live, few)
