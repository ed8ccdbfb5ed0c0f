from ast import literal_eval

from odoo import fields, models


class ServiceTeam(models.Model):
    """A service team: its members handle tickets in its working hours, and
    e-mail to its alias opens tickets."""

    _name = "zhongzheng.service.team"
    _description = "Service Team"
    _inherit = ["zhongzheng.company.sequence.mixin", "mail.alias.mixin", "mail.thread"]
    _order = "sequence, name"

    manager_id = fields.Many2one("res.users", string="Team Manager", tracking=True)
    member_ids = fields.Many2many("res.users", string="Members")
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        default=lambda self: self.env.company.resource_calendar_id,
        help="SLA deadlines count only these hours.",
    )
    ticket_ids = fields.One2many("zhongzheng.service.ticket", "team_id")

    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id(
            "zhongzheng.service.ticket"
        )
        if self.id:
            values["alias_defaults"] = defaults = literal_eval(
                self.alias_defaults or "{}"
            )
            defaults["team_id"] = self.id
            defaults.setdefault("channel", "email")
        return values
