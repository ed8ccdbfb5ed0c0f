"""Measures of the analysis views (SQL views: every field is read-only)."""

from odoo import fields


def average(string=None, digits=(16, 1), **kwargs):
    """A Float measure averaged over the rows a pivot groups: a rate, a
    score, a rating or a duration, which would mean nothing summed."""
    if string:
        kwargs["string"] = string
    return fields.Float(readonly=True, aggregator="avg", digits=digits, **kwargs)


def rating_average(string, **kwargs):
    """A rating from 1 to 5, averaged: two decimals tell ratings apart."""
    return average(string, digits=(16, 2), **kwargs)


def amount(string=None, **kwargs):
    """A money measure, summed, in the accounting precision."""
    if string:
        kwargs["string"] = string
    return fields.Float(readonly=True, digits="Account", **kwargs)
