"""Measures of the analysis views (SQL views: every field is read-only)."""

from odoo import fields


def average(string=None, digits=(16, 1), **kwargs):
    """A Float measure averaged over the rows a pivot groups: a rate, a
    score, a rating or a duration, which would mean nothing summed."""
    if string:
        kwargs["string"] = string
    return fields.Float(readonly=True, aggregator="avg", digits=digits, **kwargs)
