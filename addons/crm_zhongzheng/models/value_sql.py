"""SQL helpers shared by the steps of the customer value pipeline."""

import hashlib
import re
from collections import OrderedDict
from contextlib import contextmanager
from datetime import timedelta

import psycopg2
from psycopg2.extras import Json

from odoo import fields
from odoo.tools import SQL, mute_logger

# a first fill of this many rows checks its foreign keys set-based and
# builds its indexes after (bulk_load)
BULK_ROWS = 20000
# prepared statements a session keeps (execute), and the most partners an
# update may have to run them (their one generic plan is made for a few)
PREPARED_MAX = 64
PREPARED_PARTNERS = 50
PLACEHOLDER = re.compile(r"(%s|%%)")
# a list of at least this many numbers goes to PostgreSQL as one array
# literal (array), not as psycopg2's ARRAY[...] of one constant per element
ARRAY_LITERAL_MIN = 1000


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


def flush(env, *model_names):
    """flush_model() of these models before raw SQL reads their tables;
    nothing when the transaction has nothing to recompute or write, the
    case of every step after the first: flush_model walks each field of a
    model even then (res.partner's, account.move's hundreds), some 2.5 ms
    of an incremental update's 14 ms of Python over the steps' flushes."""
    if not env.transaction.tocompute and not env.cache.get_dirty_fields():
        return
    for name in model_names:
        env[name].flush_model()


def bulk_fill(cr, table, count, threshold=BULK_ROWS):
    """Whether inserting `count` rows into `table` is a bulk fill, to run
    inside bulk_load: many rows (`threshold`), at least
    a tenth of the table's, so that checking every row of the table once at
    the end costs less than checking the new ones one by one."""
    if count < threshold:
        return False
    cr.execute(
        "SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = %s::regclass",
        [table],
    )
    return 10 * count >= cr.fetchone()[0]


def array(values):
    """Numbers (or None) as the parameter of an SQL array (`%s::float8[]`,
    `= ANY(%s)`). A long list is one text literal '{...}': psycopg2 sends a
    list as ARRAY[...] with a constant per element, which PostgreSQL
    parses as an expression of that many terms (100,000 floats: 0.8 s
    against 0.16 s for the literal, plus 0.4 s of psycopg2's adaptation).
    A short one stays a list, so that a prepared statement (execute) takes
    it as a parameter."""
    values = list(values)
    if len(values) < ARRAY_LITERAL_MIN:
        return values
    return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"


def round_sql(value, digits):
    """SQL of ``ROUND(value::numeric, digits)::float8``, the same number
    without its two conversions through text (float8 to numeric, numeric
    to float8: about 1 microsecond a value, half a second of the ranks of
    100,000 customers). The value times 10**digits is rounded half away
    from zero in float8; only a value within rounding error of a tie
    (x.5, which float8 may hold as x.4999...) takes ROUND itself. The
    quotient by 10**digits is the double nearest the decimal, as the
    conversion of ROUND's numeric gives it; `+ 0` makes -0 zero."""
    scale = SQL(f"{10 ** int(digits)}::float8")
    scaled = SQL("((%s)::float8 * %s)", value, scale)
    return SQL(
        "CASE WHEN abs(abs(%(z)s) - floor(abs(%(z)s)) - 0.5::float8)"
        " > 1e-9::float8 + abs(%(z)s) * 1e-12::float8"
        " THEN (CASE WHEN %(z)s < 0 THEN ceil(%(z)s - 0.5::float8)"
        " ELSE floor(%(z)s + 0.5::float8) END) / %(scale)s + 0::float8"
        " ELSE ROUND((%(value)s)::numeric, %(digits)s)::float8 END",
        z=scaled,
        scale=scale,
        value=value,
        digits=SQL(str(int(digits))),
    )


def partner_filter(column, partner_ids):
    """`column` (a (table, column) pair) is one of partner_ids; None: any."""
    if partner_ids is None:
        return SQL("TRUE")
    return SQL("%s = ANY(%s)", SQL.identifier(*column), array(partner_ids))


def id_list(ids):
    """A subquery of these ids, for the steps' hooks (`x IN (%s)`)."""
    return SQL("SELECT unnest(%s::integer[])", array(ids))


