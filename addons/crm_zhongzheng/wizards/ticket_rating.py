from odoo import fields, models


class TicketRating(models.TransientModel):
    _name = "zhongzheng.ticket.rating"
    _description = "Record a Customer Rating"

    ticket_id = fields.Many2one("zhongzheng.service.ticket", required=True)
    score = fields.Selection(
        [("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5")],
        required=True,
        default="5",
    )
    feedback = fields.Text()

    def action_record(self):
        self.ensure_one()
        self.ticket_id._record_rating(int(self.score), self.feedback)
        return {"type": "ir.actions.act_window_close"}
