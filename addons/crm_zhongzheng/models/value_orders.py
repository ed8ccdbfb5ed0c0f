"""The company's confirmed orders as the steps of the customer value
pipeline read them: one definition of an order's commercial partner and
company-currency amount (_orders_select), and the full pass's table of them
with their lines' margin, read once for the facts, the lifetime value
inputs, the gaps between orders, health's order rhythm and the
recommendations' purchases (joined to their lines)."""

from odoo import api, models
from odoo.tools import SQL

from .value_sql import window


class ValueOrders(models.AbstractModel):
    # a room of its own: the facts' file stays under 500 lines
    _inherit = "zhongzheng.value.facts"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _orders_select(self, company, where, end=None):
        """SQL of the company's confirmed orders `so` (with their partner
        `p`) that `where` lets through, before `end` if given: id,
        partner_id (the commercial partner), date_order, amount (untaxed,
        company currency), amount_untaxed and rate."""
        return SQL(
            """
                SELECT so.id, p.commercial_partner_id AS partner_id, so.date_order,
                       so.amount_untaxed / COALESCE(NULLIF(so.currency_rate, 0), 1)
                           AS amount,
                       so.amount_untaxed,
                       COALESCE(NULLIF(so.currency_rate, 0), 1) AS rate
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %(company)s AND so.state = 'sale'
                   AND %(end)s AND %(where)s""",
            company=company.id,
            end=SQL("TRUE") if end is None else SQL("so.date_order < %s", end),
            where=where,
        )

    @api.model
    def _orders_sql(self, company, as_of, where=None):
        """SQL of the company's confirmed orders up to as_of (the columns
        of _orders_select): the full pass's zz_value_orders when it is open
        and no `where` (a condition on sale_order so and its partner p)
        narrows them, else read from sale_order."""
        end = window(company, as_of)[1]
        if where is None and self._orders_open(company, as_of):
            return SQL("SELECT * FROM zz_value_orders WHERE date_order < %s", end)
        return self._orders_select(company, where or SQL("TRUE"), end)

    @api.model
    def _orders_ctes(self, company, params, margin, only_p, partner_ids):
        """CTEs up to `so_orders`: the company's confirmed orders (of the
        partners `only_p` lets through) at any date, with their commercial
        partner, date, amount and amount untaxed in company currency, rate
        and the margin of their lines up to the window's end."""
        return SQL(
            """
            products AS (%(products)s),
            so AS (%(so)s),
            -- the lines by their own stored company and state, joined to
            -- their orders' rates: not through `so`, which then becomes a
            -- materialised CTE (read twice) joined to a hash of 1M lines
            so_margin AS (
                SELECT sol.order_id AS id, SUM(%(margin)s) AS margin
                  FROM sale_order_line sol
                  JOIN (SELECT so.id, COALESCE(NULLIF(so.currency_rate, 0), 1) AS rate
                          FROM sale_order so
                         WHERE so.company_id = %(company)s AND so.state = 'sale'
                           AND so.date_order < %(end)s) so ON so.id = sol.order_id
                  JOIN products pp ON pp.id = sol.product_id
                  JOIN uom_uom lu ON lu.id = sol.product_uom
                 WHERE sol.company_id = %(company)s AND sol.state = 'sale'
                   AND sol.display_type IS NULL AND sol.is_downpayment IS NOT TRUE
                   %(lines)s
                 GROUP BY sol.order_id
            ),
            so_orders AS (
                SELECT so.*, m.margin FROM so LEFT JOIN so_margin m ON m.id = so.id
            )""",
            products=self._products_sql(company),
            company=company.id,
            end=params["end"],
            so=self._orders_select(company, SQL("TRUE %s", only_p)),
            margin=margin,
            # a few customers: their orders' lines by the order index
            lines=SQL()
            if partner_ids is None
            else SQL("AND sol.order_id IN (SELECT id FROM so)"),
        )

    @api.model
    def _open_orders(self, company, as_of):
        """The full pass's orders table, zz_value_orders: every confirmed
        order of the company (_orders_ctes), read once for the steps of
        the pass that aggregate orders (facts, the lifetime value inputs,
        the gaps between orders, health, the recommendations' purchases),
        and zz_value_partners. Returns self in a context that says so
        (_orders_open); _close_orders drops them."""
        for model in (
            "sale.order",
            "sale.order.line",
            "res.partner",
            "product.product",
        ):
            self.env[model].flush_model()
        params = {"end": window(company, as_of)[1]}
        margin = self.with_company(company)._sale_margin_sql()
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS zz_value_orders")
        cr.execute(
            SQL(
                "CREATE TEMP TABLE zz_value_orders ON COMMIT DROP AS"
                " WITH %s SELECT * FROM so_orders",
                self._orders_ctes(company, params, margin, SQL(), None),
            )
        )
        # and each partner's commercial partner, a narrow table the
        # deliveries and purchases join by hash, not by res_partner's index
        # once per document
        cr.execute(
            "DROP TABLE IF EXISTS zz_value_partners;"
            " CREATE TEMP TABLE zz_value_partners ON COMMIT DROP AS"
            " SELECT id, commercial_partner_id FROM res_partner;"
            " ANALYZE zz_value_orders; ANALYZE zz_value_partners"
        )
        return self.with_context(zz_value_orders=(company.id, str(as_of)))

    @api.model
    def _close_orders(self):
        self.env.cr.execute(
            "DROP TABLE IF EXISTS zz_value_orders;"
            " DROP TABLE IF EXISTS zz_value_partners"
        )

    @api.model
    def _orders_open(self, company, as_of):
        """Whether zz_value_orders holds the company's orders for as_of
        (a full pass opened it)."""
        return self.env.context.get("zz_value_orders") == (company.id, str(as_of))
