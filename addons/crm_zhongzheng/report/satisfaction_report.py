from odoo import fields, models
from odoo.tools import SQL

from .analysis_fields import average

TICKET = "zhongzheng.service.ticket"


class SatisfactionReport(models.Model):
    """One satisfaction figure (0-100) from the two ways a customer's
    satisfaction reaches the addon: each ticket rating (1-5, mapped to
    0, 25, 50, 75, 100) and each follow-up visit score (0-100), every row
    labelled by its source and by who entered it (the customer, or staff
    for them), for service managers."""

    _name = "zhongzheng.satisfaction.report"
    _description = "Satisfaction Analysis"
    _auto = False
    _order = "date desc"
    _rec_name = "ticket_id"
    _depends = {
        TICKET: [
            "company_id",
            "team_id",
            "type_id",
            "commercial_partner_id",
            "create_date",
            "date_closed",
            "questionnaire_score",
            "questionnaire_channel",
            "questionnaire_entered_by_id",
            "questionnaire_date",
        ],
        "rating.rating": [
            "res_model",
            "res_id",
            "rating",
            "consumed",
            "recorded_by_id",
            "rating_channel",
            "is_staff_recorded",
            "write_date",
        ],
    }

    date = fields.Datetime(readonly=True)
    ticket_id = fields.Many2one(TICKET, readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    team_id = fields.Many2one("zhongzheng.service.team", readonly=True)
    type_id = fields.Many2one("zhongzheng.service.ticket.type", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    source = fields.Selection(
        [("rating", "Ticket Rating"), ("visit", "Visit Questionnaire")],
        readonly=True,
    )
    entered = fields.Selection(
        [("customer", "By the Customer"), ("staff", "By Staff")],
        readonly=True,
        help="Whether the customer gave the score themselves (portal, e-mail "
        "or survey link) or a member of staff entered it for them (call, "
        "API, typed in, survey at the visit).",
    )
    entered_by_id = fields.Many2one(
        "res.users",
        string="Entered by",
        readonly=True,
        help="The member of staff who entered the score; empty when the "
        "customer gave it.",
    )
    channel = fields.Selection(
        selection=lambda self: self._channel_selection(), readonly=True
    )
    satisfaction = average(
        "Satisfaction (0-100)",
        help="Ratings 1 to 5 count as 0, 25, 50, 75 and 100; visit scores "
        "as they are (0-100). Averaged over the rows shown.",
    )
    score_count = fields.Integer(string="Scores", readonly=True)

    def _channel_selection(self):
        """The ratings' channels and the visit scores' (with the bridges'
        additions), labels in the user's language."""
        rating_field = self.env["rating.rating"]._fields["rating_channel"]
        visit_field = self.env[TICKET]._fields["questionnaire_channel"]
        return rating_field._description_selection(
            self.env
        ) + visit_field._description_selection(self.env)

    @property
    def _table_query(self):
        customer_channels = self.env[TICKET]._questionnaire_customer_channels()
        # ids: a rating's twice its id, a visit's twice the ticket's plus one
        return SQL(
            """
            SELECT r.id * 2 AS id, r.write_date AS date, t.id AS ticket_id,
                   t.commercial_partner_id AS partner_id, t.team_id, t.type_id,
                   t.company_id, 'rating' AS source,
                   CASE WHEN r.is_staff_recorded THEN 'staff' ELSE 'customer' END
                       AS entered,
                   r.recorded_by_id AS entered_by_id,
                   r.rating_channel AS channel,
                   (r.rating - 1) * 25.0 AS satisfaction,
                   1 AS score_count
              FROM rating_rating r
              JOIN zhongzheng_service_ticket t
                ON r.res_model = %(ticket)s AND t.id = r.res_id
             WHERE r.consumed AND r.rating >= 1
            UNION ALL
            SELECT t.id * 2 + 1,
                   COALESCE(t.questionnaire_date, t.date_closed, t.create_date),
                   t.id, t.commercial_partner_id, t.team_id, t.type_id,
                   t.company_id, 'visit',
                   CASE WHEN t.questionnaire_channel = ANY(%(customer)s::varchar[])
                        THEN 'customer' ELSE 'staff' END,
                   t.questionnaire_entered_by_id,
                   t.questionnaire_channel,
                   t.questionnaire_score,
                   1
              FROM zhongzheng_service_ticket t
             -- a score of 0 entered through a channel counts; an unset one
             -- (0, no channel) does not
             WHERE t.questionnaire_channel IS NOT NULL
                OR COALESCE(t.questionnaire_score, 0) <> 0
            """,
            ticket=TICKET,
            customer=list(customer_channels),
        )
