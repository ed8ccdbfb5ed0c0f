from odoo import fields, models


class ClvFitLine(models.Model):
    _name = "zhongzheng.clv.fit.line"
    _description = "Customer Lifetime Value Backtest Line"
    _order = "predicted desc, id"

    fit_id = fields.Many2one(
        "zhongzheng.clv.fit", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    frequency = fields.Integer(help="Repeat purchase days up to the as-of date.")
    recency = fields.Integer(help="Days from the first to the last purchase day.")
    age = fields.Integer(help="Days from the first purchase day to the as-of date.")
    monetary = fields.Float(string="Average Repeat Order Value", digits=(16, 2))
    predicted = fields.Float(string="Predicted Repeat Purchases", digits=(16, 3))
    naive = fields.Float(
        string="Naive Prediction",
        digits=(16, 3),
        help="The customer's past rate of repeat purchases, carried on.",
    )
    actual = fields.Integer(string="Actual Repeat Purchases")
