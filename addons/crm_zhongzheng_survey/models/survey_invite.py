from odoo import fields, models


class SurveyInvite(models.TransientModel):
    """Odoo's invitation sends the ticket's questionnaire: the answers it
    creates are linked to the ticket (only the ticket's button passes it,
    with sudo; a user's own answer creation refuses the link)."""

    _inherit = "survey.invite"

    zz_ticket_id = fields.Many2one(
        "zhongzheng.service.ticket", string="Service Ticket", readonly=True
    )

    def _get_answers_values(self):
        values = super()._get_answers_values()
        if self.zz_ticket_id:
            values["zz_ticket_id"] = self.zz_ticket_id.id
        return values
