from markupsafe import Markup, escape

from odoo import api, fields, models

EVENT_KINDS = [
    ("intake", "Order Intake Registered"),
    ("picked_up", "Picked Up"),
    ("in_transit", "In Transit"),
    ("hub", "Arrived at Hub"),
    ("out_for_delivery", "Out for Delivery"),
    ("exception", "Exception"),
    ("delivered", "Delivered and Signed"),
]


class TrackingEvent(models.Model):
    """One step of a shipment's journey (在途追踪), from the carrier, the
    warehouse system or entered by hand. An exception opens a service
    ticket on the delivery, or adds to its open one."""

    _name = "zhongzheng.tracking.event"
    _description = "Shipment Tracking Event"
    _order = "event_time desc, id desc"
    _rec_name = "kind"

    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery",
        required=True,
        ondelete="cascade",
        index=True,
    )
    # computed before the INSERT: no UPDATE of the new row right after it
    company_id = fields.Many2one(
        related="picking_id.company_id", store=True, precompute=True
    )
    partner_id = fields.Many2one(
        related="picking_id.partner_id",
        string="Customer",
        store=True,
        precompute=True,
    )
    kind = fields.Selection(EVENT_KINDS, string="Event", required=True)
    event_time = fields.Datetime(
        string="Time", required=True, default=fields.Datetime.now
    )
    location = fields.Char()
    note = fields.Text()
    signed_by = fields.Char()
    external_id = fields.Char(
        string="External Event ID",
        index=True,
        copy=False,
        help="The sender's id of the event: the same event sent twice is "
        "recorded once.",
    )
    ticket_id = fields.Many2one("zhongzheng.service.ticket", readonly=True, copy=False)

    _sql_constraints = [
        (
            "external_id_uniq",
            "UNIQUE(picking_id, external_id)",
            "This event was already recorded for this delivery.",
        )
    ]

    @api.model_create_multi
    def create(self, vals_list):
        events = super().create(vals_list)
        exceptions = events.filtered(lambda e: e.kind == "exception")
        if exceptions:
            exceptions._open_exception_tickets()
        return events

    def _open_exception_tickets(self):
        Ticket = self.env["zhongzheng.service.ticket"].sudo()
        exception_type = self.env.ref("crm_zhongzheng.service_ticket_type_exception")
        for event in self:
            picking = event.picking_id
            ticket = Ticket.search(
                [
                    ("picking_id", "=", picking.id),
                    ("type_id", "=", exception_type.id),
                    ("is_closed", "=", False),
                ],
                limit=1,
            )
            details = " — ".join(
                filter(None, [event.location, event.note])
            ) or self.env._("no details")
            if ticket:
                ticket.message_post(
                    body=self.env._(
                        "New delivery exception on %(picking)s: %(details)s",
                        picking=picking.name,
                        details=details,
                    )
                )
            else:
                ticket = Ticket.create(
                    {
                        "name": self.env._(
                            "Delivery exception: %(picking)s", picking=picking.name
                        ),
                        "type_id": exception_type.id,
                        "partner_id": picking.partner_id.id,
                        **Ticket._picking_link_values(picking),
                        "company_id": picking.company_id.id,
                        "priority": "2",
                        # what a carrier sent is text, never markup
                        "description": Markup("<p>%s</p>")
                        % Markup("<br/>").join(
                            escape(line) for line in details.splitlines()
                        ),
                    }
                )
            event.ticket_id = ticket
