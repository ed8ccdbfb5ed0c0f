from odoo import api, models

from .campaign import generate_campaign


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    @api.model
    def _load_zhongzheng_demo(self, part):
        """The campaign demo part ("campaign"), beside the core's parts."""
        if part == "campaign":
            return generate_campaign(self.env)
        return super()._load_zhongzheng_demo(part)
