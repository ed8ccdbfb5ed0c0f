from odoo import fields, models


class ServiceTicketType(models.Model):
    _name = "zhongzheng.service.ticket.type"
    _description = "Service Ticket Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Stable key for integrations.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    is_claim = fields.Boolean(help="Tickets of this type carry a claim.")
    description = fields.Text(translate=True)

    _sql_constraints = [
        ("code_uniq", "UNIQUE(code)", "A ticket type code must be unique."),
    ]


class ServiceTicketStage(models.Model):
    _name = "zhongzheng.service.ticket.stage"
    _description = "Service Ticket Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    fold = fields.Boolean(string="Folded in Kanban")
    is_closed = fields.Boolean(
        string="Closing Stage", help="Tickets here are done (resolved or closed)."
    )
    is_cancelled = fields.Boolean(
        string="Cancelled", help="Closed without being solved; kept out of SLA figures."
    )
    is_paused = fields.Boolean(
        string="Pauses the SLA",
        help="Time spent here (waiting on the customer) does not count "
        "towards SLA deadlines.",
    )
    description = fields.Text(translate=True)
