from odoo import models

from .res_company import ADMIN_SETTINGS, VALUE_SETTINGS, setting_fields


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # the company's settings, related (declared once, in res_company.py)
    locals().update(setting_fields(VALUE_SETTINGS + ADMIN_SETTINGS, related=True))
