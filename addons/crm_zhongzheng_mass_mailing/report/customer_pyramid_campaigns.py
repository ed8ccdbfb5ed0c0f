"""The customer pyramid PDF gets a section of the period's campaigns: each
mailing sent in the period with its customer selection, the mailed and
control groups, orders and revenue of the mailed group and the revenue
uplift per customer with its significance (campaign_report.py)."""

from odoo import api, models


class CustomerPyramidReport(models.AbstractModel):
    _inherit = "report.crm_zhongzheng.report_customer_pyramid"

    @api.model
    def _period_values(self, companies, period, start, end, data):
        values = super()._period_values(companies, period, start, end, data)
        # the pyramid is printed by CRM administrators of the companies
        # (checked above); its campaign lines carry no margin, so they are
        # read whatever the reader's marketing rights
        Report = self.env["zhongzheng.campaign.report"].sudo()
        values["campaigns"] = {
            company.id: Report.search(
                [
                    ("company_id", "=", company.id),
                    ("sent_date", ">=", start),
                    ("sent_date", "<", end),
                ],
                order="sent_date",
            )
            for company in companies
        }
        return values
