from datetime import timedelta
from unittest.mock import patch

import psycopg2

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from ..models import value_writer
from ..models.relationship_engine import RELATIONSHIP_FIELDS
from ..models.value_facts import FACT_FIELDS
from ..models.value_ranks import RANK_FIELDS
from ..models.value_writer import FIGURES_TABLE
from .common import AS_OF, table_keys
from .test_relationship import RelationshipCase

FIGURES = [*FACT_FIELDS, *RANK_FIELDS, *RELATIONSHIP_FIELDS]


@tagged("post_install", "-at_install")
class TestIncrementalCutPoints(RelationshipCase):
    """One customer's update is scored against the cut points of the last
    full ranking; the next full pass re-ranks everyone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # spends 100..1000, margins 40..940, all old enough for a tier
        cls.customers = []
        for i in range(10):
            customer = cls._customer(f"Ranked {i}")
            cls._order(customer, AS_OF - timedelta(days=100 + i), 100.0 * (i + 1))
            cls.customers.append(customer)

    def _figures(self, partners):
        partners.invalidate_recordset()
        return {p.id: p.read(FIGURES)[0] for p in partners}

    def _cuts(self):
        return self.env["zhongzheng.value.cuts"]._get(self.company)

    def _reset(self):
        """No figures, history nor cut points for the company: from scratch."""
        cr = self.env.cr
        self._forget_figures()
        for table in ("zhongzheng_relationship_history", "zhongzheng_value_cuts"):
            cr.execute(f"DELETE FROM {table} WHERE company_id = %s", [self.company.id])
        self.env.invalidate_all()

    def test_one_customer_scored_against_the_stored_cut_points(self):
        self.company.tier_min_stay_days = 0  # a tier may change the same day
        self._recompute()
        cuts = self._cuts()
        self.assertTrue(cuts, "a full ranking stores its cut points")
        mover, like, others = (
            self.customers[0],
            self.customers[5],
            self.env["res.partner"].concat(*self.customers[1:]),
        )
        before = self._figures(others)
        self.assertEqual(mover.rfm_m_score, 1)
        self.assertEqual(mover.abc_class, "c")
        self.assertEqual(mover.tier_id, self.iron)
        # 100 + 560: the spend of customer 5 lies between 600 and 700, its
        # margin (40 + 500) is exactly customer 5's
        self._order(mover, AS_OF - timedelta(days=5), 560.0)
        self.engine._recompute_partners(self.company, mover.ids, as_of=AS_OF)
        mover.invalidate_recordset()
        self.assertEqual(mover.revenue_window, 660.0)
        ranks = cuts["ranks"]
        m_edges = [e for e in ranks["m"] if e is not None]
        self.assertEqual(mover.rfm_m_score, 1 + sum(e <= 660.0 for e in m_edges))
        self.assertEqual(mover.rfm_m_score, like.rfm_m_score)
        self.assertEqual(mover.rfm_r_score, 5, "its last order is the newest")
        a_min, b_min = ranks["abc"]
        self.assertEqual(mover.abc_class, "a" if 660.0 >= a_min else "b")
        self.assertLessEqual(b_min, a_min)
        self.assertEqual(mover.abc_class, like.abc_class)
        self.assertEqual(mover.tier_id, like.tier_id, "the same margin, the same tier")
        self.assertEqual(mover.tier_id, self.gold)
        self.assertEqual(
            mover.value_points_current,
            like.value_points_current,
            "the same margin, the same share of the distribution",
        )
        self.assertEqual(self._figures(others), before, "nobody else is touched")
        self.assertEqual(self._cuts(), cuts, "the cut points stay those of the ranking")
        history = self._history(mover, "tier")
        self.assertEqual(history[-1].tier_to_id, self.gold)

    def test_queue_scores_its_customers_without_re_ranking(self):
        self.company.tier_min_stay_days = 0
        self._recompute()
        cuts = self._cuts()
        mover = self.customers[1]
        others = self.env["res.partner"].concat(
            *(c for c in self.customers if c != mover)
        )
        before = self._figures(others)
        queue = self.env["zhongzheng.value.queue"]
        queue.search([]).unlink()
        self._order(mover, AS_OF - timedelta(days=1), 5000.0)
        self.assertEqual(queue.search_count([("partner_id", "=", mover.id)]), 1)
        queue._process()
        mover.invalidate_recordset()
        self.assertEqual(mover.revenue_window, 5200.0)
        self.assertEqual((mover.rfm_m_score, mover.abc_class), (5, "a"))
        self.assertEqual(mover.tier_id, self.platinum, "above every stored point")
        self.assertEqual(self._figures(others), before)
        self.assertEqual(self._cuts(), cuts)

    def test_next_full_pass_equals_a_recompute_from_scratch(self):
        # the stability rules keep a previous tier by design: without them a
        # full pass depends on the figures alone
        self.company.write({"tier_min_stay_days": 0, "tier_hysteresis": 0.0})
        self._recompute()
        for i, customer in enumerate(self.customers[:4]):
            self._order(customer, AS_OF - timedelta(days=i), 300.0 * (i + 1))
            self.engine._recompute_partners(self.company, customer.ids, as_of=AS_OF)
        customers = self.env["res.partner"].concat(*self.customers)
        incremental = self._figures(customers)
        self._recompute()
        after = self._figures(customers)
        self.assertNotEqual(after, incremental, "the full pass re-ranked everyone")
        self._reset()
        self.assertFalse(customers[0].with_company(self.company).rfm_m_score)
        self._recompute()
        self.assertEqual(self._figures(customers), after)

    def test_customers_alone_get_the_figures_of_the_full_pass(self):
        """The incremental path runs the full pass's statements for a few
        customers: right after a full pass, recomputing customers alone
        changes none of their figures, reasons or history; after a new order,
        one customer's facts alone are those the next full pass gives it."""
        self.company.write({"tier_min_stay_days": 0, "tier_hysteresis": 0.0})
        # older orders too: gaps, a revenue trend and repeat customers
        for i, customer in enumerate(self.customers[:6]):
            self._order(customer, AS_OF - timedelta(days=400 + 40 * i), 150.0 * i)
            self._order(customer, AS_OF - timedelta(days=250 + 20 * i), 90.0)
        self._recompute()
        customers = self.env["res.partner"].concat(*self.customers)
        everything = list(self.env["zhongzheng.value.writer"]._figure_types())

        def state():
            self.env.invalidate_all()
            return (
                {p.id: p.read(everything)[0] for p in customers},
                self.env["zhongzheng.health.signal"].search_read(
                    [("partner_id", "in", customers.ids)],
                    ["partner_id", "signal", "points", "value", "reference"],
                    order="partner_id, signal",
                ),
                self.env["zhongzheng.relationship.history"].search_count(
                    [("partner_id", "in", customers.ids)]
                ),
            )

        full = state()
        self.assertTrue(full[1], "some customers have reasons to watch")
        self.assertEqual(
            len({f["tier_id"] for f in full[0].values()}), 3, "three tiers"
        )
        self.engine._recompute_partners(self.company, customers.ids, as_of=AS_OF)
        self.assertEqual(state(), full, "all of them at once")
        for customer in self.customers[::3]:
            self.engine._recompute_partners(self.company, customer.ids, as_of=AS_OF)
        self.assertEqual(state(), full, "one at a time")
        mover = self.customers[4]
        self._order(mover, AS_OF - timedelta(days=2), 450.0)
        self.engine._recompute_partners(self.company, mover.ids, as_of=AS_OF)
        alone = state()[0][mover.id]
        self.assertEqual(alone["sale_count_total"], 4)
        self.assertEqual(alone["revenue_window"], 500.0 + 90.0 + 450.0)
        self._recompute(fit_clv=False)
        after = state()[0][mover.id]
        self.assertEqual(
            {name: alone[name] for name in FACT_FIELDS},
            {name: after[name] for name in FACT_FIELDS},
        )

    def test_figures_searched_summed_and_emptied_as_stored_fields_are(self):
        """The figures in their own table behave as stored fields: a pivot's
        measure named without its aggregate is summed, a negative search by
        a tier's name finds the customers without a tier too, and deleting
        a tier empties it on its customers (their orders still confirm)."""
        newcomer = self._customer("No order yet")  # no figures' row at all
        self._recompute()
        Partner = self.env["res.partner"].with_company(self.company)
        ours = Partner.browse([c.id for c in self.customers] + [newcomer.id])
        tiered = ours.filtered("tier_id")
        self.assertEqual(ours - tiered, newcomer.with_company(self.company))
        groups = Partner.read_group(
            [("id", "in", ours.ids)], ["revenue_window"], ["tier_id"]
        )
        self.assertAlmostEqual(
            sum(g["revenue_window"] for g in groups), sum(ours.mapped("revenue_window"))
        )
        tier = tiered[0].tier_id
        others = Partner.search(
            [("id", "in", ours.ids), ("tier_id", "not ilike", tier.name)]
        )
        self.assertEqual(others, ours.filtered(lambda p: p.tier_id != tier))
        self.assertIn(ours - tiered, others)
        holders = ours.filtered(lambda p: p.tier_id == tier)
        tier.unlink()
        self.env.invalidate_all()
        self.assertFalse(holders.mapped("tier_id"))
        self._order(holders[0], AS_OF, 120.0)  # the risk check reads the tier

    def test_first_figures_written_in_bulk_equal_row_by_row(self):
        """A company's first full pass writes its figures' rows with their
        foreign keys checked once at the end: the same figures and keys as
        row by row; the next pass writes row by row again."""
        cr = self.env.cr
        writer = self.env["zhongzheng.value.writer"]

        def figures():
            cr.execute(
                SQL("%s ORDER BY partner_id", writer._figures_query(self.company))
            )
            return cr.fetchall()

        constraints = table_keys(cr, FIGURES_TABLE)
        self.assertIn("res_partner(id) ON DELETE CASCADE", str(constraints))
        self._recompute()
        one_by_one = figures()
        self.assertGreaterEqual(len(one_by_one), 5)
        self._reset()
        bulk = self.engine.with_context(figures_bulk_rows=1)
        with patch.object(
            value_writer, "bulk_load", wraps=value_writer.bulk_load
        ) as loads:
            bulk._recompute(companies=self.company, as_of=AS_OF)
            self.assertEqual([c.args[1] for c in loads.call_args_list], [FIGURES_TABLE])
            self.assertEqual(figures(), one_by_one)
            self.assertEqual(table_keys(cr, FIGURES_TABLE), constraints)
            bulk._recompute(companies=self.company, as_of=AS_OF)
            self.assertEqual(len(loads.call_args_list), 1, "the company has rows")
        self.assertEqual(figures(), one_by_one)

    def test_first_history_checked_at_the_end_gives_the_same_rows(self):
        """A first full pass's many history rows go in with their foreign
        keys checked once at the end: the same rows and keys as row by row,
        and a row of no customer still fails."""
        cr = self.env.cr
        History = self.env["zhongzheng.relationship.history"]
        fields_ = [
            "partner_id",
            "kind",
            "tier_to_id",
            "class_to",
            "health_to",
            "user_id",
        ]

        def keys():
            return table_keys(cr, "zhongzheng_relationship_history")

        def rows():
            History.invalidate_model()
            found = History.search_read(
                [("company_id", "=", self.company.id)],
                fields_,
                order="partner_id, kind, tier_to_id, class_to, health_to",
            )
            return [{name: row[name] for name in fields_} for row in found]

        constraints = keys()
        self.assertIn("res_partner(id) ON DELETE CASCADE", str(constraints))
        self._recompute()
        one_by_one = rows()
        self.assertGreaterEqual(len(one_by_one), 10)
        self._reset()
        bulk = History.with_context(history_bulk_rows=1)
        self.assertTrue(bulk._first_fill(20), "the bulk path")
        self.engine.with_context(history_bulk_rows=1)._recompute(
            companies=self.company, as_of=AS_OF
        )
        self.assertEqual(rows(), one_by_one)
        self.assertEqual(keys(), constraints, "the same keys again")
        gone = self._customer("Gone")
        change = {
            "partner_id": gone.id,
            "kind": "class",
            "tier_from_id": None,
            "tier_to_id": None,
            "class_from": None,
            "class_to": "lost",
            "origin": "auto",
            "reason": None,
            "figures": None,
        }
        gone.unlink()
        with (
            self.assertRaises(psycopg2.errors.ForeignKeyViolation),
            mute_logger("odoo.sql_db"),
            cr.savepoint(),
        ):
            bulk._log_changes(self.company, AS_OF, [change] * 20)
        self.assertEqual(rows(), one_by_one)
        self.assertEqual(keys(), constraints)

    def test_a_nightly_queue_of_everyone_re_ranks_all_once_drained(self):
        self._recompute()
        queue = self.env["zhongzheng.value.queue"]
        queue.search([]).unlink()
        top = self.customers[9]
        self.assertEqual(top.rfm_m_score, 5)
        # two new big spenders push the former top down when all are ranked
        for customer in self.customers[:2]:
            self._order(customer, AS_OF - timedelta(days=1), 9000.0)
        queue.search([]).unlink()
        queue._enqueue_all(self.company)
        self.assertTrue(self._cuts()["pending"])
        while queue._process()[1]:
            pass
        top.invalidate_recordset()
        self.assertFalse(self._cuts()["pending"], "re-ranked: new cut points")
        self.assertEqual(top.rfm_m_score, 4, "ranked again among all customers")

    def test_cut_points_are_for_crm_administrators_and_the_engine(self):
        self._recompute()
        Cuts = self.env["zhongzheng.value.cuts"]
        cuts = Cuts.search([("company_id", "=", self.company.id)])
        self.assertEqual(len(cuts), 1)
        with self.assertRaises(AccessError):
            cuts.with_user(self.crm_user).read(["ranks"])
        self.assertTrue(cuts.with_user(self.crm_manager).read(["ranks"])[0]["ranks"])
        with self.assertRaises(AccessError):
            cuts.with_user(self.crm_manager).write({"rerank_pending": True})
        with self.assertRaises(AccessError):
            Cuts.with_user(self.crm_manager).create({"company_id": self.company.id})
