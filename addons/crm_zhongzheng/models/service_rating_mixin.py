from odoo import models
from odoo.exceptions import UserError


class ServiceRatingMixin(models.AbstractModel):
    """The customer's satisfaction rating (1-5) of a service ticket: asked
    by e-mail and on the portal when the ticket is solved, or recorded by
    staff, e.g. from a follow-up call. The rated customer is the ticket's
    contact (``partner_id``)."""

    _name = "zhongzheng.service.rating.mixin"
    _description = "Service Ticket Rating"
    _inherit = ["rating.mixin"]

    def action_record_rating(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Record Customer Rating"),
            "res_model": "zhongzheng.ticket.rating",
            "view_mode": "form",
            "target": "new",
            "context": {"default_ticket_id": self.id},
        }

    def _rating_get_partner(self):
        return self.partner_id or super()._rating_get_partner()

    def _send_rating_request(self):
        """Ask the customer to rate a solved ticket (1-5, e-mail link and
        portal); cancelled tickets and customers without e-mail are skipped."""
        template = self.env.ref(
            "crm_zhongzheng.service_ticket_rating_request", raise_if_not_found=False
        )
        for ticket in self:
            partner = ticket._rating_get_partner()
            if template and partner.email and not ticket.stage_id.is_cancelled:
                ticket.sudo().rating_send_request(template, force_send=False)

    def _record_rating(self, score, feedback=None):
        """Staff record the customer's rating, e.g. from a follow-up call."""
        self.ensure_one()
        if score not in (1, 2, 3, 4, 5):
            raise UserError(self.env._("A rating runs from 1 to 5."))
        token = self.sudo()._rating_get_access_token()
        return self.rating_apply(score, token=token, feedback=feedback)
