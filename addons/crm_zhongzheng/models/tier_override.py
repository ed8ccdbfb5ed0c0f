from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .field_kinds import customer


class TierOverride(models.Model):
    """A CRM manager's manual tier for a customer, with a mandatory reason,
    kept until removed or until its end date."""

    _name = "zhongzheng.tier.override"
    _description = "Customer Tier Override"
    _inherit = ["mail.thread"]
    _order = "create_date desc, id desc"
    _rec_name = "partner_id"

    partner_id = customer(domain=[("parent_id", "=", False)])
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    tier_id = fields.Many2one("zhongzheng.customer.tier", required=True, tracking=True)
    reason = fields.Text(required=True, tracking=True)
    date_end = fields.Date(
        string="Until", tracking=True, help="Empty: until a manager removes it."
    )
    active = fields.Boolean(default=True, tracking=True)
    user_id = fields.Many2one(
        "res.users", string="Set by", default=lambda self: self.env.user, readonly=True
    )

    @api.constrains("reason")
    def _check_reason(self):
        for override in self:
            if not (override.reason or "").strip():
                raise ValidationError(self.env._("A tier override needs a reason."))

    @api.constrains("partner_id")
    def _check_commercial_partner(self):
        for override in self:
            if override.partner_id != override.partner_id.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "Tiers belong to companies, not to their contacts: "
                        "override %(company)s instead.",
                        company=override.partner_id.commercial_partner_id.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        overrides = super().create(vals_list)
        # one override at a time per customer and company: the newest wins
        for override in overrides:
            self.search(
                [
                    ("partner_id", "=", override.partner_id.id),
                    ("company_id", "=", override.company_id.id),
                    ("id", "!=", override.id),
                ]
            ).active = False
        overrides._apply()
        return overrides

    def write(self, vals):
        result = super().write(vals)
        if {"tier_id", "active", "date_end"} & set(vals) and not self.env.context.get(
            "zz_no_tier_apply"
        ):
            self._apply()
        return result

    def unlink(self):
        pairs = [(o.partner_id, o.company_id) for o in self]
        result = super().unlink()
        engine = self.env["zhongzheng.relationship.engine"]
        for partner, company in pairs:
            engine._apply_tier_override(partner, company)
        return result

    def _apply(self):
        engine = self.env["zhongzheng.relationship.engine"]
        for override in self:
            engine._apply_tier_override(override.partner_id, override.company_id)

    def _is_current(self, as_of):
        self.ensure_one()
        return self.active and (not self.date_end or self.date_end >= as_of)
