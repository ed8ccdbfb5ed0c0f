"""Customer lifetime value maths: BG/NBD and Gamma-Gamma models.

Pure numpy/scipy, no Odoo imports, so it can be unit-tested and reused on its own.

Per-customer inputs follow the usual RFM summary convention:

* ``x`` / ``frequency``: number of *repeat* purchases (total purchases - 1),
* ``t_x`` / ``recency``: time between first and last purchase,
* ``T``: time between first purchase and the end of the observation window,
* ``monetary``: average value of the repeat purchases.

All times must use the same unit; the addon uses days.

References:

* Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An
  Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275-284.
* Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer
  Base Analysis", Journal of Marketing Research 42(4), 415-430.
* Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value",
  http://brucehardie.com/notes/025/
* The ``lifetimes`` Python package (Cam Davidson-Pilon), whose conventions for the
  penalizer and the discounted CLV are reproduced here.
"""

import hashlib
import math
from typing import NamedTuple

import numpy as np
from scipy.integrate import quad
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from .clv_optimise import (  # noqa: F401 (MIN_REPEAT_CUSTOMERS, NotEnoughData: API)
    MIN_REPEAT_CUSTOMERS,
    NotEnoughData,
    as_1d,
    check_enough,
    check_non_negative,
    check_rft,
    check_same_length,
    compress,
    dot,
    maximise,
)


