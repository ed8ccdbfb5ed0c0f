from datetime import date

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ValueCase

AS_OF = date(2026, 3, 31)  # the states at its end: quarters from April 1st
FORECAST = "zhongzheng.pyramid.forecast"


@tagged("post_install", "-at_install")
class TestPyramidForecast(ValueCase):
    """A small known tier history, quarters from April 2025 to April 2026:

    P1 and P2 enter gold and P3 iron on 2025-03-15 (new in the quarter
    before the year observed); P2 falls to iron on 2025-08-15, P3 leaves
    the pyramid on 2025-11-15, P4 enters iron on 2025-09-15 and P5 gold on
    2026-02-15. Over the year's four quarters gold stayed gold 5 times and
    fell to iron once (5/6, 1/6), iron stayed 6 times and left once (6/7,
    1/7), out stayed out; one newcomer a year in gold and one in iron (0.25
    a quarter each). Now: gold 2 (P1, P5), iron 2 (P2, P4), out 1 (P3).
    Revenue: P1 300 in May 2025 and 300 in February 2026, P2 200 in May
    2025, newcomers P4 50 and P5 400 in their first quarter; P1 100 in
    March 2025, its first quarter."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        tier = {
            code: cls.env.ref(f"crm_zhongzheng.customer_tier_{code}")
            for code in ("gold", "iron")
        }
        cls.tier = tier
        people = {key: cls._customer(f"Forecast {key}") for key in "12345"}
        cls.people = people
        moves = [
            ("1", date(2025, 3, 15), None, "gold"),
            ("2", date(2025, 3, 15), None, "gold"),
            ("3", date(2025, 3, 15), None, "iron"),
            ("2", date(2025, 8, 15), "gold", "iron"),
            ("4", date(2025, 9, 15), None, "iron"),
            ("3", date(2025, 11, 15), "iron", None),
            ("5", date(2026, 2, 15), None, "gold"),
        ]
        cls.env["zhongzheng.relationship.history"].create(
            [
                {
                    "partner_id": people[key].id,
                    "company_id": cls.company.id,
                    "date": when,
                    "kind": "tier",
                    "tier_from_id": source and tier[source].id,
                    "tier_to_id": target and tier[target].id,
                }
                for key, when, source, target in moves
            ]
        )
        for key, when, price in [
            ("1", date(2025, 3, 20), 100.0),
            ("1", date(2025, 5, 10), 300.0),
            ("1", date(2026, 2, 10), 300.0),
            ("2", date(2025, 5, 20), 200.0),
            ("4", date(2025, 9, 20), 50.0),
            ("5", date(2026, 2, 16), 400.0),
        ]:
            cls._order(people[key], when, price=price)

    def _by_state(self, rows):
        return {
            ("out" if not row.tier_id else row.tier_id.id): row
            for row in rows.filtered(lambda r: r.kind == "tier")
        }

    def test_forecast_and_backtest(self):
        self.env[FORECAST]._refresh(self.company, as_of=AS_OF)
        manager = self.env(user=self.crm_manager)
        rows = self._by_state(
            manager[FORECAST].search([("company_id", "=", self.company.id)])
        )
        gold, iron, out = (
            rows[self.tier["gold"].id],
            rows[self.tier["iron"].id],
            rows["out"],
        )
        self.assertEqual((gold.customers, iron.customers, out.customers), (2, 2, 1))
        # next quarter: n P + a, by hand
        self.assertAlmostEqual(gold.forecast_quarter, 2 * 5 / 6 + 0.25)
        self.assertAlmostEqual(iron.forecast_quarter, 2 / 6 + 2 * 6 / 7 + 0.25)
        self.assertAlmostEqual(out.forecast_quarter, 2 / 7 + 1)
        # a year: four such quarters; one newcomer in total a quarter
        self.assertAlmostEqual(gold.forecast_year, 1.7411, places=3)
        self.assertAlmostEqual(iron.forecast_year, 2.8917, places=3)
        self.assertAlmostEqual(out.forecast_year, 2.3672, places=3)
        self.assertAlmostEqual(
            gold.forecast_year + iron.forecast_year + out.forecast_year, 5 + 4 * 0.5
        )
        # revenue: a gold customer 800 over 6 customer-quarters, a newcomer
        # 400 in gold and 50 in iron, iron customers nothing
        self.assertAlmostEqual(gold.revenue_quarter, 2 * 800 / 6 + 0.25 * 400, places=2)
        self.assertAlmostEqual(iron.revenue_quarter, 0.25 * 50, places=2)
        self.assertAlmostEqual(gold.revenue_year, 1407.10, places=2)
        self.assertAlmostEqual(gold.actual_revenue, 800 + 400, places=2)
        self.assertAlmostEqual(iron.actual_revenue, 50, places=2)
        # the backtest, as of 2025-04-01: only three newcomers seen (two in
        # gold, one in iron, in the quarter before), so the year after it
        # expected 2 + 4 x 0.5 in gold and 1 + 4 x 0.25 in iron
        self.assertAlmostEqual(gold.backtest_customers, 4.0)
        self.assertAlmostEqual(iron.backtest_customers, 2.0)
        self.assertAlmostEqual(out.backtest_customers, 0.0)
        # a newcomer's 100 in gold (P1's March), two newcomers a year
        self.assertAlmostEqual(gold.backtest_revenue, 4 * 0.5 * 50, places=2)

    def test_the_pdf_shows_it(self):
        values = self.env(user=self.crm_manager)[
            "report.crm_zhongzheng.report_customer_pyramid"
        ]._get_report_values(
            self.company.ids, {"period": "quarter", "date": "2026-02-15"}
        )
        rows = values["pyramids"][self.company.id]["forecast"]
        gold = next(row for row in rows if row["label"] == self.tier["gold"].name)
        self.assertAlmostEqual(gold["forecast_quarter"], 2 * 5 / 6 + 0.25)
        self.assertIn("Lost", [row["label"] for row in rows], "the classes too")
        # stored that day (the nightly cron's): the PDF reads it
        self.env["zhongzheng.pyramid.forecast"]._refresh(self.company, as_of=AS_OF)
        stored = self.env["zhongzheng.pyramid.forecast"].search(
            [
                ("company_id", "=", self.company.id),
                ("tier_id", "=", self.tier["gold"].id),
            ]
        )
        stored.forecast_quarter = 99.0
        values = self.env(user=self.crm_manager)[
            "report.crm_zhongzheng.report_customer_pyramid"
        ]._get_report_values(
            self.company.ids, {"period": "quarter", "date": "2026-02-15"}
        )
        rows = values["pyramids"][self.company.id]["forecast"]
        self.assertEqual(
            [row["forecast_quarter"] for row in rows if row["label"] == "Gold"], [99.0]
        )
        self.assertEqual(len(rows), 10, "four tiers, out, five classes")

    def test_for_crm_managers_only(self):
        self.env[FORECAST]._refresh(self.company, as_of=AS_OF)
        for user in (self.crm_user, self.service_manager, self.plain_user):
            with self.assertRaises(AccessError, msg=user.login):
                self.env(user=user)[FORECAST].search([])
        with self.assertRaises(AccessError):
            self.env(user=self.crm_user)[FORECAST]._forecast(
                self.company, "tier", AS_OF
            )
