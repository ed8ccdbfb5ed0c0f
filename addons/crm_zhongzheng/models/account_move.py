from odoo import models


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "zhongzheng.customer.badge.mixin"]

    def _queue_customer_value(self):
        invoices = self.filtered(lambda m: m.is_sale_document(include_receipts=False))
        queue = self.env["zhongzheng.value.queue"].sudo()
        queue._enqueue_records(invoices, "commercial_partner_id")

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._queue_customer_value()
        return posted
