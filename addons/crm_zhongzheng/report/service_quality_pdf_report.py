from odoo import api, models

from . import report_charts

MEASURES = [
    "ticket_count:sum",
    "sla_compliance:avg",
    "first_response_hours:avg",
    "resolution_hours:avg",
    "satisfaction:avg",
    "claims_paid:sum",
]


class ServiceQualityPdfReport(models.AbstractModel):
    """Service quality of a period (PDF), per company and optionally for
    some teams: tickets opened in the period by type and by team, with SLA
    compliance, response and resolution times, satisfaction and claims.
    `data` may give `period`, `date` and `team_ids`."""

    _name = "report.crm_zhongzheng.report_service_quality"
    _description = "Service Quality Report"
    _inherit = "zhongzheng.period.report"
    _period_report = "service"

    @api.model
    def _quality(self, company, start, end, teams):
        Quality = self.env["zhongzheng.service.quality.report"]
        domain = [
            ("company_id", "=", company.id),
            ("date", ">=", start),
            ("date", "<", end),
        ]
        if teams:
            domain.append(("team_id", "in", teams.ids))

        def rows(groupby):
            result = [
                dict(zip(["key", *MEASURES], values, strict=True))
                for values in Quality._read_group(domain, [groupby], MEASURES)
            ]
            for row, bar in zip(
                result,
                report_charts.bars([r["sla_compliance:avg"] or 0 for r in result]),
                strict=True,
            ):
                row["bar"] = bar
            return result

        total = Quality._read_group(domain, [], MEASURES)[0]
        return {
            "by_type": rows("type_id"),
            "by_team": rows("team_id"),
            "total": dict(zip(MEASURES, total, strict=True)),
            "currency": company.currency_id,
        }

    @api.model
    def _period_values(self, companies, period, start, end, data):
        teams = self.env["zhongzheng.service.team"].browse(data.get("team_ids") or [])
        return {
            "teams": teams,
            "quality": {
                company.id: self._quality(company, start, end, teams)
                for company in companies
            },
        }
