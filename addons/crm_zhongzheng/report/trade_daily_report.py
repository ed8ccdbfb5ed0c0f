from odoo import fields, models
from odoo.tools import SQL

from . import report_charts


class TradeDailyReport(models.Model):
    """Each day's sales and purchases per partner and product (confirmed
    orders, company currency): grouped by day, the daily amounts."""

    _name = "zhongzheng.trade.daily.report"
    _description = "Daily Sales and Purchases"
    _auto = False
    _order = "date desc"
    _rec_name = "partner_id"
    _depends = {
        **report_charts.SALE_ORDER_DEPENDS,
        **report_charts.SALE_LINE_DEPENDS,
        "purchase.order": [
            "state",
            "date_order",
            "company_id",
            "partner_id",
            "user_id",
            "currency_rate",
        ],
        "purchase.order.line": [
            "order_id",
            "product_id",
            "product_qty",
            "product_uom",
            "price_subtotal",
            "display_type",
        ],
        "res.partner": ["commercial_partner_id"],
        "product.product": ["product_tmpl_id"],
        "product.template": ["categ_id", "uom_id"],
    }

    date = fields.Date(readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    kind = fields.Selection([("sale", "Sale"), ("purchase", "Purchase")], readonly=True)
    partner_id = fields.Many2one("res.partner", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    categ_id = fields.Many2one(
        "product.category", string="Product Category", readonly=True
    )
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    sale_qty = fields.Float(
        string="Quantity Sold", digits="Product Unit of Measure", readonly=True
    )
    sale_amount = fields.Float(string="Sales", digits="Account", readonly=True)
    purchase_qty = fields.Float(
        string="Quantity Purchased", digits="Product Unit of Measure", readonly=True
    )
    purchase_amount = fields.Float(string="Purchases", digits="Account", readonly=True)
    line_count = fields.Integer(string="Order Lines", readonly=True)

    @property
    def _table_query(self):
        # ids: sale lines even, purchase lines odd, so both stay stable
        return SQL(
            """
            SELECT sol.id * 2 AS id, so.date_order::date AS date, so.company_id,
                   'sale' AS kind, p.commercial_partner_id AS partner_id,
                   sol.product_id, pt.categ_id, so.user_id,
                   sol.product_uom_qty / NULLIF(lu.factor, 0) * pu.factor
                       AS sale_qty,
                   sol.price_subtotal / COALESCE(NULLIF(so.currency_rate, 0), 1)
                       AS sale_amount,
                   0.0 AS purchase_qty, 0.0 AS purchase_amount, 1 AS line_count
              FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
              JOIN res_partner p ON p.id = so.partner_id
              JOIN product_product pp ON pp.id = sol.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
              JOIN uom_uom lu ON lu.id = sol.product_uom
              JOIN uom_uom pu ON pu.id = pt.uom_id
             WHERE so.state = 'sale' AND sol.display_type IS NULL
               AND sol.is_downpayment IS NOT TRUE
            UNION ALL
            SELECT pol.id * 2 + 1, po.date_order::date, po.company_id,
                   'purchase', p.commercial_partner_id,
                   pol.product_id, pt.categ_id, po.user_id,
                   0.0, 0.0,
                   pol.product_qty / NULLIF(lu.factor, 0) * pu.factor,
                   pol.price_subtotal / COALESCE(NULLIF(po.currency_rate, 0), 1),
                   1
              FROM purchase_order_line pol
              JOIN purchase_order po ON po.id = pol.order_id
              JOIN res_partner p ON p.id = po.partner_id
              JOIN product_product pp ON pp.id = pol.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
              JOIN uom_uom lu ON lu.id = pol.product_uom
              JOIN uom_uom pu ON pu.id = pt.uom_id
             WHERE po.state IN ('purchase', 'done') AND pol.display_type IS NULL
            """
        )
