import collections
import csv
from datetime import date
from pathlib import Path

import numpy as np

from odoo.tests import TransactionCase, tagged

from ..models import clv_math_backtest as backtest
from ..models import clv_math_models as models
from ..models import clv_math_uncertainty as uncertainty

CALIBRATION_END = date(1997, 9, 30)
HOLDOUT_END = date(1998, 6, 30)


def cdnow_days():
    """{customer: set of purchase days} of the CDNOW sample's transactions
    (Bruce Hardie's CDNOW_sample.txt: 2357 customers, 6919 transactions)."""
    path = Path(__file__).parent / "data" / "cdnow_transactions.csv"
    days = collections.defaultdict(set)
    with path.open() as handle:
        for row in csv.DictReader(handle):
            text = row["date"]
            days[int(row["customer"])].add(
                date(int(text[:4]), int(text[4:6]), int(text[6:]))
            )
    return days


@tagged("post_install", "-at_install")
class TestClvModels(TransactionCase):
    """Pareto/NBD and MBG/NBD next to BG/NBD, fitted on the CDNOW sample's
    calibration summary (weeks) built here from its transactions, and the
    calibration/holdout table of Fader, Hardie & Lee (weeks 40-78)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        days = cdnow_days()
        x, t_x, T, actual = [], [], [], []
        for customer in sorted(days):
            calibration = sorted(d for d in days[customer] if d <= CALIBRATION_END)
            x.append(len(calibration) - 1)
            t_x.append((calibration[-1] - calibration[0]).days / 7)
            T.append((CALIBRATION_END - calibration[0]).days / 7)
            actual.append(
                sum(CALIBRATION_END < d <= HOLDOUT_END for d in days[customer])
            )
        cls.x, cls.t_x, cls.T = (np.array(v, dtype=float) for v in (x, t_x, T))
        cls.actual = np.array(actual, dtype=float)
        cls.fits = {
            m: models.fit_purchases(m, cls.x, cls.t_x, cls.T) for m in models.MODELS
        }

    def test_summary_from_transactions_is_the_published_one(self):
        self.assertEqual(len(self.x), 2357)
        self.assertEqual(int(self.x.sum()), 2457)
        self.assertEqual(int(self.actual.sum()), 1882)

    def test_pareto_nbd_published_parameters(self):
        fit = self.fits["pareto"]
        self.assertTrue(fit.converged)
        # Fader, Hardie & Lee (2005): r=0.55, alpha=10.58, s=0.61, beta=11.67
        self.assertAlmostEqual(fit.r, 0.553, places=2)
        self.assertAlmostEqual(fit.alpha, 10.58, places=1)
        self.assertAlmostEqual(fit.s, 0.606, places=2)
        self.assertAlmostEqual(fit.beta, 11.67, places=1)
        self.assertAlmostEqual(fit.log_likelihood, -9595.0, places=0)

    def test_mbg_nbd_published_parameters(self):
        fit = self.fits["mbgnbd"]
        self.assertTrue(fit.converged)
        # BTYDplus / lifetimes on CDNOW: 0.525, 6.183, 0.891, 1.614
        np.testing.assert_allclose(fit[:4], [0.525, 6.183, 0.891, 1.614], atol=2e-3)
        # the Hardie spreadsheet's customer: x=2, t_x=30.43, T=38.86, 39 weeks
        expected = models.expected_purchases("mbgnbd", fit, 39, 2, 30.43, 38.86)
        self.assertAlmostEqual(float(expected), 1.226, delta=0.05)

    def test_calibration_holdout_table(self):
        t = (HOLDOUT_END - CALIBRATION_END).days / 7
        fit = self.fits["bgnbd"]
        predicted = models.expected_purchases("bgnbd", fit, t, self.x, self.t_x, self.T)
        naive = backtest.naive_prediction(self.x, self.T, t)
        table = backtest.frequency_groups(self.x, predicted, naive, self.actual)
        group, customers, pred, _naive, actual = table[0]
        # 1411 one-time buyers, 0.237 purchases each in weeks 40-78 (FHL fig. 4)
        self.assertEqual((group, customers), (0, 1411))
        self.assertAlmostEqual(actual / customers, 0.237, places=3)
        self.assertAlmostEqual(pred / customers, 0.225, places=2)
        self.assertEqual(sum(row[1] for row in table), 2357)
        self.assertEqual(table[-1][0], 7)
        # the model beats a customer repeating its past rate, per customer
        model_mae = backtest.mean_absolute_error(predicted, self.actual)
        naive_mae = backtest.mean_absolute_error(naive, self.actual)
        self.assertLess(model_mae, naive_mae)
        self.assertAlmostEqual(float(predicted.sum()), 1653, delta=5)

    def test_bgnbd_standard_errors(self):
        fit = self.fits["bgnbd"]
        se = uncertainty.standard_errors("bgnbd", fit, self.x, self.t_x, self.T)
        # lifetimes' BetaGeoFitter summary on CDNOW: 0.013, 0.378, 0.186, 0.705
        np.testing.assert_allclose(se, [0.0126, 0.378, 0.186, 0.705], rtol=0.03)

    def test_predictive_distribution_matches_the_expectation(self):
        xs, rec = np.array([0.0, 2.0, 7.0]), np.array([0.0, 30.43, 35.0])
        ages = np.full(3, 38.86)
        ys = np.arange(201)
        for model, fit in self.fits.items():
            pmf = uncertainty.purchase_pmf(model, fit, 39, xs, rec, ages, 200)
            np.testing.assert_allclose(pmf.sum(axis=1), 1.0, atol=1e-9)
            expected = models.expected_purchases(model, fit, 39, xs, rec, ages)
            np.testing.assert_allclose(pmf @ ys, expected, rtol=1e-5, err_msg=model)
        low, high = uncertainty.purchase_range(
            "bgnbd", self.fits["bgnbd"], 39, xs, rec, ages
        )
        self.assertEqual(low.tolist(), [0, 0, 0])
        self.assertEqual(high.tolist(), [1, 3, 9])
