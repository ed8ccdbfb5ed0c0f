"""Transaction facts: the first step of the customer value pipeline."""

import logging

from odoo import api, fields, models
from odoo.tools import SQL

from .value_sql import array, flush, window

_logger = logging.getLogger(__name__)

# the figures this step writes
FACT_FIELDS = (
    "first_sale_date",
    "last_sale_date",
    "sale_count_total",
    "sale_count_window",
    "revenue_total",
    "revenue_window",
    "margin_total",
    "margin_window",
    "average_order_value",
    "purchase_amount_window",
    "purchase_count_window",
    "invoiced_window",
    "receivable_open",
    "receivable_overdue",
    "average_days_to_pay",
    "days_to_pay_recent",
    "days_to_pay_before",
    "delivery_count_window",
    "delivery_on_time_rate",
    "cost_to_serve",
)


class ValueFacts(models.AbstractModel):
    """Per commercial partner and company, from Odoo's own order, invoice,
    payment and delivery tables in one statement: sales, margin, purchases,
    receivables, days to pay, deliveries and cost-to-serve. Other parts of
    the addon add to the cost-to-serve through `_cost_to_serve_queries`."""

    _name = "zhongzheng.value.facts"
    _description = "Customer Value Facts"

    # ------------------------------------------------------------------
    # hooks and shared definitions
    # ------------------------------------------------------------------
    @api.model
    def _cost_to_serve_queries(self, company, start, end, partners):
        """Hook: SQL queries of rows (partner_id, cost), the cost of serving
        a commercial partner over [start, end) in company currency, for the
        partners of the subquery `partners`; the facts add them up. None in
        the core: see service_ticket_costs.py."""
        return []

    @api.model
    def _cost_to_serve(self, company, start, end, partners=None):
        """Rows (partner_id, cost) of the partners of the subquery
        `partners` (default: the facts' population)."""
        queries = self._cost_to_serve_queries(
            company, start, end, partners or SQL("SELECT id FROM zz_value_population")
        )
        if not queries:
            return SQL("SELECT NULL::integer AS partner_id, 0::float8 AS cost LIMIT 0")
        return SQL(
            "SELECT partner_id, SUM(cost) AS cost FROM (%s) c GROUP BY partner_id",
            SQL(" UNION ALL ").join(queries),
        )

    @api.model
    def _products_sql(self, company):
        """Rows (id, cost, factor): each product's cost in the company and
        its unit's factor, the `pp` of _sale_margin_sql."""
        return SQL(
            """
                SELECT pp.id,
                       COALESCE((pp.standard_price->>%s)::float8, 0) AS cost,
                       pu.factor
                  FROM product_product pp
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  JOIN uom_uom pu ON pu.id = pt.uom_id""",
            str(company.id),
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

    @api.model
    def _overdue_sql(self, as_of):
        """The one definition of an overdue receivable: a posted customer
        invoice ``m`` (posted and of the company: the caller's filter) that is
        not paid and whose due date is before as_of; its amount is
        ``m.amount_residual_signed`` (company currency)."""
        return SQL(
            "m.move_type = 'out_invoice'"
            " AND m.payment_state NOT IN ('paid', 'in_payment', 'reversed')"
            " AND m.invoice_date_due < %s",
            as_of,
        )

    @api.model
    def _overdue_receivables(self, company, partner_ids, as_of):
        """{commercial partner id: overdue receivable} in the company as of
        a date, from live data (the credit check before a sale; the facts
        store the same figure as of each recompute)."""
        self.env["account.move"].flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT m.commercial_partner_id, SUM(m.amount_residual_signed)"
                "  FROM account_move m"
                " WHERE m.company_id = %s AND m.state = 'posted' AND %s"
                "   AND m.commercial_partner_id = ANY(%s)"
                " GROUP BY m.commercial_partner_id",
                company.id,
                self._overdue_sql(as_of),
                list(partner_ids),
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _moves_of(self, partners):
        """An index-friendly condition on account_move m for a few commercial
        partners (the subquery `partners`): moves are indexed by partner, not
        by commercial partner. Only the incremental path needs it."""
        return SQL(
            "AND m.partner_id IN (SELECT rp.id FROM res_partner rp"
            " WHERE rp.commercial_partner_id IN (%s))",
            partners,
        )

    # ------------------------------------------------------------------
    @api.model
    def _compute_facts(self, company, partner_ids=None, as_of=None):
        """Transaction facts of the company's commercial partners (or only of
        partner_ids) as of a date. Returns the number of partners computed."""
        as_of = as_of or fields.Date.context_today(self)
        writer = self.env["zhongzheng.value.writer"]
        start, end = window(company, as_of)
        flush(
            self.env,
            "sale.order",
            "sale.order.line",
            "purchase.order",
            "account.move",
            "account.move.line",
            "account.partial.reconcile",
            "stock.picking",
            "res.partner",
            "product.product",
        )
        params = {
            "company": company.id,
            "start": start,
            "end": end,
            "as_of": as_of,
        }
        margin = self.with_company(company)._sale_margin_sql()
        cr = self.env.cr
        if partner_ids is not None:
            # A few partners: they are the population (given, they get
            # facts even without activity, which zeroes vanished ones), a CTE
            # of the fact query under the table's name: one statement.
            population = len(set(partner_ids))
            if not population:
                return 0
            head = SQL(
                "zz_value_population AS MATERIALIZED"
                " (SELECT DISTINCT unnest(%s::integer[]) AS id),",
                array(partner_ids),
            )
        else:
            # the full pass: the population is every partner a source of
            # the facts names plus those already holding figures, a CTE of
            # the same statement over what it aggregates anyway (no
            # separate scan of every source, nor a filter by it)
            head = None
        if partner_ids is None and not self._orders_open(company, as_of):
            # on its own, not in a pass: the orders for this step only
            count = self._open_orders(company, as_of)._compute_facts(
                company, None, as_of
            )
            self._close_orders()
            return count
        query = self._facts_query(company, params, margin, head, partner_ids)
        if partner_ids is None:
            sizes = []
            written = writer._write_query(
                company, query, FACT_FIELDS, then=lambda: sizes.append(cr.rowcount)
            )
            population = sizes[0]
        else:
            written = writer._write_query(company, query, FACT_FIELDS)
        _logger.log(
            # a few partners' update runs per confirmed order: not a line each
            logging.DEBUG if partner_ids is not None else logging.INFO,
            "customer value facts: company %s, %s partners, %s changed",
            company.id,
            population,
            written,
        )
        return population

    @api.model
    def _population_sql(self, company):
        """The full pass's population, a CTE of the facts query (after the
        sources' CTEs): every partner they name, plus those already holding
        figures for the company (their activity may have vanished)."""
        writer = self.env["zhongzheng.value.writer"]
        return SQL(
            """
            zz_value_population AS MATERIALIZED (
                SELECT id FROM (
                    SELECT partner_id AS id FROM sales
                    UNION SELECT partner_id FROM purchases
                    UNION SELECT partner_id FROM invoices
                    UNION SELECT partner_id FROM deliveries
                    UNION SELECT f.partner_id FROM %(figures)s f WHERE %(holds)s
                ) pop WHERE id IS NOT NULL
            ),""",
            figures=writer._figures(company),
            holds=writer._holds("f", ["sale_count_total", "purchase_count_window"]),
        )

    @api.model
    def _facts_query(self, company, params, margin, head, partner_ids):
        """The facts of the partners of zz_value_population: for a few
        partners, the CTE `head` defines it and every source is read for
        them only; for the full pass (`head` None) it is every partner one
        of the sources names (at any date: an order after the window's end
        or a purchase before its start still makes a partner of the
        population, with zero facts) and every partner holding figures."""
        start, end = params["start"], params["end"]

        def only(alias):
            # a few partners: each source read for the population only
            if head is None:
                return SQL()
            return SQL(
                "AND %s.commercial_partner_id IN (SELECT id FROM zz_value_population)",
                SQL.identifier(alias),
            )

        return SQL(
            """
            WITH %(head)s %(orders)s
            -- every order up to the window's end; an order after it only
            -- names its partner (past as_of: a replay)
            sales AS (
                SELECT so.partner_id,
                       MIN(so.date_order) FILTER (WHERE so.date_order < %(end)s)::date
                           AS first_sale_date,
                       MAX(so.date_order) FILTER (WHERE so.date_order < %(end)s)::date
                           AS last_sale_date,
                       COUNT(*) FILTER (WHERE so.date_order < %(end)s)
                           AS sale_count_total,
                       COUNT(*) FILTER (WHERE so.date_order >= %(start)s
                                          AND so.date_order < %(end)s)
                           AS sale_count_window,
                       SUM(so.amount) FILTER (WHERE so.date_order < %(end)s)
                           AS revenue_total,
                       COALESCE(SUM(so.amount) FILTER (
                           WHERE so.date_order >= %(start)s
                             AND so.date_order < %(end)s), 0) AS revenue_window,
                       COALESCE(SUM(so.margin), 0) AS margin_total,
                       COALESCE(SUM(so.margin) FILTER (
                           WHERE so.date_order >= %(start)s), 0) AS margin_window
                  FROM %(orders_table)s so
                 GROUP BY so.partner_id
            ),
            -- every purchase: one out of the window only names its partner
            purchases AS (
                SELECT p.commercial_partner_id AS partner_id,
                       SUM(po.amount_untaxed
                           / COALESCE(NULLIF(po.currency_rate, 0), 1)) FILTER (
                           WHERE po.date_order >= %(start)s
                             AND po.date_order < %(end)s)
                           AS purchase_amount_window,
                       COUNT(*) FILTER (WHERE po.date_order >= %(start)s
                                          AND po.date_order < %(end)s)
                           AS purchase_count_window
                  FROM purchase_order po
                  JOIN %(partners)s p ON p.id = po.partner_id
                 WHERE po.company_id = %(company)s
                   AND po.state IN ('purchase', 'done')
                   %(only_p)s
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
                       SUM(m.amount_residual_signed) FILTER (WHERE %(overdue)s)
                           AS receivable_overdue
                  FROM account_move m
                 WHERE m.company_id = %(company)s AND m.state = 'posted'
                   AND m.move_type IN ('out_invoice', 'out_refund')
                   %(only_m)s
                 GROUP BY m.commercial_partner_id
            ),
            paid AS (
                SELECT m.commercial_partner_id AS partner_id, m.id,
                       MAX(apr.max_date) - m.invoice_date AS days,
                       MAX(apr.max_date) AS paid_date
                  FROM account_move m
                  JOIN account_move_line l
                    ON l.move_id = m.id AND l.display_type = 'payment_term'
                  JOIN account_partial_reconcile apr ON apr.debit_move_id = l.id
                 WHERE m.company_id = %(company)s AND m.state = 'posted'
                   AND m.move_type = 'out_invoice'
                   AND m.payment_state IN ('paid', 'in_payment')
                   AND m.invoice_date >= %(start)s::date
                   AND m.invoice_date < %(end)s::date
                   %(only_m)s
                 GROUP BY m.commercial_partner_id, m.id, m.invoice_date
            ),
            payments AS (
                SELECT partner_id, AVG(GREATEST(days, 0)) AS average_days_to_pay,
                       AVG(GREATEST(days, 0)) FILTER (
                           WHERE paid_date > %(as_of)s::date - 90)
                           AS days_to_pay_recent,
                       AVG(GREATEST(days, 0)) FILTER (
                           WHERE paid_date <= %(as_of)s::date - 90)
                           AS days_to_pay_before
                  FROM paid GROUP BY partner_id
            ),
            -- every delivery: one out of the window only names its partner
            deliveries AS (
                SELECT p.commercial_partner_id AS partner_id,
                       COUNT(*) FILTER (WHERE sp.date_done >= %(start)s
                                          AND sp.date_done < %(end)s)
                           AS delivery_count_window,
                       100.0 * COUNT(*) FILTER (
                           WHERE sp.date_done >= %(start)s AND sp.date_done < %(end)s
                             AND sp.date_done <= COALESCE(sp.date_deadline,
                                                          sp.scheduled_date))
                           / NULLIF(COUNT(*) FILTER (
                               WHERE sp.date_done >= %(start)s
                                 AND sp.date_done < %(end)s), 0)
                           AS delivery_on_time_rate
                  FROM stock_picking sp
                  JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
                  JOIN %(partners)s p ON p.id = sp.partner_id
                 WHERE sp.company_id = %(company)s AND sp.state = 'done'
                   AND spt.code = 'outgoing'
                   %(only_p)s
                 GROUP BY p.commercial_partner_id
            ),
            %(population)s
            costs AS (%(costs)s)
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
                   ROUND(pa.days_to_pay_recent::numeric, 1)::float8
                       AS days_to_pay_recent,
                   ROUND(pa.days_to_pay_before::numeric, 1)::float8
                       AS days_to_pay_before,
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
            head=SQL() if head is None else head,
            population=self._population_sql(company) if head is None else SQL(),
            only_p=only("p"),
            only_m=SQL(
                "%s %s",
                only("m"),
                self._moves_of(SQL("SELECT id FROM zz_value_population")),
            )
            if head is not None
            else SQL(),
            orders=SQL()
            if head is None
            else SQL(
                "%s,",
                self._orders_ctes(company, params, margin, only("p"), partner_ids),
            ),
            partners=SQL.identifier(
                "zz_value_partners" if head is None else "res_partner"
            ),
            orders_table=SQL.identifier(
                "zz_value_orders" if head is None else "so_orders"
            ),
            costs=self._cost_to_serve(company, start, end),
            overdue=self._overdue_sql(params["as_of"]),
            **params,
        )
