from odoo import api, fields, models
from odoo.tools import SQL

from .value_sql import BULK_ROWS, bulk_fill, bulk_load

# the columns of a change, as the tier and class rules give it
CHANGE_COLUMNS = (
    "partner_id",
    "kind",
    "tier_from_id",
    "tier_to_id",
    "class_from",
    "class_to",
    "origin",
    "reason",
    "figures",
)
CLASSES = [
    ("potential", "Potential"),
    ("marginal", "Marginal"),
    ("loyal", "Loyal"),
    ("lost", "Lost"),
    ("non_customer", "Non-Customer"),
]


class RelationshipHistory(models.Model):
    """One change of a customer's tier or relationship class: the timeline on
    the partner and the source of the migration matrix."""

    _name = "zhongzheng.relationship.history"
    _description = "Customer Tier and Class History"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    kind = fields.Selection(
        [("tier", "Tier"), ("class", "Relationship Class")], required=True
    )
    tier_from_id = fields.Many2one("zhongzheng.customer.tier", string="From Tier")
    tier_to_id = fields.Many2one("zhongzheng.customer.tier", string="To Tier")
    class_from = fields.Selection(CLASSES, string="From Class")
    class_to = fields.Selection(CLASSES, string="To Class")
    origin = fields.Selection(
        [("auto", "Automatic"), ("manual", "Manual")], required=True, default="auto"
    )
    reason = fields.Char()
    figures = fields.Char(help="The figures that decided the change.")
    user_id = fields.Many2one(
        "res.users",
        default=lambda self: self.env.user,
        help="Who changed it by hand; empty for the engine's automatic changes.",
    )

    @api.model
    def _log_changes(self, company, as_of, changes):
        """The history step of the customer value pipeline: one row per
        change (dicts of CHANGE_COLUMNS, in one COPY; or an SQL query of
        them, inserted from it). An automatic change is the engine's, not a
        user's: its user columns stay empty, which also spares PostgreSQL
        three foreign-key checks per row (the first recompute writes a row
        per customer and figure)."""
        if isinstance(changes, SQL):
            return self._log_query(company, as_of, changes)
        self.flush_model()
        now = fields.Datetime.now()
        stamp = {
            "company_id": company.id,
            "date": as_of,
            "create_date": now,
            "write_date": now,
        }
        users = ("user_id", "create_uid", "write_uid")
        manual = dict.fromkeys(users, self.env.uid)
        auto = dict.fromkeys(users)
        rows = [
            {**change, **stamp, **(manual if change["origin"] == "manual" else auto)}
            for change in changes
        ]
        columns = [*CHANGE_COLUMNS, *stamp, *users]
        copy = self.env["zhongzheng.value.writer"]._copy_rows
        self._fill(len(rows), lambda: copy(self._table, columns, rows))

    @api.model
    def _log_query(self, company, as_of, changes):
        """_log_changes of the changes an SQL query gives, in one INSERT."""
        self.flush_model()
        cr = self.env.cr
        cr.execute(SQL("SELECT count(*) FROM (%s) c", changes))
        count = cr.fetchone()[0]
        columns = SQL(", ").join(SQL.identifier(c) for c in CHANGE_COLUMNS)
        user = SQL("CASE WHEN c.origin = 'manual' THEN %s::integer END", self.env.uid)
        insert = SQL(
            "INSERT INTO %(table)s (%(columns)s, company_id, date, create_date,"
            " write_date, user_id, create_uid, write_uid)"
            " SELECT %(values)s, %(company)s, %(date)s, now() at time zone 'UTC',"
            " now() at time zone 'UTC', %(user)s, %(user)s, %(user)s"
            " FROM (%(changes)s) c",
            table=SQL.identifier(self._table),
            columns=columns,
            values=SQL(", ").join(
                SQL("c.%s", SQL.identifier(n)) for n in CHANGE_COLUMNS
            ),
            company=company.id,
            date=as_of,
            user=user,
            changes=changes,
        )
        self._fill(count, lambda: cr.execute(insert))

    @api.model
    def _fill(self, count, insert):
        """Insert `count` rows (`insert()` does) and those the other steps of
        the pass held for the history step (_held): in one bulk load when
        together they are a first fill, so that a company's first full pass
        makes the table's indexes and foreign keys again once, not once per
        step (1 s at 100,000 customers). A step holds its rows only when
        they are a first fill by themselves, and nothing writes the table
        between it and this step: held rows make the whole a first fill."""
        held = self._held()
        if not count and not held:
            return

        def inserts():
            if count:
                insert()
            for held_insert in held:
                self.env.cr.execute(held_insert)

        if held or self._first_fill(count):
            with bulk_load(self.env.cr, self._table):
                inserts()
        else:
            inserts()
        self.invalidate_model()

    @api.model
    def _held(self):
        """Hook: the INSERTs of the rows earlier steps of this pass held for
        the history step (each also drops what held them); none in the
        core: see health_history.py."""
        return []

    @api.model
    def _first_fill(self, count):
        """Whether `count` new rows are a bulk first fill (a company's first
        full pass writes a row per customer and figure; the threshold: the
        context's history_bulk_rows in tests), see value_sql.bulk_fill."""
        return bulk_fill(
            self.env.cr,
            self._table,
            count,
            self.env.context.get("history_bulk_rows", BULK_ROWS),
        )
