# Copyright 2026 Zhongzheng
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

from .history import generate_history
from .service_tickets import generate_service_tickets

GENERATORS = {
    "history": generate_history,
    "service_tickets": generate_service_tickets,
}


class IrDemo(models.TransientModel):
    _inherit = "ir.demo"

    @api.model
    def _load_zhongzheng_demo(self, part):
        """Generate one part of the demo ("history", "service_tickets") for
        the current company, once: the entry point of the demo data's
        <function> tags, which can only call model methods. The generators
        are plain Python in this package, so no demo model is registered
        (ir.demo is Odoo's own model for loading demo data)."""
        return GENERATORS[part](self.env)
