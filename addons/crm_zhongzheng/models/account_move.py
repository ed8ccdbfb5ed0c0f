from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    partner_tier_id = fields.Many2one(
        related="commercial_partner_id.tier_id", string="Customer Tier"
    )
    partner_relationship_class = fields.Selection(
        related="commercial_partner_id.relationship_class", string="Relationship"
    )

    def _queue_customer_value(self):
        invoices = self.filtered(lambda m: m.is_sale_document(include_receipts=False))
        queue = self.env["zhongzheng.value.queue"].sudo()
        queue._enqueue_records(invoices, "commercial_partner_id")

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._queue_customer_value()
        return posted
