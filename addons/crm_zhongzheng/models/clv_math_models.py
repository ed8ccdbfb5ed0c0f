"""Purchase models next to BG/NBD: Pareto/NBD and MBG/NBD, and one entry
point per question (fit, probability alive, expected purchases) that
dispatches on the model's code. Pure numpy/scipy, no Odoo imports.

References:

* Schmittlein, Morrison & Colombo (1987), "Counting Your Customers",
  Management Science 33(1) (Pareto/NBD).
* Fader, Hardie & Lee (2005), "A Note on Deriving the Pareto/NBD Model and
  Related Expressions", http://brucehardie.com/notes/009/ (the likelihood
  with the Gaussian hypergeometric function, its alpha >= beta branch).
* Batislam, Denizel & Filiztekin (2007), "Empirical validation and
  comparison of models for customer base analysis", IJRM 24(3) (MBG/NBD);
  the CDNOW parameters in the tests are those of BTYDplus and ``lifetimes``.
"""

import math
from typing import NamedTuple

import numpy as np
from scipy.special import expit, gammaln, hyp2f1

from . import clv_math
from .clv_optimise import check_enough, check_rft, compress, maximise

MODELS = ("bgnbd", "pareto", "mbgnbd")


class ParetoNBDFit(NamedTuple):
    """Fitted Pareto/NBD parameters: purchase rate ~ Gamma(r, alpha),
    dropout rate ~ Gamma(s, beta)."""

    r: float
    alpha: float
    s: float
    beta: float
    log_likelihood: float
    converged: bool
    n: int


class MBGNBDFit(clv_math.BGNBDFit):
    """Fitted MBG/NBD parameters (those of BG/NBD; a customer may also drop
    out right after the first purchase)."""

    __slots__ = ()


def numeric_gradient(value):
    """A ``loglik(params, data) -> (ll, grad)`` from a value-only function,
    by central differences relative to each parameter (the maximiser works
    on log-parameters, where this step is uniform)."""

    def loglik(params, data):
        ll = value(params, data)
        grad = np.empty(len(params))
        for i, param in enumerate(params):
            step = 1e-6 * param
            up, down = params.copy(), params.copy()
            up[i] += step
            down[i] -= step
            grad[i] = (value(up, data) - value(down, data)) / (2 * step)
        return ll, grad

    return loglik


def _prepare(frequency, recency, T):
    """Checked, rescaled (time / mean age) and compressed summaries."""
    x, t_x, age = check_rft(frequency, recency, T)
    check_enough(int(np.sum(x > 0)), len(x))
    scale = float(age.mean()) if age.mean() > 0 else 1.0
    (ux, ut_x, uT), w = compress(x, t_x / scale, age / scale)
    rate = max(x.sum(), 1.0) / max((age / scale).sum(), 1e-9)
    return x, scale, (ux, ut_x, uT, w), rate


# ---------------------------------------------------------------------------
# Pareto/NBD


def _pairs(x, times):
    """(distinct (x, time) pairs, index of each row's pair)."""
    uniq, inverse = np.unique(np.column_stack([x, times]), axis=0, return_inverse=True)
    return uniq[:, 0], uniq[:, 1], inverse.ravel()


def with_pairs(data):
    """(x, t_x, T, w) rows with their distinct (x, t_x) and (x, T) pairs."""
    x, t_x, T, _w = data
    return (*data, (_pairs(x, t_x), _pairs(x, T)))


def _hyp(params, x, times, pairs=None):
    """2F1(r+s+x, s+1; r+s+x+1; |alpha-beta| / (max(alpha, beta) + time))
    (alpha >= beta; r+x second else), on the distinct (x, time) pairs when
    given: a customer's 2F1 depends on x and one time only."""
    r, alpha, s, beta = params
    big, diff = max(alpha, beta), abs(alpha - beta)
    ux, utimes, inverse = pairs if pairs is not None else (x, times, None)
    rsx = r + s + ux
    second = s + 1.0 if alpha >= beta else r + ux
    value = hyp2f1(rsx, second, rsx + 1.0, diff / (big + utimes))
    return value if inverse is None else value[inverse]


