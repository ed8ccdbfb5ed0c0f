"""Calibration vs holdout: what a fit predicted for the period after its date
against what happened, per calibration-frequency group, per customer and by
week, with a naive baseline beside it. Pure numpy, no Odoo imports."""

import math

import numpy as np

from . import clv_math_models

TOP_GROUP = 7  # the classic table: 0, 1, ..., 6 and 7+ repeat purchases
MAX_CHART_POINTS = 156


def naive_prediction(x, T, t):
    """Each customer repeats its past rate: x repeat purchases over its age T,
    carried on for t (0 for a customer first seen on the as-of date)."""
    x, T = np.asarray(x, dtype=float), np.asarray(T, dtype=float)
    return np.where(T > 0, x / np.where(T > 0, T, 1.0) * t, 0.0)


def frequency_groups(x, predicted, naive, actual):
    """[(group, customers, predicted, naive, actual)] for groups 0..6, 7+:
    the sums of each column over the customers of the group."""
    group = np.minimum(np.asarray(x, dtype=int), TOP_GROUP)
    rows = []
    for g in range(TOP_GROUP + 1):
        mask = group == g
        rows.append(
            (
                g,
                int(mask.sum()),
                float(predicted[mask].sum()),
                float(naive[mask].sum()),
                float(actual[mask].sum()),
            )
        )
    return rows


def mean_absolute_error(predicted, actual):
    if not len(actual):
        return 0.0
    return float(np.mean(np.abs(np.asarray(predicted) - np.asarray(actual))))


def chart_days(days):
    """Day offsets of the cumulative chart: every week (or every few weeks
    past MAX_CHART_POINTS weeks), ending on the holdout's last day."""
    step = 7 * max(1, math.ceil(days / 7 / MAX_CHART_POINTS))
    points = list(range(step, days, step))
    return [*points, days] if days > 0 else []


def cumulative_predicted(model, fit, x, t_x, T, offsets):
    """Expected repeat purchases of all customers up to each day offset."""
    return [
        float(np.nansum(clv_math_models.expected_purchases(model, fit, d, x, t_x, T)))
        for d in offsets
    ]


def cumulative_actual(purchase_offsets, offsets):
    """Actual repeat purchases (one per customer and day, day offsets after
    the as-of date, 1 = the next day) up to each day offset."""
    days = np.sort(np.asarray(purchase_offsets, dtype=float))
    return [int(np.searchsorted(days, d, side="right")) for d in offsets]


def correlation(x, monetary):
    """Pearson correlation of repeat purchases and average repeat spend over
    the customers given (Gamma-Gamma assumes it is near 0); NaN with fewer
    than 3 customers or no spread."""
    x, m = np.asarray(x, dtype=float), np.asarray(monetary, dtype=float)
    if len(x) < 3 or x.std() == 0 or m.std() == 0:
        return float("nan")
    return float(np.corrcoef(x, m)[0, 1])


def heat_matrix(model, fit, t, T, max_frequency=10, recency_bins=6):
    """Expected purchases in the next t and P(alive) on a grid of frequency
    (0..max_frequency, rows) and recency (columns, from 0 to T in equal
    steps) for a customer of age T: the statistician's frequency/recency
    view of what the model believes. Returns (recencies, expected, alive)."""
    recencies = np.linspace(0.0, float(T), recency_bins)
    xs, rs = np.meshgrid(np.arange(max_frequency + 1, dtype=float), recencies)
    xs, rs = xs.T, rs.T
    # with no repeat purchase the recency is 0 whatever the column
    rs = np.where(xs == 0, 0.0, rs)
    ages = np.full(xs.shape, float(T))
    expected = clv_math_models.expected_purchases(model, fit, t, xs, rs, ages)
    alive = clv_math_models.prob_alive(model, fit, xs, rs, ages)
    return recencies, expected, alive
