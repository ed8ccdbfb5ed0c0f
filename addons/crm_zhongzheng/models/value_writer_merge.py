"""The stage's merges in one statement: the terms shared with the merge
through zz_value_rows (value_writer.py), and the incremental path's merge of
a few partners' rows straight from a query, a parameter or the CTE of a
step's own statement (no temporary table of rows)."""

import hashlib

from odoo import api, models, tools
from odoo.tools import SQL

from .value_sql import execute, prepared

# a kept stage larger than this (dead rows: a session's own temporary table
# is never vacuumed) is made anew
KEPT_STAGE_MAX_BYTES = 1 << 20


class ValueWriterMerge(models.AbstractModel):
    # a room of its own: the writer's file stays under 500 lines
    _inherit = "zhongzheng.value.writer"  # pylint: disable=consider-merging-classes-inherited

    def _stage_few(self, company):
        """Whether the open stage holds a few given partners (an incremental
        update): each step's rows are merged into it in one statement."""
        return (
            self._stage_company() == company.id
            and self.env.context.get("zz_value_stage_few") is True
        )

    def _stage_kept(self, create):
        """The SQL that makes an empty stage for a few partners from the one
        kept by the session: incremental updates may follow each other in
        one cursor (a cron job runs up to ten queue batches in one; a
        borrowed cursor's session starts anew), and creating and dropping
        a table of some fifty columns each time writes the catalogs. Made
        anew (`create`) when the session has none, one of other columns
        (another version of the figures, told by its comment) or one grown
        by dead rows. Its rows are kept across commits and deleted when it
        opens: emptying it at each commit (ON COMMIT DELETE ROWS truncates)
        would invalidate the plans of the statements the session prepared
        over it (value_sql.execute)."""
        signature = hashlib.sha1(create.code.encode()).hexdigest()[:16]
        return SQL(
            "DO $zz$ BEGIN"
            " IF obj_description(to_regclass('pg_temp.zz_value_stage'), 'pg_class')"
            "  IS DISTINCT FROM %(signature)s"
            "  OR pg_relation_size(to_regclass('pg_temp.zz_value_stage'))"
            "   > %(bloated)s THEN"
            "  DROP TABLE IF EXISTS pg_temp.zz_value_stage; %(create)s;"
            "  COMMENT ON TABLE pg_temp.zz_value_stage IS %(signature)s;"
            " ELSE DELETE FROM pg_temp.zz_value_stage; END IF;"
            " END $zz$",
            signature=signature,
            create=create,
            bloated=KEPT_STAGE_MAX_BYTES,
        )

    def _merge_terms(self, columns):
        """The terms of a merge of rows `v` into the stage `s`: the key mask
        of these columns, {column: new value}, the condition that a row
        changes a figure and the one that a new row holds a value (composed
        once per set of columns: to be read, not changed)."""
        return self._merge_terms_of(tuple(columns))

    @tools.ormcache("columns")
    def _merge_terms_of(self, columns):
        types, bits = self._figure_types(), self._stage_bits()
        mask = sum(bits[c] for c in columns)
        new = {c: SQL("v.%s::%s", SQL.identifier(c), SQL(types[c])) for c in columns}
        differs = SQL(" OR ").join(
            SQL("s.%s IS DISTINCT FROM %s", SQL.identifier(c), new[c]) for c in columns
        )
        holds = SQL(" OR ").join(SQL("%s IS NOT NULL", new[c]) for c in columns)
        return mask, new, differs, holds

    def _stage_update_sql(self, columns, source):
        """UPDATE of the stage's partners from the rows of `source` (a
        relation) that change a figure: they take the values and the keys."""
        mask, new, differs, _holds = self._merge_terms(columns)
        return SQL(
            "UPDATE zz_value_stage s SET zz_keys = s.zz_keys | %s,"
            " zz_dirty = s.zz_dirty | %s, %s"
            " FROM %s v WHERE s.partner_id = v.partner_id AND (%s)",
            mask,
            mask,
            SQL(", ").join(SQL("%s = %s", SQL.identifier(c), new[c]) for c in columns),
            source,
            differs,
        )

    def _stage_insert_sql(self, columns, source, new_rows):
        """INSERT into the stage of the rows of `source` for partners new
        to it (`new_rows`: the condition on `v` that says which) holding a
        value."""
        mask, new, _differs, holds = self._merge_terms(columns)
        return SQL(
            "INSERT INTO zz_value_stage (partner_id, zz_keys, zz_dirty, %s)"
            " SELECT v.partner_id, %s, %s, %s FROM %s v WHERE %s AND (%s)",
            SQL(", ").join(SQL.identifier(c) for c in columns),
            mask,
            mask,
            SQL(", ").join(new[c] for c in columns),
            source,
            new_rows,
            holds,
        )

    @api.model
    def _stage_merge(self, columns, query):
        """Merge the rows of `query` into a few partners' stage in one
        statement, as _stage_rows does from zz_value_rows (the update and
        the insert see the stage as it was before either: they touch
        different partners); returns the rows whose figures changed."""
        cr = self.env.cr
        execute(
            cr,
            SQL(
                "WITH zz_value_merge AS MATERIALIZED (%s), %s SELECT"
                " (SELECT count(*) FROM zz_stage_u)"
                " + (SELECT count(*) FROM zz_stage_i)",
                query,
                self._stage_merge_ctes(columns, SQL("zz_value_merge")),
            ),
            prepared(self.env),
        )
        return cr.fetchone()[0]

    def _stage_merge_ctes(self, columns, source):
        """The CTEs zz_stage_u and zz_stage_i of a statement merging the rows
        of `source` (a relation of it) into the stage, one row returned per
        partner changed (a statement may hold other CTEs)."""
        return SQL(
            "zz_stage_u AS (%s RETURNING 1), zz_stage_i AS (%s RETURNING 1)",
            self._stage_update_sql(columns, source),
            self._stage_insert_sql(
                columns,
                source,
                SQL(
                    "NOT EXISTS (SELECT 1 FROM zz_value_stage o"
                    " WHERE o.partner_id = v.partner_id)"
                ),
            ),
        )
