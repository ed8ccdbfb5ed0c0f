from odoo import api, fields, models
from odoo.exceptions import UserError

from .tracking_event import EVENT_KINDS


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = [
        "sale.order",
        "zhongzheng.service.ticket.linked",
        "zhongzheng.customer.badge.mixin",
    ]
    _ticket_link_field = "sale_order_id"

    delivery_tracking_status = fields.Selection(
        EVENT_KINDS,
        compute="_compute_delivery_tracking_status",
        help="The latest tracking event of its deliveries.",
    )
    customer_risk_warning = fields.Char(
        compute="_compute_customer_risk_warning",
        help="Why confirming this sale deserves a second look.",
    )

    @api.depends("picking_ids.tracking_status", "picking_ids.tracking_status_time")
    def _compute_delivery_tracking_status(self):
        for order in self:
            tracked = order.picking_ids.filtered("tracking_status_time").sorted(
                "tracking_status_time", reverse=True
            )[:1]
            order.delivery_tracking_status = tracked.tracking_status

    @api.depends("partner_id", "company_id")
    def _compute_customer_risk_warning(self):
        for order in self:
            order.customer_risk_warning = order._customer_risk_message()

    def _service_ticket_defaults(self):
        return {
            **super()._service_ticket_defaults(),
            "partner_id": self.partner_id.id,
            "product_ids": self.order_line.product_id.ids,
        }

    def _customer_risk_message(self):
        """Lead tier, or an overdue receivable above the credit limit."""
        self.ensure_one()
        if not self.partner_id:
            return False
        partner = self.partner_id.commercial_partner_id.with_company(self.company_id)
        reasons = []
        if partner.tier_id.is_lead:
            reasons.append(
                self.env._(
                    "%(customer)s is in the lead tier: it costs more to serve "
                    "than it brings.",
                    customer=partner.name,
                )
            )
        if self.company_id.account_use_credit_limit and partner.credit_limit:
            overdue = partner._overdue_receivable(self.company_id)
            if overdue > partner.credit_limit:
                reasons.append(
                    self.env._(
                        "Its overdue receivable (%(overdue)s) exceeds its credit "
                        "limit (%(limit)s).",
                        overdue=self.company_id.currency_id.format(overdue),
                        limit=self.company_id.currency_id.format(partner.credit_limit),
                    )
                )
        return " ".join(reasons) or False

    def _queue_customer_value(self):
        self.env["zhongzheng.value.queue"].sudo()._enqueue_records(self)

    def action_confirm(self):
        risky = {order: order._customer_risk_message() for order in self}
        risky = {order: message for order, message in risky.items() if message}
        blocked = [o for o in risky if o.company_id.sale_block_risky]
        if blocked:
            raise UserError(
                self.env._(
                    "%(order)s cannot be confirmed: %(reason)s A CRM manager can "
                    "override the customer's tier, or the company can stop "
                    "blocking risky sales.",
                    order=blocked[0].name,
                    reason=risky[blocked[0]],
                )
            )
        result = super().action_confirm()
        for order, message in risky.items():
            order.message_post(
                body=self.env._(
                    "Confirmed despite a warning: %(reason)s", reason=message
                )
            )
        self._queue_customer_value()
        return result

    def _action_cancel(self):
        result = super()._action_cancel()
        self._queue_customer_value()
        return result
