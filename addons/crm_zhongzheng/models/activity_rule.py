from datetime import timedelta

from odoo import api, fields, models

from .health_states import FLAGGED
from .relationship_history import CLASSES

HEALTH_TRIGGERS = [
    ("watch", "Watch or Worse"),
    ("at_risk", "At Risk or Critical"),
    ("critical", "Critical"),
]
TRIGGER_STATES = {
    "watch": ("watch", *FLAGGED),
    "at_risk": FLAGGED,
    "critical": ("critical",),
}


class ActivityRule(models.Model):
    """A follow-up the nightly recompute schedules by itself, e.g. a call
    for every lost platinum customer (the win-back, 挽回), or for a gold
    customer turning at risk (流失预警: once per episode, with the reasons).
    Whatever the rules, a customer gets at most one automatic activity in
    the company's cap days (customer_alert.py keeps the log)."""

    _name = "zhongzheng.activity.rule"
    _inherit = ["zhongzheng.company.sequence.mixin"]
    _description = "Customer Follow-up Rule"

    tier_ids = fields.Many2many(
        "zhongzheng.customer.tier", string="Tiers", help="Empty: any tier."
    )
    relationship_class = fields.Selection(CLASSES, help="Empty: any class.")
    health_trigger = fields.Selection(
        HEALTH_TRIGGERS,
        string="Health",
        help="Only customers whose health is this bad; their activity lists "
        "the reasons, once per episode. Empty: any health.",
    )
    rfm_segment_ids = fields.Many2many(
        "zhongzheng.rfm.segment", string="RFM Segments", help="Empty: any segment."
    )
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
        domain = self.env["res.partner"]._tier_class_domain(
            self.tier_ids, self.relationship_class, tiered_only=True
        )
        if self.health_trigger:
            domain.append(("health_status", "in", TRIGGER_STATES[self.health_trigger]))
        if self.rfm_segment_ids:
            domain.append(("rfm_segment_id", "in", self.rfm_segment_ids.ids))
        return domain

    def _apply(self):
        """Schedule the rule's activity for every matching customer that has
        no open activity of that type yet, had no automatic activity in the
        cap days and, for a health rule, has no open episode; returns the
        activities made."""
        Activity = self.env["mail.activity"]
        Alert = self.env["zhongzheng.customer.alert"]
        created = Activity
        for rule in self:
            if rule.care_date:  # activity_rule_care.py
                created |= rule._apply_care()
                continue
            busy = Alert._busy_partner_ids(rule.company_id, bool(rule.health_trigger))
            partners = (
                self.env["res.partner"]
                .with_company(rule.company_id)
                .search(rule._partner_domain())
                .filtered(lambda p, busy=busy: p.id not in busy)
            )
            activities = partners._schedule_followups(
                rule.activity_type_id,
                rule.summary,
                fields.Date.context_today(self) + timedelta(days=rule.deadline_days),
                # health alerts go to the salesperson first
                None if rule.health_trigger else rule.user_id or rule.create_uid,
            )
            Alert._log(rule, activities)
            created |= activities
        return created

    @api.model
    def _cron_apply(self):
        self.env["zhongzheng.customer.alert"]._close_episodes()
        return self.search([])._apply()
