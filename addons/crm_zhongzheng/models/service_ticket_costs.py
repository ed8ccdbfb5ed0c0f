"""What the service tickets add to customer value: the cost of serving a
customer (ticket handling and approved claims) and the quality incidents of a
supplier. The value core defines the hooks; the service side fills them."""

from odoo import api, models
from odoo.tools import SQL

from .value_sql import flush


class ValueFacts(models.AbstractModel):
    _inherit = "zhongzheng.value.facts"

    @api.model
    def _cost_to_serve_queries(self, company, start, end, partners):
        """The handling cost of the customer's service tickets closed in the
        window and the compensation approved on its claims."""
        flush(self.env, "zhongzheng.service.ticket")
        return [
            *super()._cost_to_serve_queries(company, start, end, partners),
            SQL(
                """
            SELECT commercial_partner_id AS partner_id,
                   SUM(CASE WHEN date_closed >= %(start)s AND date_closed < %(end)s
                            THEN COALESCE(handling_cost, 0) ELSE 0 END)
                   + SUM(CASE WHEN claim_state = 'approved'
                                AND claim_approved_date >= %(start)s::date
                                AND claim_approved_date < %(end)s::date
                            THEN COALESCE(claim_approved_amount, 0) ELSE 0 END)
                       AS cost
              FROM zhongzheng_service_ticket
             WHERE company_id = %(company)s
               AND commercial_partner_id IN (%(partners)s)
             GROUP BY commercial_partner_id
            """,
                start=start,
                end=end,
                company=company.id,
                partners=partners,
            ),
        ]


class SupplierEngine(models.AbstractModel):
    _inherit = "zhongzheng.supplier.engine"

    @api.model
    def _quality_incident_queries(self, company, start, end, partners):
        """Service tickets opened in the window, not cancelled, whose
        responsible party is the supplier."""
        flush(self.env, "zhongzheng.service.ticket")
        return [
            *super()._quality_incident_queries(company, start, end, partners),
            SQL(
                """
            SELECT t.supplier_id AS partner_id, COUNT(*) AS incidents
              FROM zhongzheng_service_ticket t
              LEFT JOIN zhongzheng_service_ticket_stage st ON st.id = t.stage_id
             WHERE t.company_id = %(company)s AND t.responsible_party = 'supplier'
               AND t.supplier_id IN (%(partners)s)
               AND t.create_date >= %(start)s AND t.create_date < %(end)s
               AND NOT COALESCE(st.is_cancelled, FALSE)
             GROUP BY t.supplier_id
            """,
                company=company.id,
                partners=partners,
                start=start,
                end=end,
            ),
        ]
