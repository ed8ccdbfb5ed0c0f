from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models

from . import report_charts

MANAGER = "crm_zhongzheng.group_crm_manager"
TOP_PRODUCTS = 10


class CustomerProfileReport(models.AbstractModel):
    """The customer profile (PDF) of one or many customers in the 7P view:
    profile, persistency (class and tier history), profitability,
    performance and payment, prospects and lifetime value, products bought,
    opportunities and promotions; figures of the current company."""

    _name = "report.crm_zhongzheng.report_customer_profile"
    _description = "Customer Profile Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        company = self.env.company
        partners = (
            self.env["res.partner"]
            .browse(docids)
            .with_company(company)
            .commercial_partner_id
        )
        return {
            "doc_ids": partners.ids,
            "doc_model": "res.partner",
            "docs": partners,
            "company": company,
            "currency": company.currency_id,
            "is_manager": self.env.user.has_group(MANAGER),
            "profiles": {p.id: self._profile(p, company) for p in partners},
        }

    @api.model
    def _profile(self, partner, company):
        today = fields.Date.context_today(self)
        first_month = today.replace(day=1) - relativedelta(months=11)
        monthly = dict(
            self.env["zhongzheng.customer.value.report"]._read_group(
                [
                    ("company_id", "=", company.id),
                    ("partner_id", "=", partner.id),
                    ("date", ">=", first_month),
                ],
                ["date:month"],
                ["revenue:sum"],
            )
        )
        months = [first_month + relativedelta(months=i) for i in range(12)]
        revenues = [monthly.get(m, 0.0) for m in months]
        products = self.env["zhongzheng.trade.daily.report"]._read_group(
            [
                ("company_id", "=", company.id),
                ("partner_id", "=", partner.id),
                ("kind", "=", "sale"),
            ],
            ["product_id"],
            ["sale_qty:sum", "sale_amount:sum", "date:max"],
            order="sale_amount:sum desc",
            limit=TOP_PRODUCTS,
        )
        Lead = self.env["crm.lead"]
        leads = Lead.browse()
        if Lead.has_access("read"):
            leads = Lead.search(
                [
                    ("partner_id", "child_of", partner.id),
                    ("type", "=", "opportunity"),
                    ("company_id", "in", [company.id, False]),
                ],
                order="date_deadline, id desc",
                limit=10,
            )
        activities = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("date_deadline", ">=", today - timedelta(days=30)),
            ],
            order="date_deadline",
            limit=10,
        )
        history = self.env["zhongzheng.relationship.history"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", company.id)],
            limit=12,
        )
        return {
            "months": [
                {"label": m.strftime("%Y-%m"), "revenue": r, "bar": b}
                for m, r, b in zip(
                    months, revenues, report_charts.bars(revenues, 120.0), strict=True
                )
            ],
            "products": [
                {"product": p, "qty": q, "amount": a, "last": d}
                for p, q, a, d in products
            ],
            "leads": leads,
            "activities": activities,
            "history": history,
            "tickets": self.env["zhongzheng.service.ticket"].search_count(
                [
                    ("commercial_partner_id", "=", partner.id),
                    ("company_id", "=", company.id),
                ]
            )
            if self.env["zhongzheng.service.ticket"].has_access("read")
            else 0,
        }
