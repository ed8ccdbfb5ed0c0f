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
from scipy.special import expit

from . import clv_math
from .clv_math_pareto import pareto_data, pareto_loglik, pareto_terms
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


def _prepare(frequency, recency, T):
    """Checked, rescaled (time / mean age) and compressed summaries."""
    x, t_x, age = check_rft(frequency, recency, T)
    check_enough(int(np.sum(x > 0)), len(x))
    scale = float(age.mean()) if age.mean() > 0 else 1.0
    (ux, ut_x, uT), w = compress(x, t_x / scale, age / scale)
    rate = max(x.sum(), 1.0) / max((age / scale).sum(), 1e-9)
    return x, scale, pareto_data(ux, ut_x, uT, w), rate


# ---------------------------------------------------------------------------
# Pareto/NBD


def fit_pareto(frequency, recency, T, penalizer=0.0):
    """Fit Pareto/NBD by maximum likelihood with the analytic gradient of
    clv_math_pareto, in rescaled time (alpha and beta are times)."""
    if penalizer < 0:
        raise ValueError("penalizer must be >= 0")
    x, scale, data, rate = _prepare(frequency, recency, T)
    x0 = np.clip(np.log([1.0, 1.0 / rate, 1.0, 1.0]), -10.0, 10.0)
    unit = np.array([1.0, scale, 1.0, scale])
    params, success = maximise(pareto_loglik, data, len(x), penalizer, x0, unit)
    # each repeat purchase time is a density in the time unit: undo the rescaling
    ll = pareto_loglik(params, data, gradient=False)[0] - x.sum() * math.log(scale)
    fitted = (float(v) for v in params * unit)
    return ParetoNBDFit(*fitted, ll, success and math.isfinite(ll), len(x))


def pareto_prob_alive(fit, x, t_x, T):
    x, t_x, T = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x, t_x, T)))
    shape = x.shape
    x, t_x, T = (v.ravel() for v in (x, t_x, T))
    alive, dropped, _common = pareto_terms(fit[:4], x, t_x, T)
    return expit(alive - dropped).reshape(shape)


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


def fit_purchases(model, frequency, recency, T, penalizer=0.0):
    """Fit the purchase model ``model`` (one of MODELS) by maximum
    likelihood; arguments, return and errors as :func:`clv_math.fit_bgnbd`."""
    if model == "pareto":
        return fit_pareto(frequency, recency, T, penalizer)
    if model == "mbgnbd":
        return clv_math.fit_bgnbd(
            frequency, recency, T, penalizer, extra=1, fit_class=MBGNBDFit
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
