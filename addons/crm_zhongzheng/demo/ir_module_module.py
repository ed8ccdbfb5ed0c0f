# Copyright 2026 Zhongzheng
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

from .company import setup_company
from .customer_health import generate_health
from .devices import generate_devices
from .history import generate_history
from .service_tickets import generate_service_tickets

GENERATORS = {
    "company": setup_company,
    "history": generate_history,
    "service_tickets": generate_service_tickets,
    "health": generate_health,
    "devices": generate_devices,
}


class IrModuleModule(models.Model):
    # On a model of Odoo's that the addon extends nowhere else. Not ir.demo:
    # its automatic external id crm_zhongzheng.model_ir_demo would end in
    # "_demo", the suffix of demo records, also without demo data.
    _inherit = "ir.module.module"

    @api.model
    def _load_zhongzheng_demo(self, part):
        """Generate one part of the demo ("history", "service_tickets") for
        the current company, once: the entry point of the demo data's
        <function> tags, which can only call model methods. The generators
        are plain Python in this package, so no demo model is registered."""
        return GENERATORS[part](self.env)
