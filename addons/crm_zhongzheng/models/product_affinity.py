"""Which products go together: co-purchase rules between two products,
written by the recommendation step (recommendation.py) in SQL per company,
read by CRM users."""

from odoo import fields, models


class ProductAffinity(models.Model):
    """Customers who bought `product_id` and also `other_product_id`: the
    share of all customers (support), of the product's buyers (confidence)
    and how much likelier than chance (lift)."""

    _name = "zhongzheng.product.affinity"
    _description = "Product Affinity"
    _order = "confidence desc, id"
    _rec_name = "product_id"

    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    product_id = fields.Many2one(
        "product.product", required=True, ondelete="cascade", index=True
    )
    other_product_id = fields.Many2one(
        "product.product",
        string="Also Bought",
        required=True,
        ondelete="cascade",
    )
    customer_count = fields.Integer(
        string="Customers", help="Customers who bought both products."
    )
    support = fields.Float(
        string="Support (%)",
        digits=(16, 2),
        help="Customers who bought both, out of all the company's customers.",
    )
    confidence = fields.Float(
        string="Confidence (%)",
        digits=(16, 2),
        help="Buyers of the product who also bought the other one.",
    )
    lift = fields.Float(
        digits=(16, 2),
        help="Confidence over the share of all customers who buy the other "
        "product: above 1, the two go together more often than by chance.",
    )
