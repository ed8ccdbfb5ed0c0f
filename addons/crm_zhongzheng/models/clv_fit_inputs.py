"""The purchase summaries a lifetime value fit reads, one SQL statement:
purchase days per customer and the value of a purchase in the company's
chosen basis (revenue, margin, or margin minus cost-to-serve per order)."""

from datetime import date, timedelta

import numpy as np

from odoo import api, fields, models
from odoo.tools import SQL

from .clv_fit import ClvInputs
from .value_sql import execute, flush, partner_filter, prepared


class ClvFitInputs(models.Model):
    # a room of its own: the model's files stay under 500 lines
    _inherit = "zhongzheng.clv.fit"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _days_sql(self, company, summed=False):
        """Rows (partner_id, day, amount) of the orders `so`: each purchase
        day's value in the company's lifetime value basis, company currency
        (revenue from the orders alone; margin needs their lines, unless
        `so` has their sum: `summed`)."""
        if company.clv_value_basis == "revenue":
            return SQL(
                "SELECT partner_id, day, SUM(so.amount_untaxed / so.rate) AS amount"
                " FROM so GROUP BY 1, 2"
            )
        if summed:
            return SQL(
                "SELECT partner_id, day, COALESCE(SUM(so.margin), 0) AS amount"
                " FROM so GROUP BY 1, 2"
            )
        margin = (
            self.env["zhongzheng.value.facts"].with_company(company)._sale_margin_sql()
        )
        return SQL(
            """
                SELECT so.partner_id, so.day, COALESCE(SUM(%s), 0) AS amount
                  FROM so
                  LEFT JOIN sale_order_line sol
                         ON sol.order_id = so.id AND sol.display_type IS NULL
                        AND sol.is_downpayment IS NOT TRUE
                  LEFT JOIN products pp ON pp.id = sol.product_id
                  LEFT JOIN uom_uom lu ON lu.id = sol.product_uom
                 GROUP BY 1, 2""",
            margin,
        )

    @api.model
    def _cost_per_order_sql(self, company, end, partners):
        """Rows (partner_id, cost): each customer's cost-to-serve from its
        first day up to `end`; none unless the basis is profit."""
        if company.clv_value_basis != "profit":
            partners = SQL("SELECT NULL::integer WHERE FALSE")
        return self.env["zhongzheng.value.facts"]._cost_to_serve(
            company, date(1970, 1, 1), end, partners
        )

    @api.model
    def _inputs(self, company, as_of, partner_ids=None):
        """The customers' ClvInputs up to as_of (company currency): x = days
        - 1, t_x = first to last day, T = first day to as_of, and the mean
        value of the repeat days, less the customer's cost-to-serve per
        purchase day for the profit basis."""
        flush(self.env, "sale.order", "sale.order.line", "product.product")
        end = fields.Datetime.to_datetime(as_of) + timedelta(days=1)
        facts = self.env["zhongzheng.value.facts"]
        only = (
            None
            if partner_ids is None
            else partner_filter(("p", "commercial_partner_id"), partner_ids)
        )
        orders = facts._orders_sql(company, as_of, only)
        so = SQL("SELECT o.*, o.date_order::date AS day FROM (%s) o", orders)
        # a full pass's orders hold their lines' margin
        days = self._days_sql(
            company, summed=only is None and facts._orders_open(company, as_of)
        )
        partners = SQL("SELECT DISTINCT partner_id FROM (%s) so", so)
        execute(
            self.env.cr,
            SQL(
                """
            WITH products AS (%(products)s),
            so AS (%(so)s),
            days AS (%(days)s),
            -- each day's place (k = 1: the first), one sort of the days
            -- that the grouping below then follows
            ordered AS (
                SELECT days.*, row_number() OVER (
                           PARTITION BY partner_id ORDER BY day) AS k
                  FROM days
            ),
            costs AS (%(costs)s)
            SELECT d.partner_id,
                   COUNT(*) - 1,
                   MAX(d.day) - MIN(d.day),
                   %(as_of)s::date - MIN(d.day),
                   COALESCE((SUM(d.amount) - SUM(d.amount) FILTER (WHERE d.k = 1))
                            / NULLIF(COUNT(*) - 1, 0), 0)
                   - COALESCE(MIN(c.cost), 0) / COUNT(*)
              FROM ordered d
              LEFT JOIN costs c ON c.partner_id = d.partner_id
             GROUP BY d.partner_id
             ORDER BY d.partner_id
            """,
                products=self.env["zhongzheng.value.facts"]._products_sql(company),
                so=so,
                days=days,
                costs=self._cost_per_order_sql(company, end, partners),
                as_of=as_of,
            ),
            prepared(self.env),
        )
        rows = self.env.cr.fetchall()
        if not rows:
            empty = np.array([], dtype=float)
            return ClvInputs([], empty, empty, empty, empty)
        data = np.array([r[1:] for r in rows], dtype=float)
        return ClvInputs([r[0] for r in rows], *data.T)
