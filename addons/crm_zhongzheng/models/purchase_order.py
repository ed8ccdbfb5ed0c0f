from odoo import models


class PurchaseOrder(models.Model):
    _inherit = "purchase.order"

    def button_confirm(self):
        result = super().button_confirm()
        queue = self.env["zhongzheng.value.queue"].sudo()
        for company in self.company_id:
            orders = self.filtered(lambda o, c=company: o.company_id == c)
            queue._enqueue(orders.partner_id, company)
        return result
