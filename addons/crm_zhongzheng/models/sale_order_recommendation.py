"""Recommended products on a quotation: the customer's recommendations
(recommendation.py) as optional products of sale_management, whose *Add*
button puts one on the order."""

from odoo import fields, models
from odoo.exceptions import UserError

from .field_kinds import CRM_USER, notification

OPEN_QUOTATION = ("draft", "sent")


class SaleOrderOption(models.Model):
    _inherit = "sale.order.option"

    recommendation_note = fields.Char(
        groups=CRM_USER,
        readonly=True,
        copy=False,
        help="Why this product is recommended to the customer, and its other "
        "open quotations that already hold it.",
    )


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def action_add_recommended_options(self):
        """Add the customer's recommended products, best first, as optional
        products of this quotation: the ones not on it yet (lines or
        options), each with its reason, and a note naming the customer's
        other open quotations (those the user sees) that hold it.

        :return: a notification of how many were added
        :raises UserError: the order is no longer a quotation
        :raises AccessError: the user may not read recommendations or
            change this quotation
        """
        self.ensure_one()
        if self.state not in OPEN_QUOTATION:
            raise UserError(
                self.env._("Recommended products can only be added to a quotation.")
            )
        self.check_access("write")
        customer = self.partner_id.commercial_partner_id
        present = self.order_line.product_id | self.sale_order_option_ids.product_id
        recommendations = (
            self.env["zhongzheng.customer.recommendation"]
            .search(
                [
                    ("partner_id", "=", customer.id),
                    ("company_id", "=", self.company_id.id),
                ]
            )
            .filtered(lambda r: r.product_id not in present and r.product_id.sale_ok)
        )
        if not recommendations:
            return notification(
                self.env._(
                    "No new recommended products for %(customer)s.",
                    customer=customer.display_name,
                ),
                "warning",
            )
        elsewhere = self._quoted_elsewhere(customer, recommendations.product_id)
        last = max(self.sale_order_option_ids.mapped("sequence"), default=0)
        self.env["sale.order.option"].create(
            [
                {
                    "order_id": self.id,
                    "product_id": reco.product_id.id,
                    "quantity": 1.0,
                    "sequence": last + i + 1,
                    "recommendation_note": self._recommendation_note(
                        reco, elsewhere.get(reco.product_id.id)
                    ),
                }
                for i, reco in enumerate(recommendations)
            ]
        )
        return notification(
            self.env._(
                "%(count)d recommended products added to the optional products.",
                count=len(recommendations),
            ),
            "success",
        )

    def _quoted_elsewhere(self, customer, products):
        """{product id: names of the customer's other open quotations of the
        company holding it}, among those the user may read."""
        lines = self.env["sale.order.line"].search(
            [
                ("order_id", "!=", self.id),
                ("order_id.state", "in", OPEN_QUOTATION),
                ("order_id.company_id", "=", self.company_id.id),
                ("order_id.partner_id", "child_of", customer.id),
                ("product_id", "in", products.ids),
            ]
        )
        result = {}
        for line in lines:
            result.setdefault(line.product_id.id, set()).add(line.order_id.name)
        return {pid: sorted(names) for pid, names in result.items()}

    def _recommendation_note(self, recommendation, quotations):
        note = recommendation.reason
        if quotations:
            note = self.env._(
                "%(reason)s; already on open quotation %(quotations)s",
                reason=note,
                quotations=", ".join(quotations),
            )
        return note
