"""Figures an analysis stores nightly (the key figures, the customer value
rows): a table of rows, and per company when they were stored. Both are
kept when the module is updated, unless the columns changed: then they are
rebuilt empty, and the companies are read live until the next night."""

from datetime import datetime, time

from odoo import fields
from odoo.tools import SQL

# the big statements' session settings (no JIT, room to sort), and back
QUIET = "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'"
LOUD = "SET LOCAL jit TO DEFAULT; SET LOCAL work_mem TO DEFAULT"


def create_tables(cr, table, refresh_table, columns, index):
    """(Re)create `table` with `columns` ((name, SQL type), `id` the key),
    indexed on `index` (column names), and `refresh_table`, unless both
    are there with these columns."""
    wanted = [*columns, ("refreshed_at", "timestamp")]
    cr.execute(
        SQL(
            """
            SELECT array_agg(attname::text ORDER BY attnum),
                   array_agg(format_type(atttypid, atttypmod) ORDER BY attnum),
                   (SELECT array_agg(format_type(w.kind::regtype, NULL)
                                     ORDER BY w.n)
                      FROM unnest(%s::text[]) WITH ORDINALITY AS w (kind, n)),
                   to_regclass(%s) IS NOT NULL
              FROM pg_attribute
             WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped
            """,
            [kind for _name, kind in wanted],
            refresh_table,
            table,
        )
    )
    names, kinds, wanted_kinds, refresh_exists = cr.fetchone()
    if (
        refresh_exists
        and names == [name for name, _kind in wanted]
        and (kinds == wanted_kinds)
    ):
        return
    cr.execute(
        SQL(
            """
            DROP TABLE IF EXISTS %(table)s;
            CREATE TABLE %(table)s (
                %(columns)s, refreshed_at timestamp NOT NULL,
                PRIMARY KEY (id)
            );
            CREATE INDEX ON %(table)s (%(index)s);
            DROP TABLE IF EXISTS %(refresh)s;
            CREATE TABLE %(refresh)s (
                company_id integer PRIMARY KEY
                    REFERENCES res_company (id) ON DELETE CASCADE,
                refreshed_at timestamp NOT NULL
            );
            """,
            table=SQL.identifier(table),
            refresh=SQL.identifier(refresh_table),
            columns=SQL(", ").join(
                SQL("%s %s", SQL.identifier(name), SQL(kind)) for name, kind in columns
            ),
            index=SQL(", ").join(SQL.identifier(name) for name in index),
        )
    )


def refreshed(cr, refresh_table):
    """{company id: when its figures were stored} (UTC)."""
    cr.execute(
        SQL("SELECT company_id, refreshed_at FROM %s", SQL.identifier(refresh_table))
    )
    return dict(cr.fetchall())


def covers(when, end):
    """Whether figures stored at `when` (UTC; None: never) stand for a
    period ending before `end` (a date): stored after it, or today (a
    period still running is read as of last night)."""
    return bool(when) and (
        when >= datetime.combine(end, time.min)
        or when.date() == fields.Datetime.now().date()
    )


def not_refreshed(cr, refresh_table):
    """The ids of the companies whose figures are not stored."""
    cr.execute(
        SQL(
            "SELECT id FROM res_company WHERE id NOT IN (SELECT company_id FROM %s)",
            SQL.identifier(refresh_table),
        )
    )
    return [row[0] for row in cr.fetchall()]


def store(cr, table, refresh_table, company_ids, selects):
    """Replace the rows of the companies `company_ids` in `table` with
    those of the SELECTs `selects` (the table's columns, in order), then
    mark the companies refreshed now; returns the rows stored."""
    cr.execute(
        SQL(
            "DELETE FROM %s WHERE company_id = ANY(%s)",
            SQL.identifier(table),
            list(company_ids),
        )
    )
    stored = 0
    for select in selects:
        cr.execute(SQL("INSERT INTO %s %s", SQL.identifier(table), select))
        stored += cr.rowcount
    cr.execute(
        SQL(
            """
            INSERT INTO %s (company_id, refreshed_at)
            SELECT unnest(%s::int[]), now() AT TIME ZONE 'UTC'
                ON CONFLICT (company_id)
                DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at
            """,
            SQL.identifier(refresh_table),
            list(company_ids),
        )
    )
    cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))
    return stored


def refresh(env, table, refresh_table, companies, selects):
    """store() the rows of the SELECTs `selects` for `companies` (records),
    computed now from flushed data under the big statements' settings;
    the environment's cache is invalidated after. Returns the rows stored."""
    env.flush_all()
    cr = env.cr
    cr.execute(QUIET)
    stored = store(cr, table, refresh_table, companies.ids, selects)
    cr.execute(LOUD)
    env.invalidate_all()
    return stored
