from odoo import api, fields, models

from .tracking_event import EVENT_KINDS


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "zhongzheng.service.ticket.linked"]
    _ticket_link_field = "picking_id"

    tracking_event_ids = fields.One2many(
        "zhongzheng.tracking.event", "picking_id", string="Tracking Events"
    )
    tracking_status = fields.Selection(
        EVENT_KINDS,
        compute="_compute_tracking_status",
        store=True,
        help="The latest tracking event.",
    )
    tracking_status_time = fields.Datetime(
        compute="_compute_tracking_status", store=True
    )
    # The same field as stock_delivery's (not a dependency): with both
    # installed they share one column, so carriers' numbers land in one place.
    carrier_tracking_ref = fields.Char(
        string="Tracking Reference",
        copy=False,
        index="btree_not_null",
        help="The carrier's tracking number: tracking events sent over the "
        "API may name the delivery by it.",
    )
    service_ticket_ids = fields.One2many(
        "zhongzheng.service.ticket",
        "picking_id",
        string="Service Tickets",
        groups="crm_zhongzheng.group_service_user",
    )

    @api.depends("tracking_event_ids.kind", "tracking_event_ids.event_time")
    def _compute_tracking_status(self):
        stored = self.filtered("id")
        latest = {}
        if stored:
            # one query, newest first, for the saved deliveries (not all
            # their events' ids, then their fields)
            for event in self.env["zhongzheng.tracking.event"].search_fetch(
                [("picking_id", "in", stored.ids)],
                ["picking_id", "kind", "event_time"],
                order="event_time desc, id desc",
            ):
                latest.setdefault(event.picking_id.id, event)
        for picking in self:
            if picking.id:
                event = latest.get(picking.id) or self.env["zhongzheng.tracking.event"]
            else:
                event = picking.tracking_event_ids.sorted(
                    lambda e: (e.event_time, e.id), reverse=True
                )[:1]
            picking.tracking_status = event.kind
            picking.tracking_status_time = event.event_time

    def _service_ticket_defaults(self):
        return {
            **super()._service_ticket_defaults(),
            "partner_id": self.partner_id.id,
            "sale_order_id": self.sale_id.id,
            "purchase_order_id": self.purchase_id.id,
            "product_ids": self.move_ids.product_id.ids,
        }

    def _action_done(self):
        result = super()._action_done()
        deliveries = self.filtered(
            lambda p: p.state == "done" and p.picking_type_code == "outgoing"
        )
        self.env["zhongzheng.value.queue"].sudo()._enqueue_records(deliveries)
        return result
