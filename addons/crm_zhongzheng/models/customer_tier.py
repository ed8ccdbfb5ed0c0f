from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CustomerTier(models.Model):
    """A level of the customer pyramid (客户金字塔). Ranked tiers take the
    customers ranked by value up to their cumulative share; the loss-making
    tier (``is_lead``, code ``lead``, 铅层) takes those whose net
    contribution is below the company's floor (``tier_lead_floor``)."""

    _name = "zhongzheng.customer.tier"
    _description = "Customer Tier"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Stable key for integrations.")
    sequence = fields.Integer(default=10, help="Top of the pyramid first.")
    color = fields.Integer()
    active = fields.Boolean(default=True)
    is_lead = fields.Boolean(
        string="Lead Tier",
        help="Customers who cost more to serve than they bring "
        "(net contribution below the floor).",
    )
    share_limit = fields.Float(
        string="Cumulative Share up to (%)",
        default=100.0,
        help="Customers ranked by value whose cumulative share of the basis, "
        "before them, is below this limit (and above the previous tier's).",
    )
    description = fields.Text(translate=True)

    _sql_constraints = [
        ("code_uniq", "UNIQUE(code)", "A tier code must be unique."),
    ]

    @api.constrains("share_limit", "is_lead")
    def _check_share_limit(self):
        for tier in self:
            if not tier.is_lead and not 0 < tier.share_limit <= 100:
                raise ValidationError(
                    self.env._(
                        "Tier %(name)s: the cumulative share must be above 0 and "
                        "at most 100%%.",
                        name=tier.name,
                    )
                )

    @api.model
    def _ranked(self):
        """The ranked (not loss-making) tiers in pyramid order with their
        share bands."""
        return self._pyramid()[1]

    @api.model
    def _pyramid(self):
        """(the loss-making tier of customers who cost more to serve than
        they bring, _ranked()) from one read of the tiers' kind and share
        only (not their dozen fields): the relationship engine asks for both
        per confirmed order."""
        tiers = self.search_fetch([], ["is_lead", "share_limit"])
        return tiers.filtered("is_lead")[:1], self._bands(
            tiers.filtered(lambda tier: not tier.is_lead)
        )

    def _bands(self, tiers):
        bands, low = [], 0.0
        for tier in tiers:
            bands.append((tier, low, tier.share_limit))
            low = tier.share_limit
        return bands

    @api.model
    def _service_priorities(self, company, partners):
        """{partner id: ticket priority} from each customer's tier in
        `company`: the top ranked tier High, the other ranked tiers and
        customers without a tier Normal, the loss-making tier Low."""
        ranked = [tier for tier, _low, _high in self._ranked()]
        top = ranked[0] if ranked else self.browse()
        priorities = {}
        for partner in partners.sudo().with_company(company):
            tier = partner.tier_id
            if tier and tier == top:
                priorities[partner.id] = "2"
            elif tier.is_lead:
                priorities[partner.id] = "0"
            else:
                priorities[partner.id] = "1"
        return priorities
