import warnings
from datetime import datetime, timedelta
from unittest.mock import patch

import psycopg2
from scipy.integrate import IntegrationWarning

from odoo import Command, sql_db
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL, mute_logger

from ..models import value_sql
from ..models.res_partner import INLINE_RECOMPUTE
from ..models.value_queue import GATHER_SECONDS, LOCK_NAMESPACE
from ..models.value_writer import FIGURES_TABLE
from .common import AS_OF, ValueCase


@tagged("post_install", "-at_install")
class TestFacts(ValueCase):
    def test_window_boundaries(self):
        """A 30-day window ending on the analysis date holds the 30 calendar
        days up to and including it; later orders do not exist yet."""
        self.company.value_window_days = 30
        customer = self._customer("Ruijin Hospital")
        first_day = AS_OF - timedelta(days=29)
        self._order(customer, datetime.combine(first_day, datetime.min.time()), 100)
        day_before = datetime.combine(first_day, datetime.min.time()) - timedelta(
            minutes=1
        )
        self._order(customer, day_before, 200)
        self._order(customer, datetime.combine(AS_OF, datetime.max.time()), 400)
        self._order(customer, AS_OF + timedelta(days=1), 800)  # after as-of
        self._recompute()
        self.assertEqual(customer.sale_count_window, 2)
        self.assertEqual(customer.revenue_window, 500.0)
        self.assertEqual(customer.sale_count_total, 3)
        self.assertEqual(customer.revenue_total, 700.0)
        self.assertEqual(customer.first_sale_date, first_day - timedelta(days=1))
        self.assertEqual(customer.last_sale_date, AS_OF)
        self.assertEqual(customer.average_order_value, 250.0)

    def test_draft_and_cancelled_orders_do_not_count(self):
        customer = self._customer("Quotation Only Clinic")
        self._order(customer, AS_OF, 100, confirm=False)
        cancelled = self._order(customer, AS_OF, 300)
        cancelled._action_cancel()
        self._order(customer, AS_OF, 50)
        self._recompute()
        self.assertEqual(customer.sale_count_total, 1)
        self.assertEqual(customer.revenue_total, 50.0)

    def test_currency_converted_at_order_date(self):
        """An order in EUR counts in company currency (USD) at the rate of its
        date, not today's."""
        eur = self.env.ref("base.EUR")
        eur.active = True
        order_day = AS_OF - timedelta(days=10)
        self.env["res.currency.rate"].create(
            [
                {"currency_id": eur.id, "name": order_day, "rate": 2.0},
                {"currency_id": eur.id, "name": AS_OF, "rate": 4.0},
            ]
        )
        pricelist = self.env["product.pricelist"].create(
            {"name": "EUR export", "currency_id": eur.id}
        )
        customer = self._customer("Berlin Medizintechnik GmbH")
        self._order(customer, order_day, 1000.0, pricelist_id=pricelist.id)
        self._recompute()
        self.assertEqual(customer.revenue_window, 500.0)
        # margin: 1000 EUR = 500 USD, minus the cost of 60 USD
        self.assertEqual(customer.with_user(self.crm_manager).margin_window, 440.0)

    def test_contacts_roll_up_to_their_company(self):
        company = self._customer("Huashan Hospital")
        buyer = self.env["res.partner"].create(
            {"name": "Dr. Li", "parent_id": company.id, "type": "contact"}
        )
        self._order(buyer, AS_OF, 100)
        self._order(company, AS_OF, 100)
        self._recompute()
        self.assertEqual(company.sale_count_total, 2)
        self.assertEqual(company.revenue_total, 200.0)
        self.assertFalse(buyer.sale_count_total)

    def test_margin_from_product_cost(self):
        customer = self._customer("Gloves Distributor")
        self._order(customer, AS_OF, price=100.0, qty=3)
        self._order(customer, AS_OF, price=50.0, qty=2)  # sold below cost
        self._recompute()
        manager_view = customer.with_user(self.crm_manager)
        # 3 x (100 - 60) + 2 x (50 - 60)
        self.assertEqual(manager_view.margin_window, 100.0)
        self.assertEqual(manager_view.margin_total, 100.0)

    def test_companies_see_their_own_figures(self):
        other = self.env["res.company"].create({"name": "Zhongzheng Export Ltd."})
        self.env.user.company_ids |= other
        customer = self._customer("Hanoi Medical JSC")
        self._order(customer, AS_OF, 100)
        other_env = self.env(
            context=dict(self.env.context, allowed_company_ids=[other.id])
        )
        partner_other = customer.with_env(other_env)
        self._order(partner_other, AS_OF, 900)
        self.engine._recompute(companies=self.company | other, as_of=AS_OF)
        self.assertEqual(customer.revenue_total, 100.0)
        self.assertEqual(partner_other.revenue_total, 900.0)
        self.assertEqual(partner_other.with_company(self.company).revenue_total, 100.0)

    def test_recompute_twice_gives_identical_results(self):
        for i in range(6):
            customer = self._customer(f"Clinic {i}")
            for k in range(i + 1):
                self._order(customer, AS_OF - timedelta(days=20 * k + i), 100 + 10 * i)
        self._recompute()
        fields_ = [
            "revenue_window",
            "rfm_r_score",
            "rfm_segment_id",
            "abc_class",
            "value_score",
            "value_points_loyalty",
        ]
        customers = self.env["res.partner"].search([("sale_count_total", ">", 0)])
        before = customers.read(fields_)
        self.assertEqual(
            self.env["zhongzheng.value.facts"]._compute_facts(
                self.company, as_of=AS_OF
            ),
            6,
        )
        customers.invalidate_recordset()
        self._recompute()
        self.assertEqual(customers.read(fields_), before)

    def test_scores_rounded_in_float8_equal_postgresql_round(self):
        """round_sql gives what ROUND(x::numeric, d)::float8 gives, for the
        values float8 holds just below or above a tie (0.15, 1.005, 2.675),
        negative ones (no -0), huge ones and nothing."""
        cr = self.env.cr
        cr.execute(
            SQL(
                "CREATE TEMP TABLE zz_round_values AS"
                " SELECT (x / 1000.0)::float8 AS x FROM generate_series(-3000, 3000) x"
                " UNION ALL SELECT (x / 1000.0 + 0.0005)::float8"
                "  FROM generate_series(-3000, 3000) x"
                " UNION ALL SELECT unnest(%s::float8[])",
                [0.15, 0.25, 0.35, 1.005, 2.675, -0.05, -0.04, 1e15 + 0.5, None],
            )
        )
        for digits in (1, 2):
            cr.execute(
                SQL(
                    "SELECT count(*), count(*) FILTER (WHERE"
                    " ROUND(x::numeric, %s)::float8::text"
                    " IS DISTINCT FROM (%s)::text),"
                    " count(*) FILTER (WHERE (%s)::text = '-0')"
                    " FROM zz_round_values",
                    digits,
                    value_sql.round_sql(SQL("x"), digits),
                    value_sql.round_sql(SQL("x"), digits),
                )
            )
            self.assertEqual(cr.fetchone(), (12011, 0, 0), digits)
        # the scores of a pass: each part and their sum in tenths
        self._recompute()
        cr.execute(
            SQL(
                "SELECT count(*) FROM %s WHERE value_score IS DISTINCT FROM"
                " ROUND((value_points_current + value_points_potential"
                " + value_points_loyalty + value_points_payment"
                " + value_points_cost)::numeric, 1)::float8",
                SQL.identifier(FIGURES_TABLE),
            )
        )
        self.assertEqual(cr.fetchone()[0], 0)

    def test_long_lists_go_to_postgresql_as_one_array_literal(self):
        cr = self.env.cr
        values = [*range(1500), None, -1.5, 1e-05, 0.1234, 12345678.91]
        literal = value_sql.array(values)
        self.assertIsInstance(literal, str)
        self.assertEqual(value_sql.array(values[:10]), values[:10])
        cr.execute(
            "SELECT %s::float8[] IS NOT DISTINCT FROM %s::float8[],"
            " (SELECT count(*) FROM unnest(%s::float8[]))",
            [literal, values, literal],
        )
        self.assertEqual(cr.fetchone(), (True, len(values)))
        # a whole pass with every list as a literal: the same figures
        self._repeat_buyers()  # enough for a lifetime value fit
        names = ["revenue_window", "rfm_r_score", "abc_class", "value_score"]
        names += ["clv_prob_alive", "clv_expected_purchases", "clv_value"]
        with warnings.catch_warnings():
            # the quadrature of the fit's backtest on this small data
            warnings.simplefilter("ignore", IntegrationWarning)
            self._recompute()
        customers = self.env["res.partner"].search([("sale_count_total", ">", 0)])
        before = customers.read(names)
        self.assertTrue(any(row["clv_prob_alive"] for row in before), before)
        customers.write({"clv_prob_alive": 0.0, "rfm_r_score": 0})
        with (
            patch.object(value_sql, "ARRAY_LITERAL_MIN", 1),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore", IntegrationWarning)
            # one customer's path too: its partner lists as literals
            self.engine._recompute_partners(
                self.company, customers.ids, as_of=AS_OF, rank=False
            )
            self._recompute()
            self.env["zhongzheng.value.queue"]._enqueue(customers, self.company)
        customers.invalidate_recordset()
        self.assertEqual(customers.read(names), before)
        queued = self.env["zhongzheng.value.queue"].search(
            [("partner_id", "in", customers.ids)]
        )
        self.assertEqual(set(queued.partner_id.ids), set(customers.ids))


@tagged("post_install", "-at_install")
class TestRanks(ValueCase):
    def test_rfm_quintiles_and_ties(self):
        """Ten customers with growing spend score M 1,1,2,2,...,5,5; two with
        the same spend share the same score."""
        customers = []
        for i in range(10):
            customer = self._customer(f"Buyer {i}")
            self._order(customer, AS_OF - timedelta(days=i), 100.0 * (i + 1))
            customers.append(customer)
        tie = self._customer("Buyer tie")
        self._order(tie, AS_OF - timedelta(days=9), 100.0 * 6)  # same as Buyer 5
        self._recompute()
        m_scores = [c.rfm_m_score for c in customers]
        self.assertEqual(m_scores[0], 1)
        self.assertEqual(m_scores[-1], 5)
        self.assertEqual(m_scores, sorted(m_scores))
        self.assertEqual(tie.rfm_m_score, customers[5].rfm_m_score)
        # recency: Buyer 0 ordered on the analysis date, Buyer 9 nine days before
        self.assertEqual(customers[0].rfm_recency, 0)
        self.assertEqual(customers[9].rfm_recency, 9)
        self.assertEqual(customers[0].rfm_r_score, 5)
        self.assertEqual(customers[9].rfm_r_score, 1)
        self.assertEqual(tie.rfm_r_score, customers[9].rfm_r_score)

    def test_scores_follow_the_ranks_of_all_customers_ties_included(self):
        """Thirty customers with many ties in recency, frequency, spend and
        tenure: each score is the rank definition over all of them
        (1 + 5 x the customers below / all, the share at or below its value
        for the value score's components), as a user checking by hand gets."""
        customers = []
        for i in range(30):
            customer = self._customer(f"Ranked {i:02d}")
            for k in range(1 + i % 3):
                self._order(
                    customer,
                    AS_OF - timedelta(days=(i % 7) * 10 + 40 * k),
                    100.0 * (1 + i % 4),
                )
            customers.append(customer)
        self._recompute()
        rows = [
            {
                "last": max(o.date_order for o in c.sale_order_ids).date(),
                "first": min(o.date_order for o in c.sale_order_ids).date(),
                "freq": c.rfm_frequency,
                "monetary": c.rfm_monetary,
                "margin": max(c.margin_window, 0),
                "partner": c,
            }
            for c in customers
        ]
        n = len(rows)
        weights = self.company._value_weights()
        share = 100.0 * weights["loyalty"] / sum(weights.values())
        current = 100.0 * weights["current"] / sum(weights.values())
        for row in rows:
            partner = row["partner"]

            def below(key, row=row):
                return sum(1 for other in rows if other[key] < row[key])

            def upto(key, row=row):
                return sum(1 for other in rows if other[key] <= row[key])

            self.assertEqual(partner.rfm_r_score, 1 + 5 * below("last") // n)
            self.assertEqual(partner.rfm_f_score, 1 + 5 * below("freq") // n)
            self.assertEqual(partner.rfm_m_score, 1 + 5 * below("monetary") // n)
            loyalty = (
                upto("freq") / n
                + sum(1 for o in rows if o["first"] >= row["first"]) / n
            ) / 2
            self.assertAlmostEqual(
                partner.value_points_loyalty, share * loyalty, delta=0.051
            )
            self.assertAlmostEqual(
                partner.value_points_current,
                current * upto("margin") / n if row["margin"] > 0 else 0,
                delta=0.051,
            )

    def test_rfm_segment_map(self):
        champion = self._customer("Champion Hospital")
        for k in range(6):
            self._order(champion, AS_OF - timedelta(days=k * 30), 5000)
        sleeper = self._customer("Sleeping Clinic")
        self._order(sleeper, AS_OF - timedelta(days=300), 50)
        for i in range(8):
            self._order(
                self._customer(f"Middle {i}"), AS_OF - timedelta(days=100 + i), 400
            )
        self._recompute()
        self.assertEqual(
            champion.rfm_segment_id,
            self.env.ref("crm_zhongzheng.rfm_segment_champions"),
        )
        self.assertEqual(
            sleeper.rfm_segment_id, self.env.ref("crm_zhongzheng.rfm_segment_lost")
        )
        # the map is configurable: a manager renames the cell's segment
        lost = self.env.ref("crm_zhongzheng.rfm_segment_lost")
        lost.active = False
        self._recompute()
        self.assertFalse(sleeper.rfm_segment_id)
        with self.assertRaises(ValidationError):
            self.env["zhongzheng.rfm.segment"].create(
                {"name": "Broken", "r_min": 4, "r_max": 2}
            )

    def _abc_customers(self):
        customers = []
        for i, revenue in enumerate([50, 30, 10, 5, 3, 2]):
            customer = self._customer(f"ABC {i}")
            self._order(customer, AS_OF, revenue * 10.0)
            customers.append(customer)
        return customers

    def test_abc_default_cut_points(self):
        """Revenue shares 50/30/10/5/3/2 %: cumulative before each is
        0/50/80/90/95/98 %, so A A B B C C with the default 80/95 cuts."""
        customers = self._abc_customers()
        self._recompute()
        self.assertEqual([c.abc_class for c in customers], list("aabbcc"))

    def test_abc_configurable_cut_points(self):
        customers = self._abc_customers()
        self.company.write({"abc_a_share": 50.0, "abc_b_share": 90.0})
        self._recompute()
        self.assertEqual([c.abc_class for c in customers], list("abbccc"))
        with self.assertRaises(ValidationError):
            self.company.abc_b_share = 40.0

    def test_value_score_breakdown_and_weights(self):
        for i in range(5):
            customer = self._customer(f"Scored {i}")
            for k in range(i + 1):
                self._order(customer, AS_OF - timedelta(days=40 * k), 200 + 100 * i)
        self._recompute(fit_clv=False)
        best = self.env["res.partner"].search(
            [("sale_count_total", ">", 0)], order="value_score desc", limit=1
        )
        self.assertEqual(best.name, "Scored 4")
        parts = [
            best.value_points_current,
            best.value_points_potential,
            best.value_points_loyalty,
            best.value_points_payment,
            best.value_points_cost,
        ]
        self.assertAlmostEqual(best.value_score, sum(parts), delta=0.15)
        # highest margin: full current-value points (35 of 100 by default);
        # no lifetime value fit: no potential points; no invoices: half the
        # payment points; no cost-to-serve: all its points
        self.assertEqual(best.value_points_current, 35.0)
        self.assertEqual(best.value_points_potential, 0.0)
        self.assertEqual(best.value_points_payment, 5.0)
        self.assertEqual(best.value_points_cost, 10.0)
        # a manager gives current value all the weight
        self.company.write(
            {
                "value_weight_current": 1.0,
                "value_weight_potential": 0.0,
                "value_weight_loyalty": 0.0,
                "value_weight_payment": 0.0,
                "value_weight_cost": 0.0,
            }
        )
        self._recompute(fit_clv=False)
        self.assertEqual(best.value_score, 100.0)
        self.assertEqual(best.value_points_cost, 0.0)
        with self.assertRaises(ValidationError):
            self.company.value_weight_current = -1.0

    def test_saved_segment(self):
        hospital_tag = self.env["res.partner.category"].create({"name": "Hospital"})
        a = self._customer("Tagged A", category_id=[Command.link(hospital_tag.id)])
        b = self._customer("Tagged B", category_id=[Command.link(hospital_tag.id)])
        c = self._customer("Untagged C")
        for partner, amount in ((a, 300), (b, 200), (c, 1000)):
            self._order(partner, AS_OF, amount)
        self._recompute()
        segment = self.env["zhongzheng.customer.segment"].create(
            {
                "name": "Hospitals",
                "domain": f"[('category_id', 'in', [{hospital_tag.id}])]",
            }
        )
        self.assertEqual(segment.member_count, 2)
        self.assertEqual(segment.revenue, 500.0)
        self.assertEqual(segment.with_user(self.crm_manager).margin, 500.0 - 2 * 60)
        found = self.env["res.partner"].search(
            [("customer_segment_id", "=", segment.id)]
        )
        self.assertEqual(found, a | b)
        with self.assertRaises(ValidationError):
            segment.domain = "[('no_such_field', '=', 1)]"


@tagged("post_install", "-at_install")
class TestIncremental(ValueCase):
    def _queued(self, partner):
        return self.env["zhongzheng.value.queue"].search_count(
            [("partner_id", "=", partner.id), ("company_id", "=", self.company.id)]
        )

    def test_confirm_and_cancel_queue_the_customer(self):
        customer = self._customer("Incremental Hospital")
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": customer.id}
        )
        order = self._order(contact, AS_OF, 100, confirm=False)
        self.assertEqual(self._queued(customer), 0)
        order.action_confirm()
        self.assertEqual(self._queued(customer), 1, "queued, not recomputed inline")
        self.assertFalse(customer.sale_count_total)
        done, remaining = self.env["zhongzheng.value.queue"]._process()
        self.assertGreaterEqual(done, 1)
        self.assertEqual(remaining, 0)
        self.assertEqual(customer.sale_count_total, 1)
        self.assertEqual(customer.revenue_total, 100.0)
        self.assertTrue(customer.rfm_segment_id, "ranks follow once the queue is empty")
        order._action_cancel()
        self.assertEqual(self._queued(customer), 1)
        self.env["zhongzheng.value.queue"]._process()
        self.assertEqual(customer.sale_count_total, 0)
        self.assertEqual(customer.revenue_total, 0.0)

    def test_the_cron_gathers_a_few_seconds_of_requests(self):
        """Each confirmation wakes the queue's cron at once; run by the
        scheduler, its batch waits until the oldest request is a few seconds
        old, so that a burst of confirmations is recomputed together. An
        older request is not held up, and a manual run never waits."""
        queue = self.env["zhongzheng.value.queue"]
        queue.search([]).unlink()
        self.assertEqual(queue._gather_delay(), 0.0, "nothing queued")
        customer = self._customer("Gathered Clinic")
        self._order(customer, AS_OF, 100)
        self.assertEqual(self._queued(customer), 1)
        delay = queue._gather_delay()
        self.assertGreater(delay, GATHER_SECONDS - 1, "just queued: the batch waits")
        self.assertLessEqual(delay, GATHER_SECONDS)
        queue.flush_model()
        self.env.cr.execute(
            "UPDATE zhongzheng_value_queue SET queued_at = queued_at"
            " - make_interval(secs => %s)",
            [GATHER_SECONDS + 0.5],
        )
        self.assertEqual(queue._gather_delay(), 0.0, "old enough: at once")
        self.env.cr.execute("UPDATE zhongzheng_value_queue SET queued_at = NULL")
        self.assertEqual(queue._gather_delay(), 0.0, "queued before the times")
        self.env.cr.execute(
            "UPDATE zhongzheng_value_queue"
            " SET queued_at = clock_timestamp() at time zone 'UTC'"
        )
        # a manual run (no cron_id in the context) recomputes at once: in a
        # test, waiting would commit, which raises
        queue._cron_process()
        self.assertEqual(self._queued(customer), 0)
        self.assertEqual(customer.sale_count_total, 1)

    def test_a_burst_of_confirmations_wakes_the_cron_workers_once(self):
        """Each confirmation makes the queue's cron due (a trigger row: Odoo
        keeps those made after a run began), but only the first of a burst
        wakes the cron workers, whose notification costs a connection of its
        own. Once a run has begun, or when the last wake-up is old (no
        worker may have heard it), the next confirmation wakes them again."""
        cron = self.env.ref("crm_zhongzheng.ir_cron_value_queue").sudo()
        triggers = self.env["ir.cron.trigger"].sudo()
        triggers.search([("cron_id", "=", cron.id)]).unlink()
        progress = self.env["ir.cron.progress"].sudo().create({"cron_id": cron.id})

        def wake_ups():
            return sum(
                1
                for callback in self.env.cr.postcommit._funcs
                if getattr(callback, "__name__", "") == "_notifydb"
                and callback.__self__.ids == cron.ids
            )

        def age(triggers_seconds, run_seconds):
            """The cron's triggers made, and its latest run begun, so many
            seconds ago."""
            self.env.flush_all()
            self.env.cr.execute(
                "UPDATE ir_cron_trigger SET call_at = (statement_timestamp()"
                " at time zone 'UTC') - make_interval(secs => %s)"
                " WHERE cron_id = %s",
                [triggers_seconds, cron.id],
            )
            self.env.cr.execute(
                "UPDATE ir_cron_progress SET create_date = (statement_timestamp()"
                " at time zone 'UTC') - make_interval(secs => %s) WHERE id = %s",
                [run_seconds, progress.id],
            )

        age(0, 60)
        before = wake_ups()
        for name in ("Burst Clinic A", "Burst Clinic B", "Burst Clinic C"):
            self._order(self._customer(name), AS_OF, 100)
        self.assertEqual(
            triggers.search_count(
                [("cron_id", "=", cron.id), ("call_at", "<=", datetime.now())]
            ),
            3,
            "every confirmation makes the cron due now",
        )
        self.assertEqual(wake_ups() - before, 1, "one wake-up for the burst")
        age(5, 3)  # a run began after the burst's triggers
        self._order(self._customer("Burst Clinic D"), AS_OF, 100)
        self.assertEqual(wake_ups() - before, 2, "a confirmation after the run began")
        self._order(self._customer("Burst Clinic E"), AS_OF, 100)
        self.assertEqual(wake_ups() - before, 2)
        age(60, 120)  # no run since the last wake-up, a minute ago
        self._order(self._customer("Burst Clinic F"), AS_OF, 100)
        self.assertEqual(wake_ups() - before, 3, "an old wake-up proves nothing")

    def test_updates_in_one_cursor_run_prepared_statements(self):
        """A cron job runs several queue batches in one cursor: from the
        second update on, the engine's statements run prepared, each with
        its own customer and figures."""
        engine = self.env["zhongzheng.value.engine"]
        first = self._customer("Prepared Clinic")
        second = self._customer("Prepared Hospital")
        self._order(first, AS_OF, 100)
        self._order(second, AS_OF, 300)
        engine._recompute(companies=self.company, as_of=AS_OF)

        def prepared():
            self.env.cr.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'zz_%%'"
            )
            return self.env.cr.fetchone()[0]

        # as in a cursor just borrowed (earlier tests share this one)
        self.env.cr.execute("DEALLOCATE ALL")
        self.env.cr.__dict__.pop("_zz_prepared", None)
        before = prepared()
        for customer, price in ((first, 50), (second, 70), (first, 30)):
            self._order(customer, AS_OF, price)
            engine._recompute_partners(self.company, [customer.id], as_of=AS_OF)
        self.assertGreater(prepared(), before, "the repeated statements are prepared")
        self.assertEqual(first.sale_count_total, 3)
        self.assertEqual(first.revenue_total, 180.0)
        self.assertEqual(second.sale_count_total, 2)
        self.assertEqual(second.revenue_total, 370.0)
        self.assertTrue(first.rfm_segment_id and second.rfm_segment_id)

    def test_recompute_now_recomputes_the_clicked_customer(self):
        """The form reloads after the click: its figures are already new."""
        customer = self._customer("Button Clinic")
        self._order(customer, AS_OF, 100)
        self.env["zhongzheng.value.queue"].search([]).unlink()
        with self.assertRaises(AccessError):
            customer.with_user(self.crm_user).action_recompute_value()
        self.assertFalse(customer.sale_count_total)
        result = customer.with_user(self.crm_manager).action_recompute_value()
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(self._queued(customer), 0)
        self.assertEqual(customer.sale_count_total, 1)
        self.assertEqual(customer.revenue_total, 100.0)

    def test_recompute_now_on_many_customers_queues_them(self):
        customers = self.env["res.partner"]
        for number in range(INLINE_RECOMPUTE + 1):
            customers |= self._customer(f"Bulk Clinic {number}")
        self._order(customers[0], AS_OF, 100)
        self.env["zhongzheng.value.queue"].search([]).unlink()
        customers.with_user(self.crm_manager).action_recompute_value()
        self.assertEqual(
            sum(self._queued(customer) for customer in customers), len(customers)
        )
        self.assertFalse(customers[0].sale_count_total, "left to the job")

    def _hold_figures_lock(self, company):
        """Another connection holding the company's figures lock."""
        other = sql_db.db_connect(self.env.cr.dbname).cursor()
        self.addCleanup(other.close)
        other.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, company.id]
        )
        self.env.cr.execute("SET LOCAL lock_timeout = '300ms'")

    def test_recomputes_of_a_company_wait_for_each_other(self):
        """Two recomputes of one company never overlap (the nightly one and
        a manager's, a queue batch on another node): the second waits."""
        customer = self._customer("Lock Clinic")
        self._order(customer, AS_OF, 100)
        self._hold_figures_lock(self.company)
        with (
            self.assertRaises(psycopg2.errors.LockNotAvailable),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.engine._recompute_partners(self.company, customer.ids)
        other_company = self.env.ref("base.main_company")
        self.engine._recompute_partners(other_company, customer.ids)

    def test_confirming_never_waits_for_a_recompute(self):
        customer = self._customer("Busy Clinic")
        order = self._order(customer, AS_OF, 100, confirm=False)
        self._hold_figures_lock(self.company)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(self._queued(customer), 1)


@tagged("post_install", "-at_install")
class TestValueAccess(ValueCase):
    def test_users_see_scores_managers_see_margins(self):
        customer = self._customer("Access Hospital")
        self._order(customer, AS_OF, 100)
        self._recompute()
        as_user = customer.with_user(self.crm_user)
        self.assertEqual(as_user.revenue_total, 100.0)
        self.assertTrue(as_user.value_score > 0)
        self.assertTrue(as_user.rfm_segment_id)
        for field in ("margin_window", "cost_to_serve", "clv_value"):
            with self.assertRaises(AccessError, msg=field):
                as_user.read([field])
        self.assertEqual(customer.with_user(self.crm_manager).margin_total, 40.0)

    def test_fits_and_weights_are_for_managers(self):
        Fit = self.env["zhongzheng.clv.fit"]
        with self.assertRaises(AccessError):
            Fit.with_user(self.crm_user).search([])
        with self.assertRaises(AccessError):
            Fit.with_user(self.crm_user).create({"company_id": self.company.id})
        Fit.with_user(self.crm_manager).search([])
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(self.crm_user).create(
                {"value_weight_current": 50}
            )
        with self.assertRaises(AccessError):
            self.env["zhongzheng.rfm.segment"].with_user(self.crm_user).create(
                {"name": "Mine"}
            )

    def test_manager_sets_weights_bad_values_change_nothing(self):
        Settings = self.env["zhongzheng.value.settings"]
        form = Settings.with_user(self.crm_manager).create({})
        self.assertEqual(form.value_weight_current, 35.0)
        form.write({"value_weight_current": 50.0, "abc_a_share": 70.0})
        form.action_save()
        self.assertEqual(self.company.value_weight_current, 50.0)
        self.assertEqual(self.company.abc_a_share, 70.0)
        bad = Settings.with_user(self.crm_manager).create({})
        bad.write({"abc_a_share": 99.0, "abc_b_share": 90.0, "value_window_days": 10})
        with self.assertRaises(ValidationError):
            bad.action_save()
        self.assertEqual(self.company.value_window_days, 365)
        self.assertEqual(self.company.abc_a_share, 70.0)
        with self.assertRaises(AccessError):
            Settings.with_user(self.crm_user).create({})

    def test_crm_user_cannot_change_value_settings(self):
        user = new_test_user(
            self.env,
            login="zz_settings_crm_user",
            groups="base.group_user,crm_zhongzheng.group_crm_user",
            company_ids=[(6, 0, self.company.ids)],
            company_id=self.company.id,
        )
        form = self.env["zhongzheng.value.settings"].with_user(self.crm_manager)
        form = form.create({"value_weight_current": 50.0})
        with self.assertRaisesRegex(AccessError, "Only CRM managers"):
            form.with_user(user).action_save()
        with self.assertRaises(AccessError):
            self.company.with_user(user).write({"value_weight_current": 50.0})
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(user).create(
                {"value_weight_current": 50.0}
            )
        self.assertEqual(self.company.value_weight_current, 35.0)
        # the form's fields are the company's: same labels, types and choices
        company_fields = self.company.fields_get(["tier_basis", "abc_a_share"])
        form_fields = form.fields_get(["tier_basis", "abc_a_share"])
        for name, description in company_fields.items():
            for attribute in ("string", "type", "help", "selection"):
                self.assertEqual(
                    form_fields[name].get(attribute), description.get(attribute)
                )


@tagged("post_install", "-at_install")
class TestNightly(ValueCase):
    def test_nightly_cron_fits_then_recomputes_everyone_in_batches(self):
        customers = [self._customer(f"Nightly {i}") for i in range(5)]
        for i, customer in enumerate(customers):
            self._order(customer, AS_OF - timedelta(days=i), 100 * (i + 1))
        queue = self.env["zhongzheng.value.queue"]
        queue.search([]).unlink()
        queue._cron_nightly()
        fit = self.env["zhongzheng.clv.fit"].search(
            [("company_id", "=", self.company.id)]
        )
        self.assertEqual(fit.state, "failed", "5 buyers, none repeat: not enough")
        queued = queue.search([("company_id", "=", self.company.id)])
        self.assertEqual(queued.partner_id, self.env["res.partner"].concat(*customers))
        remaining = None
        while remaining != 0:
            done, remaining = queue._process(limit=2)
            self.assertLessEqual(done, 2)
        self.assertEqual([c.sale_count_total for c in customers], [1] * 5)
        self.assertEqual(customers[4].abc_class, "a")
        self.assertTrue(all(c.rfm_segment_id for c in customers))

    def test_no_fit_for_a_company_without_customers(self):
        empty = self.env["res.company"].create({"name": "Empty Co."})
        self.assertFalse(self.env["zhongzheng.clv.fit"]._fit(empty))
