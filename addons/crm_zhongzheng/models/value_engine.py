"""The one place where customer value is computed.

Every figure is computed set-based, per company, in a few SQL statements over
Odoo's own order, invoice, payment and delivery tables, and written to the
partners' company-dependent fields in one bulk statement. Screens, reports
and the XML-RPC API only read what this engine wrote.
"""

import csv
import io
import logging
from datetime import timedelta

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from . import clv_math
from .relationship_engine import RELATIONSHIP_FIELDS
from .supplier_engine import SUPPLIER_FIELDS

_logger = logging.getLogger(__name__)

# Facts, RFM, ABC, CLV and score fields written by the engine, with their SQL
# types: the temp tables and the bulk jsonb update are built from this list.
FACT_FIELDS = {
    "first_sale_date": "date",
    "last_sale_date": "date",
    "sale_count_total": "integer",
    "sale_count_window": "integer",
    "revenue_total": "float8",
    "revenue_window": "float8",
    "margin_total": "float8",
    "margin_window": "float8",
    "average_order_value": "float8",
    "purchase_amount_window": "float8",
    "purchase_count_window": "integer",
    "invoiced_window": "float8",
    "receivable_open": "float8",
    "receivable_overdue": "float8",
    "average_days_to_pay": "float8",
    "delivery_count_window": "integer",
    "delivery_on_time_rate": "float8",
    "cost_to_serve": "float8",
}
RANK_FIELDS = {
    "rfm_recency": "integer",
    "rfm_frequency": "integer",
    "rfm_monetary": "float8",
    "rfm_r_score": "integer",
    "rfm_f_score": "integer",
    "rfm_m_score": "integer",
    "rfm_segment_id": "integer",
    "abc_class": "varchar",
    "value_score": "float8",
    "value_points_current": "float8",
    "value_points_potential": "float8",
    "value_points_loyalty": "float8",
    "value_points_payment": "float8",
    "value_points_cost": "float8",
}
CLV_FIELDS = {
    "clv_prob_alive": "float8",
    "clv_expected_purchases": "float8",
    "clv_value": "float8",
}
ALL_FIELDS = {**FACT_FIELDS, **RANK_FIELDS, **CLV_FIELDS}
CLV_PREDICTION_DAYS = 90