def _pareto_terms(params, x, t_x, T, pairs=(None, None)):
    """Per row: the log of the 'alive all along' term and of the 'dropped
    out between t_x and T' term of the likelihood, and the common log
    factor (FHL 2005 note, eqs. 17-22)."""
    r, alpha, s, beta = params
    big = max(alpha, beta)
    rsx = r + s + x
    log_tx, log_T = np.log(big + t_x), np.log(big + T)
    with np.errstate(all="ignore"):
        f1 = _hyp(params, x, t_x, pairs[0])
        f2 = _hyp(params, x, T, pairs[1])
        inner = f1 - f2 * np.exp(-rsx * (log_T - log_tx))
    log_a0 = -rsx * log_tx + np.log(np.maximum(inner, 1e-300))
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    dropped = np.log(s / rsx) + log_a0
    common = gammaln(r + x) - gammaln(r) + r * math.log(alpha) + s * math.log(beta)
    return alive, dropped, common


def _pareto_value(params, data):
    """Total log-likelihood of (x, t_x, T, weight[, pairs]) rows; ``pairs``
    are the distinct (x, t_x) and (x, T) of the rows (see _hyp)."""
    x, t_x, T, w, *pairs = data
    if not pairs:
        pairs = [(_pairs(x, t_x), _pairs(x, T))]
    with np.errstate(all="ignore"):
        # far from the optimum 2F1 can overflow: a NaN the optimiser steps back from
        alive, dropped, common = _pareto_terms(params, x, t_x, T, pairs[0])
        return float(w @ (common + np.logaddexp(alive, dropped)))


def _maximum_likelihood(cls, value, frequency, recency, T, penalizer, time_scaled):
    """Fit a model whose log-likelihood is ``value`` (rescaled time; the
    parameters flagged in ``time_scaled`` are in units of time)."""
    x, scale, data, rate = _prepare(frequency, recency, T)
    data = with_pairs(data)
    x0 = np.clip(np.log([1.0, 1.0 / rate, 1.0, 1.0]), -10.0, 10.0)
    unit = np.where(time_scaled, scale, 1.0)
    params, success = maximise(
        numeric_gradient(value), data, len(x), penalizer, x0, unit
    )
    # each repeat purchase time is a density in the time unit: undo the rescaling
    ll = value(params, data) - x.sum() * math.log(scale)
    fitted = (float(v) for v in params * unit)
    return cls(*fitted, ll, success and math.isfinite(ll), len(x))


def pareto_prob_alive(fit, x, t_x, T):
    x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, t_x, T)))
    alive, dropped, _common = _pareto_terms(fit[:4], x, t_x, T)
    return expit(alive - dropped)


def pareto_purchases_if_alive(fit, t, x, T):
    """E[X(T, T+t] | alive] = (r+x)(beta+T) / ((alpha+T)(s-1)) *
    (1 - ((beta+T)/(beta+T+t))^(s-1)), its limit log(...) at s = 1."""
    k = (fit.r + x) * (fit.beta + T) / (fit.alpha + T)
    log_ratio = np.log1p(t / (fit.beta + T))
    if abs(fit.s - 1) < 1e-8:
        return k * log_ratio
    return k * -np.expm1(-(fit.s - 1) * log_ratio) / (fit.s - 1)


# ---------------------------------------------------------------------------
# MBG/NBD


def beta_geometric_common(params, x, extra):
    """log[Gamma(r+x) alpha^r / Gamma(r) * B(a, b+x+extra) / B(a, b)], the
    factor of every customer's likelihood in BG/NBD (extra 0) and MBG/NBD
    (extra 1: it may drop out after its first purchase too)."""
    r, alpha, a, b = params
    return (
        gammaln(r + x)
        - gammaln(r)
        + r * math.log(alpha)
        + gammaln(a + b)
        + gammaln(b + x + extra)
        - gammaln(b)
        - gammaln(a + b + x + extra)
    )


def _mbg_value(params, data):
    """Batislam et al. (2007): L = B(a, b+x+1)/B(a, b) * Gamma(r+x) alpha^r
    / Gamma(r) * [(alpha+T)^-(r+x) + a/(b+x) (alpha+t_x)^-(r+x)], every
    customer (also x = 0) may have dropped out at their last purchase."""
    r, alpha, a, b = params
    x, t_x, T, w, *_pairs = data
    common = beta_geometric_common(params, x, 1.0)
    alive = -(r + x) * np.log(alpha + T)
    dropped = math.log(a) - np.log(b + x) - (r + x) * np.log(alpha + t_x)
    return float(w @ (common + np.logaddexp(alive, dropped)))


def mbg_prob_alive(fit, x, t_x, T):
    x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, t_x, T)))
    log_odds_dead = (
        math.log(fit.a)
        - np.log(fit.b + x)
        + (fit.r + x) * np.log((fit.alpha + T) / (fit.alpha + t_x))
    )
    return expit(-log_odds_dead)


