"""How sure the lifetime value models are: standard errors of the fitted
parameters and each customer's predictive distribution of the number of
purchases in the next period. Pure numpy/scipy, no Odoo imports.

The per-customer range comes from the model's own distribution of future
purchases, not from the parameters' standard errors: at 100,000 customers
those are tiny, while one customer's next quarter stays uncertain.
"""

import math

import numpy as np
from scipy.special import betaln, gammaln

from . import clv_math, clv_math_models, clv_math_pareto
from .clv_optimise import compress

# a 7-day grid is fine for the dropout time of Pareto/NBD; Gauss-Legendre
# nodes on (0, t) integrate the smooth density to ~1e-8
_LEGENDRE = np.polynomial.legendre.leggauss(48)


# ---------------------------------------------------------------------------
# standard errors


def _covariance(hessian):
    """Inverse of the negative Hessian, or None where it is not a proper
    covariance (the likelihood is flat or the fit is not a maximum)."""
    try:
        covariance = np.linalg.inv(-hessian)
    except np.linalg.LinAlgError:
        return None
    variance = np.diag(covariance)
    if np.any(~np.isfinite(variance)) or np.any(variance <= 0):
        return None
    return variance


def _loglik(model, x, t_x, T):
    """(log-likelihood with its gradient, its compressed data) of a model."""
    if model == "pareto":
        (ux, ut_x, uT), w = compress(x, t_x, T)
        return clv_math_pareto.pareto_loglik, clv_math_pareto.pareto_data(
            ux, ut_x, uT, w
        )
    extra = 1 if model == "mbgnbd" else 0
    return clv_math._bgnbd_loglik, clv_math.bgnbd_data(x, t_x, T, extra)


def standard_errors(model, fit, frequency, recency, T):
    """Standard errors of (r, alpha, a|s, b|beta) from the curvature of the
    log-likelihood at the fit: the inverse of the Hessian, by central
    differences of the analytic gradient (8 evaluations). NaN where it is
    not negative definite (a fit on a bound or a flat likelihood: the data
    does not pin it down)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    loglik, data = _loglik(model, x, t_x, T)
    params = np.asarray(fit[:4], dtype=float)
    hessian = np.empty((4, 4))
    for j in range(4):
        step = 1e-5 * params[j]
        up, down = params.copy(), params.copy()
        up[j] += step
        down[j] -= step
        hessian[:, j] = (loglik(up, data)[1] - loglik(down, data)[1]) / (2 * step)
    variance = _covariance((hessian + hessian.T) / 2)
    return np.full(4, np.nan) if variance is None else np.sqrt(variance)


# ---------------------------------------------------------------------------
# predictive distribution of the purchases in the next t


def _nbd_pmf(k, rate, t, ys):
    """P(N(t) = y) for a Poisson process whose rate is Gamma(k, rate):
    rows = customers, columns = y."""
    p = (rate / (rate + t))[:, None]
    k = k[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        log = (
            gammaln(k + ys)
            - gammaln(k)
            - gammaln(ys + 1)
            + k * np.log(p)
            + ys * np.log1p(-p)
        )
    return np.where(np.isfinite(log), np.exp(log), np.where(ys == 0, 1.0, 0.0))


def _geometric_pmf_if_alive(fit, b_post, t, x, T, ys):
    """BG/NBD family, given alive at T: purchase rate ~ Gamma(r+x, alpha+T),
    dropout probability after each purchase ~ Beta(a, b_post), independent.
    Y = y if y purchases happened and none was the last, or the y-th one was
    the last and at least y purchases would have happened:
    P(Y=y) = E[(1-p)^y] P(N=y) + E[p(1-p)^(y-1)] P(N>=y)."""
    nbd = _nbd_pmf(fit.r + x, fit.alpha + T, t, ys)
    at_least = 1.0 - np.cumsum(nbd, axis=1) + nbd
    a, b = fit.a, b_post[:, None]
    survive = np.exp(betaln(a, b + ys) - betaln(a, b))
    with np.errstate(invalid="ignore"):
        last = np.exp(betaln(a + 1, b + ys - 1) - betaln(a, b))
    last = np.where(ys > 0, np.nan_to_num(last), 0.0)
    return survive * nbd + last * np.clip(at_least, 0.0, 1.0)


def _pareto_pmf_if_alive(fit, t, x, T, ys):
    """Pareto/NBD, given alive at T: purchase rate ~ Gamma(r+x, alpha+T),
    dropout rate ~ Gamma(s, beta+T); Y counts purchases up to min(t, death).
    The death time has the Lomax density s (beta+T)^s / (beta+T+u)^(s+1):
    the part before t is integrated on Gauss-Legendre nodes."""
    nodes, weights = _LEGENDRE
    base = fit.beta + T
    survive_t = (base / (base + t)) ** fit.s
    pmf = survive_t[:, None] * _nbd_pmf(fit.r + x, fit.alpha + T, t, ys)
    for node, weight in zip(nodes, weights, strict=True):
        u = 0.5 * t * (node + 1.0)
        # base^s / (base+u)^s in log space: s and beta can be in the thousands
        density = fit.s / (base + u) * np.exp(-fit.s * np.log1p(u / base))
        nbd = _nbd_pmf(fit.r + x, fit.alpha + T, u, ys)
        pmf += (0.5 * t * weight * density)[:, None] * nbd
    return pmf


def purchase_pmf(model, fit, t, x, t_x, T, max_purchases=None):
    """P(X(T, T+t] = y | x, t_x, T) for y = 0..max_purchases, per customer
    (rows). The last column holds the tail beyond it, so rows sum to 1."""
    t, x, t_x, T = (
        np.atleast_1d(np.asarray(v, dtype=float))
        for v in np.broadcast_arrays(t, x, t_x, T)
    )
    if max_purchases is None:
        expected = clv_math_models.expected_purchases(model, fit, t, x, t_x, T)
        max_purchases = int(min(500, math.ceil(6 * float(expected.max()) + 25)))
    ys = np.arange(max_purchases + 1, dtype=float)[None, :]
    if model == "pareto":
        if_alive = _pareto_pmf_if_alive(fit, t, x, T, ys)
    else:
        # MBG/NBD: given alive, the dropout probability is Beta(a, b+x+1)
        b_post = fit.b + x + (1.0 if model == "mbgnbd" else 0.0)
        if_alive = _geometric_pmf_if_alive(fit, b_post, t, x, T, ys)
    alive = clv_math_models.prob_alive(model, fit, x, t_x, T)[:, None]
    pmf = alive * if_alive
    pmf[:, 0] += 1.0 - alive[:, 0]
    pmf = np.clip(pmf, 0.0, 1.0)
    pmf[:, -1] += np.clip(1.0 - pmf.sum(axis=1), 0.0, 1.0)
    return pmf


def purchase_range(model, fit, t, x, t_x, T, coverage=0.8):
    """(low, high) numbers of purchases in the next t per customer such that
    P(low <= X <= high) >= coverage, cut equally in both tails: with 0.8,
    the 10% and 90% quantiles of the predictive distribution."""
    cdf = np.cumsum(purchase_pmf(model, fit, t, x, t_x, T), axis=1)
    tail = (1.0 - coverage) / 2.0
    low = np.argmax(cdf >= tail - 1e-12, axis=1)
    high = np.argmax(cdf >= 1.0 - tail - 1e-12, axis=1)
    return low, high
