"""The customer's health and open complaints on the documents where staff
act (quotations and orders, opportunities): a banner, as Odoo's own credit
limit warning on sale orders. Customer Relations users only, like the
health itself (the rights matrix); the complaints are read as superuser for
them, and opened only by service users, who may read tickets."""

from odoo import api, fields, models

from .field_kinds import customer_view
from .health_states import HEALTH_STATES


class CustomerHealthBannerMixin(models.AbstractModel):
    _name = "zhongzheng.customer.health.banner.mixin"
    _description = "Customer Health Banner"

    partner_health_status = customer_view(
        fields.Selection,
        HEALTH_STATES,
        string="Customer Health",
        compute="_compute_partner_health",
    )
    partner_health_warning = customer_view(
        fields.Char,
        string="Customer Health Warning",
        compute="_compute_partner_health",
        help="The customer's health when it is not healthy, and its open "
        "complaints and claims.",
    )
    partner_open_issue_ids = customer_view(
        fields.Many2many,
        "zhongzheng.service.ticket",
        string="Open Complaints and Claims",
        compute="_compute_partner_health",
    )

    @api.depends("partner_id", "company_id")
    @api.depends_context("company")
    def _compute_partner_health(self):
        customers = self.partner_id.commercial_partner_id
        issues = self.env["zhongzheng.service.ticket"].search(
            [
                ("commercial_partner_id", "in", customers.ids),
                ("is_closed", "=", False),
                "|",
                ("type_id.is_claim", "=", True),
                ("type_id.code", "=", "complaint"),
            ]
        )
        for record in self:
            company = record.company_id or self.env.company
            customer = record.partner_id.commercial_partner_id.with_company(company)
            open_issues = issues.filtered(
                lambda t, c=customer, co=company: (
                    t.commercial_partner_id == c and t.company_id == co
                )
            )
            record.partner_health_status = customer.health_status
            record.partner_open_issue_ids = open_issues
            record.partner_health_warning = record._health_warning(
                customer, open_issues
            )

    def _health_warning(self, customer, issues):
        parts = []
        if customer.health_status and customer.health_status != "healthy":
            labels = dict(
                self._fields["partner_health_status"]._description_selection(self.env)
            )
            top = customer.health_signal_ids.sorted("points", reverse=True)[:2]
            parts.append(
                self.env._(
                    "%(customer)s's health is %(status)s (score %(score).0f): "
                    "%(reasons)s.",
                    customer=customer.name,
                    status=labels[customer.health_status],
                    score=customer.health_score,
                    reasons="; ".join(top.mapped("reason")) or "-",
                )
            )
        if issues:
            parts.append(
                self.env._(
                    "Open complaint or claim: %(tickets)s.",
                    tickets=", ".join(issues.mapped("display_name")),
                )
            )
        return " ".join(parts) or False

    def action_open_partner_issues(self):
        """The customer's open complaints and claims (service users: the
        ticket rights decide what they see)."""
        self.ensure_one()
        issues = self.partner_open_issue_ids
        action = {
            "type": "ir.actions.act_window",
            "name": self.env._("Open Complaints and Claims"),
            "res_model": "zhongzheng.service.ticket",
            "view_mode": "list,form",
            "domain": [("id", "in", issues.ids)],
        }
        if len(issues) == 1:
            action.update(view_mode="form", res_id=issues.id)
        return action


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "zhongzheng.customer.health.banner.mixin"]


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "zhongzheng.customer.health.banner.mixin"]
