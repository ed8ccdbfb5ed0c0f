from datetime import timedelta

import numpy as np

from odoo.tests import tagged

from ..models import clv_math
from ..models import clv_math_pareto as pareto
from ..models.clv_optimise import compress
from .common import AS_OF, ValueCase

# (r, alpha, a | s, b | beta) in days: one point with alpha > beta for
# Pareto/NBD, one with alpha < beta
POINTS = ((0.6, 40.0, 0.8, 25.0), (0.4, 15.0, 1.3, 90.0))


def _bg_rows(x, t_x, T, extra):
    """_bgnbd_loglik's data with one row per customer, weight 1."""
    ones = np.ones(len(x))
    may_drop = x > 0 if extra == 0 else ones.astype(bool)
    return (
        x,
        ones,
        x[may_drop],
        t_x[may_drop],
        T[may_drop],
        ones[may_drop],
        T[~may_drop],
        ones[~may_drop],
        float(extra),
    )


def _pareto_rows(x, t_x, T):
    """pareto_loglik's data with one row and two pairs per customer."""
    n, ones = len(x), np.ones(len(x))
    pairs = (np.concatenate([x, x]), np.concatenate([t_x, T]))
    index = np.arange(n)
    return (x, t_x, T, ones, (*pairs, index, index + n), (x, ones))


@tagged("post_install", "-at_install")
class TestClvCompression(ValueCase):
    """The purchase models fit on the distinct (x, t_x, T) of the customers
    with integer weights: from real orders, that is the same log-likelihood
    and gradient as one term per customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._repeat_buyers()
        # customers with identical histories: three per pattern of order days
        for pattern in ((200, 120, 30), (150, 60), (90,), (45, 44, 10, 3)):
            for copy in range(3):
                partner = cls._customer(f"Twin {pattern[0]}-{copy}")
                for days in pattern:
                    cls._order(partner, AS_OF - timedelta(days=days), 80 + copy)

    def test_weighted_log_likelihood_is_the_per_customer_one(self):
        _ids, x, t_x, T, _monetary = self.env["zhongzheng.clv.fit"]._inputs(
            self.company, AS_OF
        )
        self.assertEqual(len(x), 37)
        (ux, ut_x, uT), w = compress(x, t_x, T)
        # the twelve twins collapse into four rows of weight 3
        self.assertEqual(len(ux), 29)
        self.assertEqual(sorted(w[w > 1]), [3.0] * 4)
        self.assertEqual(w.sum(), 37)
        for point in POINTS:
            params = np.array(point)
            for extra in (0, 1):
                weighted = clv_math._bgnbd_loglik(
                    params, clv_math.bgnbd_data(x, t_x, T, extra)
                )
                each = clv_math._bgnbd_loglik(params, _bg_rows(x, t_x, T, extra))
                self._assert_same(weighted, each)
            weighted = pareto.pareto_loglik(params, pareto.pareto_data(ux, ut_x, uT, w))
            each = pareto.pareto_loglik(params, _pareto_rows(x, t_x, T))
            self._assert_same(weighted, each)

    def _assert_same(self, weighted, each):
        self.assertLess(abs(weighted[0] - each[0]), 1e-9 * abs(each[0]))
        np.testing.assert_allclose(weighted[1], each[1], rtol=1e-9)
