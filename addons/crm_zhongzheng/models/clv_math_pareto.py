"""The Pareto/NBD log-likelihood and its analytic gradient. Pure
numpy/scipy, no Odoo imports.

A customer with x repeat purchases, the last at t_x, observed up to T
(Fader, Hardie & Lee 2005, note 009, eqs. 17-22) has the likelihood

    L = Gamma(r+x) alpha^r beta^s / Gamma(r)
        * [(alpha+T)^-(r+x) (beta+T)^-s + s/(r+s+x) (H(t_x) - H(T))]

where H(t) = 2F1(r+s+x, s+1; r+s+x+1; z) / (alpha+t)^(r+s+x) with
z = (alpha-beta) / (alpha+t) when alpha >= beta (the parameters swap
roles otherwise). Euler's transformation turns that 2F1 into
(1-z)^-s 2F1(1, r+x; r+s+x+1; z), so that

    H(t) = (alpha+t)^-(r+x) (beta+t)^-s G(z),  G = 2F1(1, b; c; z),

(alpha < beta: (alpha+t)^-(r+x-1) (beta+t)^-(s+1) 2F1(1, s+1; c; z)).
G's series sum_n (b)_n / (c)_n z^n has positive terms falling at least
like z^n: summed here with its derivatives in b, c and z, so one pass
gives the log-likelihood and its gradient; nothing overflows, since H is
carried as a logarithm. Where z comes close to 1 (one of alpha, beta
many times the other: Pareto/NBD near its limit of a dropout rate common
to all customers, s and beta large) the series needs too many terms, and
so does scipy's hyp2f1; those customers take H's integral form instead,
(r+s+x) int_t^U (alpha+u)^-(r+x) (beta+u)^-(s+1) du (U the latest T: the
same differences H(t_x) - H(T)), per distinct (x, t) on Gauss-Legendre
nodes in log(1 + u/min(alpha, beta)), where the integrand is smooth.
"""

import numpy as np
from scipy.special import digamma, gammaln

from .clv_optimise import dot

# the series is summed up to this z (at most ~800 terms); beyond, quadrature
_SERIES_MAX_Z = 0.95
_TOLERANCE = 1e-17
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(24)
# the integrand is cut where it has fallen below e^-_CUT of its start
_CUT = 40.0


def pareto_data(x, t_x, T, w):
    """Compressed rows with what their likelihood needs beyond them:
    (x, t_x, T, w, pairs, (distinct x, their total weight)), ``pairs``
    the distinct (x, time) pairs of H(t_x) and H(T): (pair_x, pair_t,
    index of each row's t_x pair, of its T pair)."""
    n = len(x)
    keys = np.column_stack([np.concatenate([x, x]), np.concatenate([t_x, T])])
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    xs, x_inverse = np.unique(x, return_inverse=True)
    wx = np.bincount(x_inverse.ravel(), weights=w, minlength=len(xs))
    pairs = (uniq[:, 0], uniq[:, 1], inverse[:n], inverse[n:])
    return (x, t_x, T, w, pairs, (xs, wx))


def _series(b, c, z):
    """(G, dG/db, dG/dc, dG/dz) of G = 2F1(1, b; c; z) = sum_n (b)_n/(c)_n
    z^n for 0 <= z < 1, c > b > 0, elementwise. Each element stops once the
    rest of every sum is below the tolerance (the terms fall by at least z
    from one to the next)."""
    out = [np.empty(len(z)) for _ in range(4)]
    index = np.arange(len(z))
    # q = (b)_n/(c)_n z^(n-1): dG/dz sums n q, G sums q z
    q, sb, sc = b / c, 1.0 / b, 1.0 / c
    g, gb, gc, gz = 1.0 + q * z, q * z * sb, -q * z * sc, q
    n = 1
    while len(index):
        for _ in range(8):
            q = q * ((b + n) / (c + n)) * z
            n += 1
            sb = sb + 1.0 / (b + n - 1)
            sc = sc + 1.0 / (c + n - 1)
            term = q * z
            g, gb, gc, gz = g + term, gb + term * sb, gc - term * sc, gz + n * q
        # tail of a sum whose terms fall by z: below term * z / (1 - z)
        tail = (n + 1.0 + sb + sc) * q / (1.0 - z)
        done = tail <= _TOLERANCE * g
        for acc, value in zip(out, (g, gb, gc, gz), strict=True):
            acc[index[done]] = value[done]
        keep = ~done
        index, b, c, z = index[keep], b[keep], c[keep], z[keep]
        q, sb, sc = q[keep], sb[keep], sc[keep]
        g, gb, gc, gz = g[keep], gb[keep], gc[keep], gz[keep]
    return out


