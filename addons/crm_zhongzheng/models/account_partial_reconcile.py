from odoo import api, models


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        # a payment reconciled with an invoice changes its days to pay
        moves = (partials.debit_move_id | partials.credit_move_id).move_id
        moves._queue_customer_value()
        return partials
