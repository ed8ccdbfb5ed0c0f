from odoo import models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _action_done(self):
        result = super()._action_done()
        deliveries = self.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        )
        queue = self.env["zhongzheng.value.queue"].sudo()
        for company in deliveries.company_id:
            done = deliveries.filtered(lambda p, c=company: p.company_id == c)
            queue._enqueue(done.partner_id, company)
        return result
