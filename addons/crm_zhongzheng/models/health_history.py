"""Health status changes in the relationship history, beside tier and class
changes: the customer's timeline and the migration analysis show them."""

from odoo import api, fields, models
from odoo.tools import SQL

from .health_states import FLAGGED, HEALTH_STATES
from .value_sql import bulk_load

# the columns of a health change in the history, as _health_rows_sql gives them
HEALTH_COLUMNS = (
    "partner_id",
    "company_id",
    "date",
    "kind",
    "health_from",
    "health_to",
    "origin",
    "figures",
    "user_id",
    "create_uid",
    "write_uid",
    "create_date",
    "write_date",
)
# the temporary table of a full pass's first fill held for its history step
HELD_TABLE = "zz_health_history"
HELD = SQL.identifier(HELD_TABLE)


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
        when it is already a warning (at risk, critical). In a full pass
        (the context's zz_history_follows) a first fill is held for the
        pass's history step, which inserts it with the tiers' and classes'
        rows in one bulk load (_fill)."""
        self.flush_model()
        cr = self.env.cr
        rows = self._health_rows_sql(company, as_of)
        cr.execute(
            SQL("SELECT count(*) FROM zz_health_new WHERE %s", self._health_changed())
        )
        if not self._first_fill(cr.fetchone()[0]):
            cr.execute(self._health_insert_sql(rows))
        elif self.env.context.get("zz_history_follows"):
            cr.execute(SQL("CREATE TEMP TABLE %s ON COMMIT DROP AS %s", HELD, rows))
        else:
            with bulk_load(cr, self._table):
                cr.execute(self._health_insert_sql(rows))
        self.invalidate_model()

    @api.model
    def _held(self):
        """The health changes _log_health_changes held in this pass."""
        held = super()._held()
        if not self.env.context.get("zz_history_follows"):
            return held
        cr = self.env.cr
        cr.execute("SELECT to_regclass(%s)", [f"pg_temp.{HELD_TABLE}"])
        if not cr.fetchone()[0]:
            return held
        insert = self._health_insert_sql(SQL("SELECT * FROM %s", HELD))
        return [*held, SQL("%s; DROP TABLE %s", insert, HELD)]

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
        """The INSERT of the changes in zz_health_new (an incremental
        update's health statement runs it as a CTE)."""
        return self._health_insert_sql(self._health_rows_sql(company, as_of))

    @api.model
    def _health_insert_sql(self, rows):
        """The INSERT of the history rows a query gives (_health_rows_sql)."""
        return SQL(
            "INSERT INTO zhongzheng_relationship_history (%s) %s",
            SQL(", ").join(SQL.identifier(c) for c in HEALTH_COLUMNS),
            rows,
        )

    @api.model
    def _health_rows_sql(self, company, as_of):
        """The history rows (HEALTH_COLUMNS) of the changes in zz_health_new."""
        now = SQL("(now() AT TIME ZONE 'UTC')")  # the transaction's, as the ORM's
        return SQL(
            """
            SELECT partner_id, %(company)s AS company_id, %(as_of)s::date AS date,
                   'health'::varchar AS kind, old_status AS health_from,
                   status AS health_to, 'auto'::varchar AS origin,
                   'score ' || ROUND(score::numeric, 1)::text AS figures,
                   %(uid)s AS user_id, %(uid)s AS create_uid,
                   %(uid)s AS write_uid, %(now)s AS create_date,
                   %(now)s AS write_date
              FROM zz_health_new WHERE %(changed)s
            """,
            company=company.id,
            as_of=as_of,
            uid=self.env.uid,
            now=now,
            changed=self._health_changed(),
        )
