from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    followup_survey_id = fields.Many2one(
        related="company_id.followup_survey_id", readonly=False
    )
