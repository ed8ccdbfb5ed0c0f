"""How the customer value figures (res_partner.py, `_figure`), kept in a
table of their own (value_writer.py), behave as stored fields of the
partner: read in one query per batch, sorted, grouped, summed and searched
in SQL, checked for access as a stored field is, and refused when typed."""

from odoo import api, models
from odoo.exceptions import AccessError
from odoo.osv import expression
from odoo.tools import SQL, Query

from .value_writer import FIGURES_TABLE


class ResPartnerFigures(models.Model):
    # a room of its own: the partner's file stays under 500 lines
    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    def init(self):
        result = super().init()
        self.env["zhongzheng.value.writer"]._figures_table_init()
        return result

    def _compute_field_value(self, field):
        # reading a figure is checked as reading a stored field is
        # (_fetch_field): a plain employee's attribute access raises too
        if getattr(field, "value_figure", False):
            self.check_field_access_rights("read", [field.name])
        return super()._compute_field_value(field)

    @api.depends_context("company")
    def _compute_figures(self):
        """Every figure of these partners for the company that the user may
        read, from the figures' table, in one query (values as the database
        gives them, as Odoo puts a stored field's in its cache; the others
        left out, as Odoo leaves them out of a prefetch)."""
        names = [
            name
            for name in self.env["zhongzheng.value.writer"]._figure_types()
            if self._fields[name].is_accessible(self.env)
        ]
        if not names:
            return
        found = {}
        # a partner in a form's onchange reads its record's figures
        ids = [partner._origin.id for partner in self if partner._origin.id]
        if ids:
            self.env.cr.execute(
                SQL(
                    "SELECT partner_id, %s FROM %s"
                    " WHERE partner_id = ANY(%s) AND company_id = %s",
                    SQL(", ").join(SQL.identifier(name) for name in names),
                    SQL.identifier(FIGURES_TABLE),
                    ids,
                    self.env.company.id,
                )
            )
            found = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        empty = (None,) * len(names)
        rows = [found.get(partner._origin.id, empty) for partner in self]
        cache = self.env.cache
        for index, name in enumerate(names):
            cache.update(self, self._fields[name], [row[index] for row in rows])

    def _field_to_sql(self, alias, fname, query=None, flush=True):
        """A figure in SQL: its column in the figures' row of the partner
        for the company, joined once per query (sorting, grouping,
        aggregating and searching by it)."""
        field = self._fields.get(fname)
        if not getattr(field, "value_figure", False):
            return super()._field_to_sql(alias, fname, query, flush)
        if query is None:
            raise ValueError(f"{field} needs a query to join its row to")
        self.check_field_access_rights("read", [fname])
        figures = query.make_alias(alias, "zz_figures")
        query.add_join(
            "LEFT JOIN",
            figures,
            FIGURES_TABLE,
            SQL(
                "%s = %s AND %s = %s",
                SQL.identifier(figures, "partner_id"),
                SQL.identifier(alias, "id"),
                SQL.identifier(figures, "company_id"),
                self.env.company.id,
            ),
        )
        return SQL.identifier(figures, fname)

    def _search_figure(self, fname, operator, value):
        """The partners whose figure meets the condition, as Odoo's domain
        would find them in a column (a partner without a row: null)."""
        field = self._fields[fname]
        texts = value if isinstance(value, (list, tuple)) else [value]
        if (
            field.type == "many2one"
            and texts
            and all(isinstance(v, str) for v in texts)
        ):
            # a tier or segment by its name, as Odoo searches a many2one:
            # a negative condition also finds the partners without one
            negative = operator in expression.NEGATIVE_TERM_OPERATORS
            if negative:
                operator = {"not ilike": "ilike", "not like": "like"}.get(
                    operator, "in" if operator == "not in" else "="
                )
            comodel = self.env[field.comodel_name].with_context(active_test=False)
            named = comodel._search([("display_name", operator, value)])
            if negative:
                return [
                    "|",
                    *self._search_figure(fname, "not in", named),
                    *self._search_figure(fname, "=", False),
                ]
            operator, value = "in", named
        query = Query(self.env, self._table, self._table_sql)
        query.add_where(
            self._condition_to_sql(self._table, fname, operator, value, query)
        )
        return [("id", "in", query)]

    @api.model
    def read_group(
        self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True
    ):
        # a figure named without its aggregate (the spreadsheet's pivots
        # send them so) is summed as Odoo sums a stored field named so
        fields = [
            f"{spec}:{self._fields[spec].aggregator}"
            if getattr(self._fields.get(spec), "value_figure", False)
            and self._fields[spec].aggregator
            and spec not in (groupby if isinstance(groupby, list) else [groupby])
            else spec
            for spec in fields
        ]
        return super().read_group(
            domain,
            fields,
            groupby,
            offset=offset,
            limit=limit,
            orderby=orderby,
            lazy=lazy,
        )

    @api.model_create_multi
    def create(self, vals_list):
        figures = [self._check_figures_untouched(vals) for vals in vals_list]
        vals_list = [
            {k: v for k, v in vals.items() if k not in values} if values else vals
            for vals, values in zip(vals_list, figures, strict=True)
        ]
        partners = super().create(vals_list)
        for partner, values in zip(partners, figures, strict=True):
            if values:
                partner._write_figures(values)
        return partners

    def write(self, vals):
        figures = self._check_figures_untouched(vals)
        if figures:
            vals = {k: v for k, v in vals.items() if k not in figures}
        result = super().write(vals)
        if figures:
            self._write_figures(figures)
        return result

    def _write_figures(self, values):
        self.env["zhongzheng.value.writer"]._write_values(self, values)

    @api.model
    def _check_figures_untouched(self, vals):
        """The figures are computed (value_writer.py writes them in SQL):
        `readonly` does not stop a write over RPC or an import, this does.
        A tier is set by hand only through an override with a reason. A
        superuser's figures (data fixes, tests' fixtures) are returned, for
        the value writer; the caller's `vals` stay as they are."""
        typed = [
            name
            for name in vals
            if getattr(self._fields.get(name), "value_figure", False)
        ]
        if typed and not self.env.su:
            raise AccessError(
                self.env._(
                    "Customer figures are computed, not typed (%(fields)s). A CRM "
                    "manager overrides a customer's tier with a reason.",
                    fields=", ".join(typed),
                )
            )
        return {name: vals[name] for name in typed}
