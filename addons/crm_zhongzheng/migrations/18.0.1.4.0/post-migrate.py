"""18.0.1.4.0: the customer value figures move from res_partner (Odoo
company-dependent fields, a jsonb column each keyed by company id) to a
table of their own, one row per partner and company (value_writer.py).
The module's update has made the table (res.partner's init); this copies
every partner's figures into it, a key of a figure held (maybe as null)
becoming its bit of the row's key mask, then drops the jsonb columns."""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

from odoo.addons.crm_zhongzheng.models.value_writer import FIGURES_TABLE


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    writer = env["zhongzheng.value.writer"]
    cr.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'res_partner'::regclass"
        " AND attnum > 0 AND NOT attisdropped AND atttypid = 'jsonb'::regtype"
    )
    present = {row[0] for row in cr.fetchall()}
    types = {
        name: sql_type
        for name, sql_type in writer._figure_types().items()
        if name in present
    }
    if not types:
        return
    bits = writer._stage_bits()
    key = SQL("c.id::text")
    cr.execute(
        SQL(
            "INSERT INTO %(table)s (partner_id, company_id, zz_keys, %(columns)s)"
            " SELECT p.id, c.id, %(mask)s, %(values)s"
            " FROM res_partner p CROSS JOIN res_company c WHERE %(holds)s"
            " ON CONFLICT (partner_id, company_id) DO NOTHING",
            table=SQL.identifier(FIGURES_TABLE),
            columns=SQL(", ").join(SQL.identifier(name) for name in types),
            mask=SQL(" | ").join(
                SQL(
                    "CASE WHEN p.%s ? %s THEN %s::bigint ELSE 0 END",
                    SQL.identifier(name),
                    key,
                    bits[name],
                )
                for name in types
            ),
            values=SQL(", ").join(
                SQL("(p.%s->>%s)::%s", SQL.identifier(name), key, SQL(sql_type))
                for name, sql_type in types.items()
            ),
            holds=SQL(" OR ").join(
                SQL("p.%s ? %s", SQL.identifier(name), key) for name in types
            ),
        )
    )
    cr.execute(
        SQL(
            "ALTER TABLE res_partner %s",
            SQL(", ").join(
                SQL("DROP COLUMN %s", SQL.identifier(name)) for name in types
            ),
        )
    )
