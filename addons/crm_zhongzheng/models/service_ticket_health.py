"""What the service side adds to customer health: SLA breaches, open
complaints and claims, low ratings and delivery exceptions. The health step
(customer_health.py) defines the hook; this fills it."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

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
        for model in (
            "zhongzheng.service.ticket",
            "zhongzheng.tracking.event",
            "rating.rating",
        ):
            self.env[model].flush_model()
        end = fields.Datetime.to_datetime(as_of) + timedelta(days=1)
        params = {
            "company": company.id,
            "start": end - timedelta(days=SERVICE_DAYS),
            "end": end,
            "partners": partners,
            "low": LOW_RATING,
        }
        return [
            *super()._health_service_queries(company, as_of, partners),
            SQL(
                """
            SELECT t.commercial_partner_id, 'service_sla', COUNT(*)::float8
              FROM zhongzheng_service_ticket t
             WHERE t.company_id = %(company)s AND t.sla_status = 'breached'
               AND t.create_date >= %(start)s AND t.create_date < %(end)s
               AND t.commercial_partner_id IN (%(partners)s)
             GROUP BY t.commercial_partner_id
            UNION ALL
            SELECT t.commercial_partner_id, 'service_claims', COUNT(*)::float8
              FROM zhongzheng_service_ticket t
              JOIN zhongzheng_service_ticket_type ty ON ty.id = t.type_id
              LEFT JOIN zhongzheng_service_ticket_stage st ON st.id = t.stage_id
             WHERE t.company_id = %(company)s
               AND (ty.is_claim OR ty.code = 'complaint')
               AND t.create_date < %(end)s
               AND (t.date_closed IS NULL OR t.date_closed >= %(end)s)
               AND NOT COALESCE(st.is_cancelled, FALSE)
               AND t.commercial_partner_id IN (%(partners)s)
             GROUP BY t.commercial_partner_id
            UNION ALL
            SELECT t.commercial_partner_id, 'service_ratings', COUNT(*)::float8
              FROM rating_rating r
              JOIN zhongzheng_service_ticket t ON t.id = r.res_id
             WHERE r.res_model = 'zhongzheng.service.ticket' AND r.consumed
               AND r.rating > 0 AND r.rating <= %(low)s
               AND r.write_date >= %(start)s AND r.write_date < %(end)s
               AND t.company_id = %(company)s
               AND t.commercial_partner_id IN (%(partners)s)
             GROUP BY t.commercial_partner_id
            UNION ALL
            SELECT p.commercial_partner_id, 'service_exceptions', COUNT(*)::float8
              FROM zhongzheng_tracking_event e
              JOIN res_partner p ON p.id = e.partner_id
             WHERE e.company_id = %(company)s AND e.kind = 'exception'
               AND e.event_time >= %(start)s AND e.event_time < %(end)s
               AND p.commercial_partner_id IN (%(partners)s)
             GROUP BY p.commercial_partner_id
            """,
                **params,
            ),
        ]
