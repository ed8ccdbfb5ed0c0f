"""The figures' table: how the value writer (value_writer.py) keeps the
partners' figures, one row per partner and company (FIGURES_TABLE): the
table's making, the one statement writing rows into it (`_write_sql`, for
rows without a stage and for a full pass's flush) and reports' join."""

from odoo import api, models, tools
from odoo.tools import SQL

from .value_sql import BULK_ROWS, bulk_fill
from .value_writer import FIGURES_TABLE, FIRST_FILL


class ValueFigures(models.AbstractModel):
    # a room of its own: the writer's file stays under 500 lines
    _inherit = "zhongzheng.value.writer"  # pylint: disable=consider-merging-classes-inherited

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

        def by_bit(term, joiner):
            bits = self._stage_bits()
            return SQL(joiner).join(
                SQL(term, name=idents[name], bit=bits[name]) for name in names
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
            merged=by_bit(
                "%(name)s = CASE WHEN EXCLUDED.zz_keys & %(bit)s <> 0"
                " THEN EXCLUDED.%(name)s ELSE f.%(name)s END",
                ", ",
            ),
            differs=by_bit(
                "(EXCLUDED.zz_keys & %(bit)s <> 0"
                " AND f.%(name)s IS DISTINCT FROM EXCLUDED.%(name)s)",
                " OR ",
            ),
        )

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
