from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ServiceSla(models.Model):
    """A service level agreement (服务水平协议): first-response and
    resolution times in working hours, for ticket types and customer tiers.
    A ticket takes the first policy (by sequence) that matches its type and
    its customer's tier; empty means any."""

    _name = "zhongzheng.service.sla"
    _inherit = ["zhongzheng.company.sequence.mixin"]
    _description = "Service Level Agreement"

    type_ids = fields.Many2many(
        "zhongzheng.service.ticket.type", string="Ticket Types", help="Empty: any."
    )
    tier_ids = fields.Many2many(
        "zhongzheng.customer.tier", string="Customer Tiers", help="Empty: any."
    )
    response_hours = fields.Float(string="First Response (working hours)", default=4)
    resolution_hours = fields.Float(string="Resolution (working hours)", default=24)
    at_risk_percent = fields.Float(
        string="At Risk from (%)",
        default=75.0,
        help="A ticket is at risk once this share of the allowed time is used.",
    )

    @api.constrains("response_hours", "resolution_hours", "at_risk_percent")
    def _check_hours(self):
        for sla in self:
            if sla.response_hours <= 0 or sla.resolution_hours <= 0:
                raise ValidationError(
                    self.env._("SLA %(name)s: times must be positive.", name=sla.name)
                )
            if not 0 < sla.at_risk_percent < 100:
                raise ValidationError(
                    self.env._(
                        "SLA %(name)s: the at-risk share must be between 0 and 100%%.",
                        name=sla.name,
                    )
                )

    @api.model
    def _find(self, company, ticket_type, tier):
        for sla in self.search([("company_id", "=", company.id)]):
            if sla.type_ids and ticket_type not in sla.type_ids:
                continue
            if sla.tier_ids and tier not in sla.tier_ids:
                continue
            return sla
        return self.browse()
