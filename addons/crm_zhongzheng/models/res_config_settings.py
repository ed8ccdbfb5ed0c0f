from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    value_window_days = fields.Integer(
        related="company_id.value_window_days", readonly=False
    )
    abc_a_share = fields.Float(related="company_id.abc_a_share", readonly=False)
    abc_b_share = fields.Float(related="company_id.abc_b_share", readonly=False)
    clv_horizon_months = fields.Integer(
        related="company_id.clv_horizon_months", readonly=False
    )
    clv_monthly_discount_rate = fields.Float(
        related="company_id.clv_monthly_discount_rate", readonly=False
    )
    value_weight_current = fields.Float(
        related="company_id.value_weight_current", readonly=False
    )
    value_weight_potential = fields.Float(
        related="company_id.value_weight_potential", readonly=False
    )
    value_weight_loyalty = fields.Float(
        related="company_id.value_weight_loyalty", readonly=False
    )
    value_weight_payment = fields.Float(
        related="company_id.value_weight_payment", readonly=False
    )
    followup_days = fields.Integer(related="company_id.followup_days", readonly=False)
    followup_tier_ids = fields.Many2many(
        related="company_id.followup_tier_ids", readonly=False
    )
    value_weight_cost = fields.Float(
        related="company_id.value_weight_cost", readonly=False
    )
    pyramid_report_user_ids = fields.Many2many(
        related="company_id.pyramid_report_user_ids", readonly=False
    )
