from odoo import api, fields, models

from .field_kinds import customer_view
from .relationship_history import CLASSES


class CustomerBadgeMixin(models.AbstractModel):
    """The customer's tier and relationship class, shown as badges on a
    document with a ``partner_id`` (quotations and orders, invoices,
    opportunities, service tickets): always the commercial partner's, in
    the current company. Read and searched as the related fields they
    stand for (``partner_id.commercial_partner_id.tier_id`` ...), which a
    mixin cannot declare without its host's ``partner_id``.

    Customer Relations users only, like the partner's own figures: a badge
    is the same classification seen from a document."""

    _name = "zhongzheng.customer.badge.mixin"
    _description = "Customer Tier and Class Badges"

    partner_tier_id = customer_view(
        fields.Many2one,
        "zhongzheng.customer.tier",
        string="Customer Tier",
        compute="_compute_partner_badges",
        search="_search_partner_tier_id",
    )
    partner_relationship_class = customer_view(
        fields.Selection,
        CLASSES,
        string="Relationship",
        compute="_compute_partner_badges",
        search="_search_partner_relationship_class",
    )

    @api.depends(
        "partner_id.commercial_partner_id.tier_id",
        "partner_id.commercial_partner_id.relationship_class",
    )
    @api.depends_context("company")
    def _compute_partner_badges(self):
        for record in self:
            customer = record.partner_id.commercial_partner_id
            record.partner_tier_id = customer.tier_id
            record.partner_relationship_class = customer.relationship_class

    def _search_partner_tier_id(self, operator, value):
        return [("partner_id.commercial_partner_id.tier_id", operator, value)]

    def _search_partner_relationship_class(self, operator, value):
        return [
            ("partner_id.commercial_partner_id.relationship_class", operator, value)
        ]
