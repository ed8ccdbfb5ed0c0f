from odoo import models

from .sale_order import CUSTOMER_CONFIRMATION


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _check_amount_and_confirm_order(self):
        # the customer's payment confirms its order, whoever processes the
        # transaction (the customer's browser, the provider's webhook, the
        # payment cron): never refused for the customer's tier
        return super(
            PaymentTransaction, self.with_context(**{CUSTOMER_CONFIRMATION: True})
        )._check_amount_and_confirm_order()
