"""Input checks and the likelihood maximiser shared by the models of
clv_math (pure numpy/scipy, no Odoo imports)."""

import numpy as np
from scipy.optimize import minimize

MIN_REPEAT_CUSTOMERS = 20

# The fits run in rescaled units (time / mean age, money / mean spend), where the
# parameters are of order 1. Log-parameters are boxed in so exp() never overflows;
# a fit that ends on the box means the likelihood keeps improving towards 0 or
# infinity (degenerate data), and is reported as not converged.
_LOG_BOUND = 10.0


class NotEnoughData(ValueError):
    """Too few repeat customers to fit a model."""


# ---------------------------------------------------------------------------
# input checks


def as_1d(name, values):
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def check_same_length(**arrays):
    lengths = {name: len(arr) for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name}={size}" for name, size in lengths.items())
        raise ValueError(f"Input arrays have different lengths: {detail}")


def check_non_negative(**arrays):
    for name, arr in arrays.items():
        if np.any(arr < 0):
            raise ValueError(f"{name} contains negative values")


def check_rft(frequency, recency, T):
    x = as_1d("frequency", frequency)
    t_x = as_1d("recency", recency)
    age = as_1d("T", T)
    check_same_length(frequency=x, recency=t_x, T=age)
    check_non_negative(frequency=x, recency=t_x, T=age)
    # small tolerance: recency and age are often computed from float timestamps
    if np.any(t_x > age * (1 + 1e-9) + 1e-9):
        bad = int(np.sum(t_x > age * (1 + 1e-9) + 1e-9))
        raise ValueError(f"recency is larger than T for {bad} customer(s)")
    return x, t_x, age


def check_enough(n_repeat, n_total):
    if n_total == 0:
        raise NotEnoughData("No customers given: cannot fit the model.")
    if n_repeat < MIN_REPEAT_CUSTOMERS:
        raise NotEnoughData(
            f"Only {n_repeat} of {n_total} customers made a repeat purchase; "
            f"at least {MIN_REPEAT_CUSTOMERS} are needed to fit the model."
        )


def dot(a, b):
    """The dot product of two vectors without BLAS. OpenBLAS spreads a long
    dot product over threads, which on a busy machine wait for a core
    longer than they compute: at load 10 on 2 cores ``w @ v`` over 42,000
    customers took 4.8 ms, this 0.24 ms."""
    return np.einsum("i,i->", a, b)


def compress(*columns):
    """Collapse identical customers into (unique rows, counts).

    Summaries measured in whole days repeat a lot, so this cuts the likelihood
    cost well below one evaluation per customer.
    """
    stacked = np.column_stack(columns)
    uniq, counts = np.unique(stacked, axis=0, return_counts=True)
    return tuple(uniq.T), counts.astype(float)


def maximise(loglik, data, n, penalizer, x0, unit):
    """Maximise ``loglik(params, data)`` over log-parameters.

    ``unit`` converts the rescaled parameters back to the caller's units; the
    penalizer applies there, like ``lifetimes`` does. Returns (params, success).
    """

    def objective(log_params):
        params = np.exp(log_params)
        ll, grad = loglik(params, data)
        real = params * unit
        value = -ll / n + penalizer * np.sum(real**2)
        grad = -grad / n + 2.0 * penalizer * real * unit
        # chain rule for the log-parametrisation
        return value, grad * params

    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(x0)
    options = {"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9}
    res = minimize(
        objective, x0, jac=True, method="L-BFGS-B", bounds=bounds, options=options
    )
    if not res.success or not np.isfinite(res.fun):
        # gradient methods can stall on a bad start; a simplex pass is slower but
        # does not need a usable gradient, then polish again with L-BFGS-B
        start = res.x if np.all(np.isfinite(res.x)) else x0
        simplex = minimize(
            lambda log_params: objective(log_params)[0],
            np.clip(start, -10.0, 10.0),
            method="Nelder-Mead",
            bounds=bounds,
            options={"maxiter": 800, "xatol": 1e-8, "fatol": 1e-13},
        )
        res = minimize(
            objective,
            simplex.x,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options=options,
        )
    # optimisers stop a little short of a bound they are running into
    at_bound = np.any(np.abs(res.x) >= _LOG_BOUND - 0.05)
    success = bool(res.success and np.isfinite(res.fun) and not at_bound)
    return np.exp(res.x), success
