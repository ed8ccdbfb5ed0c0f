"""Cross-sell and up-sell (交叉销售、向上销售): a step of the customer value
pipeline, in the full pass only, after the tiers and health.

From the company's confirmed sale lines, per commercial partner and
product (contacts roll up), in a few statements:

    rules       product A -> B among customers, of the most telling kind it
                fits: consumable (a product bought again and again, typically
                N days after a device bought once), up-sell (a pricier
                product of A's category that A's buyers moved to later), else
                co-purchase (confidence: the share of A's buyers who bought
                B), each kept from a minimum support (share of all
                customers, at least two of them) and confidence (company
                settings)
    per customer the top N products it has not bought in the last 12
                months, scored by the best rule from a product it buys; a
                customer of fewer than two products also gets its tier's
                best sellers (everyone's, without a tier)

Only products that can be sold are recommended (active, can be sold, of the
company or of none). The rules go to zhongzheng.product.affinity, the
recommendations to zhongzheng.customer.recommendation, both in SQL (the
engine's own write, whatever the user's rights: recommendation_write.py);
the reasons are worded on reading, in the reader's language.
"""

import logging
import math
from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .recommendation_sql import RECOMMENDATION_QUERY

_logger = logging.getLogger(__name__)

# lookback: a product bought in it is not recommended again
RECENT_MONTHS = 12
# a device is bought on about one order per buyer, a consumable on several
DEVICE_MAX_ORDERS, CONSUMABLE_MIN_ORDERS = 1.5, 2.0
# a sale line of a product, neither a section, a note nor a down payment
PRODUCT_LINE = SQL(
    "sol.product_id IS NOT NULL AND sol.display_type IS NULL"
    " AND NOT COALESCE(sol.is_downpayment, FALSE) AND sol.product_uom_qty > 0"
)


