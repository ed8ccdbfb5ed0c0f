"""SQL helpers shared by the steps of the customer value pipeline."""

from contextlib import contextmanager
from datetime import timedelta

from odoo import fields
from odoo.tools import SQL

# a first fill of this many rows checks its foreign keys set-based
# (foreign_keys_checked_at_end)
BULK_ROWS = 20000


def window(company, as_of):
    """[start, end) datetimes of the company's analysis window ending on as_of."""
    end = fields.Datetime.to_datetime(as_of) + timedelta(days=1)
    return end - timedelta(days=company.value_window_days), end


def today(record):
    """fields.Date.context_today(record), the user's time zone read in one
    small query rather than through the user record (fetching res.users and
    its partner, a few milliseconds: the incremental path runs per confirmed
    order)."""
    if record.env.context.get("tz"):
        return fields.Date.context_today(record)
    record.env["res.partner"].flush_model(["tz"])
    record.env.cr.execute(
        "SELECT p.tz FROM res_users u JOIN res_partner p ON p.id = u.partner_id"
        " WHERE u.id = %s",
        [record.env.uid],
    )
    row = record.env.cr.fetchone()
    return fields.Date.context_today(record.with_context(tz=(row and row[0]) or "UTC"))


def partner_filter(column, partner_ids):
    """`column` (a (table, column) pair) is one of partner_ids; None: any."""
    if partner_ids is None:
        return SQL("TRUE")
    return SQL("%s = ANY(%s)", SQL.identifier(*column), list(partner_ids))


def id_list(ids):
    """A subquery of these ids, for the steps' hooks (`x IN (%s)`)."""
    return SQL("SELECT unnest(%s::integer[])", list(ids))


@contextmanager
def foreign_keys_checked_at_end(cr, table):
    """Inside, the table has no foreign keys; at the end they are added
    again, which checks every row in one join each instead of an index probe
    and a row lock per key and row inserted (most of the time of a bulk
    first fill). A row that fails them raises there, and the caller's
    savepoint takes all of it back. Adding a key locks the table it refers
    to against writes until the transaction ends: for a once-only bulk load
    (a company's first full pass), not for everyday writes."""
    cr.execute(
        SQL(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            table,
        )
    )
    keys = cr.fetchall()
    ident = SQL.identifier(table)
    for name, _definition in keys:
        cr.execute(
            SQL("ALTER TABLE %s DROP CONSTRAINT %s", ident, SQL.identifier(name))
        )
    yield
    for name, definition in keys:
        cr.execute(
            SQL(
                "ALTER TABLE %s ADD CONSTRAINT %s " + definition.replace("%", "%%"),
                ident,
                SQL.identifier(name),
            )
        )
