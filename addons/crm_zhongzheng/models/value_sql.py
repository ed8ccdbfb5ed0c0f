"""SQL helpers shared by the steps of the customer value pipeline."""

from datetime import timedelta

from odoo import fields
from odoo.tools import SQL


def window(company, as_of):
    """[start, end) datetimes of the company's analysis window ending on as_of."""
    end = fields.Datetime.to_datetime(as_of) + timedelta(days=1)
    return end - timedelta(days=company.value_window_days), end


def partner_filter(column, partner_ids):
    """`column` (a (table, column) pair) is one of partner_ids; None: any."""
    if partner_ids is None:
        return SQL("TRUE")
    return SQL("%s = ANY(%s)", SQL.identifier(*column), list(partner_ids))


def id_list(ids):
    """A subquery of these ids, for the steps' hooks (`x IN (%s)`)."""
    return SQL("SELECT unnest(%s::integer[])", list(ids))