class Recommendation(models.AbstractModel):
    _name = "zhongzheng.recommendation"
    _description = "Product Recommendations"

    @api.model
    def _compute_recommendations(self, company, as_of=None):
        """Rules and recommendations of every customer of the company as of
        a date, from the confirmed sales up to it, by the method that won
        the company's last backtest (recommendation_backtest.py). Returns
        the number of recommendations."""
        params = self._prepare(
            company,
            as_of or fields.Date.context_today(self),
            popularity=company.recommendation_method == "popularity",
        )
        self._write_affinity(params)
        count = self._write_recommendations(params)
        _logger.info(
            "recommendations: company %s, %s customers, %s recommendations",
            company.id,
            params["customers"],
            count,
        )
        return count

    @api.model
    def _prepare(self, company, as_of, popularity=False, backtest=False):
        """The purchases up to the date and the rules (temporary tables) and
        the parameters of the recommendation query: by co-purchase, or
        (popularity) everyone the best sellers it has not bought. A backtest
        knows no tier (today's tiers know the future) and only the
        dismissals made before the date."""
        for model in ("sale.order", "sale.order.line", "product.product"):
            self.env[model].flush_model()
        self.env["product.template"].flush_model(
            ["active", "sale_ok", "company_id", "categ_id", "list_price"]
            + ["no_recommend"]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["zhongzheng.recommendation.dismissal"].flush_model()
        end = fields.Datetime.to_datetime(as_of) + timedelta(days=1)
        params = {
            "company": company.id,
            "end": end,
            "recent": as_of - relativedelta(months=RECENT_MONTHS),
            "as_of": as_of,
            "min_confidence": company.recommendation_min_confidence,
            "top": company.recommendation_count,
            "popularity": popularity,
            "dismissed_before": end if backtest else None,
            "figures": (
                SQL("(SELECT NULL::integer AS partner_id, NULL::integer AS tier_id)")
                if backtest
                else self.env["zhongzheng.value.writer"]._figures(company)
            ),
        }
        # the confirmed orders up to the date: a full pass's zz_value_orders
        orders = self.env["zhongzheng.value.facts"]._orders_sql(company, as_of)
        customers = self._buys(params, orders)
        params["customers"] = max(customers, 1)
        params["min_count"] = max(
            2,
            math.ceil(round(company.recommendation_min_support * customers / 100.0, 6)),
        )
        self._rules(params)
        return params

    @api.model
    def _sold_lines(self, company_id, end, start=None):
        """The company's confirmed product lines ordered before `end` (and
        from `start`): partner_id (the commercial partner), product_id,
        date_order."""
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id, sol.product_id,
                   so.date_order
              FROM sale_order_line sol
              JOIN sale_order so ON so.id = sol.order_id
              JOIN res_partner p ON p.id = so.partner_id
             WHERE so.company_id = %s AND so.state = 'sale'
               AND so.date_order < %s AND so.date_order >= %s
               AND %s
            """,
            company_id,
            end,
            start or datetime.min,
            PRODUCT_LINE,
        )

    @api.model
    def _temp_table(self, name, query):
        """(Re)create the temporary table `name` of the rows of `query`."""
        cr = self.env.cr
        cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(name)))
        cr.execute(
            SQL(
                "CREATE TEMP TABLE %s ON COMMIT DROP AS %s",
                SQL.identifier(name),
                query,
            )
        )

    @api.model
    def _buys(self, params, orders):
        """Per customer and product: first and last purchase, lines (about
        one an order: a hash aggregate, not a sort for distinct orders),
        of the product lines of `orders` (value_orders._orders_sql: in a
        full pass its orders table, read once); per customer
        (zz_reco_members): its products, those of the lookback, its tier;
        per product: buyers, orders per buyer, category, price, whether it
        can be sold. Returns the number of customers.

        The purchases are stored in the order of their customers: the
        statements that join them by customer (the pairs, the candidates)
        then meet one customer's rows one after the other, in the hash
        tables too, which keeps those in the CPU's cache (at 100,000
        customers: the pairs 0.86 -> 0.40 s)."""
        cr = self.env.cr
        self._temp_table(
            "zz_reco_buys",
            SQL(
                """
            SELECT l.partner_id, l.product_id,
                   MIN(l.date_order)::date AS first_date,
                   MAX(l.date_order)::date AS last_date,
                   COUNT(*) AS lines
              FROM (SELECT so.partner_id, sol.product_id, so.date_order
                      FROM sale_order_line sol
                      JOIN (%(orders)s) so ON so.id = sol.order_id
                     WHERE %(product_line)s) l
            GROUP BY 1, 2
            ORDER BY 1
            """,
                orders=orders,
                product_line=PRODUCT_LINE,
            ),
        )
        cr.execute("ANALYZE zz_reco_buys")
        # a table, not a CTE of the statement: read by hash, with its
        # statistics (a CTE is estimated at millions of rows)
        self._temp_table(
            "zz_reco_members",
            SQL(
                """
            SELECT o.partner_id, o.products, o.recent, f.tier_id
              FROM (SELECT partner_id, COUNT(*) AS products,
                           COUNT(*) FILTER (WHERE last_date >= %(recent)s)
                               AS recent
                      FROM zz_reco_buys GROUP BY 1) o
              LEFT JOIN %(figures)s f ON f.partner_id = o.partner_id
            """,
                **params,
            ),
        )
        cr.execute("ANALYZE zz_reco_members")
        self._temp_table(
            "zz_reco_products",
            SQL(
                """
            SELECT b.product_id, COUNT(*) AS buyers,
                   AVG(b.lines)::float8 AS orders_per_buyer,
                   pt.categ_id, pt.list_price,
                   (pp.active AND pt.active AND pt.sale_ok
                    AND (pt.company_id IS NULL OR pt.company_id = %(company)s)
                    AND NOT COALESCE(pt.no_recommend, FALSE))
                       AS sellable
              FROM zz_reco_buys b
              JOIN product_product pp ON pp.id = b.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
             GROUP BY b.product_id, pt.categ_id, pt.list_price, pp.active,
                      pt.active, pt.sale_ok, pt.company_id, pt.no_recommend
            """,
                **params,
            ),
        )
        cr.execute("ALTER TABLE zz_reco_products ADD PRIMARY KEY (product_id)")
        cr.execute("ANALYZE zz_reco_products")
        # (a partner without its commercial partner counts as none)
        cr.execute("SELECT COUNT(partner_id) FROM zz_reco_members")
        return cr.fetchone()[0]

    @api.model
    def _rules(self, params):
        """zz_reco_pairs: products bought by the same customers (both: any
        order; after: B first bought after A), then zz_reco_rules: the pairs
        that make a recommendation of B to A's buyers, each of the most
        telling kind it fits (consumable, up-sell, else co-purchase) with
        the share of A's buyers behind it, numbered in the order of
        preference (`pos`: the larger share first; `place`: the same among
        A's rules); consumables with the median days from A to B."""
        # a pair's support is at most either product's: the rarer ones can
        # not pass, and only a product that can be sold is recommended
        self._temp_table(
            "zz_reco_pairs",
            SQL(
                """
            SELECT a.product_id AS a, b.product_id AS b,
                   COUNT(*) AS both_count,
                   COUNT(*) FILTER (WHERE b.first_date > a.first_date)
                       AS after_count
              FROM zz_reco_buys a
              JOIN zz_reco_buys b
                ON b.partner_id = a.partner_id AND b.product_id <> a.product_id
             WHERE a.product_id IN (SELECT product_id FROM zz_reco_products
                                     WHERE buyers >= %(min_count)s)
               AND b.product_id IN (SELECT product_id FROM zz_reco_products
                                     WHERE buyers >= %(min_count)s AND sellable)
             GROUP BY 1, 2
            HAVING COUNT(*) >= %(min_count)s
            """,
                **params,
            ),
        )
        self._temp_table(
            "zz_reco_rules",
            SQL(
                """
            SELECT r.*, NULL::integer AS median_days,
                   ROW_NUMBER() OVER (ORDER BY r.share DESC, r.prio, r.a, r.b)
                       AS pos,
                   ROW_NUMBER() OVER (PARTITION BY r.a
                                      ORDER BY r.share DESC, r.prio, r.b)
                       AS place
              FROM (
                SELECT p.a, p.b, k.kind, k.prio, k.share
                  FROM zz_reco_pairs p
                  JOIN zz_reco_products pa ON pa.product_id = p.a
                  JOIN zz_reco_products pb ON pb.product_id = p.b
                 CROSS JOIN LATERAL (
                    SELECT v.kind, v.prio, v.share
                      FROM (VALUES
                        ('consumable', 0, 100.0 * p.after_count / pa.buyers,
                         pb.list_price < pa.list_price
                         AND pa.orders_per_buyer <= %(device)s
                         AND pb.orders_per_buyer >= %(consumable)s
                         AND p.after_count >= %(min_count)s),
                        ('up_sell', 1, 100.0 * p.after_count / pa.buyers,
                         pb.categ_id = pa.categ_id
                         AND pb.list_price > pa.list_price
                         AND p.after_count >= %(min_count)s),
                        ('cross_sell', 2, 100.0 * p.both_count / pa.buyers, TRUE)
                      ) v(kind, prio, share, fits)
                     WHERE v.fits AND v.share >= %(min_confidence)s
                     ORDER BY v.prio LIMIT 1
                 ) k
              ) r
            """,
                device=DEVICE_MAX_ORDERS,
                consumable=CONSUMABLE_MIN_ORDERS,
                **params,
            ),
        )
        cr = self.env.cr
        cr.execute("CREATE INDEX ON zz_reco_rules (a, place)")
        cr.execute("ALTER TABLE zz_reco_rules ADD PRIMARY KEY (pos)")
        cr.execute(
            """
            UPDATE zz_reco_rules r SET median_days = m.days
              FROM (SELECT c.a, c.b,
                           percentile_disc(0.5) WITHIN GROUP
                               (ORDER BY b.first_date - a.first_date) AS days
                      FROM zz_reco_rules c
                      JOIN zz_reco_buys a ON a.product_id = c.a
                      JOIN zz_reco_buys b
                        ON b.partner_id = a.partner_id AND b.product_id = c.b
                       AND b.first_date > a.first_date
                     WHERE c.kind = 'consumable'
                     GROUP BY 1, 2) m
             WHERE r.kind = 'consumable' AND r.a = m.a AND r.b = m.b
            """
        )
        cr.execute("ANALYZE zz_reco_rules")

    @api.model
    def _recommendation_query(self):
        """The statement that makes the recommendations (recommendation_sql)."""
        return RECOMMENDATION_QUERY
