from datetime import timedelta

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import AS_OF, ValueCase


@tagged("post_install", "-at_install")
class TestClvBacktest(ValueCase):
    """A fit as of a past date with a holdout the user chooses, from real
    orders: 25 repeat buyers, 9 of which buy 10 and 40 days after AS_OF."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls._repeat_buyers()
        cls.Fit = cls.env["zhongzheng.clv.fit"].with_user(cls.crm_manager)

    def _backtest(self, **vals):
        fit = self.Fit.create(
            {"company_id": self.company.id, "as_of_date": AS_OF, **vals}
        )
        fit.action_run()
        self.assertEqual(fit.state, "done", fit.message)
        return fit

    def test_holdout_end_counts_only_the_holdout(self):
        fit = self._backtest(holdout_end_date=AS_OF + timedelta(days=20))
        # only the orders 10 days after AS_OF are in a 20-day holdout
        self.assertEqual(fit.backtest_days, 20)
        self.assertEqual(fit.backtest_actual, 9)
        groups = fit.group_ids
        self.assertEqual(groups.mapped("frequency"), list(range(8)))
        self.assertEqual(sum(groups.mapped("customers")), 25)
        self.assertEqual(sum(groups.mapped("actual")), 9)
        # repeat purchases 1..5 in calibration: 5 customers each
        self.assertEqual(groups.filtered(lambda g: g.frequency == 1).customers, 5)
        # each group is stored to 0.1
        self.assertAlmostEqual(
            sum(groups.mapped("predicted")), fit.backtest_predicted, delta=0.4
        )
        # every model predicted the holdout; the best has the lowest error
        self.assertEqual(
            sorted(fit.model_line_ids.mapped("model")), ["bgnbd", "mbgnbd", "pareto"]
        )
        scored = fit.model_line_ids.filtered("mae")
        best = scored.filtered(lambda m: m.model == fit.best_model)
        self.assertEqual(best.mae, min(scored.mapped("mae")))
        self.company.invalidate_recordset(["clv_best_model"])
        self.assertEqual(self.company.clv_best_model, fit.best_model)
        self.assertGreater(fit.backtest_naive_predicted, 0)
        self.assertGreater(fit.backtest_mae, 0)
        self.assertGreater(fit.backtest_naive_mae, 0)
        # the cumulative chart ends on the holdout's last day at the totals
        last = {
            w.series: w.purchases
            for w in fit.week_ids.filtered(
                lambda w: w.date == AS_OF + timedelta(days=20)
            )
        }
        self.assertEqual(last["actual"], 9)
        self.assertAlmostEqual(last["predicted"], fit.backtest_predicted, delta=0.06)
        line = fit.line_ids.filtered(lambda l: l.partner_id == self.partners[0])
        self.assertEqual(line.actual, 1)
        # a customer with 1 repeat purchase over 65 days, carried over 20 days
        self.assertAlmostEqual(line.naive, 20 / 65, places=3)

    def test_best_by_backtest_is_applied_nightly(self):
        self.company.clv_model = "best"
        fit = self._backtest(holdout_end_date=AS_OF + timedelta(days=45))
        self.assertEqual(fit.backtest_actual, 18)
        self._recompute(as_of=AS_OF + timedelta(days=45))
        nightly = self.env["zhongzheng.clv.fit"].search(
            [("company_id", "=", self.company.id), ("applied", "=", True)], limit=1
        )
        self.assertEqual(nightly.model, fit.best_model)

    def test_pareto_fit_applies(self):
        self.company.clv_model = "pareto"
        self._recompute(as_of=AS_OF)
        fit = self.env["zhongzheng.clv.fit"].search(
            [("company_id", "=", self.company.id), ("applied", "=", True)], limit=1
        )
        self.assertEqual(fit.model, "pareto")
        self.assertGreater(fit.s, 0)
        self.assertGreater(fit.beta, 0)
        self.assertGreater(self.partners[4].with_user(self.crm_manager).clv_value, 0)

    def test_holdout_must_end_after_the_as_of_date(self):
        with self.assertRaisesRegex(ValidationError, "holdout must end after"):
            self.Fit.create(
                {
                    "company_id": self.company.id,
                    "as_of_date": AS_OF,
                    "holdout_end_date": AS_OF,
                }
            )

    def test_crm_user_cannot_read_or_run_fits(self):
        fit = self._backtest(holdout_end_date=AS_OF + timedelta(days=20))
        for model in (
            "zhongzheng.clv.fit",
            "zhongzheng.clv.fit.model",
            "zhongzheng.clv.fit.group",
            "zhongzheng.clv.fit.week",
        ):
            with self.assertRaises(AccessError, msg=model):
                self.env[model].with_user(self.crm_user).search([])
        with self.assertRaises(AccessError):
            fit.with_user(self.crm_user).action_run()
        with self.assertRaises(AccessError):
            self.env["zhongzheng.clv.fit.group"].with_user(self.crm_manager).create(
                {"fit_id": fit.id, "frequency": 1}
            )
        report = self.env["ir.actions.report"].with_user(self.crm_user)
        with self.assertRaises(AccessError):
            report._render_qweb_html("crm_zhongzheng.report_clv_fit", fit.ids)

    def test_pdf_shows_the_table_and_heat_maps(self):
        fit = self._backtest(holdout_end_date=AS_OF + timedelta(days=20))
        html = (
            self.env["ir.actions.report"]
            .with_user(self.crm_manager)
            ._render_qweb_html("crm_zhongzheng.report_clv_fit", fit.ids)[0]
            .decode()
        )
        self.assertIn("Calibration vs holdout", html)
        self.assertIn("Probability alive", html)
        self.assertIn("background-color: #", html)
        self.assertIn("<polyline", html)


@tagged("post_install", "-at_install")
class TestClvProfit(ValueCase):
    """Lifetime value of margin: the monitor costs 60; one customer buys it
    at 50, a loss of 10 on every order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls._repeat_buyers()
        cls.loser = cls._customer("Loss-Making Buyer")
        for k in range(4):
            cls._order(cls.loser, AS_OF - timedelta(days=10 + 30 * k), 50)
        cls.company.clv_value_basis = "margin"

    def _fit(self):
        self._recompute(as_of=AS_OF)
        return self.env["zhongzheng.clv.fit"].search(
            [("company_id", "=", self.company.id), ("applied", "=", True)], limit=1
        )

    def test_negative_margin_left_out_keeps_its_loss(self):
        fit = self._fit()
        self.assertEqual(fit.value_basis, "margin")
        self.assertEqual(fit.gamma_gamma_excluded_count, 1)
        self.assertIn("1 repeat buyer(s)", fit.message)
        loser = self.loser.with_user(self.crm_manager)
        self.assertLess(loser.clv_value, 0)
        # the others' value is margin: 40 + i - 0 on an order of 100 + i
        buyer = self.partners[4].with_user(self.crm_manager)
        self.assertGreater(buyer.clv_value, 0)
        self.assertLess(buyer.clv_value, 10 * (100 + 4))
        # Gamma-Gamma's assumption, measured on the repeat buyers it took
        self.assertTrue(-1 <= fit.spend_correlation <= 1)

    def test_shift_takes_every_repeat_buyer(self):
        self.company.clv_nonpositive_spend = "shift"
        fit = self._fit()
        self.assertEqual(fit.gamma_gamma_excluded_count, 0)
        self.assertGreater(fit.spend_shift, 10)
        self.assertIn("raised by", fit.message)
        loser = self.loser.with_user(self.crm_manager)
        buyer = self.partners[4].with_user(self.crm_manager)
        self.assertLess(loser.clv_value, buyer.clv_value)

    def test_range_of_purchases_and_value_for_managers_only(self):
        self._fit()
        buyer = self.partners[3].with_user(self.crm_manager)
        self.assertLessEqual(buyer.clv_purchases_low, buyer.clv_purchases_high)
        self.assertGreaterEqual(buyer.clv_purchases_high, 1)
        self.assertLessEqual(buyer.clv_value_low, buyer.clv_value)
        self.assertGreaterEqual(buyer.clv_value_high, buyer.clv_value)
        profile = (
            self.env["zhongzheng.api"]
            .with_user(self.crm_manager)
            .customer_profile(buyer.id, history_limit=0)
        )
        self.assertEqual(
            profile["clv"]["purchases_90d_range"],
            [buyer.clv_purchases_low, buyer.clv_purchases_high],
        )
        user_profile = (
            self.env["zhongzheng.api"]
            .with_user(self.crm_user)
            .customer_profile(buyer.id, history_limit=0)
        )
        self.assertNotIn("value_range", user_profile["clv"])
        with self.assertRaises(AccessError):
            _ = self.partners[3].with_user(self.crm_user).clv_purchases_low
