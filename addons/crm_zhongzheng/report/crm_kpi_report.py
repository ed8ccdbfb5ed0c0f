from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

from . import report_charts, stored_figures
from .analysis_fields import amount, average, rating_average
from .crm_kpi_sql import COLUMNS, kpi_sql, typed_columns
from .stored_figures import LOUD, QUIET

SERVICE = "crm_zhongzheng.group_service_manager,crm_zhongzheng.group_crm_manager"
PERIODS = [("month", "Month"), ("quarter", "Quarter"), ("year", "Year")]
# around the key figures' long queries over the history: compiling them
# (JIT) costs more than it saves, and their sorts of a year's orders per
# customer fit in memory with 64 MB (4 MB by default: on disk)
SNAPSHOT = "zhongzheng_crm_kpi_snapshot"
REFRESH = "zhongzheng_crm_kpi_refresh"


class CrmKpiReport(models.Model):
    """CRM key figures per company and month, quarter and year, from the
    orders, the relationship history and the service tickets.

    Customers at the start of a period: those who bought before it and were
    not lost then (their last class change before it). Lost: those of them
    whose class turned to lost during it. Retention = (start - lost) / start,
    churn = lost / start, acquisition = new / start (new: first purchase in
    the period). The 80/20 check: the revenue share of the top 20% of the
    period's buying customers (rounded up)."""

    _name = "zhongzheng.crm.kpi.report"
    _description = "CRM Key Figures"
    _auto = False
    _order = "date desc, period"
    _rec_name = "date"
    _depends = {
        **report_charts.SALE_ORDER_DEPENDS,
        "res.partner": ["commercial_partner_id"],
        "zhongzheng.relationship.history": [
            "date",
            "company_id",
            "partner_id",
            "kind",
            "class_to",
        ],
        "zhongzheng.service.ticket": [
            "company_id",
            "date_closed",
            "sla_status",
            "rating_last_value",
            "claim_state",
            "claim_approved_date",
            "claim_approved_amount",
        ],
    }

    period = fields.Selection(PERIODS, readonly=True)
    date = fields.Date(string="Period Start", readonly=True)
    date_to = fields.Date(string="Period End", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    customers_start = fields.Integer(string="Customers at Start", readonly=True)
    new_customers = fields.Integer(readonly=True)
    lost_customers = fields.Integer(readonly=True)
    retained_customers = fields.Integer(readonly=True)
    retention_rate = average("Retention Rate (%)")
    churn_rate = average("Churn Rate (%)")
    acquisition_rate = average("Acquisition Rate (%)")
    buying_customers = fields.Integer(readonly=True)
    revenue = amount()
    top20_revenue_share = average(
        "Top 20% Revenue Share (%)",
        help="Revenue share of the top 20% of the period's buying customers.",
    )
    tickets_closed = fields.Integer(readonly=True, groups=SERVICE)
    sla_compliance = average("SLA Compliance (%)", groups=SERVICE)
    satisfaction = rating_average(
        "Average Satisfaction",
        groups=SERVICE,
        help="Average customer rating (1 to 5) of the tickets closed.",
    )
    refreshed_at = fields.Datetime(
        string="Computed On",
        readonly=True,
        help="When these figures were computed: every night for the figures "
        "stored, now for a company not refreshed yet.",
    )
    claims_paid = fields.Float(
        digits="Account",
        readonly=True,
        groups=SERVICE,
        help="Compensation approved on claims in the period.",
    )

    def init(self):
        # the stored figures and, per company, when they were refreshed
        stored_figures.create_tables(
            self.env.cr, SNAPSHOT, REFRESH, COLUMNS, ["company_id"]
        )

    @property
    def _table_query(self):
        scope = self.env.context.get("zz_kpi_scope")
        if scope is not None:
            return self._live(**scope)
        stored = SQL(
            "SELECT %s, s.refreshed_at FROM zhongzheng_crm_kpi_snapshot s",
            typed_columns("s"),
        )
        if self.env.context.get("zz_kpi_stored"):
            return stored
        cr = self.env.cr
        if not stored_figures.refreshed(cr, REFRESH):
            return self._live()
        parts = [stored]
        # the companies not refreshed yet, live
        others = stored_figures.not_refreshed(cr, REFRESH)
        if others:
            parts.append(self._live(company_ids=others))
        return SQL(" UNION ALL ").join(parts)

    def _live(self, **scope):
        """The rows computed now (of a scope: kpi_sql's arguments). OFFSET 0
        keeps the ORM's conditions out of it: pushed down into its periods,
        they make PostgreSQL expect one row where there are thousands."""
        return SQL(
            "SELECT %s, now() AT TIME ZONE 'UTC' AS refreshed_at"
            " FROM (%s OFFSET 0) live",
            typed_columns("live"),
            kpi_sql(**scope),
        )

    @api.model
    def _refresh_figures(self, companies=None):
        """Store the key figures of `companies` (all by default), computed
        now, in one statement per step; returns the rows stored."""
        companies = companies or self.env["res.company"].search([])
        return stored_figures.refresh(
            self.env,
            SNAPSHOT,
            REFRESH,
            companies,
            [self._live(company_ids=companies.ids)],
        )

    def _for_period(self, company, period, date_start):
        """The key figures row of a company's period (empty if none): the
        one stored if it stands for the period (stored_figures.covers),
        else computed now for that period only."""
        end = date_start + relativedelta(months=report_charts.STEPS[period])
        when = stored_figures.refreshed(self.env.cr, REFRESH).get(company.id)
        if stored_figures.covers(when, end):
            scoped = self.with_context(zz_kpi_stored=True)
        else:
            scoped = self.with_context(
                zz_kpi_scope={
                    "company_ids": company.ids,
                    "period": period,
                    "start": date_start,
                    "end": end,
                }
            )
        scoped.env.flush_all()
        scoped.env.cr.execute(QUIET)
        # searched and read in one query: the scope is computed once
        row = scoped.search_fetch(
            [
                ("company_id", "=", company.id),
                ("period", "=", period),
                ("date", "=", date_start),
            ],
            [
                name
                for name, _kind in [*COLUMNS, ("refreshed_at", "")]
                if name in self._fields and self._fields[name].is_accessible(self.env)
            ],
            limit=1,
        )
        scoped.env.cr.execute(LOUD)
        return row