@contextmanager
def bulk_load(cr, table):
    """Inside, the table has only its primary key: no foreign keys, unique
    constraints or other indexes; at the end they are made again. That
    checks every row in one join per foreign key instead of an index probe
    and a row lock per key and row inserted, and builds each index from
    sorted rows instead of inserting every row into it (together most of
    the time of a bulk first fill). A row that fails them raises there, and
    the caller's savepoint takes all of it back. Dropping them locks the
    table, and adding a key locks the table it refers to against writes,
    until the transaction ends: for a once-only bulk load (a company's
    first full pass), not for everyday writes."""
    cr.execute(
        SQL(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype IN ('f', 'u')"
            " ORDER BY conname",
            table,
        )
    )
    constraints = cr.fetchall()
    # indexes of no constraint of the table (the primary key stays)
    cr.execute(
        SQL(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid"
            " WHERE i.indrelid = %s::regclass AND NOT EXISTS (SELECT 1"
            "  FROM pg_constraint k WHERE k.conrelid = i.indrelid"
            "   AND k.conindid = i.indexrelid) ORDER BY 1",
            table,
        )
    )
    indexes = cr.fetchall()
    ident = SQL.identifier(table)
    for name, _definition in constraints:
        cr.execute(
            SQL("ALTER TABLE %s DROP CONSTRAINT %s", ident, SQL.identifier(name))
        )
    for name, _definition in indexes:
        cr.execute(SQL("DROP INDEX %s", SQL.identifier(name)))
    yield
    for _name, definition in indexes:
        cr.execute(SQL(definition.replace("%", "%%")))
    # in any order: the table's foreign keys refer to other tables or to its
    # primary key, which stays
    for name, definition in constraints:
        cr.execute(
            SQL(
                "ALTER TABLE %s ADD CONSTRAINT %s " + definition.replace("%", "%%"),
                ident,
                SQL.identifier(name),
            )
        )


def prepare_for(partner_ids):
    """Whether an update of these partners runs prepared statements."""
    return partner_ids is not None and len(partner_ids) <= PREPARED_PARTNERS


def prepared(env):
    """Whether the steps of this pipeline run prepared statements (the
    stage's context, see value_writer._stage_open)."""
    return env.context.get("zz_value_prepare") is True


def execute(cr, query, prepare=True):
    """Execute `query` (an SQL); when `prepare`, a statement this cursor has
    run before is run as a statement it prepared (an incremental update's
    statements, planned for one customer, took five to ten times their
    execution to plan).

    Prepared statements live as long as the database session, and a cursor
    borrowed from Odoo's pool starts a session anew (the pool resets the
    connection: DISCARD ALL), so they are kept per cursor: a cron job runs
    up to ten queue batches in one, a benchmark or a script many updates.
    The first run of a statement in a cursor is a plain one, and so costs
    nothing more; the second prepares it. Its scalars (company, dates,
    settings) go into the statement as literals, so that its one generic
    plan is the plan they call for; its lists (partner ids, the columns of
    a few rows) and Json values (rows) are its parameters. A statement
    PostgreSQL cannot prepare (a parameter of no type) stays a plain one.
    A cursor keeps the last PREPARED_MAX statements."""
    if not prepare:
        return cr.execute(query)
    args = [value for value in query.params if isinstance(value, (list, Json))]
    key = (
        query.code,
        tuple(value for value in query.params if not isinstance(value, (list, Json))),
    )
    kept = cr.__dict__.setdefault("_zz_prepared", OrderedDict())
    name = kept.get(key)
    if name is None:  # first run in this cursor: as it is
        kept[key] = ""
        _evict(cr, kept)
        return cr.execute(query)
    kept.move_to_end(key)
    if name == "":
        name = kept[key] = _prepare(cr, query)
    if name is False:
        return cr.execute(query)
    arguments = SQL(", ").join(SQL("%s", arg) for arg in args)
    if args:
        arguments = SQL("(%s)", arguments)
    return cr.execute(SQL("EXECUTE %s%s", SQL.identifier(name), arguments))


def _prepare(cr, query):
    """PREPARE the query (scalars as literals, lists and Json as $n);
    returns the statement's name, or False if PostgreSQL refuses it."""
    literals, count = [], 0
    values = iter(query.params)
    for piece in PLACEHOLDER.split(query.code):
        if piece == "%%":
            literals.append("%")
        elif piece == "%s":
            value = next(values)
            if isinstance(value, (list, Json)):
                count += 1
                literals.append(f"${count}")
            else:
                literals.append(cr._obj.mogrify("%s", [value]).decode())
        else:
            literals.append(piece)
    text = "".join(literals)
    name = "zz_" + hashlib.sha1(text.encode()).hexdigest()[:24]
    try:
        # PostgreSQL's refusal is handled: not an error for the log
        with mute_logger("odoo.sql_db"), cr.savepoint(flush=False):
            # no parameters: the text goes to PostgreSQL as it is
            cr.execute(SQL("PREPARE %s AS %s", SQL.identifier(name), SQL(text)))
    except psycopg2.Error:
        return False
    return name


def _evict(cr, kept):
    while len(kept) > PREPARED_MAX:
        _key, old = kept.popitem(last=False)
        if old:
            cr.execute(SQL("DEALLOCATE %s", SQL.identifier(old)))
