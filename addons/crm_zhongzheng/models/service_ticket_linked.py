from odoo import fields, models


class ServiceTicketLinked(models.AbstractModel):
    """What a record with service tickets shows: their count (the smart
    button), the action listing them and *New Ticket*, a ticket form
    prefilled from the record. `_ticket_link_field` is the ticket field
    pointing at the record (or at what `_ticket_link_keys` returns);
    `_service_ticket_defaults` says what a new ticket copies from it."""

    _name = "zhongzheng.service.ticket.linked"
    _description = "Record with Service Tickets"
    _ticket_link_field = None
    _ticket_default_field = None  # default: the link field

    # tickets are Customer Service's: their count too, so that a sales,
    # purchase or inventory user's read() without a field list leaves it out
    service_ticket_count = fields.Integer(
        compute="_compute_service_ticket_count",
        groups="crm_zhongzheng.group_service_user",
    )

    def _compute_service_ticket_count(self):
        field = self._ticket_link_field
        counts = dict(
            self.env["zhongzheng.service.ticket"]._read_group(
                [(field, "in", self._ticket_link_keys().ids)], [field], ["__count"]
            )
        )
        for record in self:
            record.service_ticket_count = counts.get(record._ticket_link_keys(), 0)

    def action_view_service_tickets(self):
        default = self._ticket_default_field or self._ticket_link_field
        return self.env["zhongzheng.service.ticket"]._tickets_action(
            [(self._ticket_link_field, "in", self._ticket_link_keys().ids)],
            {f"default_{default}": self[:1].id},
        )

    def action_new_service_ticket(self):
        self.ensure_one()
        return self.env["zhongzheng.service.ticket"]._new_ticket_action(
            {
                f"default_{field}": value
                for field, value in self._service_ticket_defaults().items()
            }
        )

    def _ticket_link_keys(self):
        return self

    def _service_ticket_defaults(self):
        """{ticket field: value} of a new ticket about this record."""
        self.ensure_one()
        return {self._ticket_default_field or self._ticket_link_field: self.id}
