from odoo import api, fields, models
from odoo.exceptions import UserError

from .tracking_event import EVENT_KINDS

CRM_USER = "crm_zhongzheng.group_crm_user"
# set by the customer's own confirmation paths (portal signature, payment)
CUSTOMER_CONFIRMATION = "zz_confirmed_by_customer"


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
    # it names the customer's tier: for Customer Relations users only
    customer_risk_warning = fields.Char(
        compute="_compute_customer_risk_warning",
        groups=CRM_USER,
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

    def _customer_risk_reasons(self):
        """[(kind, message)]: lead tier ("lead"), or an overdue receivable
        above the credit limit ("credit"). The rule holds whoever confirms,
        so the figures are read as superuser; what a user is told of them is
        `_customer_risk_message`'s."""
        self.ensure_one()
        if not self.partner_id:
            return []
        partner = self.partner_id.commercial_partner_id.sudo().with_company(
            self.company_id
        )
        reasons = []
        # the tier (one query of the partner's figures' row) and of the tier
        # its flag alone: this runs in each confirmation
        if partner.with_context(prefetch_fields=False).tier_id.is_lead:
            reasons.append(
                (
                    "lead",
                    self.env._(
                        "%(customer)s is in the lead tier: it costs more to serve "
                        "than it brings.",
                        customer=partner.name,
                    ),
                )
            )
        if self.company_id.account_use_credit_limit and partner.credit_limit:
            overdue = partner._overdue_receivable(self.company_id)
            if overdue > partner.credit_limit:
                currency = self.company_id.currency_id
                reasons.append(
                    (
                        "credit",
                        self.env._(
                            "Its overdue receivable (%(overdue)s) exceeds its "
                            "credit limit (%(limit)s).",
                            overdue=currency.format(overdue),
                            limit=currency.format(partner.credit_limit),
                        ),
                    )
                )
        return reasons

    def _customer_risk_message(self, reasons=None, name_tier=None):
        """The reasons as the current user may read them: the tier is named
        to Customer Relations users only, others learn that Customer
        Relations flagged the customer. ``name_tier=False`` gives the words
        for everyone who reads the order (its chatter, its activities)."""
        self.ensure_one()
        if reasons is None:
            reasons = self._customer_risk_reasons()
        if name_tier is None:
            name_tier = self.env.su or self.env.user.has_group(CRM_USER)
        texts = [
            message
            if kind != "lead" or name_tier
            else self.env._(
                "Customer Relations flagged this customer for a review before "
                "selling to it."
            )
            for kind, message in reasons
        ]
        return " ".join(texts) or False

    def _is_customer_confirmation(self):
        """Whether the customer confirms, online: signing or paying on the
        portal (as a portal or public user), or its payment being processed
        (also by the payment cron, as superuser)."""
        return bool(
            self.env.context.get(CUSTOMER_CONFIRMATION)
            or not self.env.user._is_internal()
        )

    def _validate_order(self):
        # the portal signature's confirmation (sale/controllers/portal.py)
        return super(
            SaleOrder, self.with_context(**{CUSTOMER_CONFIRMATION: True})
        )._validate_order()

    def _queue_customer_value(self):
        self.env["zhongzheng.value.queue"].sudo()._enqueue_records(self)

    def action_confirm(self):
        """Staff confirming a risky sale are warned (and stopped, if the
        company blocks risky sales). A customer who signs or pays online is
        never refused nor told why: its order is confirmed (a payment is
        never left on an unconfirmed order), and the salesperson gets an
        activity to review it."""
        by_customer = self._is_customer_confirmation()
        risky = {order: order._customer_risk_reasons() for order in self}
        risky = {order: reasons for order, reasons in risky.items() if reasons}
        blocked = [o for o in risky if o.company_id.sale_block_risky]
        if blocked and not by_customer:
            raise UserError(
                self.env._(
                    "%(order)s cannot be confirmed: %(reason)s A CRM manager can "
                    "override the customer's tier, or the company can stop "
                    "blocking risky sales.",
                    order=blocked[0].name,
                    reason=blocked[0]._customer_risk_message(risky[blocked[0]]),
                )
            )
        result = super().action_confirm()
        for order, reasons in risky.items():
            # internal notes: never shown on the portal nor mailed to the
            # customer, and read by every employee who reads the order, so
            # they do not name the tier (the badge does, to CRM users)
            message = order._customer_risk_message(reasons, name_tier=False)
            if by_customer:
                order._schedule_risk_review(message)
            else:
                order.message_post(
                    body=self.env._(
                        "Confirmed despite a warning: %(reason)s", reason=message
                    ),
                    subtype_xmlid="mail.mt_note",
                )
        self._queue_customer_value()
        return result

    def _schedule_risk_review(self, message):
        """A risky order the customer confirmed online: an internal note and
        a to-do for the salesperson (else the company's CRM managers)."""
        self.ensure_one()
        order = self.sudo()
        body = self.env._(
            "The customer confirmed this order online despite a warning: "
            "%(reason)s Review it (and the delivery) before it goes further.",
            reason=message,
        )
        order.message_post(body=body, subtype_xmlid="mail.mt_note")
        users = order.user_id
        if not users:
            users = (
                self.env["res.users"]
                .sudo()
                .search(
                    [
                        ("share", "=", False),
                        (
                            "groups_id",
                            "in",
                            self.env.ref("crm_zhongzheng.group_crm_manager").ids,
                        ),
                        ("company_ids", "in", order.company_id.ids),
                    ]
                )
            )
        for user in users:
            order.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=user.id,
                summary=self.env._("Review a risky order confirmed online"),
                note=body,
            )

    def _action_cancel(self):
        result = super()._action_cancel()
        self._queue_customer_value()
        return result
