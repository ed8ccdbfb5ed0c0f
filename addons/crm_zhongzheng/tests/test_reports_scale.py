from datetime import date

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .test_reports import ReportCase

KPI = "zhongzheng.crm.kpi.report"
FIGURES = [
    "period",
    "date",
    "date_to",
    "customers_start",
    "new_customers",
    "lost_customers",
    "retained_customers",
    "retention_rate",
    "churn_rate",
    "acquisition_rate",
    "buying_customers",
    "revenue",
    "top20_revenue_share",
    "tickets_closed",
    "sla_compliance",
    "satisfaction",
    "claims_paid",
]


@tagged("post_install", "-at_install")
class TestKpiStore(ReportCase):
    """The key figures the view reads once stored, and one period computed
    alone, are the figures computed from the whole history."""

    def _figures(self, env, domain=()):
        rows = env[KPI].search([*self.mine, *domain], order="period, date")
        return {(row.period, row.date): row.read(FIGURES)[0] for row in rows}

    def test_stored_figures_are_the_live_ones(self):
        manager = self._as(self.crm_manager)
        live = self._figures(manager)
        self.assertEqual(live[("month", date(2026, 3, 1))]["revenue"], 1100.0)
        self.assertFalse(
            manager[KPI].search(self.mine, limit=1).refreshed_at is False,
            "live rows say when they were computed",
        )
        stored = self.env[KPI]._refresh_figures(self.company)
        self.assertEqual(stored, len(live))
        self.assertEqual(self._figures(manager), live)
        # what the view reads now is the table: a new order shows after the
        # next refresh, which then gives the live figures again
        self._order(self.customers["d"], date(2026, 3, 25), price=400.0)
        self.env.flush_all()
        march = [("period", "=", "month"), ("date", "=", "2026-03-01")]
        self.assertEqual(manager[KPI].search([*self.mine, *march]).revenue, 1100.0)
        self.env[KPI]._refresh_figures(self.company)
        self.assertEqual(manager[KPI].search([*self.mine, *march]).revenue, 1500.0)
        self.assertEqual(
            manager[KPI].search([*self.mine, *march]).top20_revenue_share,
            round(100 * 800 / 1500, 2),
            "A's 800 still the top fifth (D now 600)",
        )

    def test_grouped_by_month_as_the_view(self):
        manager = self._as(self.crm_manager)
        months = [("period", "=", "month")]
        before = manager[KPI].read_group(
            [*self.mine, *months], ["new_customers:sum"], ["date:month"], lazy=False
        )
        self.env[KPI]._refresh_figures(self.company)
        after = manager[KPI].read_group(
            [*self.mine, *months], ["new_customers:sum"], ["date:month"], lazy=False
        )
        self.assertEqual(
            [(g["date:month"], g["new_customers"]) for g in after],
            [(g["date:month"], g["new_customers"]) for g in before],
        )
        self.assertIn(2, [g["new_customers"] for g in after], "March: D and E")

    def test_one_period_alone(self):
        live = self._figures(self._as(self.crm_manager))
        for period, start in [
            ("month", date(2026, 3, 1)),
            ("month", date(2026, 2, 1)),
            ("quarter", date(2026, 1, 1)),
            ("year", date(2025, 1, 1)),
        ]:
            row = self.env[KPI]._for_period(self.company, period, start)
            self.assertEqual(row.read(FIGURES)[0], live[(period, start)], period)
        self.assertFalse(
            self.env[KPI]._for_period(self.company, "year", date(2020, 1, 1))
        )

    def test_one_period_stored(self):
        """Once stored after the period ended, the period's row is the
        stored one: an order confirmed since shows after the next night."""
        live = self.env[KPI]._for_period(self.company, "month", date(2026, 3, 1))
        figures = live.read(FIGURES)[0]
        self.env[KPI]._refresh_figures(self.company)
        self._order(self.customers["d"], date(2026, 3, 25), price=400.0)
        self.env.flush_all()
        row = self.env[KPI]._for_period(self.company, "month", date(2026, 3, 1))
        self.assertEqual(row.read(FIGURES)[0], figures)
        self.assertEqual(row.revenue, 1100.0)
        self.env[KPI]._refresh_figures(self.company)
        row = self.env[KPI]._for_period(self.company, "month", date(2026, 3, 1))
        self.assertEqual(row.revenue, 1500.0)


