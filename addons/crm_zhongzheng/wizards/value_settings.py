from odoo import api, fields, models
from odoo.exceptions import AccessError

# The company fields a CRM manager may set (Odoo's own settings page is for
# administrators only; this form writes the same fields).
SETTINGS_FIELDS = (
    "value_window_days",
    "abc_a_share",
    "abc_b_share",
    "clv_horizon_months",
    "clv_monthly_discount_rate",
    "value_weight_current",
    "value_weight_potential",
    "value_weight_loyalty",
    "value_weight_payment",
    "value_weight_cost",
    "tier_basis",
    "tier_lead_floor",
    "tier_min_history_days",
    "tier_min_stay_days",
    "tier_hysteresis",
    "class_loyal_min_orders",
    "class_loyal_max_gap_days",
    "class_lost_after_days",
    "sale_block_risky",
)


class ValueSettings(models.TransientModel):
    _name = "zhongzheng.value.settings"
    _description = "Customer Value Settings"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    value_window_days = fields.Integer(string="Analysis Window (days)")
    abc_a_share = fields.Float(string="ABC: A up to (%)")
    abc_b_share = fields.Float(string="ABC: B up to (%)")
    clv_horizon_months = fields.Integer(string="CLV Horizon (months)")
    clv_monthly_discount_rate = fields.Float(string="CLV Monthly Discount Rate (%)")
    value_weight_current = fields.Float(string="Weight: Current Value")
    value_weight_potential = fields.Float(string="Weight: Potential")
    value_weight_loyalty = fields.Float(string="Weight: Loyalty")
    value_weight_payment = fields.Float(string="Weight: Payment Behaviour")
    value_weight_cost = fields.Float(string="Weight: Cost-to-Serve")
    tier_basis = fields.Selection(
        [("margin", "Margin"), ("revenue", "Revenue"), ("score", "Value Score")],
    )
    tier_lead_floor = fields.Float(string="Lead Floor")
    tier_min_history_days = fields.Integer(string="Minimum History (days)")
    tier_min_stay_days = fields.Integer(string="Minimum Stay in a Tier (days)")
    tier_hysteresis = fields.Float(string="Hysteresis Band (%)")
    class_loyal_min_orders = fields.Integer(string="Loyal: Minimum Orders in Window")
    class_loyal_max_gap_days = fields.Integer(string="Loyal: Longest Gap (days)")
    class_lost_after_days = fields.Integer(string="Lost after (days)")
    sale_block_risky = fields.Boolean(string="Block Risky Sales")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        company = self.env.company
        values.update({name: company[name] for name in SETTINGS_FIELDS})
        return values

    def action_save(self):
        """Write the settings to the company; the company's constraints
        refuse inconsistent values and nothing is written then."""
        self.ensure_one()
        if not self.env.user.has_group("crm_zhongzheng.group_crm_manager"):
            raise AccessError(
                self.env._("Only CRM managers can change customer value settings.")
            )
        self.company_id.check_access("read")
        self.company_id.sudo().write({name: self[name] for name in SETTINGS_FIELDS})
        return {"type": "ir.actions.act_window_close"}
