from odoo import api, fields, models
from odoo.tools import SQL

from . import stored_figures
from .crm_kpi_sql import typed_columns

LIVE = "zhongzheng.customer.value.report"
TABLE = "zhongzheng_customer_value_rows"
REFRESH = "zhongzheng_customer_value_refresh"
# the columns of a stored row, with their types: the table has them, the
# live analysis' rows are cast to them
COLUMNS = [
    ("id", "bigint"),
    ("date", "date"),
    ("company_id", "integer"),
    ("partner_id", "integer"),
    ("user_id", "integer"),
    ("tier_id", "integer"),
    ("relationship_class", "varchar"),
    ("rfm_segment_id", "integer"),
    ("abc_class", "varchar"),
    ("order_count", "integer"),
    ("revenue", "float8"),
    ("margin", "float8"),
    ("ticket_count", "integer"),
    ("claim_count", "integer"),
    ("claims_paid", "float8"),
    ("clv_value", "float8"),
    ("value_score", "float8"),
]
# a row's id from its keys (customer, company, month): the same stored or
# live, whatever else is computed with it
ROW_ID = """(live.partner_id::bigint * 10000 + live.company_id) * 100000
             + EXTRACT(YEAR FROM live.date)::int * 12
             + EXTRACT(MONTH FROM live.date)::int"""


class CustomerValueStore(models.Model):
    """The customer value analysis' monthly rows as the nightly pass stored
    them (one INSERT ... SELECT per company), for what reads a whole period
    of every customer: the Customer Relations dashboard and the pyramid PDF.
    A company not refreshed yet is read live. The tier, class, segment, ABC
    class, salesperson, lifetime value and value score are the customer's
    as of Computed On; the live analysis (its menu) gives them as of now."""

    _name = "zhongzheng.customer.value.store"
    _inherit = LIVE
    _auto = False
    _log_access = False
    _description = "Customer Value Analysis (stored nightly)"
    _order = "date desc, revenue desc"

    refreshed_at = fields.Datetime(
        string="Computed On",
        readonly=True,
        help="When these figures were computed: every night for the figures "
        "stored, now for a company not refreshed yet.",
    )

    def init(self):
        # the stored rows and, per company, when they were refreshed
        stored_figures.create_tables(
            self.env.cr, TABLE, REFRESH, COLUMNS, ["company_id", "date"]
        )

    @property
    def _table_query(self):
        scope = dict(self.env.context.get("zz_value_scope") or {})
        cr = self.env.cr
        refreshed = stored_figures.refreshed(cr, REFRESH)
        parts = []
        if refreshed:
            parts.append(
                SQL(
                    "SELECT %s, s.refreshed_at FROM zhongzheng_customer_value_rows s",
                    typed_columns("s", COLUMNS),
                )
            )
        # the companies not refreshed yet (of the scope's), live
        if "company_id" in scope:
            others = [] if scope["company_id"] in refreshed else [scope["company_id"]]
        else:
            others = stored_figures.not_refreshed(cr, REFRESH)
        if others or not parts:
            parts.append(self._live(**{**scope, "company_id": tuple(others)}))
        return SQL(" UNION ALL ").join(parts)

    def _live(self, **scope):
        """The live analysis' rows of a scope (value_events' arguments),
        typed as stored, with their ids from their keys."""
        live = self.env[LIVE].with_context(zz_value_scope=scope)
        return SQL(
            "SELECT %s, now() AT TIME ZONE 'UTC' AS refreshed_at FROM (%s) live",
            SQL(", ").join(
                [
                    SQL("(%s)::bigint AS id", SQL(ROW_ID)),
                    *(
                        SQL("live.%s::%s AS %s", SQL.identifier(n), SQL(k), SQL(n))
                        for n, k in COLUMNS[1:]
                    ),
                ]
            ),
            live._table_query,
        )

    @api.model
    def _refresh_figures(self, companies=None):
        """Store the rows of `companies` (all by default), computed now:
        one INSERT ... SELECT per company; returns the rows stored."""
        companies = companies or self.env["res.company"].search([])
        return stored_figures.refresh(
            self.env,
            TABLE,
            REFRESH,
            companies,
            (self._live(company_id=company.id) for company in companies),
        )

    @api.model
    def _stored_at(self, company, end):
        """When the rows of `company` read for a period ending before `end`
        were stored, if they stand for it (stored_figures.covers), else
        None: such a period is read from the live analysis."""
        when = stored_figures.refreshed(self.env.cr, REFRESH).get(company.id)
        return when if stored_figures.covers(when, end) else None
