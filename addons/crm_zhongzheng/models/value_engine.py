"""The customer value pipeline: facts, supplier rating, lifetime value,
ranks, tiers and classes, history.

Every figure is computed set-based, per company, by one step each, over
Odoo's own order, invoice, payment and delivery tables, and handed to the one
writer of the partners' figures (value_writer.py). The steps:

    value_facts.py          transaction facts (cost-to-serve: a hook)
    supplier_engine.py      supplier rating (quality incidents: a hook)
    clv_fit.py              lifetime value: a new fit, or the last one applied
    value_ranks.py          RFM, ABC, value score
    relationship_engine.py  pyramid tier and relationship class
    relationship_history.py the history of their changes

No step calls this orchestrator; each can be called on its own. Screens,
reports and the XML-RPC API read what the steps wrote.
"""

import logging
from datetime import timedelta

import psycopg2

from odoo import api, fields, models, tools
from odoo.tools import mute_logger

from . import value_sql

_logger = logging.getLogger(__name__)
CLV_FIT, CLV_LAST = "fit", "last"


class ValueEngine(models.AbstractModel):
    _name = "zhongzheng.value.engine"
    _description = "Customer Value Pipeline"

    # ------------------------------------------------------------------
    # entry points
    # ------------------------------------------------------------------
    @api.model
    def _recompute(self, companies=None, as_of=None, fit_clv=True):
        """Recompute every customer of the given companies (default: all):
        facts, lifetime value fit, RFM, ABC, value score, tiers and classes.
        Synchronous: called by the nightly cron, the demo, tests and
        benchmarks, never by a click.

        Private, so not callable over RPC: an arbitrary `as_of` rewrites the
        current figures with those of another day. Managers recompute through
        *Recompute now* (the queue) or the API's ``recompute_scores``, both
        as of today.

        :param companies: res.company records (default: all companies)
        :param as_of: the analysis date (default: today)
        :param fit_clv: fit lifetime value anew (else it stays as it is)
        :return: True
        """
        companies = companies or self.env["res.company"].search([])
        as_of = as_of or fields.Date.context_today(self)
        for company in companies:
            self._pipeline(company, as_of, clv=CLV_FIT if fit_clv else None)
        return True

    @api.model
    def _replay(self, companies=None, months=12):
        """Recompute as of each month-end of the past months, then today, so
        that tiers, classes and their history unfold as they would have
        (a backfill at go-live, and the demo's history)."""
        today = fields.Date.context_today(self)
        month_end = today.replace(day=1) - timedelta(days=1)
        dates = []
        for _i in range(months):
            dates.append(month_end)
            month_end = month_end.replace(day=1) - timedelta(days=1)
        for as_of in sorted(dates):
            self._recompute(companies=companies, as_of=as_of, fit_clv=False)
        return self._recompute(companies=companies, as_of=today)

    @api.model
    def _recompute_partners(
        self, company, partner_ids, as_of=None, rank=True, cuts=None
    ):
        """Incremental update: the facts and lifetime value (from the last
        applied fit) of these commercial partners, then unless told otherwise
        their ranks, tier and class against the cut points of the company's
        last full ranking (no other customer is touched). A company never
        fully ranked is ranked in full.

        :param cuts: the company's usable cut points (_usable_cuts) when the
            caller has read them already, under the figures' lock"""
        as_of = as_of or value_sql.today(self)
        self._pipeline(company, as_of, partner_ids, rank=rank, cuts=cuts)

    @api.model
    def _rerank(self, company, as_of=None):
        """Ranks, tiers and classes of every customer from the figures as
        they are (the queue, once a company's customers are recomputed)."""
        as_of = as_of or fields.Date.context_today(self)
        self._pipeline(company, as_of, facts=False, clv=None)

    @api.model
    def _nightly_fit(self, companies):
        """The nightly lifetime value fit of each company, applied to its
        customers (the queue then recomputes everyone in batches)."""
        as_of = fields.Date.context_today(self)
        for company in companies:
            self._optional_step(
                self.env["zhongzheng.clv.fit"]._fit, company, as_of, apply=True
            )

    # ------------------------------------------------------------------
    # the pipeline
    # ------------------------------------------------------------------
    @api.model
    def _pipeline(
        self,
        company,
        as_of,
        partner_ids=None,
        facts=True,
        clv=CLV_LAST,
        rank=True,
        cuts=None,
    ):
        """The steps of a recompute of one company, in order. Each reads the
        figures written before it and hands its own to the writer's stage;
        the flush at the end rewrites each changed partner once.

        :param partner_ids: facts and lifetime value of these commercial
            partners only (None: all of the company's)
        :param facts: recompute the facts and supplier ratings
        :param clv: CLV_FIT (fit anew and apply), CLV_LAST (apply the last
            successful fit) or None (leave lifetime value as it is)
        :param rank: rank, tier and classify: every customer of the company
            when partner_ids is None or the company has no usable cut
            points, else only partner_ids against the stored cut points
        :param cuts: those cut points, if the caller has read them (else
            read here, once the figures are locked)
        :return: the number of partners whose figures changed
        """
        self.env["zhongzheng.value.queue"]._lock_figures(company)  # one at a time
        self._tune(few=partner_ids is not None)
        self._fetch_settings(company)
        if not (rank and partner_ids is not None):
            cuts = None
        elif cuts is None:
            cuts = self._usable_cuts(company, pending_ok=True)
        staged = self.env["zhongzheng.value.writer"]._stage_open(
            company, None if rank and not cuts else partner_ids
        )
        step = staged.env
        if facts and partner_ids is None:
            # the company's orders, read once for the steps that aggregate them
            step = step["zhongzheng.value.facts"]._open_orders(company, as_of).env
        history = self.env["zhongzheng.relationship.history"]
        if partner_ids is None:
            # a step may hold its history rows for the history step below
            step = step(context=dict(step.context, zz_history_follows=True))
            history = history.with_context(zz_history_follows=True)
        if facts:
            step["zhongzheng.value.facts"]._compute_facts(company, partner_ids, as_of)
            step["zhongzheng.supplier.engine"]._compute_supplier_facts(
                company, partner_ids, as_of
            )
        # lifetime value is optional: a failure leaves its figures as they are
        if clv == CLV_FIT:
            self._optional_step(
                step["zhongzheng.clv.fit"]._fit, company, as_of, apply=True
            )
        elif clv == CLV_LAST:
            self._optional_step(
                step["zhongzheng.clv.fit"]._apply_last, company, as_of, partner_ids
            )
        if rank:
            step["zhongzheng.value.ranks"]._compute_ranks(
                company, as_of, partner_ids, cuts
            )
            changes = step["zhongzheng.relationship.engine"]._compute_relationships(
                company, as_of, partner_ids, cuts
            )
        else:
            changes = []
        # further optional steps (health, recommendations...) go here, each
        # as self._optional_step(step[model]._compute_..., company, as_of)
        # the same customers as the stage: all, or the ones given
        self._optional_step(
            step["zhongzheng.customer.health"]._compute_health,
            company,
            as_of,
            None if rank and not cuts else partner_ids,
        )
        if partner_ids is None:  # the full pass only, before the tiers flush
            self._optional_step(
                step["zhongzheng.recommendation"]._compute_recommendations,
                company,
                as_of,
            )
        written = staged._stage_flush(company)
        # after the flush: the history's foreign-key checks lock partner rows
        # the flush has just rewritten (pages in memory), not old versions
        history._log_changes(company, as_of, changes)
        if facts and partner_ids is None:
            self.env["zhongzheng.value.facts"]._close_orders()
        return written

    @api.model
    def _fetch_settings(self, company):
        """Read the company's settings of this addon, and only them, before
        the steps read them one by one: a first read of any company field
        fetches all of the company's 158 columns (2.8 ms against 1.3 ms at
        100,000 customers; the incremental path reads them per order)."""
        Company = self.env["res.company"]
        company.fetch(
            [
                name
                for name in self._setting_names()
                if Company._fields[name].is_accessible(self.env)
            ]
        )

    @tools.ormcache()
    def _setting_names(self):
        return tuple(
            name
            for name, field in self.env["res.company"]._fields.items()
            if field.store
            and field.column_type
            and (field._module or "").startswith("crm_zhongzheng")
        )

    @api.model
    def _usable_cuts(self, company, pending_ok=False):
        """The cut points of the company's last full ranking, or None when
        there are none, its tier basis changed since, or (unless pending_ok)
        everyone is queued for a full re-rank."""
        cuts = self.env["zhongzheng.value.cuts"]._get(company, ranks=False)
        if not cuts or (cuts["pending"] and not pending_ok):
            return None
        if cuts["tiers"].get("basis") != (company.tier_basis or "margin"):
            return None
        return cuts

    @api.model
    def _optional_step(self, method, *args, **kwargs):
        """Run a step that must never stop the others: in a savepoint, so a
        failure leaves its figures as they were; logged, not raised (a
        serialization failure is: the whole transaction is retried)."""
        try:
            with self.env.cr.savepoint():
                return method(*args, **kwargs)
        except psycopg2.OperationalError:
            raise
        except Exception:  # logged, not raised: the other steps go on
            _logger.warning(
                "customer value: optional step %s failed",
                method.__name__,
                exc_info=True,
            )
            return None

    @api.model
    def _tune(self, few=False):
        """Session settings for the big set-based statements: no JIT (its
        compile time exceeds the run time of these plans), room to sort in
        memory and, for a full pass (not `few` partners), to keep the stage
        (a temporary table) in memory; the latter only where the session
        has not used temporary tables yet (PostgreSQL refuses it afterwards,
        unless to the same size)."""
        cr = self.env.cr
        cr.execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")
        if few:
            # the prepared statements of a few partners' update: planned once
            # per session (value_sql.execute), not anew at each execution
            cr.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            return
        try:
            # PostgreSQL's refusal is expected: not an error for the log
            with mute_logger("odoo.sql_db"), cr.savepoint(flush=False):
                cr.execute("SET LOCAL temp_buffers = '256MB'")
        except psycopg2.Error:
            _logger.debug("customer value: temp_buffers kept", exc_info=True)
