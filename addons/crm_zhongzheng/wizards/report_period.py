from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..report.report_charts import PERIOD_REPORTS


class ReportPeriod(models.TransientModel):
    """Pick the period (and team) of a manager report, then print it."""

    _name = "zhongzheng.report.period"
    _description = "Manager Report Period"

    report = fields.Selection(
        [("pyramid", "Customer Pyramid"), ("service", "Service Quality")],
        required=True,
        default="pyramid",
    )
    period = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter"), ("year", "Year")],
        required=True,
        default="month",
    )
    date = fields.Date(
        string="Any Day in the Period",
        required=True,
        default=lambda self: (
            fields.Date.context_today(self).replace(day=1) - timedelta(days=1)
        ),
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain="[('id', 'in', allowed_company_ids)]",
    )
    team_ids = fields.Many2many(
        "zhongzheng.service.team",
        string="Teams",
        help="Leave empty for all teams.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "zhongzheng.service.team":
            values["report"] = "service"
            values["team_ids"] = [
                fields.Command.set(self.env.context.get("active_ids") or [])
            ]
        return values

    def action_print(self):
        self.ensure_one()
        if self.date > fields.Date.context_today(self):
            raise UserError(self.env._("The period cannot start in the future."))
        data = {"period": self.period, "date": fields.Date.to_string(self.date)}
        if self.report == "service":
            data["team_ids"] = self.team_ids.ids
        return self.env.ref(PERIOD_REPORTS[self.report]).report_action(
            self.company_id, data=data
        )
