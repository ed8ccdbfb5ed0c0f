from datetime import date, datetime, timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import ValueCase, make_user, table_keys

# the customer's last regular order; it ordered every 30 days for a year
LAST = date(2025, 12, 1)


@tagged("post_install", "-at_install")
class HealthCase(ValueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = make_user(
            cls.env,
            "zz_health_salesperson",
            "base.group_user",
            "sales_team.group_sale_salesman_all_leads",
            "crm_zhongzheng.group_crm_user",
            company=cls.company,
        )
        # an employee who sells, but sees none of the classification
        cls.plain_seller = make_user(
            cls.env,
            "zz_health_plain_seller",
            "base.group_user",
            "sales_team.group_sale_salesman_all_leads",
            company=cls.company,
        )

    def _monthly(self, name, last=LAST, count=13, gap=30, price=1000.0):
        customer = self._customer(name, user_id=self.salesperson.id)
        for k in range(count):
            self._order(customer, last - timedelta(days=gap * k), price)
        return customer

    def _health(self, partner, as_of):
        self._recompute(as_of=as_of, fit_clv=False)
        partner = partner.with_company(self.company)
        return partner.health_status, partner.health_score

    def _signals(self, partner):
        return partner.with_company(self.company).health_signal_ids


class TestHealthSignals(HealthCase):
    def test_broken_rhythm_turns_watch_then_at_risk_before_lost(self):
        customer = self._monthly("Provincial Hospital")
        seen = {}
        # its next order is overdue after 30 days: points from then, all of
        # them at 2.5 gaps (75 days)
        for days in (10, 50, 70, 200):
            status, score = self._health(customer, LAST + timedelta(days=days))
            seen[days] = (status, score, customer.relationship_class)
        self.assertEqual(seen[10][0], "healthy", seen)
        self.assertEqual(seen[50][0], "watch", seen)
        self.assertEqual(seen[70][0], "at_risk", seen)
        # the class still says nothing is wrong when the health warns
        self.assertNotEqual(seen[70][2], "lost")
        self.assertEqual(seen[200][2], "lost")
        self.assertEqual(seen[200][0], "critical", seen)
        rhythm = self._signals(customer).filtered(lambda s: s.signal == "rhythm")
        self.assertEqual((rhythm.value, rhythm.reference), (200, 30))
        self.assertIn("200 days since the last order", rhythm.reason)
        # the changes are in the history, as tier and class changes are
        history = self.env["zhongzheng.relationship.history"].search(
            [("partner_id", "=", customer.id), ("kind", "=", "health")],
            order="date",
        )
        self.assertEqual(
            [(h.health_from, h.health_to) for h in history],
            [("healthy", "watch"), ("watch", "at_risk"), ("at_risk", "critical")],
        )
        moves = (
            self.env["zhongzheng.relationship.migration.report"]
            .with_user(self.crm_user)
            .search([("partner_id", "=", customer.id), ("kind", "=", "health")])
        )
        self.assertEqual(set(moves.mapped("direction")), {"down"})
        # the API tells the same
        profile = (
            self.env["zhongzheng.api"]
            .with_user(self.crm_user)
            .with_context(allowed_company_ids=[self.company.id])
            .customer_profile(customer.id)
        )
        self.assertEqual(profile["health"]["status"], "critical")
        self.assertEqual(profile["health"]["reasons"][0]["signal"], "rhythm")
        # the class turned lost the same day: both moves are in the history
        latest = [
            h for h in profile["history"] if h["date"] == profile["history"][0]["date"]
        ]
        self.assertIn("health", {h["kind"] for h in latest})
        # BI tools poll the changes
        api = self.env["zhongzheng.api"].with_context(
            allowed_company_ids=[self.company.id]
        )
        polled = api.with_user(self.crm_user).health_changes("2000-01-01T00:00:00")
        self.assertEqual(
            [(c["customer"]["id"], c["from"], c["to"]) for c in polled["changes"]],
            [
                (customer.id, "healthy", "watch"),
                (customer.id, "watch", "at_risk"),
                (customer.id, "at_risk", "critical"),
            ],
        )
        self.assertFalse(polled["more"])
        with self.assertRaises(AccessError):
            api.with_user(self.plain_user).health_changes("2000-01-01T00:00:00")

    def test_complaint_and_sla_breach_lower_health_with_reasons(self):
        today = fields.Date.context_today(self.env.user)
        customer = self._monthly("City Clinic", last=today - timedelta(days=5))
        self._recompute(as_of=today, fit_clv=False)
        customer = customer.with_company(self.company)
        self.assertEqual(customer.health_status, "healthy")
        before = customer.health_score
        Ticket = self.env["zhongzheng.service.ticket"]
        ref = self.env.ref
        complaint = Ticket.create(
            {
                "name": "Monitor arrived broken",
                "partner_id": customer.id,
                "company_id": self.company.id,
                "type_id": ref("crm_zhongzheng.service_ticket_type_complaint").id,
            }
        )
        late = Ticket.create(
            {
                "name": "Where is the shipment?",
                "partner_id": customer.id,
                "company_id": self.company.id,
                "type_id": ref("crm_zhongzheng.service_ticket_type_inquiry").id,
            }
        )
        late.sudo().write({"sla_status": "breached"})
        self._recompute(as_of=today, fit_clv=False)
        self.assertLess(customer.health_score, before)
        signals = self._signals(customer)
        self.assertEqual(
            set(signals.mapped("signal")), {"service_claims", "service_sla"}
        )
        self.assertIn("1 complaints or claims open", customer.health_reasons)
        self.assertIn("1 tickets breached their SLA", customer.health_reasons)
        # the reasons are for CRM users, like the health itself
        self.assertTrue(customer.with_user(self.crm_user).health_reasons)
        with self.assertRaises(AccessError):
            customer.with_user(self.plain_user).read(["health_status"])
        with self.assertRaises(AccessError):
            customer.with_user(self.service_user).read(["health_reasons"])

        # the quotation's banner names the complaint
        quotation = self._order(customer, datetime.now(), confirm=False)
        banner = quotation.with_user(self.salesperson)
        self.assertIn(complaint.number, banner.partner_health_warning)
        self.assertEqual(banner.partner_open_issue_ids, complaint)
        plain = quotation.with_user(self.plain_seller)
        self.assertEqual(plain.name, quotation.name)
        with self.assertRaises(AccessError):
            plain.read(["partner_health_warning"])
        # closed, it is no longer announced
        complaint.sudo().write(
            {"stage_id": ref("crm_zhongzheng.service_ticket_stage_resolved").id}
        )
        quotation.invalidate_recordset()
        self.assertFalse(banner.partner_health_warning)


class TestHealthPaths(HealthCase):
    def test_one_customer_alone_and_weights_per_company(self):
        today = fields.Date.context_today(self.env.user)
        lapsed = self._monthly("Lapsed Clinic", last=today - timedelta(days=80))
        steady = self._monthly("Quiet Clinic", last=today - timedelta(days=80))
        self._recompute(as_of=today, fit_clv=False)
        lapsed, steady = (
            lapsed.with_company(self.company),
            steady.with_company(self.company),
        )
        self.assertEqual((lapsed.health_status, steady.health_status), ("at_risk",) * 2)
        kept = self._signals(steady)
        # the incremental path (the queue's): the same statements for one
        self._order(lapsed, datetime.now(), 1000.0)
        self.engine._recompute_partners(self.company, lapsed.ids, rank=False)
        self.assertEqual(lapsed.health_status, "healthy")
        self.assertEqual(lapsed.health_since, today)
        self.assertFalse(self._signals(lapsed).filtered(lambda s: s.signal == "rhythm"))
        self.assertEqual(steady.health_status, "at_risk")
        self.assertEqual(self._signals(steady), kept, "the others' reasons stay")

        # the weights are the company's; bad ones change nothing
        Settings = self.env["zhongzheng.value.settings"].with_user(self.crm_manager)
        with self.assertRaises(ValidationError):
            Settings.create({"health_weight_rhythm": -5.0}).action_save()
        self.assertEqual(self.company.health_weight_rhythm, 40.0)
        with self.assertRaises(ValidationError):
            Settings.create({"health_at_risk_below": 90.0}).action_save()
        Settings.create({"health_weight_rhythm": 0.0}).action_save()
        self._recompute(as_of=today, fit_clv=False)
        self.assertEqual(set(self._signals(steady).mapped("signal")), {"trend"})
        # the trend alone, its weight now 25 / 60 of the points: the last 3
        # months (one order) fell by two thirds against the year before
        self.assertAlmostEqual(
            steady.health_score, 100 - 100 * 25 / 60 * 2 / 3, delta=0.1
        )

    def test_first_pass_inserts_signals_in_bulk_with_the_same_keys(self):
        cr = self.env.cr
        lapsed = self._monthly("Lapsed Clinic", last=LAST - timedelta(days=80))
        self._monthly("Quiet Clinic", last=LAST - timedelta(days=80))
        Signal = self.env["zhongzheng.health.signal"]

        def keys():
            return table_keys(cr, "zhongzheng_health_signal")

        def stored():
            Signal.invalidate_model()
            found = Signal.search([("company_id", "=", self.company.id)])
            return sorted((s.partner_id.id, s.signal, s.points, s.value) for s in found)

        constraints = keys()
        self.assertIn("res_partner(id) ON DELETE CASCADE", str(constraints))
        self._recompute(as_of=LAST, fit_clv=False)
        one_by_one = stored()
        self.assertTrue(
            [row for row in one_by_one if row[0] == lapsed.id and row[1] == "rhythm"]
        )
        # a database's first pass: every signal new, checked at the end
        Signal.search([]).unlink()
        cr.execute("ANALYZE zhongzheng_health_signal")
        health = self.env["zhongzheng.customer.health"].with_context(health_bulk_rows=1)
        cr.execute(
            "DROP TABLE IF EXISTS zz_health_signals;"
            " CREATE TEMP TABLE zz_health_signals AS SELECT 1 AS x"
        )
        self.assertTrue(health._first_fill(self.company), "the bulk path")
        cr.execute("DROP TABLE zz_health_signals")
        self.engine.with_context(health_bulk_rows=1)._recompute(
            companies=self.company, as_of=LAST, fit_clv=False
        )
        self.assertEqual(stored(), one_by_one)
        self.assertEqual(keys(), constraints, "the same keys and indexes again")
        # a later pass is no first fill: the usual checks
        cr.execute(
            "DROP TABLE IF EXISTS zz_health_signals;"
            " CREATE TEMP TABLE zz_health_signals AS SELECT 1 AS x"
        )
        self.assertFalse(health._first_fill(self.company))
        cr.execute("DROP TABLE zz_health_signals")

    def test_a_first_passs_health_history_goes_in_with_the_tiers(self):
        """In bulk, a full pass holds its health changes for its history
        step, which inserts them with the tiers' and classes' in one bulk
        load: the same history as row by row, also over a replay's passes in
        one transaction (no month's rows lost or written twice)."""
        cr = self.env.cr
        today = fields.Date.context_today(self.env.user)
        self._monthly("Lapsed Clinic", last=today - timedelta(days=80))
        self._monthly("Quiet Clinic", last=today - timedelta(days=80))
        self._monthly("Steady Clinic", last=today - timedelta(days=5))
        History = self.env["zhongzheng.relationship.history"]

        def history():
            History.invalidate_model()
            return sorted(
                (
                    h.partner_id.id,
                    h.date,
                    h.kind,
                    h.tier_to_id.id,
                    h.class_to or "",
                    h.health_to or "",
                    h.figures or "",
                    h.user_id.id,
                )
                for h in History.search([("company_id", "=", self.company.id)])
            )

        def from_scratch(engine):
            self._forget_figures()
            # an empty table: any pass's rows are a first fill
            cr.execute(
                "DELETE FROM zhongzheng_relationship_history;"
                " DELETE FROM zhongzheng_health_signal;"
                " ANALYZE zhongzheng_relationship_history"
            )
            self.env.invalidate_all()
            engine._replay(companies=self.company, months=3)
            return history()

        keys = table_keys(cr, "zhongzheng_relationship_history")
        one_by_one = from_scratch(self.engine)
        self.assertIn("at_risk", {row[5] for row in one_by_one if row[2] == "health"})
        self.assertGreater(len({row[1] for row in one_by_one}), 1, "several months")
        bulk = self.engine.with_context(history_bulk_rows=1)
        self.assertEqual(from_scratch(bulk), one_by_one)
        self.assertEqual(table_keys(cr, "zhongzheng_relationship_history"), keys)


class TestHealthAlerts(HealthCase):
    def _rules(self):
        health = self.env.ref("crm_zhongzheng.activity_rule_health_alert").copy(
            {"company_id": self.company.id}
        )
        review = self.env["zhongzheng.activity.rule"].create(
            {
                "name": "Review every platinum customer",
                "company_id": self.company.id,
                "tier_ids": [
                    Command.set(
                        self.env.ref("crm_zhongzheng.customer_tier_platinum").ids
                    )
                ],
                "summary": "Account review",
                "sequence": 50,
            }
        )
        return health, review

    def _activities(self, partner):
        return self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", partner.id)]
        )

    def test_one_activity_per_episode_and_one_cap_across_rules(self):
        customer = self._monthly("Provincial Hospital")
        self._health(customer, LAST + timedelta(days=95))
        self.assertEqual(customer.with_company(self.company).tier_id.code, "platinum")
        health, review = self._rules()
        Rule = self.env["zhongzheng.activity.rule"]
        Alert = self.env["zhongzheng.customer.alert"]
        rules = Rule.search([("company_id", "=", self.company.id)])
        self.assertIn(health, rules)
        rules._apply()
        [activity] = self._activities(customer)
        self.assertEqual(activity.summary, health.summary)
        self.assertEqual(activity.user_id, self.salesperson)
        self.assertIn("Order Rhythm", str(activity.note))
        self.assertIn("95 days since the last order", str(activity.note))
        # the reasons change while the episode is open: its one activity
        # says so, no second one
        self._health(customer, LAST + timedelta(days=100))
        Alert._close_episodes()
        self.assertEqual(self._activities(customer), activity)
        self.assertIn("100 days since the last order", str(activity.note))
        self.assertNotIn("95 days", str(activity.note))
        # the review rule matches too, but the weekly cap holds across rules
        self.assertFalse(rules._apply())
        activity.action_feedback(feedback="Called: new tender next month")
        self.assertFalse(rules._apply(), "still the same episode, and capped")
        [alert] = Alert.search([("partner_id", "=", customer.id)])
        alert.date = fields.Date.context_today(alert) - timedelta(days=8)
        self.assertFalse(health._apply(), "the episode is open")
        created = review._apply()
        self.assertEqual(created.summary, "Account review", "the cap is over")

        # it orders again: the episode ends after 30 healthy days
        for days in (100, 130):
            self._order(customer, LAST + timedelta(days=days), 1000.0)
        status, _score = self._health(customer, LAST + timedelta(days=131))
        self.assertIn(status, ("healthy", "watch"))
        Alert._close_episodes()
        self.assertTrue(alert.episode_open)
        self.assertTrue(alert.date_recovered)
        alert.date_recovered = fields.Date.context_today(alert) - timedelta(days=30)
        Alert.search([]).write(
            {"date": fields.Date.context_today(alert) - timedelta(days=8)}
        )
        Alert._close_episodes()
        self.assertFalse(alert.episode_open)
        # at risk again: a new episode, a new activity
        self._health(customer, LAST + timedelta(days=130 + 95))
        created = health._apply()
        self.assertEqual(created.res_id, customer.id)
        self.assertEqual(created.summary, health.summary)

    def test_weekly_digest_lists_customers_that_turned_at_risk(self):
        today = fields.Date.context_today(self.env.user)
        customer = self._monthly("Lakeside Hospital", last=today - timedelta(days=80))
        self._recompute(as_of=today - timedelta(days=40), fit_clv=False)
        self._recompute(as_of=today, fit_clv=False)
        self.assertEqual(customer.with_company(self.company).health_status, "at_risk")
        self.crm_manager.write(
            {
                "email": "manager@example.com",
                "company_ids": [Command.link(self.company.id)],
            }
        )
        rows = self.env["zhongzheng.customer.alert"]._health_digest_rows(self.company)
        self.assertEqual([row["name"] for row in rows], ["Lakeside Hospital"])
        self.assertEqual(rows[0]["revenue"], 10000.0, "10 orders in 365 days")
        mails = self.env["mail.mail"].search([])
        self.assertTrue(self.env["zhongzheng.customer.alert"]._cron_health_digest())
        # one mail per company with customers that turned at risk: ours
        mail = (self.env["mail.mail"].search([]) - mails).filtered(
            lambda m: self.company.name in m.subject
        )
        self.assertIn("Lakeside Hospital", mail.body_html)
        self.assertIn(self.crm_manager.partner_id, mail.recipient_ids)