class BGNBDFit(NamedTuple):
    """Fitted BG/NBD parameters (time unit = unit of the fitted data)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    converged: bool
    n: int


class GammaGammaFit(NamedTuple):
    """Fitted Gamma-Gamma spend parameters."""

    p: float
    q: float
    v: float
    log_likelihood: float
    converged: bool
    n: int


def usable_rows(frequency, recency, T, monetary):
    """Which customers each model can take, as two boolean masks.

    ``purchases``: finite, non-negative summaries with ``recency <= T`` (the
    BG/NBD inputs). ``spend``: those with a repeat purchase whose average repeat
    spend is finite and positive (the Gamma-Gamma inputs). Real order books
    hold free replacements, samples and credits, whose repeat spend is zero or
    negative: such customers still count in BG/NBD, but the spend model, a
    gamma distribution, cannot take them.
    """
    x, t_x, age, m = (
        np.asarray(v, dtype=float) for v in (frequency, recency, T, monetary)
    )
    with np.errstate(invalid="ignore"):
        purchases = (
            np.isfinite(x)
            & np.isfinite(t_x)
            & np.isfinite(age)
            & (x >= 0)
            & (t_x >= 0)
            & (t_x <= age)
        )
        spend = purchases & (x > 0) & np.isfinite(m) & (m > 0)
    return purchases, spend


# ---------------------------------------------------------------------------
# BG/NBD


def _bgnbd_loglik(params, data):
    """Total log-likelihood (paper eq. 6) of compressed data and its gradient.

    ``data`` is ``(xs, wx, x, t_x, T, w, T0, w0, extra)``: distinct x values
    with their total weights, the weighted rows of the customers who may have
    dropped out, the weighted ages of those who cannot have, and ``extra``:
    0 for BG/NBD (dropout after a repeat purchase: customers without one are
    in T0), 1 for MBG/NBD (after any purchase, the first too: Batislam et al.
    2007, every customer a row), which adds 1 to x in the beta-geometric
    part. Terms that depend on x only are evaluated once per distinct x,
    which keeps gammaln/digamma off the per-row path.
    """
    r, alpha, a, b = params
    xs, wx, x, t_x, T, w, T0, w0, extra = data
    total = wx.sum()
    log_alpha = math.log(alpha)
    xe = xs + extra
    ll = dot(wx, gammaln(r + xs) + gammaln(b + xe) - gammaln(a + b + xe)) + total * (
        r * log_alpha + gammaln(a + b) - gammaln(r) - gammaln(b)
    )
    d_r = dot(wx, digamma(r + xs)) + total * (log_alpha - digamma(r))
    d_alpha = total * r / alpha
    psi_ab = total * digamma(a + b) - dot(wx, digamma(a + b + xe))
    d_a = psi_ab
    d_b = psi_ab + dot(wx, digamma(b + xe)) - total * digamma(b)

    # no repeat purchase: the likelihood is (alpha/(alpha+T))^r only
    log_age0 = np.log(alpha + T0)
    ll -= r * dot(w0, log_age0)
    d_r -= dot(w0, log_age0)
    d_alpha -= r * dot(w0, 1.0 / (alpha + T0))

    # who may have dropped out: log(exp(A3) + exp(A4)) via log-sum-exp
    log_age = np.log(alpha + T)
    log_rec = np.log(alpha + t_x)
    b_x1 = b + x + (extra - 1)
    A3 = -(r + x) * log_age
    A4 = math.log(a) - np.log(b_x1) - (r + x) * log_rec
    top = np.maximum(A3, A4)
    e3 = np.exp(A3 - top)
    e4 = np.exp(A4 - top)
    norm = e3 + e4
    ll += dot(w, top + np.log(norm))
    w3 = e3 / norm
    w4 = e4 / norm
    d_r -= dot(w, w3 * log_age + w4 * log_rec)
    d_alpha -= dot(w, (r + x) * (w3 / (alpha + T) + w4 / (alpha + t_x)))
    d_a += dot(w, w4) / a
    d_b -= dot(w, w4 / b_x1)
    return ll, np.array([d_r, d_alpha, d_a, d_b])


def bgnbd_data(x, t_x, age, extra=0):
    """The compressed data of :func:`_bgnbd_loglik` (``extra`` 1: MBG/NBD)."""
    may_drop = x > 0 if extra == 0 else np.ones(len(x), dtype=bool)
    (ux, ut_x, uT), w = compress(x[may_drop], t_x[may_drop], age[may_drop])
    (uT0,), w0 = compress(age[~may_drop])
    xs, x_inverse = np.unique(x, return_inverse=True)
    wx = np.bincount(x_inverse.ravel(), minlength=len(xs)).astype(float)
    return (xs, wx, ux, ut_x, uT, w, uT0, w0, float(extra))


def fit_bgnbd(frequency, recency, T, penalizer=0.0, extra=0, fit_class=BGNBDFit):
    """Fit the BG/NBD model (``extra`` 1, ``fit_class`` MBGNBDFit: MBG/NBD,
    see :func:`_bgnbd_loglik`) by maximum likelihood.

    :param frequency: repeat purchases per customer (x).
    :param recency: time of the last purchase since the first one (t_x).
    :param T: customer age, time since the first purchase.
    :param penalizer: L2 penalty on the parameters, added to the *mean* negative
        log-likelihood as in ``lifetimes`` (0 = plain MLE).
    :return: :class:`BGNBDFit`; ``log_likelihood`` is the unpenalised total.
    :raises NotEnoughData: fewer than ``MIN_REPEAT_CUSTOMERS`` repeat customers.
    :raises ValueError: inconsistent inputs.

    ``converged`` is False when the optimiser failed, the log-likelihood is not
    finite, or a parameter ran into the search box (about e^+-10 times its natural
    scale): the data then does not pin the parameters down and predictions
    should not be trusted.
    """
    x, t_x, age = check_rft(frequency, recency, T)
    n = len(x)
    check_enough(int(np.sum(x > 0)), n)
    if penalizer < 0:
        raise ValueError("penalizer must be >= 0")
    # fit in units of the mean age so that alpha is of order 1 whatever the unit
    scale = float(age.mean()) if age.mean() > 0 else 1.0
    t_x, age = t_x / scale, age / scale
    data = bgnbd_data(x, t_x, age, extra)

    # start from a gamma-mean purchase rate r/alpha equal to the observed one
    rate = max(x.sum(), 1.0) / max(age.sum(), 1e-9)
    x0 = np.clip(np.log([1.0, 1.0 / rate, 1.0, 1.0]), -10.0, 10.0)
    unit = np.array([1.0, scale, 1.0, 1.0])
    params, success = maximise(_bgnbd_loglik, data, n, penalizer, x0, unit)
    # each repeat purchase time is a density in the time unit: undo the rescaling
    ll = float(_bgnbd_loglik(params, data)[0] - x.sum() * math.log(scale))
    r, alpha, a, b = (float(v) for v in params * unit)
    return fit_class(r, alpha, a, b, ll, success and math.isfinite(ll), n)


def bgnbd_prob_alive(fit, x, t_x, T):
    """Probability that a customer with history (x, t_x, T) is still active.

    Customers without repeat purchases are alive with probability 1 under BG/NBD
    (dropout can only happen right after a purchase).
    """
    x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, t_x, T)))
    b_x1 = fit.b + np.maximum(x, 1) - 1
    log_odds_dead = (fit.r + x) * np.log((fit.alpha + T) / (fit.alpha + t_x)) + np.log(
        fit.a / b_x1
    )
    return np.where(x > 0, expit(-log_odds_dead), 1.0)


def _purchases_if_alive_quad(fit, t, x, T):
    """Slow but unconditional path for :func:`_purchases_if_alive`.

    E[X(t) | alive] = E[(1 - (1 + p*s)^-(r+x)) / p] with p ~ Beta(a, b+x) the
    posterior dropout probability and s = t / (alpha+T); the integrand is bounded,
    so this holds for any a > 0 (also a = 1, where eq. 10 is 0/0).
    """
    k = fit.r + x
    s = t / (fit.alpha + T)
    beta = fit.b + x
    if s == 0:
        return 0.0
    log_norm = betaln(fit.a, beta)

    def integrand(p):
        g = -math.expm1(-k * math.log1p(p * s)) / p
        log_dens = (fit.a - 1) * math.log(p) + (beta - 1) * math.log1p(-p) - log_norm
        return g * math.exp(log_dens)

    # breakpoints where the integrand bends: knee of g and bulk of the Beta density
    mode = fit.a / (fit.a + beta)
    points = sorted({min(max(v, 1e-12), 1 - 1e-12) for v in (1 / (k * s), mode)})
    value, _err = quad(integrand, 0.0, 1.0, points=points, limit=500, epsrel=1e-10)
    return value


def _purchases_if_alive(fit, t, x, T):
    """Expected purchases in (T, T+t] for a customer known to be alive.

    Eq. (10) without its P(alive) factor: (a+b+x-1)/(a-1) * (1 - H) with
    H = ((alpha+T)/(alpha+T+t))^(r+x) * 2F1(r+x, b+x; a+b+x-1; z),
    z = t/(alpha+T+t). Euler's transformation turns H into
    (1-z)^(a-1) * 2F1(a+b-1-r, a-1; a+b+x-1; z): the first two parameters no
    longer grow with x, which keeps scipy accurate where the direct form overflows
    (``lifetimes`` only switches to this form after an overflow). scipy still
    gives up when z -> 1 and c-a-b is (nearly) an integer, and the ratio is 0/0
    at a = 1; those few points go through numerical integration instead.
    """
    a_minus_1 = fit.a - 1
    z = t / (fit.alpha + T + t)
    with np.errstate(all="ignore"):
        hyp = hyp2f1(fit.a + fit.b - 1 - fit.r, a_minus_1, fit.a + fit.b + x - 1, z)
        h = np.exp(a_minus_1 * np.log1p(-z)) * hyp
        # np.array: scalar inputs must still give a writable array below
        value = np.array((fit.a + fit.b + x - 1) / a_minus_1 * (1 - h), dtype=float)
    bad = ~np.isfinite(value) | (value < 0)
    # closer to 1 the cancellation in (1 - h) / (a - 1) costs more than ~1e-6
    if abs(a_minus_1) < 1e-8:
        bad[...] = True
    if np.any(bad):
        # identical (t, x, T) rows are common in day-based summaries
        rows = np.column_stack([t[bad], x[bad], T[bad]])
        uniq, inverse = np.unique(rows, axis=0, return_inverse=True)
        fixed = np.array([_purchases_if_alive_quad(fit, *row) for row in uniq])
        value[bad] = fixed[inverse.ravel()]
    return value


def bgnbd_expected_purchases(fit, t, x, t_x, T):
    """Expected repeat purchases in the next ``t`` periods given (x, t_x, T).

    Equation (10) of Fader, Hardie & Lee (2005), computed as
    E[purchases | alive] * P(alive); vectorised over all arguments.
    """
    t, x, t_x, T = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (t, x, t_x, T))
    )
    alive = bgnbd_prob_alive(fit, x, t_x, T)
    return _purchases_if_alive(fit, t, x, T) * alive


# ---------------------------------------------------------------------------
# Gamma-Gamma


def _gg_loglik(params, data):
    """Total Gamma-Gamma log-likelihood (Fader & Hardie 2013, eq. 1a) and gradient.

    ``data`` is ``(xs, wx, x, m, w, sum_wxlogm, sum_wlogm, sum_wxlogx)``: distinct
    x values with total weights, the weighted (x, m) rows and constant sums, so
    only log(x*m + v) has to be evaluated per row.
    """
    p, q, v = params
    xs, wx, x, m, w, sum_wxlogm, sum_wlogm, sum_wxlogx = data
    total = wx.sum()
    pxs = p * xs
    log_v = math.log(v)
    log_xmv = np.log(x * m + v)
    ll = (
        dot(wx, gammaln(pxs + q) - gammaln(pxs))
        + total * (q * log_v - gammaln(q))
        + p * sum_wxlogm
        - sum_wlogm
        + p * sum_wxlogx
        - dot(w, (p * x + q) * log_xmv)
    )
    psi = digamma(pxs + q)
    d_p = dot(wx, xs * (psi - digamma(pxs))) + sum_wxlogm + sum_wxlogx
    d_p -= dot(w, x * log_xmv)
    d_q = dot(wx, psi) + total * (log_v - digamma(q)) - dot(w, log_xmv)
    d_v = total * q / v - dot(w, (p * x + q) / (x * m + v))
    return ll, np.array([d_p, d_q, d_v])


def fit_gamma_gamma(frequency, monetary, penalizer=0.0):
    """Fit the Gamma-Gamma model of average transaction value.

    Only customers with ``frequency > 0`` are used (their ``monetary`` must be
    > 0); the others are ignored whatever their monetary value.

    :param frequency: repeat purchases per customer (x).
    :param monetary: average value of the repeat purchases per customer.
    :param penalizer: L2 penalty on the parameters, as in ``lifetimes``.
    :return: :class:`GammaGammaFit`; ``n`` is the number of customers used;
        ``converged`` as for :func:`fit_bgnbd`.
    :raises NotEnoughData: fewer than ``MIN_REPEAT_CUSTOMERS`` repeat customers.
    :raises ValueError: inconsistent inputs.
    """
    x = as_1d("frequency", frequency)
    m = as_1d("monetary", monetary)
    check_same_length(frequency=x, monetary=m)
    check_non_negative(frequency=x)
    if penalizer < 0:
        raise ValueError("penalizer must be >= 0")
    repeat = x > 0
    n = int(np.sum(repeat))
    check_enough(n, len(x))
    x, m = x[repeat], m[repeat]
    if np.any(m <= 0):
        bad = int(np.sum(m <= 0))
        raise ValueError(
            f"monetary must be > 0 for repeat customers ({bad} customer(s) are not)"
        )
    # fit in units of the mean spend so that v is of order 1 whatever the currency
    scale = float(m.mean())
    m = m / scale
    (ux, um), w = compress(x, m)
    xs, x_inverse = np.unique(x, return_inverse=True)
    wx = np.bincount(x_inverse.ravel(), minlength=len(xs)).astype(float)
    log_m = np.log(um)
    sums = (dot(w, ux * log_m), dot(w, log_m), dot(w, ux * np.log(ux)))
    data = (xs, wx, ux, um, w, *sums)

    # p = 1, q = 2 makes the population mean p*v/(q-1) equal v = 1 = mean spend
    x0 = np.log([1.0, 2.0, 1.0])
    unit = np.array([1.0, 1.0, scale])
    params, success = maximise(_gg_loglik, data, n, penalizer, x0, unit)
    # m is a density in currency units: undo the rescaling
    ll = float(_gg_loglik(params, data)[0]) - n * math.log(scale)
    p, q, v = (float(val) for val in params * unit)
    return GammaGammaFit(p, q, v, ll, success and math.isfinite(ll), n)


def gamma_gamma_expected_spend(fit, frequency, monetary):
    """Conditional expected average transaction value (Fader & Hardie 2013, eq. 5).

    A weighted mix of the population mean ``p*v/(q-1)`` and the customer's own
    average; customers with ``frequency == 0`` get the population mean. The
    population mean only exists for ``q > 1``; otherwise NaN is returned where the
    denominator ``p*x + q - 1`` is not positive.
    """
    x, m = np.broadcast_arrays(
        np.asarray(frequency, dtype=float), np.asarray(monetary, dtype=float)
    )
    # x = 0 would otherwise multiply an arbitrary (often 0) monetary value by 0
    m = np.where(x > 0, m, 0.0)
    denom = fit.p * x + fit.q - 1
    safe = np.where(denom > 0, denom, 1.0)
    return np.where(denom > 0, fit.p * (fit.v + x * m) / safe, np.nan)


# ---------------------------------------------------------------------------
# CLV


def customer_lifetime_value(
    spend, cumulative, months=12, monthly_discount_rate=0.01, days_per_month=30.0
):
    """Discounted expected value of each customer over the next ``months``.

    Same scheme as ``lifetimes.utils._customer_lifetime_value``: for month i
    the expected purchases in (i-1, i] months times the expected value of a
    purchase (``spend``), discounted by ``(1 + monthly_discount_rate) ** i``.
    ``cumulative(days)`` gives each customer's expected purchases in the
    next ``days`` (any purchase model).
    """
    spend = np.asarray(spend, dtype=float)
    clv = np.zeros(spend.shape)
    previous = np.zeros(spend.shape)
    for month in range(1, int(months) + 1):
        current = cumulative(month * days_per_month)
        clv += spend * (current - previous) / (1 + monthly_discount_rate) ** month
        previous = current
    return clv


def digest(inputs, *params):
    """Fingerprint of a fit's inputs (ids and purchase summaries) and of the
    parameters of its application: a fit is a function of the inputs alone,
    so equal digests as of one day give equal fits and figures."""
    sha = hashlib.sha1(repr(params).encode())
    sha.update(np.asarray(inputs[0], dtype=np.int64).tobytes())
    for array in inputs[1:]:
        sha.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
    return sha.hexdigest()
