from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _queue_customer_value(self):
        queue = self.env["zhongzheng.value.queue"].sudo()
        for company in self.company_id:
            orders = self.filtered(lambda o, c=company: o.company_id == c)
            queue._enqueue(orders.partner_id, company)

    def action_confirm(self):
        result = super().action_confirm()
        self._queue_customer_value()
        return result

    def _action_cancel(self):
        result = super()._action_cancel()
        self._queue_customer_value()
        return result