class TestHealthBacktest(HealthCase):
    def test_backtest_from_real_orders_against_the_baseline(self):
        as_of = date(2025, 6, 30)
        self._monthly("Always Buys", last=date(2026, 6, 20), count=25)
        # stopped 120 days before the date: both flag it; churned
        self._monthly("Stopped Early", last=as_of - timedelta(days=120))
        # ordered every 20 days, stopped 70 days before: only health flags it
        self._monthly("Broke Its Rhythm", last=as_of - timedelta(days=70), gap=20)
        # stopped right after its last order before the date: nobody could know
        self._monthly("Sudden Stop", last=as_of - timedelta(days=5))
        Backtest = self.env["zhongzheng.health.backtest"]
        with self.assertRaises(AccessError):
            Backtest.with_user(self.crm_user).create({"as_of_date": as_of})
        backtest = Backtest.with_user(self.crm_manager).create(
            {"as_of_date": as_of, "company_id": self.company.id}
        )
        backtest.action_run()
        figures = backtest.read(
            [
                "customer_count",
                "churned_count",
                "flagged_count",
                "hit_count",
                "recall",
                "precision",
                "baseline_recall",
                "baseline_precision",
                "warning_days",
                "baseline_warning_days",
                "complete",
            ]
        )[0]
        del figures["id"]
        self.assertEqual(
            figures,
            {
                "customer_count": 4,
                "churned_count": 3,
                "flagged_count": 2,
                "hit_count": 2,
                "recall": 66.7,
                "precision": 100.0,
                "baseline_recall": 33.3,
                "baseline_precision": 100.0,
                # 180 - 120 and 180 - 70 days before the class would say lost
                "warning_days": 85.0,
                "baseline_warning_days": 60.0,
                "complete": True,
            },
        )
        self.assertIn("Left out", backtest.signals_note)
