from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

from ..models.relationship_history import CLASSES
from . import report_charts
from .analysis_fields import amount, average

MANAGER = "crm_zhongzheng.group_crm_manager"
# figures on a customer's latest row only: which row that is depends on the
# rows computed, so a grouping of them is never scoped by its domain
LATEST = {"clv_value", "value_score"}


def domain_scope(domain):
    """value_events' keyword arguments that compute no fewer rows than a
    plain conjunction of `domain` keeps (None if it is not one, or gives
    no bound): its company and a span of whole months around its dates."""
    leaves = [term for term in expression.normalize_domain(domain) if term != "&"]
    if any(not isinstance(term, list | tuple) for term in leaves):
        return None
    scope, start, end = {}, None, None
    for name, operator, value in leaves:
        if name == "company_id" and operator in ("=", "in"):
            ids = value if isinstance(value, list | tuple) else [value]
            if len(ids) == 1 and isinstance(ids[0], int):
                scope["company_id"] = ids[0]
        elif name == "date" and operator in ("=", ">", ">=", "<", "<="):
            day = fields.Date.to_date(value)
            month_after = day.replace(day=1) + relativedelta(months=1)
            if operator in ("=", ">", ">="):
                start = max(start or day, day)
            if operator in ("=", "<", "<="):
                end = min(end or month_after, month_after)
    if start:
        scope["start"] = start
    if end:
        scope["end"] = end
    return scope or None


def partner_figures(env, company=("m", "company_id"), partner=("p", "id")):
    """`LEFT JOIN` of the customer value figures (as `pf`) of the row's
    partner for the row's company."""
    return env["zhongzheng.value.writer"]._figures_join("pf", partner, company)


def value_events(env, company_id=None, start=None, end=None, partner_ids=None):
    """The analysis' `orders`, `margins` and `events` CTEs (for a WITH):
    each confirmed order (revenue and margin), ticket and approved claim
    with its company, customer and month; with `company_id` (an id or a
    tuple of ids), `start` and `end` (first days of months) only that
    company's (those companies') in [start, end), and
    with `partner_ids` only those customers'."""

    def within(company_column, date_column, partner_column):
        terms = []
        if isinstance(company_id, list | tuple):
            terms.append(
                SQL("%s IN %s", SQL.identifier(*company_column), tuple(company_id))
                if company_id
                else SQL("FALSE")
            )
        elif company_id is not None:
            terms.append(SQL("%s = %s", SQL.identifier(*company_column), company_id))
        if start is not None:
            terms.append(SQL("%s >= %s", SQL.identifier(*date_column), start))
        if end is not None:
            terms.append(SQL("%s < %s", SQL.identifier(*date_column), end))
        if partner_ids is not None:
            terms.append(
                SQL("%s IN %s", SQL.identifier(*partner_column), tuple(partner_ids))
                if partner_ids
                else SQL("FALSE")
            )
        return SQL(" AND ").join(terms) if terms else SQL("TRUE")

    return SQL(
        """
        orders AS (
            SELECT so.id, so.company_id,
                   p.commercial_partner_id AS partner_id,
                   date_trunc('month', so.date_order)::date AS date,
                   so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1)
                       AS revenue
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
             WHERE so.state = 'sale' AND %(orders)s
        ),
        margins AS (
            -- the engine's line margin: so.rate, pp.cost and pp.factor
            -- are what its expression reads
            SELECT so.id, SUM(%(margin)s) AS margin
              FROM (SELECT so.id, so.company_id,
                           COALESCE(NULLIF(so.currency_rate, 0), 1) AS rate
                      FROM sale_order so JOIN orders o ON o.id = so.id) so
              JOIN sale_order_line sol ON sol.order_id = so.id
              JOIN uom_uom lu ON lu.id = sol.product_uom
              -- the products joined once (a hash of a few rows), not
              -- looked up per line; the cost read for the line's company
              JOIN (SELECT prod.id, prod.standard_price AS prices, pu.factor
                      FROM product_product prod
                      JOIN product_template pt ON pt.id = prod.product_tmpl_id
                      JOIN uom_uom pu ON pu.id = pt.uom_id) pr
                ON pr.id = sol.product_id
             CROSS JOIN LATERAL (
                   SELECT COALESCE((pr.prices->>so.company_id::text)::float8, 0)
                              AS cost,
                          pr.factor) pp
             WHERE sol.display_type IS NULL
               AND sol.is_downpayment IS NOT TRUE
             GROUP BY so.id
        ),
        events AS (
            SELECT o.company_id, o.partner_id, o.date, 1 AS orders,
                   o.revenue, COALESCE(m.margin, 0) AS margin,
                   0 AS tickets, 0 AS claims, 0.0 AS claims_paid
              FROM orders o LEFT JOIN margins m ON m.id = o.id
            UNION ALL
            SELECT t.company_id, t.commercial_partner_id,
                   date_trunc('month', t.create_date)::date, 0, 0, 0,
                   1, CASE WHEN ty.is_claim THEN 1 ELSE 0 END, 0
              FROM zhongzheng_service_ticket t
              JOIN zhongzheng_service_ticket_type ty ON ty.id = t.type_id
             WHERE t.commercial_partner_id IS NOT NULL AND %(tickets)s
            UNION ALL
            SELECT t.company_id, t.commercial_partner_id,
                   date_trunc('month', t.claim_approved_date)::date, 0, 0, 0,
                   0, 0, COALESCE(t.claim_approved_amount, 0)
              FROM zhongzheng_service_ticket t
             WHERE t.commercial_partner_id IS NOT NULL
               AND t.claim_state = 'approved'
               AND t.claim_approved_date IS NOT NULL AND %(claims)s
        )
        """,
        margin=env["zhongzheng.value.facts"]._sale_margin_sql(),
        orders=within(
            ("so", "company_id"), ("so", "date_order"), ("p", "commercial_partner_id")
        ),
        tickets=within(
            ("t", "company_id"), ("t", "create_date"), ("t", "commercial_partner_id")
        ),
        claims=within(
            ("t", "company_id"),
            ("t", "claim_approved_date"),
            ("t", "commercial_partner_id"),
        ),
    )


