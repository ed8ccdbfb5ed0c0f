"""The integrator API's customer health: polling health changes (BI tools
follow who turned at risk). customer_profile (integration_api.py) answers a
customer's health, score and reasons."""

from odoo import api, models

from .api_validators import check_group, plain

CRM_USER = "crm_zhongzheng.group_crm_user"


class IntegrationApi(models.AbstractModel):
    _inherit = "zhongzheng.api"

    @api.model
    def health_changes(self, since, limit=200):
        """Customers' health status changes since a moment, in the caller's
        current company, oldest first; polled as ticket_changes is (same
        ``since``, ``cursor`` and overlap rules; the moment is when the
        change was recorded).

        :param since: str, ISO 8601 date-time (UTC without an offset), or
            the ``cursor`` of the previous answer.
        :param limit: int, 1 to 500 (default 200).
        :returns: dict ``changes`` (list of ``id`` of the change,
            ``customer`` (``id``, ``name``, ``ref``), ``date`` (the day the
            figures are as of), ``from`` and ``to`` (healthy, watch,
            at_risk, critical or False), ``score`` (the customer's health
            score now), ``changed_at``), ``more``, ``cursor`` and
            ``next_since``, as ticket_changes answers them.
        :raises AccessError: the caller is not a CRM user.
        :raises ValidationError: bad date, cursor or limit.
        """
        check_group(
            self.env,
            CRM_USER,
            self.env._("Only CRM users can follow customer health."),
        )
        company = self.env.company
        lines, page = self._poll(
            self.env["zhongzheng.relationship.history"],
            "create_date",
            since,
            limit,
            [("kind", "=", "health"), ("company_id", "=", company.id)],
        )
        return {
            "changes": [
                {
                    "id": line.id,
                    "customer": {
                        "id": line.partner_id.id,
                        "name": line.partner_id.name,
                        "ref": line.partner_id.ref or False,
                    },
                    "date": plain(line.date),
                    "from": line.health_from or False,
                    "to": line.health_to or False,
                    "score": line.partner_id.with_company(company).health_score,
                    "changed_at": plain(line.create_date),
                }
                for line in lines
            ],
            **page,
        }
