from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.field_kinds import notification
from ..models.relationship_history import CLASSES


class ActivitySchedule(models.TransientModel):
    """Schedule one follow-up activity for many customers at once: the
    selected ones, or a whole tier and/or relationship class."""

    _name = "zhongzheng.activity.schedule"
    _description = "Schedule Customer Follow-ups"

    partner_ids = fields.Many2many("res.partner", string="Customers")
    tier_ids = fields.Many2many("zhongzheng.customer.tier", string="Whole Tiers")
    relationship_class = fields.Selection(CLASSES, string="Whole Class")
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        required=True,
        default=lambda self: self.env.ref("mail.mail_activity_data_call", False),
    )
    summary = fields.Char(required=True)
    deadline_days = fields.Integer(string="Due in (days)", default=3)
    user_id = fields.Many2one(
        "res.users",
        string="Assign to",
        help="Empty: each customer's salesperson, or you.",
    )
    target_count = fields.Integer(
        string="Customers Matched", compute="_compute_targets"
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "res.partner":
            partners = self.env["res.partner"].browse(
                self.env.context.get("active_ids", [])
            )
            values["partner_ids"] = [
                fields.Command.set(partners.commercial_partner_id.ids)
            ]
        return values

    @api.depends("partner_ids", "tier_ids", "relationship_class")
    def _compute_targets(self):
        for wizard in self:
            wizard.target_count = len(wizard._targets())

    def _targets(self):
        partners = self.partner_ids.commercial_partner_id
        if self.tier_ids or self.relationship_class:
            partners |= self.env["res.partner"].search(
                self.env["res.partner"]._tier_class_domain(
                    self.tier_ids, self.relationship_class
                )
            )
        return partners

    def action_schedule(self):
        self.ensure_one()
        partners = self._targets()
        if not partners:
            raise UserError(self.env._("Choose customers, a tier or a class first."))
        activities = partners._schedule_followups(
            self.activity_type_id,
            self.summary,
            fields.Date.context_today(self) + timedelta(days=self.deadline_days),
            self.user_id,
        )
        return notification(
            self.env._("%(count)s follow-ups scheduled.", count=len(activities)),
            "success",
            next={"type": "ir.actions.act_window_close"},
        )