@tagged("post_install", "-at_install")
class TestValueScope(ReportCase):
    """A grouping of the customer value analysis over a period computes that
    period's months only, with the figures of the whole history."""

    def test_period_domain(self):
        Value = self._as(self.crm_manager)["zhongzheng.customer.value.report"]
        whole = Value.with_context(zz_value_scope={})
        for domain in [
            [("date", ">=", "2026-03-01")],
            [("date", ">=", "2025-11-15"), ("date", "<=", "2026-01-10")],
            [("date", "<", "2026-01-01")],
        ]:
            args = (
                [*self.mine, *domain],
                ["partner_id"],
                ["revenue:sum", "margin:sum"],
            )
            self.assertEqual(
                sorted(Value._read_group(*args)),
                sorted(whole._read_group(*args)),
                domain,
            )
        march = Value._read_group(
            [*self.mine, ("date", ">=", "2026-03-01")], [], ["revenue:sum"]
        )
        self.assertEqual(march, [(1100.0,)])
        # the top customers a dashboard asks for: the first N by revenue
        top = Value.with_context(zz_top_customers=2).read_group(
            self.mine, ["revenue:sum"], ["partner_id"]
        )
        self.assertEqual(
            [g["partner_id"][0] for g in top],
            [self.customers["a"].id, self.customers["d"].id],
        )


VALUE = "zhongzheng.customer.value.report"
STORE = "zhongzheng.customer.value.store"
VALUE_FIGURES = [
    "date",
    "partner_id",
    "user_id",
    "tier_id",
    "relationship_class",
    "rfm_segment_id",
    "abc_class",
    "order_count",
    "revenue",
    "margin",
    "ticket_count",
    "claim_count",
    "claims_paid",
    "clv_value",
    "value_score",
]