def _as_bg(fit, b_shift=0.0):
    return clv_math.BGNBDFit(fit.r, fit.alpha, fit.a, fit.b + b_shift, 0.0, True, 0)


# ---------------------------------------------------------------------------
# one entry point per question


# the value-only models: fit tuple, log-likelihood, parameters in time units
VALUE_MODELS = {
    "pareto": (ParetoNBDFit, _pareto_value, [False, True, False, True]),
    "mbgnbd": (MBGNBDFit, _mbg_value, [False, True, False, False]),
}


def fit_purchases(model, frequency, recency, T, penalizer=0.0):
    """Fit the purchase model ``model`` (one of MODELS) by maximum
    likelihood; arguments, return and errors as :func:`clv_math.fit_bgnbd`."""
    if model in VALUE_MODELS:
        cls, value, time_scaled = VALUE_MODELS[model]
        return _maximum_likelihood(
            cls, value, frequency, recency, T, penalizer, time_scaled
        )
    return clv_math.fit_bgnbd(frequency, recency, T, penalizer)


def make_fit(model, params):
    """A fit tuple from stored parameters (r, alpha, a|s, b|beta)."""
    cls = {
        "bgnbd": clv_math.BGNBDFit,
        "pareto": ParetoNBDFit,
        "mbgnbd": MBGNBDFit,
    }[model]
    return cls(*(float(p) for p in params), 0.0, True, 0)


def prob_alive(model, fit, x, t_x, T):
    if model == "pareto":
        return pareto_prob_alive(fit, x, t_x, T)
    if model == "mbgnbd":
        return mbg_prob_alive(fit, x, t_x, T)
    return clv_math.bgnbd_prob_alive(fit, x, t_x, T)


def expected_purchases(model, fit, t, x, t_x, T):
    """Expected repeat purchases in the next ``t`` given (x, t_x, T)."""
    t, x, t_x, T = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (t, x, t_x, T))
    )
    if model == "bgnbd":
        return clv_math.bgnbd_expected_purchases(fit, t, x, t_x, T)
    if model == "pareto":
        if_alive = pareto_purchases_if_alive(fit, t, x, T)
    else:
        # given alive, MBG/NBD's dropout probability is Beta(a, b+x+1): BG/NBD's
        # conditional expectation with b one higher
        if_alive = clv_math._purchases_if_alive(_as_bg(fit, 1.0), t, x, T)
    return if_alive * prob_alive(model, fit, x, t_x, T)


# ---------------------------------------------------------------------------
# spend and lifetime value


def spend_shift(frequency, monetary):
    """What to add to every average repeat value so that all repeat buyers'
    are positive (Gamma-Gamma takes positive values only): 0 when they
    already are, else the most negative one plus 1% of the mean absolute
    value (so the lowest becomes a small positive amount)."""
    x, m = np.asarray(frequency, dtype=float), np.asarray(monetary, dtype=float)
    repeat = m[(x > 0) & np.isfinite(m)]
    if not len(repeat) or repeat.min() > 0:
        return 0.0
    return float(-repeat.min() + max(0.01 * np.abs(repeat).mean(), 0.01))


def predict(
    model,
    fit,
    gg,
    inputs,
    days,
    months,
    monthly_discount_rate,
    shift=0.0,
    keep_own=False,
):
    """(probability alive, expected purchases in the next ``days``, lifetime
    value over ``months``) per customer, never NaN. ``inputs`` are (x, t_x,
    T, monetary). The spend model saw ``monetary + shift``; its answer is
    shifted back. Customers whose repeat value it did not take get their
    own average when ``keep_own`` (a loss-making customer stays one), else
    the model's population mean (free or credited repeat orders); where
    the spend model has no finite answer, their own average, else the
    population's."""
    x, t_x, T, monetary = inputs
    _purchases, spend = clv_math.usable_rows(x, t_x, T, monetary + shift)
    alive = prob_alive(model, fit, x, t_x, T)
    expected = expected_purchases(model, fit, days, x, t_x, T)
    value = (
        clv_math.gamma_gamma_expected_spend(
            gg, np.where(spend, x, 0.0), monetary + shift
        )
        - shift
    )
    if keep_own:
        value = np.where((x > 0) & ~spend, monetary, value)
    population = monetary[spend].mean() if spend.any() else 0.0
    value = np.where(np.isfinite(value), value, np.where(spend, monetary, population))
    clv = clv_math.customer_lifetime_value(
        value,
        lambda t: expected_purchases(model, fit, t, x, t_x, T),
        months=months,
        monthly_discount_rate=monthly_discount_rate,
    )
    return alive, expected, np.nan_to_num(clv)
