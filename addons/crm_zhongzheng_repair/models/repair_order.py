from odoo import api, models
from odoo.exceptions import AccessError

from odoo.addons.crm_zhongzheng.models.field_kinds import ticket_link

SERVICE_USER = "crm_zhongzheng.group_service_user"


class RepairOrder(models.Model):
    """A repair opened from a service ticket keeps the ticket: its state
    shows on the ticket and on the customer's portal page of it. Only the
    ticket's *Create Repair* sets the link (a repair linked to another
    customer's ticket would show on that customer's portal)."""

    _inherit = "repair.order"

    zz_ticket_id = ticket_link(groups=SERVICE_USER)

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(vals.get("zz_ticket_id") for vals in vals_list):
            self._raise_ticket_link()
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and "zz_ticket_id" in vals:
            self._raise_ticket_link()
        result = super().write(vals)
        if "state" in vals:
            self._post_state_on_tickets()
        return result

    def _raise_ticket_link(self):
        raise AccessError(
            self.env._(
                "A repair is linked to a service ticket by the ticket's Create "
                "Repair only."
            )
        )

    def _zz_state_label(self):
        """The repair's state as the user's language says it."""
        self.ensure_one()
        states = dict(self._fields["state"]._description_selection(self.env))
        return states.get(self.state, self.state)

    def _post_state_on_tickets(self):
        """The ticket's chatter follows its repairs' states (a note for the
        team; the customer sees the state on the portal page)."""
        # sudo: the repair's user need not read the ticket
        for repair in self.sudo().filtered("zz_ticket_id"):
            repair.zz_ticket_id.message_post(
                body=self.env._(
                    "Repair %(name)s: %(state)s.",
                    name=repair.name,
                    state=repair._zz_state_label(),
                ),
                subtype_xmlid="mail.mt_note",
            )
