"""One recommended product for a customer, with why: written by the
recommendation step (recommendation.py) in SQL, read by CRM users on the
Customer Value tab, on quotations and over the API."""

from datetime import timedelta

from odoo import api, fields, models

from .field_kinds import customer_of_company

KINDS = [
    ("cross_sell", "Cross-sell"),
    ("up_sell", "Up-sell"),
    ("consumable", "Consumable"),
    ("popular", "Best Seller"),
]


class CustomerRecommendation(models.Model):
    _name = "zhongzheng.customer.recommendation"
    _description = "Product Recommendation"
    _order = "rank, id"
    _rec_name = "product_id"
    # written by the engine only, hundreds of thousands at a time: no
    # create/write user and date (two foreign-key checks less a row)
    _log_access = False

    partner_id, company_id = customer_of_company()
    product_id = fields.Many2one("product.product", required=True, ondelete="cascade")
    rank = fields.Integer(help="1 is the first product to offer.")
    score = fields.Float(
        digits=(16, 1),
        help="The share of customers (%) behind the recommendation: buyers "
        "of the reason's product, or of the customer's tier.",
    )
    kind = fields.Selection(KINDS, required=True)
    reason_product_id = fields.Many2one(
        "product.product",
        string="Because of",
        ondelete="cascade",
        help="The customer's product this recommendation follows from.",
    )
    reason_tier_id = fields.Many2one(
        "zhongzheng.customer.tier",
        string="Tier",
        ondelete="set null",
        help="Best sellers: the tier whose customers buy it.",
    )
    median_days = fields.Integer(
        string="Days After", help="Consumables: typical days after the device."
    )
    expected_date = fields.Date(
        help="Consumables: when the customer would typically buy it."
    )
    reason = fields.Char(compute="_compute_reason")

    _sql_constraints = [
        (
            "product_uniq",
            "unique (company_id, partner_id, product_id)",
            "A product is recommended to a customer once per company.",
        )
    ]

    @api.depends_context("lang")
    def _compute_reason(self):
        _ = self.env._
        for line in self:
            product = line.reason_product_id.display_name or "-"
            share = line.score
            if line.kind == "cross_sell":
                text = _(
                    "bought by %(share).0f%% of customers who buy %(product)s",
                    share=share,
                    product=product,
                )
            elif line.kind == "up_sell":
                text = _(
                    "%(share).0f%% of customers who bought %(product)s moved up "
                    "to it later",
                    share=share,
                    product=product,
                )
            elif line.kind == "consumable":
                text = _(
                    "%(share).0f%% of the buyers of %(product)s buy it, typically "
                    "%(days)d days later",
                    share=share,
                    product=product,
                    days=line.median_days,
                )
            elif line.reason_tier_id:
                text = _(
                    "customers like you in the %(tier)s tier buy it (%(share).0f%% "
                    "of them in the last 12 months)",
                    tier=line.reason_tier_id.name,
                    share=share,
                )
            else:
                text = _(
                    "a best seller: bought by %(share).0f%% of customers in the "
                    "last 12 months",
                    share=share,
                )
            line.reason = text

    def action_dismiss(self):
        """The salesperson does not want these offered: each product stays
        away from its customer for the company's dismissal days (the next
        passes leave it out) and the line goes now. Whoever reads the
        recommendation may dismiss it; the engine's rows are removed as it."""
        self.check_access("read")
        today = fields.Date.context_today(self)
        self.env["zhongzheng.recommendation.dismissal"].sudo().create(
            [
                {
                    "partner_id": line.partner_id.id,
                    "company_id": line.company_id.id,
                    "product_id": line.product_id.id,
                    "date_until": today
                    + timedelta(days=line.company_id.recommendation_dismiss_days),
                    "user_id": self.env.user.id,
                }
                for line in self
            ]
        )
        self.sudo().unlink()
        return True


class RecommendationDismissal(models.Model):
    """A product a salesperson dismissed for a customer, until a date: the
    recommendation step leaves it out until then (recommendation.py)."""

    _name = "zhongzheng.recommendation.dismissal"
    _description = "Dismissed Recommendation"
    _order = "date_until desc, id desc"
    _rec_name = "product_id"

    partner_id, company_id = customer_of_company()
    product_id = fields.Many2one("product.product", required=True, ondelete="cascade")
    date_until = fields.Date(string="Dismissed Until", required=True, index=True)
    user_id = fields.Many2one("res.users", string="Dismissed by", readonly=True)