class ValueEngine(models.AbstractModel):
    _name = "zhongzheng.value.engine"
    _description = "Customer Value Engine"

    # ------------------------------------------------------------------
    # entry points
    # ------------------------------------------------------------------
    @api.model
    def recompute(self, companies=None, as_of=None, fit_clv=True):
        """Recompute every customer of the given companies (default: all):
        facts, lifetime value fit, RFM, ABC and value score. Synchronous:
        called by the nightly cron, tests and benchmarks, never by a click."""
        # public, hence callable over RPC: only as the web client allows
        if not self.env.su and not self.env.user.has_group(
            "crm_zhongzheng.group_crm_manager"
        ):
            raise AccessError(
                self.env._("Only CRM managers can recompute customer value.")
            )
        companies = companies or self.env["res.company"].search([])
        as_of = as_of or fields.Date.context_today(self)
        self._tune()
        for company in companies:
            staged = self._stage_open(company)
            staged._compute_facts(company, as_of=as_of)
            if fit_clv:
                staged.env["zhongzheng.clv.fit"]._fit(company, as_of=as_of, apply=True)
            staged._compute_ranks(company, as_of=as_of)
            staged._stage_flush(company)
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
            self.recompute(companies=companies, as_of=as_of, fit_clv=False)
        return self.recompute(companies=companies, as_of=today)

    @api.model
    def _recompute_partners(self, company, partner_ids, as_of=None, rank=True):
        """Incremental update: the facts and lifetime value (from the last
        applied fit) of these commercial partners, then unless told otherwise
        the company-wide ranks (which only write the rows that changed)."""
        as_of = as_of or fields.Date.context_today(self)
        self._tune()
        # ranks need every customer's figures; without them, only these
        staged = self._stage_open(company, None if rank else partner_ids)
        staged._compute_facts(company, partner_ids=partner_ids, as_of=as_of)
        staged._apply_last_clv_fit(company, partner_ids, as_of)
        if rank:
            staged._compute_ranks(company, as_of=as_of)
        staged._stage_flush(company)

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------
    @api.model
    def _window(self, company, as_of):
        """[start, end) datetimes of the analysis window ending on as_of."""
        end = fields.Datetime.to_datetime(as_of) + timedelta(days=1)
        start = end - timedelta(days=company.value_window_days)
        return start, end

    @api.model
    def _partner_filter(self, column, partner_ids):
        if partner_ids is None:
            return SQL("TRUE")
        return SQL("%s = ANY(%s)", SQL.identifier(*column), list(partner_ids))

    @api.model
    def _cost_to_serve_query(self, company, start, end, partners):
        """Cost to serve per commercial partner over the window, in company
        currency (columns partner_id, cost): the handling cost of its service
        tickets closed in the window and the compensation approved on its
        claims. Extend by adding to the query's result."""
        return SQL(
            """
            SELECT commercial_partner_id AS partner_id,
                   SUM(CASE WHEN date_closed >= %(start)s AND date_closed < %(end)s
                            THEN COALESCE(handling_cost, 0) ELSE 0 END)
                   + SUM(CASE WHEN claim_state = 'approved'
                                AND claim_approved_date >= %(start)s::date
                                AND claim_approved_date < %(end)s::date
                            THEN COALESCE(claim_approved_amount, 0) ELSE 0 END)
                       AS cost
              FROM zhongzheng_service_ticket
             WHERE company_id = %(company)s
               AND commercial_partner_id = ANY(%(partners)s)
             GROUP BY commercial_partner_id
            """,
            start=start,
            end=end,
            company=company.id,
            partners=partners,
        )

    @api.model
    def _sale_margin_sql(self):
        """Margin of a sale order line in company currency (``so.rate`` is
        the order's rate): the line's own margin where sale_margin computes
        it, else price minus the product's cost (``pp``: the product's
        cost in the company and the factor of its unit, see _compute_facts)."""
        if "margin" in self.env["sale.order.line"]._fields:
            return SQL("sol.margin / so.rate")
        return SQL(
            "sol.price_subtotal / so.rate"
            " - pp.cost * sol.product_uom_qty / NULLIF(lu.factor, 0) * pp.factor"
        )

    def _value_field_types(self):
        """SQL type of every partner field the engine and its rules write."""
        return {**ALL_FIELDS, **RELATIONSHIP_FIELDS, **SUPPLIER_FIELDS}

    @api.model
    def _tune(self):
        """Session settings for the big set-based statements: no JIT (its
        compile time exceeds the run time of these plans) and room to sort
        in memory."""
        self.env.cr.execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")

    @api.model
    def _copy_rows(self, table, columns, rows):
        """COPY rows (tuples; None is NULL) into a table: much faster than
        INSERTs for tens of thousands of rows."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow("" if value is None else value for value in row)
        buffer.seek(0)
        self.env.cr._obj.copy_expert(
            SQL(
                "COPY %s (%s) FROM STDIN WITH (FORMAT csv)",
                SQL.identifier(table),
                SQL(", ").join(SQL.identifier(c) for c in columns),
            ).code,
            buffer,
        )

    @api.model
    def _write_values(self, company, rows, columns):
        """Bulk-write rows [(partner_id, v1, v2, ...)] computed in Python into
        the company-dependent fields `columns`."""
        if not rows:
            return 0
        types = self._value_field_types()
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS zz_value_rows")
        cr.execute(
            SQL(
                "CREATE TEMP TABLE zz_value_rows (partner_id integer PRIMARY KEY, %s)"
                " ON COMMIT DROP",
                SQL(", ").join(
                    SQL("%s %s", SQL.identifier(c), SQL(types[c])) for c in columns
                ),
            )
        )
        self._copy_rows("zz_value_rows", ["partner_id", *columns], rows)
        return self._apply_value_rows(company, columns)

    @api.model
    def _write_query(self, company, query, columns):
        """Bulk-write what a query computes (a `partner_id` column and one per
        field in `columns`, same names) without a round trip through Python."""
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS zz_value_rows")
        cr.execute(SQL("CREATE TEMP TABLE zz_value_rows ON COMMIT DROP AS %s", query))
        return self._apply_value_rows(company, columns)

    # ------------------------------------------------------------------
    # the stage: every figure of a recompute in one temporary table, then
    # one UPDATE of res_partner (a partner row is rewritten once, not once
    # per step: rewriting 100,000 partner rows costs seconds each time)
    # ------------------------------------------------------------------
    def _stage_bits(self):
        """{field: bit} of the stage's key mask: which company-dependent
        keys a partner holds (a key may hold null, unlike a missing one)."""
        return {name: 1 << i for i, name in enumerate(self._value_field_types())}

    def _stage_company(self):
        return self.env.context.get("zz_value_stage")

    @api.model
    def _figures_query(self, company, partner_ids=None):
        """Per partner holding figures for the company: id, the key mask
        and every engine field typed, read from res_partner's jsonb."""
        key = str(company.id)
        bits = self._stage_bits()
        types = self._value_field_types()
        mask = SQL(" | ").join(
            SQL(
                "CASE WHEN %s ? %s THEN %s::bigint ELSE 0 END",
                SQL.identifier(name),
                key,
                bit,
            )
            for name, bit in bits.items()
        )
        columns = SQL(", ").join(
            SQL(
                "(%s->>%s)::%s AS %s",
                SQL.identifier(name),
                key,
                SQL(types[name]),
                SQL.identifier(name),
            )
            for name in types
        )
        # every writer writes one of these keys (facts, supplier, classes)
        holds = SQL(" OR ").join(
            SQL("%s ? %s", SQL.identifier(name), key)
            for name in (
                "sale_count_total",
                "purchase_count_window",
                "supplier_rating",
                "relationship_class",
                "tier_id",
            )
        )
        return SQL(
            "SELECT id AS partner_id, %s AS zz_keys, %s FROM res_partner"
            " WHERE (%s) AND %s",
            mask,
            columns,
            holds,
            self._partner_filter(("res_partner", "id"), partner_ids),
        )

    @api.model
    def _stage_open(self, company, partner_ids=None):
        """Load the company's figures (all partners, or partner_ids) into
        the stage; returns the engine writing there until _stage_flush."""
        cr = self.env.cr
        types = self._value_field_types()
        if len(types) > 62:
            raise ValueError("the stage's key mask holds 62 fields")
        self.env["res.partner"].flush_model(list(types))
        cr.execute("DROP TABLE IF EXISTS zz_value_stage")
        cr.execute(
            SQL(
                "CREATE TEMP TABLE zz_value_stage (partner_id integer PRIMARY KEY,"
                " zz_keys bigint NOT NULL DEFAULT 0, %s,"
                " zz_dirty bigint NOT NULL DEFAULT 0) ON COMMIT DROP",
                SQL(", ").join(
                    SQL("%s %s", SQL.identifier(c), SQL(t)) for c, t in types.items()
                ),
            )
        )
        cr.execute(
            SQL(
                "INSERT INTO zz_value_stage %s",
                self._figures_query(company, partner_ids),
            )
        )
        return self.with_context(zz_value_stage=company.id)

    @api.model
    def _stage_flush(self, company):
        """One UPDATE of res_partner from the stage, only of the rows whose
        figures changed (the stage marks them dirty; a figure changed and
        changed back is compared again); returns their number."""
        if self._stage_company() != company.id:
            return 0
        cr = self.env.cr
        key = str(company.id)
        bits = self._stage_bits()
        sets = SQL(", ").join(
            SQL(
                "%(col)s = CASE WHEN s.zz_dirty & %(bit)s <> 0"
                " THEN COALESCE(p.%(col)s, '{}'::jsonb)"
                " || jsonb_build_object(%(key)s, s.%(col)s)"
                " ELSE p.%(col)s END",
                col=SQL.identifier(name),
                bit=bit,
                key=key,
            )
            for name, bit in bits.items()
        )
        cr.execute(
            SQL(
                "UPDATE res_partner p SET %s FROM zz_value_stage s"
                " WHERE p.id = s.partner_id AND s.zz_dirty <> 0 AND (%s)",
                sets,
                SQL(" OR ").join(
                    SQL(
                        "(s.zz_dirty & %s <> 0 AND %s)",
                        bit,
                        self._changed_sql(company, [name], "s"),
                    )
                    for name, bit in bits.items()
                ),
            )
        )
        count = cr.rowcount
        cr.execute("DROP TABLE zz_value_stage")
        self.env["res.partner"].invalidate_model(list(bits))
        _logger.info(
            "customer value: company %s, %s partners updated", company.id, count
        )
        return count

    @api.model
    def _changed_sql(self, company, columns, alias):
        """Rows of res_partner p whose figure for the company differs from
        the one in `alias` (a missing key equals null)."""
        key = str(company.id)
        return SQL(" OR ").join(
            SQL(
                "COALESCE(p.%(col)s->%(key)s, 'null'::jsonb) IS DISTINCT FROM"
                " COALESCE(to_jsonb(%(alias)s.%(col)s), 'null'::jsonb)",
                col=SQL.identifier(c),
                alias=SQL.identifier(alias),
                key=key,
            )
            for c in columns
        )

    @api.model
    def _stage_rows(self, company, columns):
        """Merge zz_value_rows into the stage; returns the rows whose
        figures changed (only those get the keys, as in res_partner)."""
        cr = self.env.cr
        types = self._value_field_types()
        bits = self._stage_bits()
        mask = sum(bits[c] for c in columns)
        new = {c: SQL("v.%s::%s", SQL.identifier(c), SQL(types[c])) for c in columns}
        cr.execute(
            SQL(
                "UPDATE zz_value_stage s SET zz_keys = s.zz_keys | %s,"
                " zz_dirty = s.zz_dirty | %s, %s"
                " FROM zz_value_rows v WHERE s.partner_id = v.partner_id AND (%s)",
                mask,
                mask,
                SQL(", ").join(
                    SQL("%s = %s", SQL.identifier(c), new[c]) for c in columns
                ),
                SQL(" OR ").join(
                    SQL("s.%s IS DISTINCT FROM %s", SQL.identifier(c), new[c])
                    for c in columns
                ),
            )
        )
        count = cr.rowcount
        # partners new to the stage: looked up before inserting (an anti-join
        # inserting into the table it reads can scan it once per row)
        cr.execute(
            "SELECT v.partner_id FROM zz_value_rows v"
            " LEFT JOIN zz_value_stage s ON s.partner_id = v.partner_id"
            " WHERE s.partner_id IS NULL"
        )
        missing = [r[0] for r in cr.fetchall()]
        if missing:
            cr.execute(
                SQL(
                    "INSERT INTO zz_value_stage (partner_id, zz_keys, zz_dirty, %s)"
                    " SELECT v.partner_id, %s, %s, %s FROM zz_value_rows v"
                    " WHERE v.partner_id = ANY(%s) AND (%s)",
                    SQL(", ").join(SQL.identifier(c) for c in columns),
                    mask,
                    mask,
                    SQL(", ").join(new[c] for c in columns),
                    missing,
                    SQL(" OR ").join(SQL("%s IS NOT NULL", new[c]) for c in columns),
                )
            )
            count += cr.rowcount
        cr.execute("DROP TABLE zz_value_rows")
        return count

    @api.model
    def _apply_value_rows(self, company, columns):
        """One UPDATE from zz_value_rows into the jsonb columns (or the stage
        while one is open), touching only the rows whose values changed."""
        if self._stage_company() == company.id:
            return self._stage_rows(company, columns)
        cr = self.env.cr
        key = str(company.id)
        self.env["res.partner"].flush_model(list(columns))
        sets = SQL(", ").join(
            SQL(
                "%(col)s = COALESCE(p.%(col)s, '{}'::jsonb)"
                " || jsonb_build_object(%(key)s, v.%(col)s)",
                col=SQL.identifier(c),
                key=key,
            )
            for c in columns
        )
        changed = self._changed_sql(company, columns, "v")
        cr.execute(
            SQL(
                "UPDATE res_partner p SET %s FROM zz_value_rows v"
                " WHERE p.id = v.partner_id AND (%s)",
                sets,
                changed,
            )
        )
        count = cr.rowcount
        cr.execute("DROP TABLE zz_value_rows")
        self.env["res.partner"].invalidate_model(list(columns))
        return count

    # ------------------------------------------------------------------
    # transaction facts
    # ------------------------------------------------------------------
    @api.model
    def _compute_facts(self, company, partner_ids=None, as_of=None):
        """Transaction facts of the company's commercial partners (or only of
        partner_ids) as of a date. Returns the number of partners written."""
        as_of = as_of or fields.Date.context_today(self)
        if self._stage_company() != company.id:
            staged = self._stage_open(company, partner_ids)
            count = staged._compute_facts(company, partner_ids, as_of)
            staged._stage_flush(company)
            return count
        bits = self._stage_bits()
        start, end = self._window(company, as_of)
        for model in (
            "sale.order",
            "sale.order.line",
            "purchase.order",
            "account.move",
            "account.move.line",
            "account.partial.reconcile",
            "stock.picking",
            "res.partner",
            "product.product",
        ):
            self.env[model].flush_model()
        params = {
            "company": company.id,
            "start": start,
            "end": end,
            "as_of": as_of,
        }
        margin = self.with_company(company)._sale_margin_sql()
        cr = self.env.cr
        # Population: partners with any activity in this company, plus those
        # already holding figures for it (their activity may have vanished).
        cr.execute(
            SQL(
                """
            SELECT DISTINCT cp FROM (
                SELECT p.commercial_partner_id AS cp FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %(company)s AND so.state = 'sale'
                UNION ALL
                SELECT p.commercial_partner_id FROM purchase_order po
                  JOIN res_partner p ON p.id = po.partner_id
                 WHERE po.company_id = %(company)s AND po.state IN ('purchase', 'done')
                UNION ALL
                SELECT m.commercial_partner_id FROM account_move m
                 WHERE m.company_id = %(company)s AND m.state = 'posted'
                   AND m.move_type IN ('out_invoice', 'out_refund')
                UNION ALL
                SELECT p.commercial_partner_id FROM stock_picking sp
                  JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
                  JOIN res_partner p ON p.id = sp.partner_id
                 WHERE sp.company_id = %(company)s AND sp.state = 'done'
                   AND spt.code = 'outgoing'
                UNION ALL
                SELECT partner_id FROM zz_value_stage WHERE zz_keys & %(holds)s <> 0
            ) pop WHERE cp IS NOT NULL AND %(filter)s
            """,
                **params,
                holds=bits["sale_count_total"] | bits["purchase_count_window"],
                filter=self._partner_filter(("pop", "cp"), partner_ids),
            )
        )
        population = [r[0] for r in cr.fetchall()]
        if partner_ids is not None:
            population = sorted(set(population) | set(partner_ids))
        if not population:
            return 0
        # a table, not a 100,000-element array literal repeated per source
        cr.execute("DROP TABLE IF EXISTS zz_value_population")
        cr.execute(
            "CREATE TEMP TABLE zz_value_population (id integer PRIMARY KEY)"
            " ON COMMIT DROP"
        )
        cr.execute(
            SQL(
                "INSERT INTO zz_value_population SELECT unnest(%s::integer[])",
                population,
            )
        )
        cr.execute("ANALYZE zz_value_population")
        self.env["zhongzheng.service.ticket"].flush_model()
        query = SQL(
            """
            WITH costs AS (%(costs)s),
            products AS (
                SELECT pp.id,
                       COALESCE((pp.standard_price->>%(key)s)::float8, 0) AS cost,
                       pu.factor
                  FROM product_product pp
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  JOIN uom_uom pu ON pu.id = pt.uom_id
            ),
            so AS (
                SELECT so.id, p.commercial_partner_id AS partner_id, so.date_order,
                       so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1)
                           AS amount,
                       COALESCE(NULLIF(so.currency_rate, 0), 1) AS rate
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %(company)s AND so.state = 'sale'
                   AND so.date_order < %(end)s
                   AND p.commercial_partner_id IN (SELECT id FROM zz_value_population)
            ),
            so_margin AS (
                SELECT so.id, SUM(%(margin)s) AS margin
                  FROM so
                  JOIN sale_order_line sol ON sol.order_id = so.id
                  JOIN products pp ON pp.id = sol.product_id
                  JOIN uom_uom lu ON lu.id = sol.product_uom
                 WHERE sol.display_type IS NULL AND sol.is_downpayment IS NOT TRUE
                 GROUP BY so.id
            ),
            sales AS (
                SELECT so.partner_id,
                       MIN(so.date_order)::date AS first_sale_date,
                       MAX(so.date_order)::date AS last_sale_date,
                       COUNT(*) AS sale_count_total,
                       COUNT(*) FILTER (WHERE so.date_order >= %(start)s)
                           AS sale_count_window,
                       SUM(so.amount) AS revenue_total,
                       COALESCE(SUM(so.amount) FILTER (
                           WHERE so.date_order >= %(start)s), 0) AS revenue_window,
                       COALESCE(SUM(m.margin), 0) AS margin_total,
                       COALESCE(SUM(m.margin) FILTER (
                           WHERE so.date_order >= %(start)s), 0) AS margin_window
                  FROM so LEFT JOIN so_margin m ON m.id = so.id
                 GROUP BY so.partner_id
            ),
            purchases AS (
                SELECT p.commercial_partner_id AS partner_id,
                       SUM(po.amount_untaxed
                           / COALESCE(NULLIF(po.currency_rate, 0), 1))
                           AS purchase_amount_window,
                       COUNT(*) AS purchase_count_window
                  FROM purchase_order po
                  JOIN res_partner p ON p.id = po.partner_id
                 WHERE po.company_id = %(company)s
                   AND po.state IN ('purchase', 'done')
                   AND po.date_order >= %(start)s AND po.date_order < %(end)s
                   AND p.commercial_partner_id IN (SELECT id FROM zz_value_population)
                 GROUP BY p.commercial_partner_id
            ),
            invoices AS (
                SELECT m.commercial_partner_id AS partner_id,
                       SUM(m.amount_untaxed_signed) FILTER (
                           WHERE m.invoice_date >= %(start)s::date
                             AND m.invoice_date < %(end)s::date) AS invoiced_window,
                       SUM(m.amount_residual_signed) FILTER (
                           WHERE m.move_type = 'out_invoice'
                             AND m.payment_state NOT IN ('paid', 'in_payment',
                                                         'reversed'))
                           AS receivable_open,
                       SUM(m.amount_residual_signed) FILTER (
                           WHERE m.move_type = 'out_invoice'
                             AND m.payment_state NOT IN ('paid', 'in_payment',
                                                         'reversed')
                             AND m.invoice_date_due < %(as_of)s)
                           AS receivable_overdue
                  FROM account_move m
                 WHERE m.company_id = %(company)s AND m.state = 'posted'
                   AND m.move_type IN ('out_invoice', 'out_refund')
                   AND m.commercial_partner_id IN (SELECT id FROM zz_value_population)
                 GROUP BY m.commercial_partner_id
            ),
            paid AS (
                SELECT m.commercial_partner_id AS partner_id, m.id,
                       MAX(apr.max_date) - m.invoice_date AS days
                  FROM account_move m
                  JOIN account_move_line l
                    ON l.move_id = m.id AND l.display_type = 'payment_term'
                  JOIN account_partial_reconcile apr ON apr.debit_move_id = l.id
                 WHERE m.company_id = %(company)s AND m.state = 'posted'
                   AND m.move_type = 'out_invoice'
                   AND m.payment_state IN ('paid', 'in_payment')
                   AND m.invoice_date >= %(start)s::date
                   AND m.invoice_date < %(end)s::date
                   AND m.commercial_partner_id IN (SELECT id FROM zz_value_population)
                 GROUP BY m.commercial_partner_id, m.id, m.invoice_date
            ),
            payments AS (
                SELECT partner_id, AVG(GREATEST(days, 0)) AS average_days_to_pay
                  FROM paid GROUP BY partner_id
            ),
            deliveries AS (
                SELECT p.commercial_partner_id AS partner_id,
                       COUNT(*) AS delivery_count_window,
                       100.0 * COUNT(*) FILTER (
                           WHERE sp.date_done <= COALESCE(sp.date_deadline,
                                                          sp.scheduled_date))
                           / COUNT(*) AS delivery_on_time_rate
                  FROM stock_picking sp
                  JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
                  JOIN res_partner p ON p.id = sp.partner_id
                 WHERE sp.company_id = %(company)s AND sp.state = 'done'
                   AND spt.code = 'outgoing'
                   AND sp.date_done >= %(start)s AND sp.date_done < %(end)s
                   AND p.commercial_partner_id IN (SELECT id FROM zz_value_population)
                 GROUP BY p.commercial_partner_id
            )
            SELECT pop.id AS partner_id,
                   s.first_sale_date, s.last_sale_date,
                   COALESCE(s.sale_count_total, 0)::int AS sale_count_total,
                   COALESCE(s.sale_count_window, 0)::int AS sale_count_window,
                   ROUND(COALESCE(s.revenue_total, 0)::numeric, 2)::float8
                       AS revenue_total,
                   ROUND(COALESCE(s.revenue_window, 0)::numeric, 2)::float8
                       AS revenue_window,
                   ROUND(COALESCE(s.margin_total, 0)::numeric, 2)::float8
                       AS margin_total,
                   ROUND(COALESCE(s.margin_window, 0)::numeric, 2)::float8
                       AS margin_window,
                   ROUND(COALESCE(s.revenue_window
                         / NULLIF(s.sale_count_window, 0), 0)::numeric, 2)::float8
                       AS average_order_value,
                   ROUND(COALESCE(pu.purchase_amount_window, 0)::numeric, 2)::float8
                       AS purchase_amount_window,
                   COALESCE(pu.purchase_count_window, 0)::int
                       AS purchase_count_window,
                   ROUND(COALESCE(i.invoiced_window, 0)::numeric, 2)::float8
                       AS invoiced_window,
                   ROUND(COALESCE(i.receivable_open, 0)::numeric, 2)::float8
                       AS receivable_open,
                   ROUND(COALESCE(i.receivable_overdue, 0)::numeric, 2)::float8
                       AS receivable_overdue,
                   ROUND(pa.average_days_to_pay::numeric, 1)::float8
                       AS average_days_to_pay,
                   COALESCE(d.delivery_count_window, 0)::int AS delivery_count_window,
                   ROUND(d.delivery_on_time_rate::numeric, 1)::float8
                       AS delivery_on_time_rate,
                   ROUND(COALESCE(c.cost, 0)::numeric, 2)::float8 AS cost_to_serve
              FROM zz_value_population pop
              LEFT JOIN sales s ON s.partner_id = pop.id
              LEFT JOIN purchases pu ON pu.partner_id = pop.id
              LEFT JOIN invoices i ON i.partner_id = pop.id
              LEFT JOIN payments pa ON pa.partner_id = pop.id
              LEFT JOIN deliveries d ON d.partner_id = pop.id
              LEFT JOIN costs c ON c.partner_id = pop.id
            """,
            margin=margin,
            key=str(company.id),
            costs=self._cost_to_serve_query(company, start, end, population),
            **params,
        )
        written = self._write_query(company, query, list(FACT_FIELDS))
        cr.execute("DROP TABLE zz_value_population")
        _logger.info(
            "customer value facts: company %s, %s partners, %s changed",
            company.id,
            len(population),
            written,
        )
        self.env["zhongzheng.supplier.engine"]._compute_supplier_facts(
            company, partner_ids=partner_ids, as_of=as_of
        )
        return len(population)

    # ------------------------------------------------------------------
    # RFM, ABC and value score
    # ------------------------------------------------------------------
    @api.model
    def _compute_ranks(self, company, as_of=None):
        """RFM quintile scores and segment, ABC class and the value score of
        every customer (a partner with a confirmed sale) of the company, from
        the facts and CLV already written. Ties get the same score."""
        as_of = as_of or fields.Date.context_today(self)
        if self._stage_company() != company.id:
            staged = self._stage_open(company)
            customers = staged._compute_ranks(company, as_of=as_of)
            staged._stage_flush(company)
            return customers
        self._tune()
        self.env["res.partner"].flush_model()
        self.env["zhongzheng.rfm.segment"].flush_model()
        weights = company._value_weights()
        total_weight = sum(weights.values()) or 1.0
        share = {k: 100.0 * w / total_weight for k, w in weights.items()}
        self.env.cr.execute(
            "SELECT count(*) FROM zz_value_stage"
            " WHERE COALESCE(sale_count_total, 0) > 0"
        )
        customers = self.env.cr.fetchone()[0]
        query = SQL(
            """
            WITH c AS (
                SELECT partner_id AS id,
                       last_sale_date AS last_sale,
                       first_sale_date AS first_sale,
                       COALESCE(sale_count_window, 0) AS freq,
                       COALESCE(revenue_window, 0) AS monetary,
                       COALESCE(margin_window, 0) AS margin,
                       COALESCE(clv_value, 0) AS clv,
                       average_days_to_pay AS days_to_pay,
                       COALESCE(receivable_overdue, 0) AS overdue,
                       COALESCE(invoiced_window, 0) AS invoiced,
                       COALESCE(cost_to_serve, 0) AS cost
                  FROM zz_value_stage
                 WHERE COALESCE(sale_count_total, 0) > 0
            ),
            scored AS (
                SELECT c.*,
                       %(as_of)s::date - last_sale AS recency,
                       %(as_of)s::date - first_sale AS tenure,
                       1 + FLOOR(5.0 * (RANK() OVER (ORDER BY last_sale) - 1)
                                 / COUNT(*) OVER ())::int AS r_score,
                       1 + FLOOR(5.0 * (RANK() OVER (ORDER BY freq) - 1)
                                 / COUNT(*) OVER ())::int AS f_score,
                       1 + FLOOR(5.0 * (RANK() OVER (ORDER BY monetary) - 1)
                                 / COUNT(*) OVER ())::int AS m_score,
                       COALESCE(SUM(monetary) OVER (
                           ORDER BY monetary DESC, id
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
                           / NULLIF(SUM(monetary) OVER (), 0) * 100 AS cum_before,
                       CASE WHEN margin > 0
                            THEN CUME_DIST() OVER (ORDER BY GREATEST(margin, 0))
                            ELSE 0 END AS c_current,
                       CASE WHEN clv > 0
                            THEN CUME_DIST() OVER (ORDER BY GREATEST(clv, 0))
                            ELSE 0 END AS c_potential,
                       (CASE WHEN freq > 0
                             THEN CUME_DIST() OVER (ORDER BY freq) ELSE 0 END
                        + CUME_DIST() OVER (ORDER BY first_sale DESC)) / 2
                           AS c_loyalty
                  FROM c
            ),
            segment_map AS (
                -- the 25 score pairs looked up once, not once per customer
                SELECT r, fm,
                       (SELECT seg.id FROM zhongzheng_rfm_segment seg
                         WHERE seg.active
                           AND r BETWEEN seg.r_min AND seg.r_max
                           AND fm BETWEEN seg.fm_min AND seg.fm_max
                         ORDER BY seg.sequence, seg.id LIMIT 1) AS segment_id
                  FROM generate_series(1, 5) r, generate_series(1, 5) fm
            ),
            final AS (
                SELECT s.*,
                       ROUND((s.f_score + s.m_score) / 2.0)::int AS fm_score,
                       (CASE WHEN s.days_to_pay IS NULL THEN 0.5
                             ELSE 1 - LEAST(s.days_to_pay, 90) / 90.0 END)
                       * (1 - LEAST(1, s.overdue / GREATEST(s.invoiced, 1)))
                           AS c_payment,
                       CASE WHEN s.cost <= 0 THEN 1
                            ELSE 1 - LEAST(1, s.cost / GREATEST(s.monetary, 1))
                            END AS c_cost
                  FROM scored s
            ),
            ranked AS (
                SELECT f.id AS partner_id,
                       f.recency AS rfm_recency,
                       f.freq AS rfm_frequency,
                       ROUND(f.monetary::numeric, 2)::float8 AS rfm_monetary,
                       f.r_score AS rfm_r_score,
                       f.f_score AS rfm_f_score,
                       f.m_score AS rfm_m_score,
                       sm.segment_id AS rfm_segment_id,
                       (CASE WHEN f.monetary <= 0 THEN 'c'
                             WHEN f.cum_before < %(a_share)s THEN 'a'
                             WHEN f.cum_before < %(b_share)s THEN 'b'
                             ELSE 'c' END)::varchar AS abc_class,
                       ROUND((%(w_current)s * f.c_current)::numeric, 1)
                           AS p_current,
                       ROUND((%(w_potential)s * f.c_potential)::numeric, 1)
                           AS p_potential,
                       ROUND((%(w_loyalty)s * f.c_loyalty)::numeric, 1)
                           AS p_loyalty,
                       ROUND((%(w_payment)s * f.c_payment)::numeric, 1)
                           AS p_payment,
                       ROUND((%(w_cost)s * f.c_cost)::numeric, 1) AS p_cost
                  FROM final f
                  LEFT JOIN segment_map sm
                    ON sm.r = f.r_score AND sm.fm = f.fm_score
            )
            SELECT r.*,
                   (p_current + p_potential + p_loyalty + p_payment + p_cost)::float8
                       AS value_score,
                   p_current::float8 AS value_points_current,
                   p_potential::float8 AS value_points_potential,
                   p_loyalty::float8 AS value_points_loyalty,
                   p_payment::float8 AS value_points_payment,
                   p_cost::float8 AS value_points_cost
              FROM ranked r
            """,
            as_of=as_of,
            a_share=company.abc_a_share,
            b_share=company.abc_b_share,
            w_current=share["current"],
            w_potential=share["potential"],
            w_loyalty=share["loyalty"],
            w_payment=share["payment"],
            w_cost=share["cost"],
        )
        written = self._write_query(company, query, list(RANK_FIELDS))
        _logger.info(
            "customer value ranks: company %s, %s customers, %s changed",
            company.id,
            customers,
            written,
        )
        self.env["zhongzheng.relationship.engine"]._compute_relationships(
            company, as_of=as_of
        )
        return customers

    # ------------------------------------------------------------------
    # lifetime value inputs
    # ------------------------------------------------------------------
    @api.model
    def _clv_inputs(self, company, as_of, partner_ids=None):
        """Per customer, from distinct days with a confirmed order up to as_of:
        x = days - 1, t_x = first to last day, T = first day to as_of, and the
        mean order value of the repeat days (company currency)."""
        self.env["sale.order"].flush_model()
        end = fields.Datetime.to_datetime(as_of) + timedelta(days=1)
        self.env.cr.execute(
            SQL(
                """
            WITH days AS (
                SELECT p.commercial_partner_id AS partner_id,
                       so.date_order::date AS day,
                       SUM(so.amount_untaxed
                           / COALESCE(NULLIF(so.currency_rate, 0), 1)) AS amount
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %(company)s AND so.state = 'sale'
                   AND so.date_order < %(end)s AND %(filter)s
                 GROUP BY 1, 2
            ),
            firsts AS (
                SELECT DISTINCT ON (partner_id) partner_id, amount
                  FROM days ORDER BY partner_id, day
            )
            SELECT d.partner_id,
                   COUNT(*) - 1,
                   MAX(d.day) - MIN(d.day),
                   %(as_of)s::date - MIN(d.day),
                   COALESCE((SUM(d.amount) - MIN(f.amount))
                            / NULLIF(COUNT(*) - 1, 0), 0)
              FROM days d JOIN firsts f ON f.partner_id = d.partner_id
             GROUP BY d.partner_id
             ORDER BY d.partner_id
            """,
                company=company.id,
                end=end,
                as_of=as_of,
                filter=self._partner_filter(
                    ("p", "commercial_partner_id"), partner_ids
                ),
            )
        )
        rows = self.env.cr.fetchall()
        if not rows:
            empty = np.array([], dtype=float)
            return [], empty, empty, empty, empty
        ids = [r[0] for r in rows]
        data = np.array([r[1:] for r in rows], dtype=float)
        return ids, data[:, 0], data[:, 1], data[:, 2], data[:, 3]

    @api.model
    def _apply_last_clv_fit(self, company, partner_ids, as_of):
        fit = self.env["zhongzheng.clv.fit"].search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "done"),
                ("applied", "=", True),
            ],
            order="as_of_date desc, id desc",
            limit=1,
        )
        if fit:
            fit._apply(as_of=as_of, partner_ids=partner_ids)

    @api.model
    def _write_clv(self, company, ids, prob_alive, expected, clv):
        rows = [
            (pid, round(float(a), 4), round(float(e), 4), round(float(v), 2))
            for pid, a, e, v in zip(ids, prob_alive, expected, clv, strict=True)
        ]
        return self._write_values(company, rows, list(CLV_FIELDS))

    @staticmethod
    def _clv_predict(fit, x, t_x, T, monetary, months, monthly_rate):
        bg = clv_math.BGNBDFit(fit.r, fit.alpha, fit.a, fit.b, 0.0, True, 0)
        gg = clv_math.GammaGammaFit(fit.p, fit.q, fit.v, 0.0, True, 0)
        _purchases, spend = clv_math.usable_rows(x, t_x, T, monetary)
        alive = clv_math.bgnbd_prob_alive(bg, x, t_x, T)
        expected = clv_math.bgnbd_expected_purchases(bg, CLV_PREDICTION_DAYS, x, t_x, T)
        value = clv_math.customer_lifetime_value(
            bg,
            gg,
            x,
            t_x,
            T,
            monetary,
            months=months,
            monthly_discount_rate=monthly_rate,
            # free or credited repeat orders: the population's average spend
            spend_frequency=np.where(spend, x, 0.0),
            # where the spend model has no finite answer: the customer's own
            # average repeat order, else the population's
            fallback_spend=np.where(
                spend, monetary, monetary[spend].mean() if spend.any() else 0.0
            ),
        )
        return alive, expected, np.nan_to_num(value)
