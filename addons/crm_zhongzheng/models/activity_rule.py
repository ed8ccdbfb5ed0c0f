from datetime import timedelta

from odoo import api, fields, models

from .relationship_history import CLASSES


class ActivityRule(models.Model):
    """A follow-up the nightly recompute schedules by itself, e.g. a call
    for every lost platinum customer (the win-back, 挽回)."""

    _name = "zhongzheng.activity.rule"
    _inherit = ["zhongzheng.company.sequence.mixin"]
    _description = "Customer Follow-up Rule"

    tier_ids = fields.Many2many(
        "zhongzheng.customer.tier", string="Tiers", help="Empty: any tier."
    )
    relationship_class = fields.Selection(CLASSES, help="Empty: any class.")
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        required=True,
        default=lambda self: self.env.ref("mail.mail_activity_data_call", False),
    )
    summary = fields.Char(required=True, translate=True)
    deadline_days = fields.Integer(string="Due in (days)", default=3)
    user_id = fields.Many2one(
        "res.users",
        string="Assign to",
        help="Empty: the customer's salesperson, or the rule's creator.",
    )

    def _partner_domain(self):
        self.ensure_one()
        return self.env["res.partner"]._tier_class_domain(
            self.tier_ids, self.relationship_class, tiered_only=True
        )

    def _apply(self):
        """Schedule the rule's activity for every matching customer that has
        no open activity of that type yet; returns the activities made."""
        Activity = self.env["mail.activity"]
        created = Activity
        for rule in self:
            partners = (
                self.env["res.partner"]
                .with_company(rule.company_id)
                .search(rule._partner_domain())
            )
            created |= partners._schedule_followups(
                rule.activity_type_id,
                rule.summary,
                fields.Date.context_today(self) + timedelta(days=rule.deadline_days),
                rule.user_id or rule.create_uid,
            )
        return created

    @api.model
    def _cron_apply(self):
        return self.search([])._apply()