def _scaled(params, t):
    """-r log(1 + t/alpha) - s log(1 + t/beta), the part of
    log[alpha^r beta^s (alpha+t)^-r (beta+t)^-s] that is computed without
    cancelling large terms (at large s and beta), and its gradient."""
    r, alpha, s, beta = params
    log_a, log_b = np.log1p(t / alpha), np.log1p(t / beta)
    grad = [-log_a, r * t / (alpha * (alpha + t)), -log_b, s * t / (beta * (beta + t))]
    return -r * log_a - s * log_b, np.array(grad)


def log_h(params, x, t, gradient=True):
    """log[alpha^r beta^s H(t)] for each (x, t) and, with ``gradient``, its
    derivatives in (r, alpha, s, beta) as a (4, n) array."""
    r, alpha, s, beta = params
    scaled, d_scaled = _scaled(params, t)
    c = r + s + x + 1.0
    if alpha >= beta:
        # H = (alpha+t)^-(r+x) (beta+t)^-s 2F1(1, r+x; c; (alpha-beta)/(alpha+t))
        z = (alpha - beta) / (alpha + t)
        g, gb, gc, gz = _series(r + x, c, z)
        value = scaled - x * np.log(alpha + t) + np.log(g)
        if not gradient:
            return value, None
        dz_alpha, dz_beta = (beta + t) / (alpha + t) ** 2, -1.0 / (alpha + t)
        grad = [
            (gb + gc) / g,
            -x / (alpha + t) + gz / g * dz_alpha,
            gc / g,
            gz / g * dz_beta,
        ]
    else:
        # H = (alpha+t)^-(r+x-1) (beta+t)^-(s+1) 2F1(1, s+1; c; (beta-alpha)/(beta+t))
        z = (beta - alpha) / (beta + t)
        g, gb, gc, gz = _series(np.full(len(t), s + 1.0), c, z)
        value = scaled - (x - 1.0) * np.log(alpha + t) - np.log(beta + t) + np.log(g)
        if not gradient:
            return value, None
        dz_alpha, dz_beta = -1.0 / (beta + t), (alpha + t) / (beta + t) ** 2
        grad = [
            gc / g,
            -(x - 1.0) / (alpha + t) + gz / g * dz_alpha,
            (gb + gc) / g,
            -1.0 / (beta + t) + gz / g * dz_beta,
        ]
    return value, d_scaled + np.array(grad)


def _z(params, t):
    """The argument of G at time t."""
    _r, alpha, _s, beta = params
    return abs(alpha - beta) / (max(alpha, beta) + t)


def _log_k(params, x, t, upper):
    """log of alpha^r beta^s (r+s+x) int_t^upper (alpha+u)^-(r+x)
    (beta+u)^-(s+1) du (log_h's H up to a term common to the times of one
    x: H(t_x) - H(T) = K(t_x) - K(T) for T <= upper) per (x, t), and its
    gradient (4, n), on Gauss-Legendre nodes in v =
    log(1 + u/m), m the smaller of alpha and beta: there the log of the
    integrand is concave and falls at least at its starting rate, so it is
    cut once e^-40 below its start."""
    r, alpha, s, beta = params
    # per side: (shape k, exponent e of its (scale + u)) and the scale
    side_a, side_b = (r, r + x), (s, np.full(len(x), s + 1.0))
    swap = alpha > beta
    (k_m, e_m), (k_big, e_big) = (side_b, side_a) if swap else (side_a, side_b)
    m, big = (beta, alpha) if swap else (alpha, beta)
    v0, v1 = np.log1p(t / m), np.log1p(upper / m)
    rate = e_m - 1.0 + e_big * (m + t) / (big + t)
    with np.errstate(divide="ignore"):
        end = np.where(rate > 0, np.minimum(v1, v0 + _CUT / rate), v1)
    half = (end - v0) / 2.0
    vs = v0[:, None] + half[:, None] * (_NODES + 1.0)
    logs_big = np.log1p(m * np.expm1(vs) / big)
    # alpha^r beta^s (m+u)^-e_m (big+u)^-e_big du/dv, du/dv = m + u
    log_f = (1.0 - e_m)[:, None] * vs - e_big[:, None] * logs_big
    top = log_f.max(axis=1)
    f = np.exp(log_f - top[:, None]) * _WEIGHTS
    total = f.sum(axis=1)
    constant = (k_m - e_m + 1.0) * np.log(m) + (k_big - e_big) * np.log(big)
    rsx = r + s + x
    with np.errstate(divide="ignore"):
        # -inf at t = upper
        value = np.log(rsx) + constant + top + np.log(total * half)
    share = f / total[:, None]
    d_k_m, d_k_big = -(share * vs).sum(axis=1), -(share * logs_big).sum(axis=1)
    d_m = (k_m - e_m * (share * np.exp(-vs)).sum(axis=1)) / m
    d_big = (k_big - e_big * (share * np.exp(-logs_big)).sum(axis=1)) / big
    if swap:
        grad = [d_k_big + 1.0 / rsx, d_big, d_k_m + 1.0 / rsx, d_m]
    else:
        grad = [d_k_m + 1.0 / rsx, d_m, d_k_big + 1.0 / rsx, d_big]
    return value, np.array(grad)


