from odoo import fields, models

from .company_settings import ADMIN_SETTINGS, VALUE_SETTINGS
from .res_company import setting_fields


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # the company's settings, related (declared once, in res_company.py)
    locals().update(setting_fields(VALUE_SETTINGS + ADMIN_SETTINGS, related=True))

    # chosen by the last complete recommendation backtest, shown with why
    recommendation_method = fields.Selection(related="company_id.recommendation_method")
    recommendation_backtest_verdict = fields.Text(
        related="company_id.recommendation_backtest_id.verdict",
        groups="crm_zhongzheng.group_crm_manager",
    )