@tagged("post_install", "-at_install")
class TestValueStore(ReportCase):
    """The customer value rows the nightly pass stores are the live
    analysis' rows, and the dashboard's groupings of them its groupings."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the customers' tiers, classes, segments and lifetime values
        cls.engine._recompute(companies=cls.company, as_of=date(2026, 3, 31))

    def _rows(self, env, model):
        rows = env[model].search(self.mine).read(VALUE_FIGURES, load=None)
        # the ids differ: the live analysis numbers its rows
        return {
            (row.pop("partner_id"), row.pop("date")): row
            for row in rows
            if row.pop("id")
        }

    def test_stored_rows_are_the_live_ones(self):
        manager = self._as(self.crm_manager)
        live = self._rows(manager, VALUE)
        self.assertEqual(len(live), 6, "A twice, B, C, D and E once")
        self.assertTrue(any(row["tier_id"] for row in live.values()), "tiers")
        # not refreshed yet: read live
        self.assertEqual(self._rows(manager, STORE), live)
        self.assertEqual(self.env[STORE]._refresh_figures(self.company), len(live))
        self.assertEqual(self._rows(manager, STORE), live)
        # a new order: in the live analysis at once, in the stored rows
        # after the nightly pass
        d = self.customers["d"]
        self._order(d, date(2026, 3, 25), price=400.0)
        self.env.flush_all()
        d_march = [("partner_id", "=", d.id), ("date", "=", "2026-03-01")]
        self.assertEqual(manager[VALUE].search(d_march).revenue, 600.0)
        stored = manager[STORE].search(d_march)
        self.assertEqual((stored.revenue, stored.order_count), (200.0, 1))
        computed_on = stored.refreshed_at
        self.assertTrue(computed_on)
        self.env["zhongzheng.value.queue"]._cron_nightly()
        stored = manager[STORE].search(d_march)
        self.assertEqual((stored.revenue, stored.order_count), (600.0, 2))
        self.assertGreaterEqual(stored.refreshed_at, computed_on)
        self.assertEqual(self._rows(manager, STORE), self._rows(manager, VALUE))

    def test_dashboard_groupings(self):
        manager = self._as(self.crm_manager)
        self.env[STORE]._refresh_figures(self.company)
        in_q1 = [*self.mine, ("date", ">=", "2026-01-01"), ("date", "<=", "2026-03-31")]
        pyramid = [
            manager[model]._read_group(
                [*in_q1, ("tier_id", "!=", False)],
                ["tier_id"],
                ["partner_id:count_distinct", "revenue:sum", "margin:sum"],
            )
            for model in (VALUE, STORE)
        ]
        self.assertTrue(pyramid[0], "customers in tiers")
        self.assertEqual(pyramid[1], pyramid[0])
        for model in (VALUE, STORE):
            top = (
                manager[model]
                .with_context(zz_top_customers=2)
                .read_group(self.mine, ["revenue:sum"], ["partner_id"])
            )
            self.assertEqual(
                [g["partner_id"][0] for g in top],
                [self.customers["a"].id, self.customers["d"].id],
                model,
            )

    def test_pyramid_reads_what_was_stored(self):
        """The pyramid PDF's sales and key figures: the stored ones once the
        nightly pass stored them (an order since shows the next night),
        the same figures as computed live, and it says when."""
        Pyramid = self._as(self.crm_manager)[
            "report.crm_zhongzheng.report_customer_pyramid"
        ]
        march = (self.company, "month", date(2026, 3, 1), date(2026, 4, 1))

        def figures(pyramid):
            return (
                pyramid["total_count"],
                pyramid["total_revenue"],
                pyramid["total_margin"],
                [
                    (lv["count"], lv["revenue"], lv["margin"])
                    for lv in pyramid["levels"]
                ],
                [(t["partner"], t["revenue"]) for t in pyramid["top_customers"]],
                pyramid["kpi"].read(FIGURES)[0],
            )

        live = Pyramid._pyramid(*march)
        self.assertIsNone(live["computed_on"])
        before = figures(live)
        self.assertEqual(before[1], 1100.0)
        self.env[STORE]._refresh_figures(self.company)
        self.env[KPI]._refresh_figures(self.company)
        self._order(self.customers["d"], date(2026, 3, 25), price=400.0)
        self.env.flush_all()
        stored = Pyramid._pyramid(*march)
        self.assertTrue(stored["computed_on"])
        self.assertEqual(figures(stored), before)
        self.env["zhongzheng.value.queue"]._cron_nightly()
        self.assertEqual(Pyramid._pyramid(*march)["total_revenue"], 1500.0)

    def test_rights_as_the_live_analysis(self):
        self.env[STORE]._refresh_figures(self.company)
        rows = self._as(self.crm_user)[STORE].search(
            [("partner_id", "=", self.customers["a"].id)]
        )
        self.assertEqual(sum(rows.mapped("revenue")), 1800.0)
        for name in ("margin", "clv_value", "claims_paid"):
            with self.assertRaises(AccessError, msg=name):
                rows.read([name])
        with self.assertRaises(AccessError):
            self._as(self.crm_user)[STORE]._read_group([], [], ["margin:sum"])
        with self.assertRaises(AccessError):
            self._as(self.plain_user)[STORE].search([])
        # another company's manager sees none of these rows
        main = self.env.ref("base.main_company")
        self.crm_manager.company_ids |= main
        other = self.env(
            user=self.crm_manager,
            context=dict(self.env.context, allowed_company_ids=main.ids),
        )
        self.assertFalse(other[STORE].search(self.mine))