def _row_terms(params, x, T, h1, h2):
    """Per row: the logs of the 'alive all along' and of the 'dropped out
    between t_x and T' terms of the likelihood (times alpha^r beta^s, like
    log_h's), H(T)/H(t_x) and
    1 - H(T)/H(t_x), from log H(t_x) and log H(T)."""
    r, alpha, s, _beta = params
    with np.errstate(invalid="ignore"):
        # t_x = T: no time to drop out in (K is 0 at both ends, log -inf)
        diff = np.where(h1 == h2, 0.0, h2 - h1)
    ratio = np.exp(diff)
    gap = -np.expm1(diff)
    with np.errstate(divide="ignore", invalid="ignore"):
        # log(H(t_x) - H(T)): -inf where t_x = T (no time to drop out in)
        dropped = np.log(s / (r + s + x)) + h1 + np.log(gap)
    alive = _scaled(params, T)[0] - x * np.log(alpha + T)
    return alive, dropped, ratio, gap


def _terms(params, data, gradient):
    """(alive, dropped, ratio, gap, (dH series, dH quadrature), hard) of the
    rows of :func:`pareto_data`: H on the pairs from the series where z is
    small enough; the rows whose z at t_x is not (``hard``) take both their
    pairs from the quadrature (K, bounded at the latest time)."""
    x, _t_x, T, _w, (pair_x, pair_t, at_tx, at_T), _xs = data
    size = len(pair_x)
    hard = _z(params, pair_t[at_tx]) > _SERIES_MAX_Z
    out = []
    for rows, compute in ((~hard, log_h), (hard, None)):
        need = np.zeros(size, dtype=bool)
        need[at_tx[rows]] = need[at_T[rows]] = True
        h = np.full(size, np.nan)
        dh = np.zeros((4, size))
        if need.any():
            args = (params, pair_x[need], pair_t[need])
            if compute is None:
                h[need], d_need = _log_k(*args, pair_t.max())
            else:
                h[need], d_need = compute(*args, gradient)
            if gradient:
                dh[:, need] = d_need
        out.append((h, dh))
    (h_series, dh_series), (h_quad, dh_quad) = out
    h1 = np.where(hard, h_quad[at_tx], h_series[at_tx])
    h2 = np.where(hard, h_quad[at_T], h_series[at_T])
    alive, dropped, ratio, gap = _row_terms(params, x, T, h1, h2)
    return alive, dropped, ratio, gap, (dh_series, dh_quad), hard


def pareto_terms(params, x, t_x, T):
    """Per customer: the log of the 'alive all along' term and of the
    'dropped out' term of the likelihood, and the rest of its log."""
    r = params[0]
    data = pareto_data(x, t_x, T, np.ones(len(x)))
    alive, dropped = _terms(params, data, gradient=False)[:2]
    return alive, dropped, gammaln(r + x) - gammaln(r)


def pareto_loglik(params, data, gradient=True):
    """Total log-likelihood of the weighted rows of :func:`pareto_data`
    and (``gradient``) its gradient in (r, alpha, s, beta)."""
    r, alpha, s, _beta = params
    x, _t_x, T, w, (pair_x, _pair_t, at_tx, at_T), (xs, wx) = data
    alive, dropped, ratio, gap, dhs, hard = _terms(params, data, gradient)
    total = wx.sum()
    both = np.logaddexp(alive, dropped)
    ll = float(dot(wx, gammaln(r + xs)) - total * gammaln(r) + dot(w, both))
    if not gradient:
        return ll, None
    # each row's gradient: its weight on the dropped-out term times that
    # term's, the rest times the alive term's
    w_dropped = w * np.exp(dropped - both)
    w_alive = w - w_dropped
    grad = np.einsum("ij,j->i", _scaled(params, T)[1], w_alive)
    grad[0] += dot(wx, digamma(r + xs)) - total * digamma(r)
    grad[1] -= dot(w_alive * x, 1.0 / (alpha + T))
    # d log(s/(r+s+x)) + (dH1 - ratio dH2) / gap, the latter summed per
    # pair of H (or of K for the hard rows)
    per_gap = np.divide(w_dropped, gap, out=np.zeros(len(w)), where=w_dropped > 0)
    size = len(pair_x)
    for dh, rows in zip(dhs, (~hard, hard), strict=True):
        if not rows.any():
            continue
        on_pairs = np.bincount(
            at_tx[rows], per_gap[rows], minlength=size
        ) - np.bincount(at_T[rows], (per_gap * ratio)[rows], minlength=size)
        grad += np.einsum("ij,j->i", dh, on_pairs)
    by_rsx = dot(w_dropped, 1.0 / (r + s + x))
    grad[0] -= by_rsx
    grad[2] += w_dropped.sum() / s - by_rsx
    return ll, grad
