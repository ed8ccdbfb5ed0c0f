from odoo import fields, models
from odoo.tools import SQL

from . import report_charts

PURCHASE_USER = "purchase.group_purchase_user"


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
    # purchase figures for Purchase users only, as on the purchase orders
    purchase_qty = fields.Float(
        string="Quantity Purchased",
        digits="Product Unit of Measure",
        readonly=True,
        groups=PURCHASE_USER,
    )
    purchase_amount = fields.Float(
        string="Purchases", digits="Account", readonly=True, groups=PURCHASE_USER
    )
    line_count = fields.Integer(string="Order Lines", readonly=True)

    @property
    def _table_query(self):
        # ids: sale lines even, purchase lines odd, so both stay stable
        return SQL(
            "%s UNION ALL %s",
            self._order_lines(
                "sale",
                SQL(
                    "o.state = 'sale' AND l.display_type IS NULL"
                    " AND l.is_downpayment IS NOT TRUE"
                ),
            ),
            self._order_lines(
                "purchase",
                SQL("o.state IN ('purchase', 'done') AND l.display_type IS NULL"),
            ),
        )

    def _order_lines(self, kind, where):
        """The confirmed order lines of `kind` (sale, purchase): quantity in
        the product's unit, amount in company currency, in that kind's
        columns (0 in the other's)."""
        qty = SQL(
            "l.%s / NULLIF(lu.factor, 0) * pu.factor",
            SQL.identifier("product_uom_qty" if kind == "sale" else "product_qty"),
        )
        amount = SQL("l.price_subtotal / COALESCE(NULLIF(o.currency_rate, 0), 1)")
        zero = SQL("0.0")
        sale = kind == "sale"
        return SQL(
            """
            SELECT l.id * 2 + %(odd)s AS id, o.date_order::date AS date,
                   o.company_id, %(kind)s AS kind,
                   p.commercial_partner_id AS partner_id, l.product_id,
                   pt.categ_id, o.user_id, %(sale_qty)s AS sale_qty,
                   %(sale_amount)s AS sale_amount,
                   %(purchase_qty)s AS purchase_qty,
                   %(purchase_amount)s AS purchase_amount, 1 AS line_count
              FROM %(lines)s l
              JOIN %(orders)s o ON o.id = l.order_id
              JOIN res_partner p ON p.id = o.partner_id
              JOIN product_product pp ON pp.id = l.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
              JOIN uom_uom lu ON lu.id = l.product_uom
              JOIN uom_uom pu ON pu.id = pt.uom_id
             WHERE %(where)s
            """,
            odd=SQL("0" if sale else "1"),
            kind=SQL("'sale'" if sale else "'purchase'"),
            sale_qty=qty if sale else zero,
            sale_amount=amount if sale else zero,
            purchase_qty=zero if sale else qty,
            purchase_amount=zero if sale else amount,
            lines=SQL.identifier(f"{kind}_order_line"),
            orders=SQL.identifier(f"{kind}_order"),
            where=where,
        )
