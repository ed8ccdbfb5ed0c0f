"""Health status changes in the relationship history, beside tier and class
changes: the customer's timeline and the migration analysis show them."""

from odoo import api, fields, models
from odoo.tools import SQL

from .health_states import FLAGGED, HEALTH_STATES
from .value_sql import bulk_load


class RelationshipHistory(models.Model):
    _inherit = "zhongzheng.relationship.history"

    kind = fields.Selection(
        selection_add=[("health", "Health")], ondelete={"health": "cascade"}
    )
    health_from = fields.Selection(HEALTH_STATES, string="From Health")
    health_to = fields.Selection(HEALTH_STATES, string="To Health")

    @api.model
    def _log_health_changes(self, company, as_of):
        """The health step's changes (zz_health_new: old_status, status,
        score), one row each in one INSERT. A first status is logged only
        when it is already a warning (at risk, critical)."""
        self.flush_model()
        cr = self.env.cr
        insert = self._health_changes_sql(company, as_of)
        cr.execute(
            SQL("SELECT count(*) FROM zz_health_new WHERE %s", self._health_changed())
        )
        if self._first_fill(cr.fetchone()[0]):
            with bulk_load(cr, self._table):
                cr.execute(insert)
        else:
            cr.execute(insert)
        self.invalidate_model()

    @api.model
    def _health_changed(self):
        """The rows of zz_health_new that are a change to log."""
        return SQL(
            "old_status IS DISTINCT FROM status"
            " AND (old_status IS NOT NULL OR status = ANY(%s))",
            list(FLAGGED),
        )

    @api.model
    def _health_changes_sql(self, company, as_of):
        """The INSERT of _log_health_changes."""
        now = SQL("(now() AT TIME ZONE 'UTC')")  # the transaction's, as the ORM's
        return SQL(
            """
            INSERT INTO zhongzheng_relationship_history
                   (partner_id, company_id, date, kind, health_from, health_to,
                    origin, figures, user_id,
                    create_uid, write_uid, create_date, write_date)
            SELECT partner_id, %(company)s, %(as_of)s, 'health', old_status,
                   status, 'auto', 'score ' || ROUND(score::numeric, 1)::text,
                   %(uid)s, %(uid)s, %(uid)s, %(now)s, %(now)s
              FROM zz_health_new WHERE %(changed)s
            """,
            company=company.id,
            as_of=as_of,
            uid=self.env.uid,
            now=now,
            changed=self._health_changed(),
        )
