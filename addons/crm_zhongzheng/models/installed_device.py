from odoo import fields, models
from odoo.tools import SQL

SERVICE_USER = "crm_zhongzheng.group_service_user"


class InstalledDevice(models.Model):
    """The installed base (在用设备): one row per lot or serial number, the
    customer (commercial partner) who holds it and the company that
    delivered it, with what was delivered, when, by which delivery order and
    where to, and the warranty and maintenance dates that follow.

    A SQL view over the done move lines, not a stored table: the holder is
    the balance of the lot's moves into customer locations minus those out
    of them (returns), per customer, so a return, a re-delivery to another
    customer, a dropship or a manual move to a customer location is in the
    installed base the moment the move is done, with no refresh hook to
    miss and nothing to keep in step. The customer is the sales order's
    (so a distributor keeps the devices it had shipped to a hospital, whose
    address is the delivery address), else the delivery's partner. Reading
    it aggregates the lot's customer moves only (the move lines' ``lot_id``
    index), which is cheap per customer or lot; the dates follow in SQL,
    so every column can be searched and grouped.

    The warranty starts at delivery, or at the lot's installation date when
    one is recorded on or after that delivery (an older one was the
    previous holder's); it runs for the product's warranty months, else its
    category's. Maintenance falls due every ``zz_maintenance_months`` after
    that start or the last done maintenance visit, whichever is later."""

    _name = "zhongzheng.installed.device"
    _description = "Installed Device"
    _auto = False
    _order = "delivery_date desc, id desc"
    _rec_name = "lot_id"
    _depends = {
        "stock.move.line": [
            "state",
            "lot_id",
            "product_id",
            "company_id",
            "picking_id",
            "date",
            "location_id",
            "location_dest_id",
            "quantity_product_uom",
            "move_id",
        ],
        "stock.move": ["partner_id", "sale_line_id"],
        "stock.picking": ["partner_id"],
        "stock.location": ["usage"],
        "res.partner": ["commercial_partner_id"],
        "sale.order.line": ["order_id"],
        "sale.order": ["partner_id"],
        "stock.lot": ["zz_installation_date", "zz_last_maintenance_date"],
        "product.product": ["product_tmpl_id"],
        "product.template": [
            "categ_id",
            "zz_warranty_months",
            "zz_maintenance_months",
        ],
        "product.category": ["zz_warranty_months"],
        "zhongzheng.device.recall": ["state", "lot_ids", "company_id"],
    }

    lot_id = fields.Many2one("stock.lot", string="Lot/Serial Number", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    quantity = fields.Float(digits="Product Unit of Measure", readonly=True)
    delivery_date = fields.Date(readonly=True)
    picking_id = fields.Many2one(
        "stock.picking", string="Delivery Order", readonly=True
    )
    address_id = fields.Many2one(
        "res.partner",
        string="Delivery Address",
        readonly=True,
        help="Where the last delivery went: for a distributor, the hospital "
        "it had the device shipped to.",
    )
    installation_date = fields.Date(readonly=True)
    warranty_months = fields.Integer(readonly=True)
    warranty_end = fields.Date(readonly=True)
    under_warranty = fields.Boolean(readonly=True)
    recalled = fields.Boolean(
        readonly=True, help="The lot is under a running recall of its company."
    )
    maintenance_due_date = fields.Date(
        string="Next Maintenance", readonly=True, groups=SERVICE_USER
    )
    ticket_ids = fields.Many2many(
        "zhongzheng.service.ticket",
        string="Service History",
        compute="_compute_ticket_ids",
        groups=SERVICE_USER,
    )
    ticket_count = fields.Integer(
        string="Tickets", compute="_compute_ticket_ids", groups=SERVICE_USER
    )

    def _compute_ticket_ids(self):
        tickets = self.env["zhongzheng.service.ticket"].search(
            [("lot_ids", "in", self.lot_id.ids)], order="id desc"
        )
        for device in self:
            device.ticket_ids = tickets.filtered(
                lambda t, d=device: (
                    d.lot_id in t.lot_ids and t.commercial_partner_id == d.partner_id
                )
            )
            device.ticket_count = len(device.ticket_ids)

    def _moves_query(self):
        """The done moves of lots between us and a customer, signed: + into
        a customer location, - out of one (a return)."""
        return SQL("""
            SELECT sml.id, sml.lot_id, sml.product_id, sml.company_id,
                   sml.picking_id, sml.date,
                   COALESCE(so_partner.commercial_partner_id,
                            address.commercial_partner_id) AS partner_id,
                   address.id AS address_id,
                   dest.usage = 'customer' AS is_delivery,
                   CASE WHEN dest.usage = 'customer'
                        THEN sml.quantity_product_uom
                        ELSE -sml.quantity_product_uom END AS quantity
              FROM stock_move_line sml
              JOIN stock_move sm ON sm.id = sml.move_id
              JOIN stock_location src ON src.id = sml.location_id
              JOIN stock_location dest ON dest.id = sml.location_dest_id
         LEFT JOIN stock_picking picking ON picking.id = sml.picking_id
         LEFT JOIN res_partner address
                ON address.id = COALESCE(picking.partner_id, sm.partner_id)
         LEFT JOIN sale_order_line sol ON sol.id = sm.sale_line_id
         LEFT JOIN sale_order so ON so.id = sol.order_id
         LEFT JOIN res_partner so_partner ON so_partner.id = so.partner_id
             WHERE sml.state = 'done'
               AND sml.lot_id IS NOT NULL
               AND (src.usage = 'customer') <> (dest.usage = 'customer')
        """)

    def _holdings_query(self):
        """Per lot, customer and company, what it holds now and its last
        delivery (the newest delivery's move line id is the row's id)."""
        return SQL(
            """
            SELECT MAX(m.id) FILTER (WHERE m.is_delivery) AS id,
                   m.lot_id, m.partner_id, m.company_id,
                   MIN(m.product_id) AS product_id,
                   SUM(m.quantity) AS quantity,
                   (ARRAY_AGG(m.picking_id ORDER BY m.date DESC, m.id DESC)
                        FILTER (WHERE m.is_delivery))[1] AS picking_id,
                   (ARRAY_AGG(m.address_id ORDER BY m.date DESC, m.id DESC)
                        FILTER (WHERE m.is_delivery))[1] AS address_id,
                   (MAX(m.date) FILTER (WHERE m.is_delivery))::date
                        AS delivery_date
              FROM (%s) m
             WHERE m.partner_id IS NOT NULL
          GROUP BY m.lot_id, m.partner_id, m.company_id
            HAVING SUM(m.quantity) > 0
        """,
            self._moves_query(),
        )

    def _dates_query(self):
        """The holdings with their warranty and maintenance dates."""
        return SQL(
            """
            SELECT h.*,
                   CASE WHEN lot.zz_installation_date >= h.delivery_date
                        THEN lot.zz_installation_date END AS installation_date,
                   GREATEST(h.delivery_date, lot.zz_installation_date)
                        AS warranty_start,
                   GREATEST(h.delivery_date, lot.zz_installation_date,
                            lot.zz_last_maintenance_date) AS maintenance_start,
                   COALESCE(NULLIF(tmpl.zz_warranty_months, 0),
                            categ.zz_warranty_months, 0) AS warranty_months,
                   COALESCE(tmpl.zz_maintenance_months, 0) AS maintenance_months,
                   EXISTS (
                       SELECT 1
                         FROM zhongzheng_device_recall_stock_lot_rel rel
                         JOIN zhongzheng_device_recall recall
                           ON recall.id = rel.recall_id
                        WHERE rel.lot_id = h.lot_id
                          AND recall.state = 'running'
                          AND recall.company_id = h.company_id
                   ) AS recalled
              FROM (%s) h
              JOIN stock_lot lot ON lot.id = h.lot_id
              JOIN product_product product ON product.id = h.product_id
              JOIN product_template tmpl ON tmpl.id = product.product_tmpl_id
         LEFT JOIN product_category categ ON categ.id = tmpl.categ_id
        """,
            self._holdings_query(),
        )

    def _select_query(self):
        return SQL(
            """
            SELECT d.id, d.lot_id, d.product_id, d.partner_id, d.company_id,
                   d.quantity, d.picking_id, d.address_id, d.delivery_date,
                   d.installation_date, d.warranty_months, d.recalled,
                   CASE WHEN d.warranty_months > 0
                        THEN (d.warranty_start
                              + d.warranty_months * INTERVAL '1 month')::date
                        END AS warranty_end,
                   d.warranty_months > 0
                       AND (d.warranty_start
                            + d.warranty_months * INTERVAL '1 month')::date
                           >= CURRENT_DATE AS under_warranty,
                   CASE WHEN d.maintenance_months > 0
                        THEN (d.maintenance_start
                              + d.maintenance_months * INTERVAL '1 month')::date
                        END AS maintenance_due_date
              FROM (%s) d
        """,
            self._dates_query(),
        )

    @property
    def _table_query(self):
        return self._select_query()