class CustomerValueReport(models.Model):
    """Customer value per month: what each customer bought, cost and claimed
    in a month, with its current tier, class, RFM segment and ABC class.
    Customers are counted with partner_id's count_distinct (a customer
    buying in several months of a quarter counts once in it). Lifetime
    value and value score are current figures on the customer's latest row
    only, so their average is per customer, in the period holding it."""

    _name = "zhongzheng.customer.value.report"
    _description = "Customer Value Analysis"
    _auto = False
    _order = "date desc, revenue desc"
    _rec_name = "partner_id"
    _depends = {
        **report_charts.SALE_ORDER_DEPENDS,
        **report_charts.SALE_LINE_DEPENDS,
        "res.partner": [
            "commercial_partner_id",
            "user_id",
            "tier_id",
            "relationship_class",
            "rfm_segment_id",
            "abc_class",
            "clv_value",
            "value_score",
        ],
        "product.product": ["product_tmpl_id", "standard_price"],
        "product.template": ["uom_id"],
        "zhongzheng.service.ticket": [
            "company_id",
            "commercial_partner_id",
            "type_id",
            "claim_state",
            "claim_approved_date",
            "claim_approved_amount",
        ],
        "zhongzheng.service.ticket.type": ["is_claim"],
    }

    date = fields.Date(string="Month", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    # as a pivot measure: the number of distinct customers of each cell
    partner_id = fields.Many2one(
        "res.partner", string="Customer", readonly=True, aggregator="count_distinct"
    )
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    tier_id = fields.Many2one("zhongzheng.customer.tier", readonly=True)
    relationship_class = fields.Selection(CLASSES, readonly=True)
    rfm_segment_id = fields.Many2one(
        "zhongzheng.rfm.segment", string="RFM Segment", readonly=True
    )
    abc_class = fields.Selection(
        [("a", "A"), ("b", "B"), ("c", "C")], string="ABC Class", readonly=True
    )
    order_count = fields.Integer(string="Orders", readonly=True)
    revenue = amount()
    margin = amount(groups=MANAGER)
    ticket_count = fields.Integer(string="Service Tickets", readonly=True)
    claim_count = fields.Integer(string="Claims", readonly=True)
    claims_paid = amount(
        "Compensation Paid",
        groups=MANAGER,
        help="Compensation approved on the customer's claims that month.",
    )
    clv_value = average(
        "Lifetime Value",
        digits="Account",
        groups=MANAGER,
        help="Current lifetime value, on the customer's latest month; averaged "
        "per customer.",
    )
    value_score = average(
        help="Current value score, on the customer's latest month; averaged "
        "per customer.",
    )

    @api.model
    def _read_group(
        self,
        domain,
        groupby=(),
        aggregates=(),
        having=(),
        offset=0,
        limit=None,
        order=None,
    ):
        # a pivot or the dashboard reading a period: only its months are
        # computed (the same rows the domain keeps, with the same figures)
        report = self
        measures = {spec.split(":")[0] for spec in aggregates}
        grouped = {spec.split(":")[0] for spec in groupby}
        if "zz_value_scope" not in self.env.context and not LATEST & (
            measures | grouped
        ):
            scope = domain_scope(domain)
            if scope:
                report = self.with_context(zz_value_scope=scope)
        # a grouping over months of orders and lines: compiling it (JIT)
        # takes longer than running it
        # (an error aborts the transaction, which resets it)
        self.env.cr.execute("SET LOCAL jit = off")
        groups = super(CustomerValueReport, report)._read_group(
            domain, groupby, aggregates, having, offset, limit, order
        )
        self.env.cr.execute("SET LOCAL jit TO DEFAULT")
        return groups

    @api.model
    def read_group(
        self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True
    ):
        # `zz_top_customers` (a dashboard's context): a grouping by customer
        # returns the N customers with the most revenue only
        top = self.env.context.get("zz_top_customers")
        groups = [groupby] if isinstance(groupby, str) else list(groupby)
        if top and groups == ["partner_id"]:
            limit = min(limit or top, top)
            orderby = orderby or "revenue desc"
        return super().read_group(domain, fields, groupby, offset, limit, orderby, lazy)

    @property
    def _table_query(self):
        return SQL(
            """
            WITH %(events)s,
            monthly AS (
                SELECT company_id, partner_id, date,
                       SUM(orders) AS order_count, SUM(revenue) AS revenue,
                       SUM(margin) AS margin, SUM(tickets) AS ticket_count,
                       SUM(claims) AS claim_count, SUM(claims_paid) AS claims_paid,
                       ROW_NUMBER() OVER (PARTITION BY company_id, partner_id
                                          ORDER BY date DESC) AS recent
                  FROM events
                 GROUP BY company_id, partner_id, date
            )
            SELECT ROW_NUMBER() OVER (ORDER BY m.company_id, m.partner_id, m.date)
                       AS id,
                   m.date, m.company_id, m.partner_id, p.user_id,
                   pf.tier_id,
                   pf.relationship_class,
                   pf.rfm_segment_id,
                   pf.abc_class,
                   m.order_count, m.revenue, m.margin, m.ticket_count,
                   m.claim_count, m.claims_paid,
                   CASE WHEN m.recent = 1 THEN COALESCE(pf.clv_value, 0) END
                       AS clv_value,
                   CASE WHEN m.recent = 1 THEN COALESCE(pf.value_score, 0) END
                       AS value_score
              FROM monthly m
              JOIN res_partner p ON p.id = m.partner_id
              %(figures)s
            """,
            # a report reading one company, period or customers sets
            # zz_value_scope (value_events' keyword arguments): only those
            # rows are computed, the "latest month" then being the scope's
            events=value_events(self.env, **self.env.context.get("zz_value_scope", {})),
            figures=partner_figures(self.env),
        )
