"""Real order books: free and credited repeat orders, failing fits and the
other edge cases that must never stop a company's recompute."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from ..models import clv_math, clv_math_models, value_writer
from .common import AS_OF, ValueCase


@tagged("post_install", "-at_install")
class TestRecomputeEdgeCases(ValueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # enough repeat buyers for both models: 25 customers, 2 to 6 orders
        cls.regulars = cls.env["res.partner"]
        for i in range(25):
            partner = cls._customer(f"Regular Hospital {i:02d}")
            for k in range(2 + i % 5):
                cls._order(
                    partner, AS_OF - timedelta(days=20 + 45 * k + 3 * i), 100 + 7 * i
                )
            cls.regulars |= partner
        cls.Fit = cls.env["zhongzheng.clv.fit"]

    def _fits(self):
        return self.Fit.search([("company_id", "=", self.company.id)])

    def _last_fit(self):
        return self._fits()[:1]

    def _manager_activities(self):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "zhongzheng.clv.fit"),
                ("res_id", "in", self._fits().ids),
                ("user_id", "=", self.crm_manager.id),
            ]
        )

    def _assert_recomputed(self, partner, orders):
        """Facts, ranks, score and tier of the partner were written."""
        partner.invalidate_recordset()
        self.assertEqual(partner.sale_count_total, orders)
        self.assertTrue(partner.rfm_r_score)
        self.assertTrue(partner.abc_class)
        self.assertTrue(partner.tier_id or partner.tier_pending, "the tier rules ran")
        self.assertTrue(partner.relationship_class, "the class rules ran")

    # ------------------------------------------------------------------
    # the bug as filed
    # ------------------------------------------------------------------
    def test_free_repeat_order_is_left_out_of_the_spend_model(self):
        """A free replacement as the only repeat order: its repeat spend is 0,
        which Gamma-Gamma cannot take; the recompute goes on."""
        sample = self._customer("Free Replacement Clinic")
        self._order(sample, AS_OF - timedelta(days=90), 500.0)
        self._order(sample, AS_OF - timedelta(days=30), 0.0)
        self._recompute()
        fit = self._last_fit()
        self.assertEqual(fit.state, "done", fit.message)
        self.assertTrue(fit.applied)
        self.assertEqual(fit.gamma_gamma_excluded_count, 1)
        self.assertIn("1 repeat buyer(s)", fit.message)
        self.assertIn("population's average spend", fit.message)
        self._assert_recomputed(sample, 2)
        manager = sample.with_user(self.crm_manager)
        self.assertGreater(manager.clv_expected_purchases, 0)
        # the population's average spend times its expected purchases
        self.assertGreater(manager.clv_value, 0)
        self._assert_recomputed(self.regulars[0], 2)
        self.assertGreater(self.regulars[0].with_user(self.crm_manager).clv_value, 0)

    def test_credited_repeat_order_does_not_stop_the_recompute(self):
        """A credit (negative line) as the customer's second purchase."""
        credited = self._customer("Credited Clinic")
        self._order(credited, AS_OF - timedelta(days=120), 800.0)
        self._order(credited, AS_OF - timedelta(days=60), -200.0)
        self._recompute()
        fit = self._last_fit()
        self.assertEqual(fit.state, "done", fit.message)
        self.assertEqual(fit.gamma_gamma_excluded_count, 1)
        self._assert_recomputed(credited, 2)
        self.assertEqual(credited.revenue_total, 600.0)
        self.assertGreater(credited.with_user(self.crm_manager).clv_value, 0)

    def test_failing_fit_leaves_the_rest_done_and_tells_the_managers(self):
        self._recompute(as_of=AS_OF - timedelta(days=10))
        good = self._last_fit()
        self.assertEqual(good.state, "done")
        before = self.regulars[0].with_user(self.crm_manager).clv_value
        self.assertGreater(before, 0)
        newcomer = self._customer("New Customer After The Good Fit")
        self._order(newcomer, AS_OF - timedelta(days=5), 300.0)

        def broken(*args, **kwargs):
            raise FloatingPointError("overflow in the likelihood")

        with (
            patch.object(clv_math, "fit_bgnbd", broken),
            self.assertLogs(
                "odoo.addons.crm_zhongzheng.models.clv_fit_failure", level="WARNING"
            ) as logs,
        ):
            self._recompute()
            self._recompute()  # the next night fails the same way
        self.assertIn("overflow in the likelihood", logs.output[0])
        failed = self._last_fit()
        self.assertEqual(failed.state, "error")
        self.assertIn("overflow in the likelihood", failed.message)
        self.assertFalse(failed.applied)
        self.assertTrue(good.applied, "the previous fit stays applied")
        # facts, ranks, tiers and classes of the company were still written
        self._assert_recomputed(newcomer, 1)
        self._assert_recomputed(self.regulars[0], 2)
        # the customers keep the last good fit's lifetime value (as of today)
        self.assertGreater(self.regulars[0].with_user(self.crm_manager).clv_value, 0)
        self.assertGreater(
            newcomer.with_user(self.crm_manager).clv_expected_purchases, 0
        )
        # one activity per CRM manager of the company, not one a night
        activities = self._manager_activities()
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.summary, "Lifetime value fit failed")
        # a later good fit closes it
        self._recompute()
        self.assertEqual(self._last_fit().state, "done")
        self.assertFalse(self._manager_activities())

    def test_a_failing_optional_step_leaves_its_figures_and_stops_nothing(self):
        """An incremental update whose lifetime value step raises: that
        customer keeps its lifetime value, its facts, ranks, tier and class
        are written, and the failure is logged."""
        self._recompute()
        customer = self.regulars[3].with_user(self.crm_manager)
        clv = customer.clv_value
        self._order(self.regulars[3], AS_OF - timedelta(days=2), 5000.0)

        def broken(*args, **kwargs):
            raise ValueError("bad input")

        with (
            patch.object(clv_math_models, "predict", broken),
            self.assertLogs(
                "odoo.addons.crm_zhongzheng.models.value_engine", level="WARNING"
            ) as logs,
        ):
            self.engine._recompute_partners(
                self.company, self.regulars[3].ids, as_of=AS_OF
            )
        self.assertIn("optional step", logs.output[0])
        customer.invalidate_recordset()
        self.assertEqual(customer.clv_value, clv)
        self._assert_recomputed(self.regulars[3], 2 + 3 % 5 + 1)
        self.assertEqual(customer.revenue_window, 5000.0 + 5 * (100 + 7 * 3))

    def test_nightly_job_survives_a_failing_fit(self):
        def broken(*args, **kwargs):
            raise ValueError("bad input")

        queue = self.env["zhongzheng.value.queue"]
        with (
            patch.object(clv_math, "fit_gamma_gamma", broken),
            self.assertLogs(
                "odoo.addons.crm_zhongzheng.models.clv_fit_failure", level="WARNING"
            ),
        ):
            queue._cron_nightly()
        self.assertEqual(self._last_fit().state, "error")
        queued = queue.search([("company_id", "=", self.company.id)])
        self.assertIn(self.regulars[0], queued.partner_id, "everyone is still queued")

    def test_fit_with_non_finite_parameters_is_a_failure(self):
        def degenerate(frequency, monetary, penalizer=0.0):
            return clv_math.GammaGammaFit(float("nan"), 1.0, 1.0, 0.0, False, 25)

        with (
            patch.object(clv_math, "fit_gamma_gamma", degenerate),
            self.assertLogs(
                "odoo.addons.crm_zhongzheng.models.clv_fit_failure", level="WARNING"
            ),
        ):
            self._recompute()
        fit = self._last_fit()
        self.assertEqual(fit.state, "error")
        self.assertIn("not positive numbers", fit.message)
        self._assert_recomputed(self.regulars[3], 5)

    # ------------------------------------------------------------------
    # other edge cases of real order books
    # ------------------------------------------------------------------
    def test_repeat_orders_on_the_first_day(self):
        """Three orders on one day are one purchase day: no repeat purchase,
        the population's spend for its lifetime value."""
        same_day = self._customer("Same Day Buyer")
        for hour in (9, 11, 15):
            self._order(
                same_day,
                fields.Datetime.to_datetime(AS_OF - timedelta(days=40))
                + timedelta(hours=hour),
                250.0,
            )
        self._recompute()
        self.assertEqual(self._last_fit().state, "done")
        self._assert_recomputed(same_day, 3)
        manager = same_day.with_user(self.crm_manager)
        self.assertEqual(manager.clv_prob_alive, 1.0)
        self.assertGreater(manager.clv_value, 0)

    def test_archived_customer_keeps_its_figures(self):
        archived = self._customer("Closed Hospital")
        self._order(archived, AS_OF - timedelta(days=200), 400.0)
        self._order(archived, AS_OF - timedelta(days=100), 400.0)
        archived.action_archive()
        self._recompute()
        self.assertEqual(self._last_fit().state, "done")
        archived = archived.with_context(active_test=False)
        self._assert_recomputed(archived, 2)
        self.assertEqual(archived.revenue_total, 800.0)

    def test_orders_dated_in_the_future_do_not_count_yet(self):
        early = self._customer("Future Order Hospital")
        self._order(early, AS_OF - timedelta(days=50), 100.0)
        self._order(early, AS_OF + timedelta(days=20), 900.0)
        only_future = self._customer("Only Future Hospital")
        self._order(only_future, AS_OF + timedelta(days=5), 100.0)
        self._recompute()
        self.assertEqual(self._last_fit().state, "done")
        self._assert_recomputed(early, 1)
        self.assertEqual(early.revenue_total, 100.0)
        self.assertEqual(early.rfm_recency, 50, "recency is never negative")
        self.assertFalse(only_future.sale_count_total)
        self.assertFalse(only_future.rfm_r_score)

    def test_customer_whose_orders_are_all_credited(self):
        """Each order credited back in full: no revenue, no repeat spend."""
        refunded = self._customer("Refunded Hospital")
        self._order(refunded, AS_OF - timedelta(days=80), 500.0)
        self._order(refunded, AS_OF - timedelta(days=70), -500.0)
        self._order(refunded, AS_OF - timedelta(days=40), 300.0)
        self._order(refunded, AS_OF - timedelta(days=30), -300.0)
        self._recompute()
        fit = self._last_fit()
        self.assertEqual(fit.state, "done")
        self.assertEqual(fit.gamma_gamma_excluded_count, 1)
        self._assert_recomputed(refunded, 4)
        self.assertEqual(refunded.revenue_total, 0.0)
        self.assertEqual(refunded.abc_class, "c")

    def test_amounts_at_the_api_limit(self):
        """10^12 per order (the API's upper bound): exact, no overflow to 0."""
        big = self._customer("National Health Purchasing")
        self._order(big, AS_OF - timedelta(days=100), 1e12)
        self._order(big, AS_OF - timedelta(days=10), 1e12)
        self._recompute()
        fit = self._last_fit()
        self.assertEqual(fit.state, "done", fit.message)
        self._assert_recomputed(big, 2)
        self.assertEqual(big.revenue_total, 2e12)
        self.assertEqual(big.abc_class, "a")
        manager = big.with_user(self.crm_manager)
        self.assertGreater(manager.clv_value, 1e11)
        self.assertGreater(manager.value_score, 0)

    def test_bulk_stage_merge_writes_what_row_updates_write(self):
        """A step handing the stage many rows writes it anew in one pass
        (_stage_rebuild) instead of updating it row by row: the figures,
        their keys, the history and the rows counted as changed are the
        same both ways, and a second pass changes nothing."""
        cr = self.env.cr
        writer = self.env["zhongzheng.value.writer"]
        engine = self.engine

        def run(rebuild_above):
            with patch.object(value_writer, "STAGE_REBUILD_ROWS", rebuild_above):
                first = engine._pipeline(self.company, AS_OF, clv="fit")
                second = engine._pipeline(self.company, AS_OF, clv="fit")
            self.env["res.partner"].flush_model()
            cr.execute(SQL("%s ORDER BY 1", writer._figures_query(self.company)))
            figures = cr.fetchall()
            cr.execute(
                "SELECT partner_id, kind, tier_to_id, class_to"
                " FROM zhongzheng_relationship_history"
                " WHERE company_id = %s ORDER BY 1, 2",
                [self.company.id],
            )
            return first, second, figures, cr.fetchall()

        savepoint = cr.savepoint()
        by_rows = run(10**9)
        savepoint.rollback()
        self.env.invalidate_all()
        rebuilt = run(0)
        savepoint.close(rollback=True)
        self.assertGreaterEqual(len(rebuilt[2]), 25, "every regular has figures")
        self.assertEqual(rebuilt[1], 0, "the second pass changes nothing")
        self.assertEqual(rebuilt[0], by_rows[0])
        self.assertEqual(rebuilt[2], by_rows[2])
        self.assertEqual(rebuilt[3], by_rows[3])
