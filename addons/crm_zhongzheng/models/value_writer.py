"""The one writer of the partners' customer value figures.

The figures are fields of res.partner declared once in res_partner.py
(`value_figure`), stored in a table of their own: one row per partner and
company (FIGURES_TABLE, made by `_figures_table_init`), a typed column per
figure. This model is the only code that writes them. The steps of the
pipeline (value_engine.py) read the figures so far through `_figures` and
hand what they compute to `_write_rows` (rows computed in Python) or
`_write_query` (rows computed by a query). While a pipeline run is open
(`_stage_open`), both write to a temporary stage holding the company's
figures, and `_stage_flush` writes each changed partner's row once. Without
a stage they write the table at once.

A partner's row holds a key mask (`zz_keys`, one bit per figure): which
figures have been written, maybe as null (a figure never written is not
the same as one computed as nothing). In res_partner, rewriting 100,000
partner rows of some 1.2 KB, with their 32 indexes and 218 triggers, cost
seconds each full pass; a row here is a few hundred bytes and one key.
"""

import csv
import io
import json
import logging
from functools import partial

from psycopg2.extras import Json

from odoo import api, models, tools
from odoo.tools import SQL

from .value_sql import (
    BULK_ROWS,
    array,
    bulk_fill,
    bulk_load,
    execute,
    partner_filter,
    prepare_for,
    prepared,
)

_logger = logging.getLogger(__name__)

# where the figures are stored: (partner, company) rows
FIGURES_TABLE = "zhongzheng_partner_figures"
# a full pass writing a company's first figures (_stage_dirty)
FIRST_FILL = "first fill"

# SQL type of a figure in the stage, by Odoo field type
SQL_TYPES = {
    "integer": "integer",
    "many2one": "integer",
    "float": "float8",
    "monetary": "float8",
    "date": "date",
    "selection": "varchar",
    "boolean": "boolean",
}
# the stage's key mask is a bigint: one bit per figure
MAX_FIGURES = 62
# a merge of more rows than this writes the stage anew (_stage_rebuild)
STAGE_REBUILD_ROWS = 5000
# every step writes one of these figures: a partner holding none has none
HOLDS_FIGURES = (
    "sale_count_total",
    "purchase_count_window",
    "supplier_rating",
    "relationship_class",
    "tier_id",
)


