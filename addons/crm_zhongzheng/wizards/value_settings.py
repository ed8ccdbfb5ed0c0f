from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..models.company_settings import VALUE_SETTINGS
from ..models.res_company import setting_fields

CRM_MANAGER = "crm_zhongzheng.group_crm_manager"


class ValueSettings(models.TransientModel):
    """The customer value settings for CRM managers: Odoo's own settings
    page is for administrators only, and only they may write res.company.
    The form holds its values until saved, then writes them to the company
    (which refuses inconsistent ones)."""

    _name = "zhongzheng.value.settings"
    _description = "Customer Value Settings"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    # the company's settings (declared once, in res_company.py)
    locals().update(setting_fields(VALUE_SETTINGS, related=False))

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        company = self.env.company
        values.update({name: company[name] for name in VALUE_SETTINGS})
        return values

    def action_save(self):
        """Write the settings to the company; the company's constraints
        refuse inconsistent values and nothing is written then."""
        self.ensure_one()
        if not self.env.user.has_group(CRM_MANAGER):
            raise AccessError(
                self.env._("Only CRM managers can change customer value settings.")
            )
        self.company_id.check_access("read")
        # the CRM manager may not write res.company: sudo for this one write
        self.company_id.sudo().write({name: self[name] for name in VALUE_SETTINGS})
        return {"type": "ir.actions.act_window_close"}
