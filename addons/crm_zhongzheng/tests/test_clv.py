import csv
from datetime import timedelta
from pathlib import Path

import numpy as np

from odoo.tests import TransactionCase, tagged

from ..models import clv_math
from .common import AS_OF, ValueCase


@tagged("post_install", "-at_install")
class TestClvMath(TransactionCase):
    """The fits against the CDNOW sample (2357 customers, weeks), whose
    parameters Fader, Hardie & Lee published; data as shipped by the
    `lifetimes` package (cdnow_customers_summary_with_transactions.csv)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        path = Path(__file__).parent / "data" / "cdnow_summary.csv"
        with path.open() as handle:
            rows = list(csv.DictReader(handle))
        cls.x = np.array([float(r["frequency"]) for r in rows])
        cls.t_x = np.array([float(r["recency"]) for r in rows])
        cls.T = np.array([float(r["T"]) for r in rows])
        cls.m = np.array([float(r["monetary_value"]) for r in rows])

    def test_bgnbd_published_parameters(self):
        fit = clv_math.fit_bgnbd(self.x, self.t_x, self.T)
        self.assertTrue(fit.converged)
        self.assertEqual(fit.n, 2357)
        self.assertAlmostEqual(fit.r, 0.243, places=3)
        self.assertAlmostEqual(fit.alpha, 4.414, places=2)
        self.assertAlmostEqual(fit.a, 0.793, places=3)
        self.assertAlmostEqual(fit.b, 2.426, places=2)
        self.assertAlmostEqual(fit.log_likelihood, -9582.43, places=1)
        # the paper's worked example: x=2, t_x=30.43, T=38.86 weeks
        expected = clv_math.bgnbd_expected_purchases(
            fit, 39, np.array([2.0]), np.array([30.43]), np.array([38.86])
        )
        self.assertAlmostEqual(float(expected[0]), 1.226, places=2)

    def test_gamma_gamma_published_parameters(self):
        fit = clv_math.fit_gamma_gamma(self.x, self.m)
        self.assertTrue(fit.converged)
        self.assertAlmostEqual(fit.p, 6.25, places=1)
        self.assertAlmostEqual(fit.q, 3.74, places=1)
        self.assertAlmostEqual(fit.v, 15.44, places=0)

    def test_too_little_data_is_refused_clearly(self):
        with self.assertRaisesRegex(clv_math.NotEnoughData, "at least 20"):
            clv_math.fit_bgnbd(self.x[:30], self.t_x[:30], self.T[:30])


@tagged("post_install", "-at_install")
class TestClvFit(ValueCase):
    def test_fit_as_of_a_past_date_ignores_later_orders_and_backtests(self):
        partners = self._repeat_buyers()
        ids, x, t_x, T, monetary = self.env["zhongzheng.clv.fit"]._inputs(
            self.company, AS_OF
        )
        first = ids.index(partners[0].id)
        # customer 0: two order days before AS_OF (65 and 20 days before it)
        self.assertEqual((x[first], t_x[first], T[first]), (1.0, 45.0, 65.0))
        self.assertEqual(monetary[first], 100.0)
        fit = self.env["zhongzheng.clv.fit"]._fit(self.company, as_of=AS_OF)
        self.assertEqual(fit.state, "done", fit.message)
        self.assertEqual(fit.customer_count, 25)
        self.assertEqual(fit.repeat_customer_count, 25)
        self.assertGreater(fit.r, 0)
        self.assertGreater(fit.p, 0)
        # the backtest counts the 9 customers' 2 later order days each
        self.assertEqual(fit.backtest_actual, 18)
        self.assertEqual(len(fit.line_ids), 25)
        self.assertGreater(fit.backtest_predicted, 0)
        line = fit.line_ids.filtered(lambda l: l.partner_id == partners[0])
        self.assertEqual(line.actual, 2)
        self.assertFalse(fit.applied, "an analysis fit leaves the customers alone")
        self.assertFalse(partners[0].clv_prob_alive)

    def test_a_full_pass_reads_the_inputs_from_its_orders(self):
        """A full pass reads the company's orders once (zz_value_orders, with
        their lines' margins): the lifetime value inputs it gives are the
        ones read from the orders themselves, on the margin and the revenue
        basis, orders after the day left out."""
        partners = self._repeat_buyers()
        self._order(partners[1], AS_OF - timedelta(days=5), 80, qty=3)
        Fit = self.env["zhongzheng.clv.fit"]
        facts = self.env["zhongzheng.value.facts"]
        for basis in ("margin", "revenue"):
            self.company.clv_value_basis = basis
            own = Fit._inputs(self.company, AS_OF)
            opened = facts._open_orders(self.company, AS_OF)
            shared = Fit.with_env(opened.env)._inputs(self.company, AS_OF)
            self.assertEqual(len(own.ids), 25)
            self.assertEqual(shared.ids, own.ids)
            for name in ("x", "t_x", "T", "monetary"):
                np.testing.assert_allclose(
                    getattr(shared, name), getattr(own, name), err_msg=basis
                )
            # it reads the pass's table, not the orders
            self.env.cr.execute("DELETE FROM zz_value_orders")
            self.assertEqual(
                Fit.with_env(opened.env)._inputs(self.company, AS_OF).ids, []
            )
            facts._close_orders()

    def test_applied_fit_gives_each_customer_clv(self):
        partners = self._repeat_buyers()
        self._recompute(as_of=AS_OF)
        fit = self.env["zhongzheng.clv.fit"].search(
            [("company_id", "=", self.company.id)], limit=1
        )
        self.assertTrue(fit.applied)
        manager = partners[4].with_user(self.crm_manager)
        self.assertGreater(manager.clv_prob_alive, 0)
        self.assertLessEqual(manager.clv_prob_alive, 1)
        self.assertGreater(manager.clv_expected_purchases, 0)
        self.assertGreater(manager.clv_value, 0)
        self.assertGreater(manager.value_points_potential, 0)

    def test_too_little_data_gives_a_message_not_a_crash(self):
        self._repeat_buyers(customers=5)
        self._recompute(as_of=AS_OF)
        fit = self.env["zhongzheng.clv.fit"].search(
            [("company_id", "=", self.company.id)], limit=1
        )
        self.assertEqual(fit.state, "failed")
        self.assertIn("5 customers bought again, at least 20", fit.message)
        self.assertFalse(fit.applied)