class ValueWriter(models.AbstractModel):
    _name = "zhongzheng.value.writer"
    _description = "Customer Value Figures Writer"

    # ------------------------------------------------------------------
    # the figures and how they are read
    # ------------------------------------------------------------------
    @api.model
    def _figure_types(self):
        """{field: SQL type} of every figure: the res.partner fields declared
        as figures (value_figure=True), typed from their definition."""
        return dict(self._figure_items())

    @tools.ormcache()
    def _figure_items(self):
        # once per registry: a step asks dozens of times, res.partner has
        # hundreds of fields
        return tuple(
            (name, SQL_TYPES[field.type])
            for name, field in self.env["res.partner"]._fields.items()
            if getattr(field, "value_figure", False)
        )

    def _stage_bits(self):
        """{field: bit} of the key mask of the stage and of the figures'
        rows: which figures a partner holds (written, maybe as null, unlike
        one never written)."""
        return {name: 1 << i for i, (name, _type) in enumerate(self._figure_items())}

    def _stage_company(self):
        return self.env.context.get("zz_value_stage")

    @api.model
    def _figures_table_init(self):
        """Make the figures' table, or add the columns of figures it lacks
        (a later version's): at each install and update of the addon
        (res.partner's init)."""
        cr = self.env.cr
        table = SQL.identifier(FIGURES_TABLE)
        cr.execute(
            SQL(
                "CREATE TABLE IF NOT EXISTS %s ("
                " partner_id integer NOT NULL"
                "  REFERENCES res_partner(id) ON DELETE CASCADE,"
                " company_id integer NOT NULL"
                "  REFERENCES res_company(id) ON DELETE CASCADE,"
                " zz_keys bigint NOT NULL DEFAULT 0,"
                " PRIMARY KEY (partner_id, company_id))",
                table,
            )
        )
        cr.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass"
            " AND attnum > 0 AND NOT attisdropped",
            [FIGURES_TABLE],
        )
        present = {row[0] for row in cr.fetchall()}
        missing = [item for item in self._figure_items() if item[0] not in present]
        fields_ = self.env["res.partner"]._fields

        def column(name, sql_type):
            field = fields_[name]
            if field.type != "many2one":
                return SQL("ADD COLUMN %s %s", SQL.identifier(name), SQL(sql_type))
            # a deleted tier or segment empties the figure, as Odoo empties a
            # company-dependent many2one of a deleted record
            return SQL(
                "ADD COLUMN %s integer REFERENCES %s(id) ON DELETE SET NULL",
                SQL.identifier(name),
                SQL.identifier(self.env[field.comodel_name]._table),
            )

        if missing:
            cr.execute(
                SQL(
                    "ALTER TABLE %s %s",
                    table,
                    SQL(", ").join(column(*item) for item in missing),
                )
            )
        # a many2one figure's column made without its key (an earlier build)
        cr.execute(
            "SELECT a.attname FROM pg_constraint c JOIN pg_attribute a"
            " ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " WHERE c.conrelid = %s::regclass AND c.contype = 'f'",
            [FIGURES_TABLE],
        )
        keyed = {row[0] for row in cr.fetchall()}
        for name, _sql_type in self._figure_items():
            field = fields_[name]
            if field.type != "many2one" or name in keyed:
                continue
            target = SQL.identifier(self.env[field.comodel_name]._table)
            cr.execute(
                SQL(
                    "UPDATE %(table)s f SET %(col)s = NULL WHERE %(col)s IS NOT NULL"
                    " AND NOT EXISTS (SELECT 1 FROM %(target)s t"
                    "  WHERE t.id = f.%(col)s);"
                    " ALTER TABLE %(table)s ADD FOREIGN KEY (%(col)s)"
                    " REFERENCES %(target)s(id) ON DELETE SET NULL",
                    table=table,
                    col=SQL.identifier(name),
                    target=target,
                )
            )

    @api.model
    def _figures_query(self, company, partner_ids=None, names=None):
        """Per partner holding figures for the company: partner_id, the key
        mask and every figure (or those `names`), from the figures' table."""
        return SQL(
            "%s AND %s",
            self._figures_select(company.id, None if names is None else tuple(names)),
            partner_filter((FIGURES_TABLE, "partner_id"), partner_ids),
        )

    @tools.ormcache("company_id", "names")
    def _figures_select(self, company_id, names):
        # composed once per company
        types = self._figure_types()
        if names is not None:
            types = {name: types[name] for name in names}
        bits = self._stage_bits()
        return SQL(
            "SELECT partner_id, zz_keys, %s FROM %s"
            " WHERE company_id = %s AND zz_keys & %s <> 0",
            SQL(", ").join(SQL.identifier(name) for name in types),
            SQL.identifier(FIGURES_TABLE),
            company_id,
            sum(bits[name] for name in HOLDS_FIGURES),
        )

    @api.model
    def _figures(self, company, names=None):
        """A relation for a FROM clause: per partner holding figures for the
        company, partner_id and every figure (at least those `names`), as
        written so far (the stage while a run is open)."""
        if self._stage_company() == company.id:
            return SQL("zz_value_stage")
        return SQL("(%s)", self._figures_query(company, names=names))

    @api.model
    def _figures_join(self, alias, partner, company):
        """`LEFT JOIN` of the figures' row (as `alias`) of the partner column
        given (a (table alias, column) pair) and the company (an id, or the
        pair of a column), for a report's query."""
        return SQL(
            "LEFT JOIN %s %s ON %s = %s AND %s = %s",
            SQL.identifier(FIGURES_TABLE),
            SQL.identifier(alias),
            SQL.identifier(alias, "partner_id"),
            SQL.identifier(*partner),
            SQL.identifier(alias, "company_id"),
            SQL.identifier(*company) if isinstance(company, tuple) else company,
        )

    @api.model
    def _holds(self, alias, names):
        """Condition on a row of `_figures` (alias): it holds a key for one
        of these figures (the figure has been written, maybe as null)."""
        bits = self._stage_bits()
        mask = 0
        for name in names:
            mask |= bits[name]
        return SQL("%s.zz_keys & %s <> 0", SQL.identifier(alias), mask)

    @api.model
    def _hold_all(self, company, partner_ids, names):
        """Whether every one of these partners holds all these figures (as
        written so far)."""
        bits = self._stage_bits()
        mask = sum(bits[name] for name in names)
        self.env.cr.execute(
            SQL(
                "SELECT count(*) FROM %s f WHERE f.partner_id = ANY(%s)"
                " AND f.zz_keys & %s = %s",
                self._figures(company),
                array(partner_ids),
                mask,
                mask,
            )
        )
        return self.env.cr.fetchone()[0] == len(set(partner_ids))

    # ------------------------------------------------------------------
    # writing
    # ------------------------------------------------------------------
    @api.model
    def _copy_rows(self, table, columns, rows):
        """COPY rows (dicts by column; None is NULL) into a table: much
        faster than INSERTs for tens of thousands of rows."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow("" if row[c] is None else row[c] for c in columns)
        buffer.seek(0)
        self.env.cr._obj.copy_expert(
            SQL(
                "COPY %s (%s) FROM STDIN WITH (FORMAT csv)",
                SQL.identifier(table),
                SQL(", ").join(SQL.identifier(c) for c in columns),
            ).code,
            buffer,
        )

    @api.model
    def _write_rows(self, company, rows, columns):
        """Write rows computed in Python ({"partner_id": id, column: value})
        into the figures `columns`; returns the number of partners changed."""
        if not rows:
            return 0
        types = self._figure_types()
        if self._stage_few(company):
            # a few rows: read from one parameter, merged in one statement
            source = SQL(
                "SELECT * FROM jsonb_to_recordset(%s::jsonb)"
                " AS v(partner_id integer, %s)",
                Json(rows, dumps=partial(json.dumps, default=str)),
                SQL(", ").join(
                    SQL("%s %s", SQL.identifier(c), SQL(types[c])) for c in columns
                ),
            )
            return self._stage_merge(columns, source)
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS zz_value_rows")
        cr.execute(
            SQL(
                "CREATE TEMP TABLE zz_value_rows (partner_id integer PRIMARY KEY, %s)"
                " ON COMMIT DROP",
                SQL(", ").join(
                    SQL("%s %s", SQL.identifier(c), SQL(types[c])) for c in columns
                ),
            )
        )
        self._copy_rows("zz_value_rows", ["partner_id", *columns], rows)
        return self._apply_rows(company, columns, len(rows))

    @api.model
    def _write_query(self, company, query, columns, then=None):
        """Write what a query computes (a `partner_id` column and one per
        figure in `columns`, same names) without a round trip through Python;
        `then` (a function) may read its rows in zz_value_rows first."""
        if then is None and self._stage_few(company):
            return self._stage_merge(columns, query)
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS zz_value_rows")
        cr.execute(SQL("CREATE TEMP TABLE zz_value_rows ON COMMIT DROP AS %s", query))
        size = cr.rowcount
        if then:
            then()
        return self._apply_rows(company, columns, size)

    @api.model
    def _apply_rows(self, company, columns, size=0):
        """Write zz_value_rows (`size` rows) into the figures' table (or the
        stage while one is open), touching only the rows whose values
        changed; returns their number."""
        if self._stage_company() == company.id:
            return self._stage_rows(columns, size)
        cr = self.env.cr
        cr.execute(self._upsert_sql(company.id, tuple(columns)))
        count = cr.fetchone()[0]
        cr.execute("DROP TABLE zz_value_rows")
        self.env["res.partner"].invalidate_model(list(columns))
        return count

    @tools.ormcache("company_id", "columns")
    def _upsert_sql(self, company_id, columns):
        # the rows of zz_value_rows that change a partner's figures
        mask, new, _differs, holds = self._merge_terms(columns)
        return self._write_sql(
            company_id,
            SQL("zz_value_rows"),
            columns,
            SQL("%s::bigint", mask),
            {c: SQL("%s::bigint", mask) for c in columns},
            new,
            holds,
        )

    def _write_sql(self, company_id, source, names, keys, dirty, new, holds):
        """The statement writing the rows of `source` (as `v`) into the
        figures' table: of each figure of `names`, its new value (`new`,
        {name: SQL}) when it is dirty (`dirty`, {name: its bit of the row's
        mask `keys`, zero when clean}),
        only on rows that change a figure (a missing row equals nulls).
        Rows holding a value are upserted (INSERT ... ON CONFLICT, which
        finds a partner's row by the primary key: an anti-join of a table
        with the one it inserts into can scan it once per row); the others
        can only empty a partner's row, updated in place. Returns the
        number of rows written."""
        table = SQL.identifier(FIGURES_TABLE)
        idents = {name: SQL.identifier(name) for name in names}

        def each(term, joiner):
            return SQL(joiner).join(
                SQL(term, name=idents[name], dirty=dirty[name], new=new[name])
                for name in names
            )

        return SQL(
            "WITH zz_u AS (UPDATE %(table)s f SET zz_keys = f.zz_keys | %(keys)s,"
            "  %(sets)s FROM %(source)s v"
            "  WHERE f.partner_id = v.partner_id AND f.company_id = %(company)s"
            "   AND NOT (%(holds)s) AND (%(changed)s) RETURNING 1),"
            " zz_i AS (INSERT INTO %(table)s AS f"
            "  (partner_id, company_id, zz_keys, %(columns)s)"
            "  SELECT v.partner_id, %(company)s, %(keys)s, %(values)s"
            "  FROM %(source)s v WHERE %(holds)s"
            "  ON CONFLICT (partner_id, company_id) DO UPDATE"
            "  SET zz_keys = f.zz_keys | EXCLUDED.zz_keys, %(merged)s"
            "  WHERE %(differs)s RETURNING 1)"
            " SELECT (SELECT count(*) FROM zz_u) + (SELECT count(*) FROM zz_i)",
            table=table,
            keys=keys,
            sets=each(
                "%(name)s = CASE WHEN %(dirty)s <> 0 THEN %(new)s ELSE f.%(name)s END",
                ", ",
            ),
            source=source,
            company=company_id,
            holds=holds,
            changed=each(
                "(%(dirty)s <> 0 AND f.%(name)s IS DISTINCT FROM %(new)s)", " OR "
            ),
            columns=SQL(", ").join(idents.values()),
            values=SQL(", ").join(new[name] for name in names),
            # on a conflict the proposed row's key mask is the dirty one
            merged=SQL(", ").join(
                SQL(
                    "%(name)s = CASE WHEN EXCLUDED.zz_keys & %(bit)s <> 0"
                    " THEN EXCLUDED.%(name)s ELSE f.%(name)s END",
                    name=idents[name],
                    bit=bit,
                )
                for name, bit in self._bits_of(names)
            ),
            differs=SQL(" OR ").join(
                SQL(
                    "(EXCLUDED.zz_keys & %(bit)s <> 0"
                    " AND f.%(name)s IS DISTINCT FROM EXCLUDED.%(name)s)",
                    name=idents[name],
                    bit=bit,
                )
                for name, bit in self._bits_of(names)
            ),
        )

    def _bits_of(self, names):
        bits = self._stage_bits()
        return [(name, bits[name]) for name in names]

    @api.model
    def _write_values(self, partners, vals):
        """Figures written through the ORM (a superuser's write: data fixes,
        tests' fixtures), the same values for all these partners in the
        environment's company."""
        values = {}
        for name, value in vals.items():
            field = partners._fields[name]
            value = field.convert_to_cache(value, partners)
            if field.type == "many2one":
                value = value or None  # an id, or a NewId's origin
            values[name] = None if value is False else value
        rows = [{"partner_id": partner_id, **values} for partner_id in partners.ids]
        return self._write_rows(self.env.company, rows, list(values))

    # ------------------------------------------------------------------
    # the stage: every figure of a run in one temporary table, then one
    # write of the figures' table
    # ------------------------------------------------------------------
    @api.model
    def _stage_open(self, company, partner_ids=None):
        """Load the company's figures (all partners, or partner_ids) into
        the stage; returns the writer writing there until _stage_flush
        (its env is the one the steps of the run use)."""
        cr = self.env.cr
        types = self._figure_types()
        if len(types) > MAX_FIGURES:
            raise ValueError(f"the stage's key mask holds {MAX_FIGURES} figures")
        if partner_ids is None:
            # a full pass's stage made from the query (a bulk write: half
            # the time of an INSERT into a table made first), its key after
            cr.execute(
                SQL(
                    "DROP TABLE IF EXISTS zz_value_stage;"
                    " CREATE TEMP TABLE zz_value_stage ON COMMIT DROP AS"
                    " SELECT f.*, 0::bigint AS zz_dirty FROM (%s) f;"
                    " ALTER TABLE zz_value_stage ADD PRIMARY KEY (partner_id)",
                    self._figures_query(company),
                )
            )
        else:
            # one round trip
            cr.execute(
                SQL(
                    "%s; INSERT INTO zz_value_stage %s",
                    self._stage_create_sql(),
                    self._figures_query(company, partner_ids),
                )
            )
        return self.with_context(
            zz_value_stage=company.id,
            zz_value_stage_few=partner_ids is not None,
            zz_value_prepare=prepare_for(partner_ids),
        )

    @tools.ormcache()
    def _stage_create_sql(self):
        # a few partners' stage, kept by the session (_stage_kept)
        return self._stage_kept(
            SQL(
                "CREATE TEMP TABLE zz_value_stage (partner_id integer PRIMARY KEY,"
                " zz_keys bigint NOT NULL DEFAULT 0, %s,"
                " zz_dirty bigint NOT NULL DEFAULT 0) ON COMMIT PRESERVE ROWS",
                SQL(", ").join(
                    SQL("%s %s", SQL.identifier(c), SQL(t))
                    for c, t in self._figure_types().items()
                ),
            )
        )

    @api.model
    def _stage_rows(self, columns, size=0):
        """Merge zz_value_rows (`size` rows) into the stage; returns the rows
        whose figures changed (only those get the keys, as in the table)."""
        cr = self.env.cr
        types = self._figure_types()
        mask, new, differs, holds = self._merge_terms(columns)
        if size > STAGE_REBUILD_ROWS:
            # many rows: how many would change, read before writing any
            cr.execute(
                SQL(
                    "SELECT count(*) FROM zz_value_rows v"
                    " LEFT JOIN zz_value_stage s ON s.partner_id = v.partner_id"
                    " WHERE CASE WHEN s.partner_id IS NULL THEN %s ELSE %s END",
                    holds,
                    differs,
                )
            )
            changing = cr.fetchone()[0]
            if not changing or changing > STAGE_REBUILD_ROWS:
                if changing:
                    self._stage_rebuild(types, new, differs, holds, mask)
                cr.execute("DROP TABLE zz_value_rows")
                return changing
        cr.execute(self._stage_update_sql(columns, SQL("zz_value_rows")))
        count = cr.rowcount
        # partners new to the stage: looked up before inserting (an anti-join
        # inserting into the table it reads can scan it once per row)
        cr.execute(
            "SELECT v.partner_id FROM zz_value_rows v"
            " LEFT JOIN zz_value_stage s ON s.partner_id = v.partner_id"
            " WHERE s.partner_id IS NULL"
        )
        missing = [r[0] for r in cr.fetchall()]
        if missing:
            cr.execute(
                self._stage_insert_sql(
                    columns,
                    SQL("zz_value_rows"),
                    SQL("v.partner_id = ANY(%s)", array(missing)),
                )
            )
            count += cr.rowcount
        cr.execute("DROP TABLE zz_value_rows")
        return count

    @api.model
    def _stage_rebuild(self, types, new, differs, holds, mask):
        """The merge of many rows: the stage written anew from itself and
        zz_value_rows in one pass (a fresh table, its key indexed after),
        which costs a fraction of updating most of its wide rows in place
        (each a new row version plus an index entry). The same result as
        the update: changed rows take the new values and the keys; partners
        new to the stage join it when they hold a value."""
        cr = self.env.cr
        merged = {
            name: SQL("CASE WHEN m.changed THEN %s ELSE s.%s END", new[name], ident)
            if name in new
            else SQL("s.%s", ident)
            for name, ident in ((n, SQL.identifier(n)) for n in types)
        }
        cr.execute(
            SQL(
                "CREATE TEMP TABLE zz_value_stage_next ON COMMIT DROP AS"
                " SELECT COALESCE(s.partner_id, v.partner_id) AS partner_id,"
                " COALESCE(s.zz_keys, 0) | CASE WHEN m.changed THEN %(mask)s"
                "   ELSE 0 END AS zz_keys,"
                " COALESCE(s.zz_dirty, 0) | CASE WHEN m.changed THEN %(mask)s"
                "   ELSE 0 END AS zz_dirty,"
                " %(columns)s"
                " FROM zz_value_stage s"
                " FULL JOIN zz_value_rows v ON v.partner_id = s.partner_id"
                " CROSS JOIN LATERAL (SELECT v.partner_id IS NOT NULL"
                "   AND (s.partner_id IS NULL OR %(differs)s) AS changed) m"
                " WHERE s.partner_id IS NOT NULL OR %(holds)s",
                mask=mask,
                columns=SQL(", ").join(
                    SQL("%s AS %s", merged[n], SQL.identifier(n)) for n in types
                ),
                differs=differs,
                holds=holds,
            )
        )
        cr.execute(
            "DROP TABLE zz_value_stage;"
            " ALTER TABLE zz_value_stage_next RENAME TO zz_value_stage;"
            " ALTER TABLE zz_value_stage ADD PRIMARY KEY (partner_id)"
        )

    @api.model
    def _stage_flush(self, company):
        """One write of the figures' table from the stage, only of the rows
        whose figures changed (the stage marks them dirty; a figure changed
        and changed back is compared again); returns their number."""
        if self._stage_company() != company.id:
            return 0
        cr = self.env.cr
        few = self._stage_few(company)
        count = 0
        if few:
            execute(cr, self._flush_sql(company.id), prepared(self.env))
            count = cr.fetchone()[0]
        elif dirty := self._stage_dirty(company):
            # a full pass that changes nothing (most nights, for most
            # partners) does not read the stage twice for nothing; the
            # company's first (its rows inserted, two foreign keys checked
            # each: 1.5 s against 0.6 s at 100,000) is a bulk load
            if dirty is FIRST_FILL:
                with bulk_load(cr, FIGURES_TABLE):
                    cr.execute(self._flush_sql(company.id))
                    count = cr.fetchone()[0]
            else:
                cr.execute(self._flush_sql(company.id))
                count = cr.fetchone()[0]
        if not few:  # a few partners' stage is kept
            cr.execute("DROP TABLE zz_value_stage")
        self.env["res.partner"].invalidate_model(list(self._stage_bits()))
        _logger.log(
            logging.DEBUG if few else logging.INFO,  # a few partners: per order
            "customer value: company %s, %s partners updated",
            company.id,
            count,
        )
        return count

    @api.model
    def _stage_dirty(self, company):
        """Whether a full pass's stage holds changed partners: False, True,
        or FIRST_FILL when they are the company's first figures and many
        (value_sql.bulk_fill; the threshold: the context's
        figures_bulk_rows in tests)."""
        cr = self.env.cr
        cr.execute("SELECT count(*) FROM zz_value_stage WHERE zz_dirty <> 0")
        dirty = cr.fetchone()[0]
        if not dirty:
            return False
        threshold = self.env.context.get("figures_bulk_rows", BULK_ROWS)
        if not bulk_fill(cr, FIGURES_TABLE, dirty, threshold):
            return True
        cr.execute(
            SQL(
                "SELECT 1 FROM %s WHERE company_id = %s LIMIT 1",
                SQL.identifier(FIGURES_TABLE),
                company.id,
            )
        )
        return FIRST_FILL if not cr.rowcount else True

    @tools.ormcache("company_id")
    def _flush_sql(self, company_id):
        # composed once per company: some fifty columns' terms. The stage
        # holds every figure of its partners; only the dirty ones are
        # written (another transaction may have written others since)
        bits = self._stage_bits()
        return self._write_sql(
            company_id,
            SQL("zz_value_stage"),
            list(bits),
            SQL("v.zz_dirty"),
            {name: SQL("v.zz_dirty & %s", bit) for name, bit in bits.items()},
            {name: SQL("v.%s", SQL.identifier(name)) for name in bits},
            SQL(" OR ").join(
                SQL(
                    "(v.zz_dirty & %s <> 0 AND v.%s IS NOT NULL)",
                    bit,
                    SQL.identifier(name),
                )
                for name, bit in bits.items()
            ),
        )
