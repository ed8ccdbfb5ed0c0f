"""What the service side adds to customer health: SLA breaches, open
complaints and claims, low ratings and delivery exceptions. The health step
(customer_health.py) defines the hook; this fills it."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .value_sql import flush

# ratings of 1 or 2 out of 5 are a warning
LOW_RATING = 2
SERVICE_DAYS = 90


class CustomerHealth(models.AbstractModel):
    _inherit = "zhongzheng.customer.health"

    @api.model
    def _health_service_queries(self, company, as_of, partners):
        """As of a date: tickets created in the 90 days before it that
        breached their SLA; complaints and claims open on it (created
        before, not closed by then, not cancelled); ticket ratings of 1-2
        given in the 90 days before; delivery exceptions in those days."""
        flush(
            self.env,
            "zhongzheng.service.ticket",
            "zhongzheng.tracking.event",
            "rating.rating",
        )
        end = fields.Datetime.to_datetime(as_of) + timedelta(days=1)
        params = {
            "company": company.id,
            "start": end - timedelta(days=SERVICE_DAYS),
            "end": end,
            "low": LOW_RATING,
        }
        rows = {
            "service_sla": (
                "t",
                """
              FROM zhongzheng_service_ticket t
             WHERE t.company_id = %(company)s AND t.sla_status = 'breached'
               AND t.create_date >= %(start)s AND t.create_date < %(end)s
            """,
            ),
            "service_claims": (
                "t",
                """
              FROM zhongzheng_service_ticket t
              JOIN zhongzheng_service_ticket_type ty ON ty.id = t.type_id
              LEFT JOIN zhongzheng_service_ticket_stage st ON st.id = t.stage_id
             WHERE t.company_id = %(company)s
               AND (ty.is_claim OR ty.code = 'complaint')
               AND t.create_date < %(end)s
               AND (t.date_closed IS NULL OR t.date_closed >= %(end)s)
               AND NOT COALESCE(st.is_cancelled, FALSE)
            """,
            ),
            "service_ratings": (
                "t",
                """
              FROM rating_rating r
              JOIN zhongzheng_service_ticket t ON t.id = r.res_id
             WHERE r.res_model = 'zhongzheng.service.ticket' AND r.consumed
               AND r.rating > 0 AND r.rating <= %(low)s
               AND r.write_date >= %(start)s AND r.write_date < %(end)s
               AND t.company_id = %(company)s
            """,
            ),
            "service_exceptions": (
                "p",
                """
              FROM zhongzheng_tracking_event e
              JOIN res_partner p ON p.id = e.partner_id
             WHERE e.company_id = %(company)s AND e.kind = 'exception'
               AND e.event_time >= %(start)s AND e.event_time < %(end)s
            """,
            ),
        }
        return [
            *super()._health_service_queries(company, as_of, partners),
            *(
                _count_rows(signal, alias, SQL(text, **params), partners)
                for signal, (alias, text) in rows.items()
            ),
        ]


def _count_rows(signal, alias, rows, partners):
    """The query of rows (commercial partner, signal, count): `rows` (their
    FROM and WHERE clauses) counted per `alias`.commercial_partner_id, for
    the commercial partners of the subquery `partners`."""
    partner = SQL.identifier(alias, "commercial_partner_id")
    return SQL(
        "SELECT %(partner)s, %(signal)s, COUNT(*)::float8 %(rows)s"
        " AND %(partner)s IN (%(partners)s) GROUP BY %(partner)s",
        partner=partner,
        signal=signal,
        rows=rows,
        partners=partners,
    )
