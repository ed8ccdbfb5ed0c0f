import logging
import time

from odoo import api, fields, models
from odoo.tools import SQL

from .value_sql import array

_logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
# the scheduler's batch waits until its oldest request is this old (seconds):
# a burst of confirmations is one batch, not one batch per confirmation
GATHER_SECONDS = 3.0
# a confirmation leaves the cron workers' wake-up to a trigger made this
# recently, after the cron's latest run began (`_trigger_cron`)
WAKE_SECONDS = 10
# pg_advisory_xact_lock(LOCK_NAMESPACE, company id): one recompute of a
# company's figures at a time (README, Deployment)
LOCK_NAMESPACE = 0x7A5A
# a request's time, as the ORM stores a Datetime (UTC, no zone)
QUEUED_AT = SQL("statement_timestamp() at time zone 'UTC'")


class ValueQueue(models.Model):
    """Customers whose value must be recomputed, filled by the events that
    change it (order confirmed or cancelled, invoice posted, payment
    reconciled, delivery done) and emptied by a cron, so the user's own
    transaction only pays for one small insert.

    Insert-only: each request is a row of its own (no unique key, no upsert),
    so enqueueing never waits on a batch that holds the customer's rows, and
    a request made while a batch runs is a new row the batch did not read:
    it stays, and the customer is recomputed again. A batch reads rows (one
    customer's several requests are one recompute) and deletes exactly the
    rows it read, by id."""

    _name = "zhongzheng.value.queue"
    _description = "Customer Value Recompute Queue"
    _log_access = False

    partner_id = fields.Many2one(
        "res.partner", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    queued_at = fields.Datetime(
        readonly=True,
        default=fields.Datetime.now,
        help="When the request was made (the queue's cron gathers a few "
        "seconds of requests into one batch).",
    )

    @api.model
    def _enqueue(self, partners, companies):
        """Queue commercial partners for companies; wake the cron. A plain
        insert: it never waits on a running batch's row locks."""
        pairs = [
            (partner.id, company.id)
            for partner in partners.commercial_partner_id
            for company in companies
        ]
        if not pairs:
            return 0
        partner_ids, company_ids = zip(*pairs, strict=True)
        self.env.cr.execute(
            SQL(
                "INSERT INTO zhongzheng_value_queue (partner_id, company_id, queued_at)"
                " SELECT *, %s FROM unnest(%s::int[], %s::int[])",
                QUEUED_AT,
                array(partner_ids),
                array(company_ids),
            )
        )
        self._trigger_cron()
        return len(pairs)

    @api.model
    def _enqueue_records(self, records, partners="partner_id"):
        """Queue, for each company of the records (orders, invoices,
        deliveries, tickets), the commercial partners of its records:
        `partners` is a field name or a function of the records."""
        count = 0
        for company, group in records.grouped("company_id").items():
            count += self._enqueue(group.mapped(partners), company)
        return count

    @api.model
    def _enqueue_all(self, companies):
        """Queue every commercial partner that has figures or activity; the
        queue re-ranks them all once drained."""
        self.env["zhongzheng.value.cuts"]._mark_pending(companies)
        count = 0
        writer = self.env["zhongzheng.value.writer"]
        for company in companies:
            self.env["sale.order"].flush_model(["partner_id", "state", "company_id"])
            self.env.cr.execute(
                SQL(
                    """
                INSERT INTO zhongzheng_value_queue (partner_id, company_id, queued_at)
                SELECT DISTINCT p.commercial_partner_id, %(company)s, %(queued_at)s
                  FROM res_partner p
                 WHERE p.commercial_partner_id IS NOT NULL AND (
                       p.id IN (SELECT f.partner_id FROM %(figures)s f
                                 WHERE %(sold)s)
                       OR EXISTS (SELECT 1 FROM sale_order so
                                   WHERE so.partner_id = p.id
                                     AND so.company_id = %(company)s)
                       OR EXISTS (SELECT 1 FROM purchase_order po
                                   WHERE po.partner_id = p.id
                                     AND po.company_id = %(company)s))
                """,
                    company=company.id,
                    figures=writer._figures(company, ["sale_count_total"]),
                    sold=writer._holds("f", ["sale_count_total"]),
                    queued_at=QUEUED_AT,
                )
            )
            count += self.env.cr.rowcount
        self._trigger_cron()
        return count

    @api.model
    def _lock_figures(self, company):
        """Wait until no other transaction recomputes the company's figures,
        then hold that right until this transaction ends: a queue batch, the
        nightly fit, a manager's *Recompute now* and the API's recompute never
        overlap, on one node or several (a PostgreSQL advisory lock, so it
        also holds across servers). Enqueueing never takes it."""
        self.env.cr.execute(
            SQL("SELECT pg_advisory_xact_lock(%s, %s)", LOCK_NAMESPACE, company.id)
        )

    @api.model
    def _trigger_cron(self):
        """Make the queue's cron due now, and wake the cron workers unless a
        wake-up is already on its way.

        The trigger row is always written: Odoo keeps a trigger made after
        a run began (it deletes only those older than the run's start), so
        a request queued during a run is served by the next one. The
        notification (`_notifydb`: a new connection to the `postgres`
        database, never pooled, about 3.6 ms of CPU between Odoo and a new
        PostgreSQL backend) is skipped when another transaction already
        made a due trigger after the latest run began, in the last
        WAKE_SECONDS: its notification wakes the workers after that run (a
        worker busy running the job reads it once the run ends). An older
        trigger proves nothing (no worker may have been listening), and
        the workers also poll every minute."""
        cron = self.env.ref(
            "crm_zhongzheng.ir_cron_value_queue", raise_if_not_found=False
        )
        if not cron:
            return
        cron = cron.sudo()
        self.env.cr.execute(
            SQL(
                """
            SELECT 1 FROM ir_cron_trigger t
             WHERE t.cron_id = %(cron)s
               AND t.call_at <= (statement_timestamp() at time zone 'UTC')
               AND t.call_at >= (statement_timestamp() at time zone 'UTC')
                                - make_interval(secs => %(wake)s)
               AND t.call_at >= COALESCE(
                     (SELECT p.create_date FROM ir_cron_progress p
                       WHERE p.cron_id = %(cron)s ORDER BY p.id DESC LIMIT 1),
                     '-infinity')
             LIMIT 1
            """,
                cron=cron.id,
                wake=WAKE_SECONDS,
            )
        )
        if self.env.cr.fetchone() and cron.active:
            # Odoo's _trigger_list without its notification
            self.env["ir.cron.trigger"].sudo().create(
                {"cron_id": cron.id, "call_at": fields.Datetime.now()}
            )
        else:
            cron._trigger()

    @api.model
    def _process(self, limit=BATCH_SIZE):
        """Recompute one batch of queued customers per company; returns
        (done, remaining): rows deleted, customers still queued.

        The batch locks the rows it takes (SKIP LOCKED: two batches never
        share one) and every other visible request of the same customers,
        and deletes exactly those rows: what is queued after it read them is
        not deleted, and waits for the next batch."""
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT id, partner_id, company_id FROM zhongzheng_value_queue"
                " ORDER BY company_id, id LIMIT %s FOR UPDATE SKIP LOCKED",
                limit,
            )
        )
        rows = cr.fetchall()
        pairs = sorted(
            {(partner_id, company_id) for _id, partner_id, company_id in rows}
        )
        row_ids = [row[0] for row in rows]
        if pairs:
            # the same customers' other requests, which the LIMIT left out
            partner_ids, company_ids = zip(*pairs, strict=True)
            cr.execute(
                SQL(
                    """
                SELECT q.id FROM zhongzheng_value_queue q
                  JOIN unnest(%s::int[], %s::int[]) AS p(partner_id, company_id)
                    ON p.partner_id = q.partner_id AND p.company_id = q.company_id
                 WHERE NOT q.id = ANY(%s)
                   FOR UPDATE OF q SKIP LOCKED
                """,
                    array(partner_ids),
                    array(company_ids),
                    array(row_ids),
                )
            )
            row_ids += [row[0] for row in cr.fetchall()]
        by_company = {}
        for partner_id, company_id in pairs:
            by_company.setdefault(company_id, []).append(partner_id)
        engine = self.env["zhongzheng.value.engine"]
        rerank = set()
        for company_id, partner_ids in by_company.items():
            company = self.env["res.company"].browse(company_id)
            engine._fetch_settings(company)  # before any of them is read
            # scored against the last full ranking's cut points, read once
            # and under the lock the update holds (no full pass in between);
            # a company without (or everyone queued) is re-ranked once drained
            self._lock_figures(company)
            cuts = engine._usable_cuts(company)
            if not cuts:
                rerank.add(company_id)
            engine._recompute_partners(company, partner_ids, rank=bool(cuts), cuts=cuts)
        if row_ids:
            cr.execute(
                SQL(
                    "DELETE FROM zhongzheng_value_queue WHERE id = ANY(%s)",
                    array(row_ids),
                )
            )
        left = self._queued_by_company()
        # a full ranking: once per company, when its queue is drained
        for company_id in rerank:
            if not left.get(company_id):
                engine._rerank(self.env["res.company"].browse(company_id))
        return len(pairs), sum(left.values())

    @api.model
    def _queued_by_company(self):
        """{company id: customers queued}, as this transaction sees them."""
        self.env.cr.execute(
            "SELECT company_id, count(DISTINCT partner_id)"
            " FROM zhongzheng_value_queue GROUP BY 1"
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _gather_delay(self):
        """Seconds until the oldest visible request is GATHER_SECONDS old (0
        if it is, if one has no time, or if nothing is queued)."""
        self.env.cr.execute(
            "SELECT count(*) = count(queued_at), EXTRACT(epoch FROM"
            " (clock_timestamp() at time zone 'UTC') - min(queued_at))"
            " FROM zhongzheng_value_queue"
        )
        all_timed, age = self.env.cr.fetchone()
        if not all_timed or age is None:
            return 0.0
        return max(0.0, GATHER_SECONDS - float(age))

    @api.model
    def _cron_process(self):
        # Run by the scheduler, which the confirmations' triggers wake:
        # let the requests of the next seconds join this batch (one batch of
        # twenty customers costs about what one of one does). The batch then
        # runs in a transaction begun after the wait, which sees them.
        if self.env.context.get("cron_id"):
            time.sleep(self._gather_delay())
            with self.env.registry.cursor() as cr:
                done, _left = self.with_env(self.env(cr=cr))._process()
            # what was queued while the batch ran, in a snapshot taken after
            # it committed: a confirmation that left the workers' wake-up to
            # this run's trigger (`_trigger_cron`) is served by the scheduler
            # running the job again at once (remaining > 0)
            with self.env.registry.cursor() as cr:
                left = self.with_env(self.env(cr=cr))._queued_by_company()
            remaining = sum(left.values())
        else:
            done, remaining = self._process()
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        _logger.info("customer value queue: %s done, %s remaining", done, remaining)

    @api.model
    def _cron_nightly(self):
        """Nightly: the key figures stored for the view, the customer value
        rows for the dashboard and the pyramid PDF, the pyramid's forecast
        (as the history stands), the pipeline's lifetime value fit per
        company (as of today), then every customer queued for
        recomputation."""
        companies = self.env["res.company"].search([])
        self.env["zhongzheng.crm.kpi.report"]._refresh_figures(companies)
        self.env["zhongzheng.customer.value.store"]._refresh_figures(companies)
        self.env["zhongzheng.pyramid.forecast"]._refresh(companies)
        for company in companies:
            self._lock_figures(company)
            self.env["zhongzheng.value.engine"]._nightly_fit(company)
        self._enqueue_all(companies)
