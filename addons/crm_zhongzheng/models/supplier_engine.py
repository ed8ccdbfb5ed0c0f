"""Supplier rating from purchase data: a step of the customer value pipeline."""

from odoo import api, fields, models
from odoo.tools import SQL

from .value_sql import execute, flush, id_list, partner_filter, prepared, window

# the figures this step writes
SUPPLIER_FIELDS = (
    "supplier_receipt_count",
    "supplier_on_time_rate",
    "supplier_qty_accuracy",
    "supplier_incident_count",
    "supplier_rating",
)
# weights of the rating, in points out of 100
ON_TIME_POINTS, ACCURACY_POINTS, QUALITY_POINTS = 50.0, 40.0, 10.0


class SupplierEngine(models.AbstractModel):
    """On-time receipts, quantity accuracy and quality incidents of each
    supplier, and a 0-100 rating from them. Other parts of the addon add
    quality incidents through `_quality_incident_queries`."""

    _name = "zhongzheng.supplier.engine"
    _description = "Supplier Rating Rules"

    @api.model
    def _quality_incident_queries(self, company, start, end, partners):
        """Hook: SQL queries of rows (partner_id, incidents), quality
        incidents of a supplier over [start, end), for the suppliers of the
        subquery `partners`; the rating adds them up. None in the core: see
        service_ticket_costs.py."""
        return []

    @api.model
    def _quality_incidents(self, company, start, end, partner_ids):
        """{supplier id: quality incidents} in the window."""
        queries = self._quality_incident_queries(
            company, start, end, id_list(partner_ids)
        )
        if not queries:
            return {}
        self.env.cr.execute(
            SQL(
                "SELECT partner_id, SUM(incidents)::int FROM (%s) i"
                " GROUP BY partner_id",
                SQL(" UNION ALL ").join(queries),
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _compute_supplier_facts(self, company, partner_ids=None, as_of=None):
        """On-time receipt rate (done receipts vs their scheduled date),
        quantity accuracy (received vs ordered on purchase lines) and
        quality incidents of each supplier, and a 0-100 rating from them."""
        as_of = as_of or fields.Date.context_today(self)
        start, end = window(company, as_of)
        flush(self.env, "stock.picking", "purchase.order", "purchase.order.line")
        execute(
            self.env.cr,
            SQL(
                """
            WITH receipts AS (
                SELECT p.commercial_partner_id AS partner_id, COUNT(*) AS n,
                       100.0 * COUNT(*) FILTER (
                           WHERE sp.date_done <= sp.scheduled_date)
                           / COUNT(*) AS on_time
                  FROM stock_picking sp
                  JOIN stock_picking_type spt ON spt.id = sp.picking_type_id
                  JOIN res_partner p ON p.id = sp.partner_id
                 WHERE sp.company_id = %(company)s AND sp.state = 'done'
                   AND spt.code = 'incoming'
                   AND sp.date_done >= %(start)s AND sp.date_done < %(end)s
                   AND %(filter)s
                 GROUP BY 1
            ),
            quantities AS (
                SELECT p.commercial_partner_id AS partner_id,
                       100.0 * SUM(GREATEST(0, pol.product_qty
                                   - ABS(pol.qty_received - pol.product_qty)))
                           / NULLIF(SUM(pol.product_qty), 0) AS accuracy
                  FROM purchase_order_line pol
                  JOIN purchase_order po ON po.id = pol.order_id
                  JOIN res_partner p ON p.id = po.partner_id
                 WHERE po.company_id = %(company)s
                   AND po.state IN ('purchase', 'done')
                   AND po.date_order >= %(start)s AND po.date_order < %(end)s
                   AND pol.display_type IS NULL AND pol.qty_received > 0
                   AND %(filter)s
                 GROUP BY 1
            )
            SELECT COALESCE(r.partner_id, q.partner_id), COALESCE(r.n, 0),
                   ROUND(r.on_time::numeric, 1)::float8,
                   ROUND(q.accuracy::numeric, 1)::float8
              FROM receipts r FULL JOIN quantities q ON q.partner_id = r.partner_id
            """,
                company=company.id,
                start=start,
                end=end,
                filter=partner_filter(("p", "commercial_partner_id"), partner_ids),
            ),
            prepared(self.env),
        )
        found = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        # suppliers rated before keep a row, so their figures can drop to none
        writer = self.env["zhongzheng.value.writer"]
        self.env.cr.execute(
            SQL(
                "SELECT f.partner_id FROM %s f WHERE %s AND %s",
                writer._figures(company),
                writer._holds("f", ["supplier_rating"]),
                partner_filter(("f", "partner_id"), partner_ids),
            )
        )
        population = set(found) | {r[0] for r in self.env.cr.fetchall()}
        if not population:
            # no supplier among them: the customer of a confirmed order,
            # most often (no incident query, planned anew in each cron run)
            return 0
        incidents = self._quality_incidents(company, start, end, population)
        rows = []
        for pid in sorted(population):
            receipts, on_time, accuracy = found.get(pid, (0, None, None))
            count = incidents.get(pid, 0)
            rating = None
            if receipts or accuracy is not None:
                quality = 1.0 - min(1.0, count / max(receipts, 1))
                rating = round(
                    ON_TIME_POINTS * (on_time if on_time is not None else 100.0) / 100
                    + ACCURACY_POINTS
                    * (accuracy if accuracy is not None else 100.0)
                    / 100
                    + QUALITY_POINTS * quality,
                    1,
                )
            rows.append(
                {
                    "partner_id": pid,
                    "supplier_receipt_count": receipts,
                    "supplier_on_time_rate": on_time,
                    "supplier_qty_accuracy": accuracy,
                    "supplier_incident_count": count,
                    "supplier_rating": rating,
                }
            )
        return self.env["zhongzheng.value.writer"]._write_rows(
            company, rows, SUPPLIER_FIELDS
        )
