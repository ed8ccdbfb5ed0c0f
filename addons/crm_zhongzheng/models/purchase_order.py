from odoo import fields, models

CRM_USER = "crm_zhongzheng.group_crm_user"


class PurchaseOrder(models.Model):
    _name = "purchase.order"
    _inherit = ["purchase.order", "zhongzheng.service.ticket.linked"]
    _ticket_link_field = "purchase_order_id"

    # the partner's figures, for Customer Relations users as there
    supplier_rating = fields.Float(
        related="partner_id.commercial_partner_id.supplier_rating",
        string="Supplier Rating",
        groups=CRM_USER,
    )
    supplier_on_time_rate = fields.Float(
        related="partner_id.commercial_partner_id.supplier_on_time_rate",
        groups=CRM_USER,
    )
    supplier_qty_accuracy = fields.Float(
        related="partner_id.commercial_partner_id.supplier_qty_accuracy",
        groups=CRM_USER,
    )

    def _service_ticket_defaults(self):
        return {
            **super()._service_ticket_defaults(),
            "partner_id": self.partner_id.id,
            "product_ids": self.order_line.product_id.ids,
        }

    def button_confirm(self):
        result = super().button_confirm()
        self.env["zhongzheng.value.queue"].sudo()._enqueue_records(self)
        return result
