from odoo import fields, models

CLASSES = [
    ("potential", "Potential"),
    ("marginal", "Marginal"),
    ("loyal", "Loyal"),
    ("lost", "Lost"),
    ("non_customer", "Non-Customer"),
]


class RelationshipHistory(models.Model):
    """One change of a customer's tier or relationship class: the timeline on
    the partner and the source of the migration matrix."""

    _name = "zhongzheng.relationship.history"
    _description = "Customer Tier and Class History"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    kind = fields.Selection(
        [("tier", "Tier"), ("class", "Relationship Class")], required=True
    )
    tier_from_id = fields.Many2one("zhongzheng.customer.tier", string="From Tier")
    tier_to_id = fields.Many2one("zhongzheng.customer.tier", string="To Tier")
    class_from = fields.Selection(CLASSES, string="From Class")
    class_to = fields.Selection(CLASSES, string="To Class")
    origin = fields.Selection(
        [("auto", "Automatic"), ("manual", "Manual")], required=True, default="auto"
    )
    reason = fields.Char()
    figures = fields.Char(help="The figures that decided the change.")
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user)
