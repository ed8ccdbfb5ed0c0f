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
from contextlib import nullcontext
from functools import partial

from psycopg2.extras import Json

from odoo import api, models, tools
from odoo.tools import SQL

from .value_sql import (
    array,
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
            # company's first (its rows inserted, their foreign keys checked
            # each: 1.5 s against 0.6 s at 100,000) is a bulk load
            with bulk_load(cr, FIGURES_TABLE) if dirty is FIRST_FILL else nullcontext():
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
