from odoo import fields, models
from odoo.tools import SQL

from .analysis_fields import amount, average, rating_average
from .customer_value_report import partner_figures


class ServiceQualityReport(models.Model):
    """Service quality per ticket: type, team, SLA status and rating with
    response and resolution times in working hours, for service managers."""

    _name = "zhongzheng.service.quality.report"
    _description = "Service Quality Analysis"
    _auto = False
    _order = "date desc"
    _rec_name = "ticket_id"
    _depends = {
        "zhongzheng.service.ticket": [
            "company_id",
            "team_id",
            "type_id",
            "stage_id",
            "user_id",
            "commercial_partner_id",
            "channel",
            "sla_status",
            "rating_last_value",
            "is_closed",
            "date_closed",
            "date_first_response",
            "first_response_hours",
            "resolution_hours",
            "questionnaire_score",
            "reopen_count",
            "claim_amount",
            "claim_state",
            "claim_approved_amount",
            "handling_cost",
        ],
        "res.partner": ["tier_id"],
        "rating.rating": ["res_model", "res_id", "consumed", "is_staff_recorded"],
    }

    ticket_id = fields.Many2one("zhongzheng.service.ticket", readonly=True)
    date = fields.Datetime(string="Opened", readonly=True)
    date_closed = fields.Datetime(string="Closed", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    team_id = fields.Many2one("zhongzheng.service.team", readonly=True)
    type_id = fields.Many2one("zhongzheng.service.ticket.type", readonly=True)
    stage_id = fields.Many2one("zhongzheng.service.ticket.stage", readonly=True)
    user_id = fields.Many2one("res.users", string="Assigned to", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    tier_id = fields.Many2one(
        "zhongzheng.customer.tier", string="Customer Tier", readonly=True
    )
    channel = fields.Selection(
        selection=lambda self: self._ticket_selection("channel"), readonly=True
    )
    sla_status = fields.Selection(
        selection=lambda self: self._ticket_selection("sla_status"),
        string="SLA Status",
        readonly=True,
    )
    rating = fields.Selection(
        [
            ("1", "1 - Very Dissatisfied"),
            ("2", "2 - Dissatisfied"),
            ("3", "3 - Neutral"),
            ("4", "4 - Satisfied"),
            ("5", "5 - Very Satisfied"),
        ],
        readonly=True,
    )
    rating_source = fields.Selection(
        [("customer", "Given by the Customer"), ("staff", "Recorded by Staff")],
        readonly=True,
        help="Whether the ticket's latest rating was given by the customer "
        "(portal, e-mail link) or recorded by staff (call, API).",
    )
    is_closed = fields.Boolean(string="Closed Ticket", readonly=True)
    ticket_count = fields.Integer(string="Tickets", readonly=True)
    sla_compliance = average(
        "SLA Compliance (%)",
        help="Share of the tickets with a met or breached SLA that met it.",
    )
    satisfaction = rating_average(
        "Average Rating",
        help="Customer rating from 1 to 5; unrated tickets are left out. "
        "Satisfaction Analysis combines ratings and visit scores in one "
        "0-100 figure, labelled by who entered each.",
    )
    satisfaction_customer = rating_average(
        "Average Rating (Customer-given)",
        help="Ratings the customers gave themselves (portal, e-mail link).",
    )
    satisfaction_staff = rating_average(
        "Average Rating (Staff-recorded)",
        help="Ratings staff recorded for the customer (call, API).",
    )
    questionnaire_score = average("Visit Score")
    first_response_hours = average("First Response Time (h)", digits=None)
    resolution_hours = average("Resolution Time (h)", digits=None)
    reopen_count = fields.Integer(string="Reopened", readonly=True)
    claim_amount = amount("Claimed")
    claims_paid = amount("Compensation Approved")
    handling_cost = amount()

    def _ticket_selection(self, field):
        """The ticket field's own choices (labels in the user's language)."""
        ticket_field = self.env["zhongzheng.service.ticket"]._fields[field]
        return ticket_field._description_selection(self.env)

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT t.id, t.id AS ticket_id, t.create_date AS date, t.date_closed,
                   t.company_id, t.team_id, t.type_id, t.stage_id, t.user_id,
                   t.commercial_partner_id AS partner_id,
                   pf.tier_id,
                   t.channel, t.sla_status,
                   CASE WHEN t.rating_last_value >= 1
                        THEN ROUND(t.rating_last_value)::int::varchar END
                       AS rating,
                   COALESCE(t.is_closed, FALSE) AS is_closed,
                   1 AS ticket_count,
                   CASE t.sla_status WHEN 'met' THEN 100.0
                                     WHEN 'breached' THEN 0.0 END
                       AS sla_compliance,
                   NULLIF(t.rating_last_value, 0) AS satisfaction,
                   CASE WHEN t.rating_last_value >= 1
                        THEN CASE WHEN lr.is_staff_recorded THEN 'staff'
                                  ELSE 'customer' END END AS rating_source,
                   CASE WHEN NOT COALESCE(lr.is_staff_recorded, FALSE)
                        THEN NULLIF(t.rating_last_value, 0) END
                       AS satisfaction_customer,
                   CASE WHEN lr.is_staff_recorded
                        THEN NULLIF(t.rating_last_value, 0) END
                       AS satisfaction_staff,
                   NULLIF(t.questionnaire_score, 0) AS questionnaire_score,
                   CASE WHEN t.date_first_response IS NOT NULL
                        THEN t.first_response_hours END AS first_response_hours,
                   CASE WHEN t.date_closed IS NOT NULL
                        THEN t.resolution_hours END AS resolution_hours,
                   COALESCE(t.reopen_count, 0) AS reopen_count,
                   COALESCE(t.claim_amount, 0) AS claim_amount,
                   CASE WHEN t.claim_state = 'approved'
                        THEN COALESCE(t.claim_approved_amount, 0) ELSE 0 END
                       AS claims_paid,
                   COALESCE(t.handling_cost, 0) AS handling_cost
              FROM zhongzheng_service_ticket t
              LEFT JOIN res_partner p ON p.id = t.commercial_partner_id
              %(figures)s
              -- who gave the latest rating: the customer or staff for them
              LEFT JOIN LATERAL (
                    SELECT r.is_staff_recorded
                      FROM rating_rating r
                     WHERE r.res_model = 'zhongzheng.service.ticket'
                       AND r.res_id = t.id AND r.consumed
                     ORDER BY r.write_date DESC, r.id DESC
                     LIMIT 1
              ) lr ON TRUE
            """,
            figures=partner_figures(self.env, ("t", "company_id")),
        )
