from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import AS_OF, ValueCase


class RelationshipCase(ValueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.platinum = cls.env.ref("crm_zhongzheng.customer_tier_platinum")
        cls.gold = cls.env.ref("crm_zhongzheng.customer_tier_gold")
        cls.iron = cls.env.ref("crm_zhongzheng.customer_tier_iron")

    @classmethod
    def _sell(cls, partner, when, margin):
        """One order whose margin is exactly `margin` (cost is 60 a unit)."""
        return cls._order(partner, when, price=60.0 + margin)

    def _history(self, partner, kind):
        return self.env["zhongzheng.relationship.history"].search(
            [("partner_id", "=", partner.id), ("kind", "=", kind)], order="id"
        )


@tagged("post_install", "-at_install")
class TestTiers(RelationshipCase):
    def _pyramid(self):
        """Margins 500/300/100/50/30/20: cumulative share before each is
        0/50/80/90/95/98 %, so platinum, gold, then iron."""
        customers = []
        for i, margin in enumerate([500, 300, 100, 50, 30, 20]):
            customer = self._customer(f"Pyramid {i}")
            self._sell(customer, AS_OF - timedelta(days=100), margin)
            customers.append(customer)
        return customers

    def test_every_tier_boundary(self):
        customers = self._pyramid()
        losing = self._customer("Below Cost Clinic")
        self._sell(losing, AS_OF - timedelta(days=100), -10)
        newcomer = self._customer("New Hospital")
        self._sell(newcomer, AS_OF - timedelta(days=10), 900)
        self._recompute()
        tiers = [c.tier_id for c in customers]
        self.assertEqual(
            tiers,
            [self.platinum, self.gold, self.iron, self.iron, self.iron, self.iron],
        )
        self.assertEqual(losing.tier_id, self.lead)
        self.assertFalse(newcomer.tier_id, "too short a history: no tier yet")
        self.assertTrue(newcomer.tier_pending)
        self.assertFalse(customers[0].tier_pending)
        entry = self._history(customers[1], "tier")
        self.assertEqual(len(entry), 1)
        self.assertFalse(entry.tier_from_id)
        self.assertEqual(entry.tier_to_id, self.gold)
        self.assertEqual(entry.origin, "auto")
        self.assertIn("cumulative share before 50.0%", entry.figures)

    def test_thresholds_and_basis_are_configurable(self):
        customers = self._pyramid()
        self.platinum.share_limit = 10.0
        self.gold.share_limit = 95.0
        self._recompute()
        self.assertEqual(
            [c.tier_id.code for c in customers],
            ["platinum", "gold", "gold", "gold", "iron", "iron"],
        )
        with self.assertRaises(ValidationError):
            self.gold.share_limit = 0.0

    def test_lead_with_cost_to_serve_and_floor(self):
        customers = self._pyramid()
        self._recompute()
        self.assertEqual(customers[0].tier_id, self.platinum)
        # the service tickets' cost-to-serve (written by the engine) exceeds
        # the margin of the best customer: it costs more than it brings
        self.env["zhongzheng.value.writer"]._write_rows(
            self.company,
            [{"partner_id": customers[0].id, "cost_to_serve": 600.0}],
            ["cost_to_serve"],
        )
        self.company.tier_min_stay_days = 0
        self.engine._rerank(self.company, as_of=AS_OF)
        self.assertEqual(customers[0].tier_id, self.lead)
        self.assertIn(
            "net contribution -100.00", self._history(customers[0], "tier")[-1].figures
        )
        # a floor of 60 makes the two smallest customers lead as well
        self.company.tier_lead_floor = 60.0
        self.engine._rerank(self.company, as_of=AS_OF)
        self.assertEqual(
            [c.tier_id.code for c in customers[3:]], ["lead", "lead", "lead"]
        )


@tagged("post_install", "-at_install")
class TestTierStability(RelationshipCase):
    D1 = AS_OF
    D2 = AS_OF + timedelta(days=120)
    D3 = AS_OF + timedelta(days=240)

    def _three(self):
        a, b, c = (self._customer(n) for n in ("Steady A", "Steady B", "Growing C"))
        for customer, margin in ((a, 500), (b, 300), (c, 200)):
            self._sell(customer, self.D1 - timedelta(days=100), margin)
        self._recompute(as_of=self.D1)
        self.assertEqual(
            (a.tier_id, b.tier_id, c.tier_id), (self.platinum, self.gold, self.iron)
        )
        return a, b, c

    def test_hysteresis_band_keeps_customers_near_a_boundary(self):
        a, b, c = self._three()
        # C grows to 260: B's share before is 47.2% (past the 50% platinum
        # boundary by less than the 5-point band), C's 75.5% (gold by 4.5)
        self._sell(c, self.D2 - timedelta(days=1), 60)
        self._recompute(as_of=self.D2)
        self.assertEqual(
            (a.tier_id, b.tier_id, c.tier_id), (self.platinum, self.gold, self.iron)
        )
        # C grows to 460: its share before falls to 39.7%, far past the band
        self._sell(c, self.D3 - timedelta(days=1), 200)
        self._recompute(as_of=self.D3)
        self.assertEqual(c.tier_id, self.platinum)
        self.assertEqual(b.tier_id, self.gold, "76.2% is within gold's band")
        moves = self._history(c, "tier")
        self.assertEqual(moves.mapped("tier_to_id"), self.iron | self.platinum)
        self.assertEqual(moves[-1].tier_from_id, self.iron)
        self.assertEqual(moves[-1].date, self.D3)
        self.assertEqual(c.tier_since, self.D3)

    def test_minimum_stay(self):
        _a, _b, c = self._three()
        self.company.tier_min_stay_days = 400
        self._sell(c, self.D3 - timedelta(days=1), 260)
        self._recompute(as_of=self.D3)
        self.assertEqual(c.tier_id, self.iron, "240 days in iron is less than 400")
        self.company.tier_min_stay_days = 200
        self._recompute(as_of=self.D3)
        self.assertEqual(c.tier_id, self.platinum)


@tagged("post_install", "-at_install")
class TestOverrides(RelationshipCase):
    def test_override_with_reason_and_expiry(self):
        today = fields.Date.context_today(self.env.user)
        customer = self._customer("Strategic Hospital")
        self._sell(customer, today - timedelta(days=100), 300)
        other = self._customer("Big Distributor")
        self._sell(other, today - timedelta(days=100), 700)  # customer: 70% before
        self._recompute(as_of=today)
        self.assertEqual(customer.tier_id, self.gold)
        Override = self.env["zhongzheng.tier.override"]
        with self.assertRaises(AccessError):
            Override.with_user(self.crm_user).create(
                {"partner_id": customer.id, "tier_id": self.platinum.id, "reason": "x"}
            )
        with self.assertRaises(ValidationError):
            Override.with_user(self.crm_manager).create(
                {"partner_id": customer.id, "tier_id": self.platinum.id, "reason": " "}
            )
        override = Override.with_user(self.crm_manager).create(
            {
                "partner_id": customer.id,
                "tier_id": self.platinum.id,
                "reason": "Provincial tender partner",
                "date_end": today + timedelta(days=30),
            }
        )
        self.assertEqual(customer.tier_id, self.platinum, "applies at once")
        self.assertEqual(customer.tier_override_id, override)
        self.assertEqual(customer.tier_computed_id, self.gold)
        manual = self._history(customer, "tier")[-1]
        self.assertEqual(
            (manual.origin, manual.reason, manual.tier_from_id, manual.tier_to_id),
            ("manual", "Provincial tender partner", self.gold, self.platinum),
        )
        self._recompute(as_of=today + timedelta(days=10))
        self.assertEqual(customer.tier_id, self.platinum, "kept until it expires")
        self._recompute(as_of=today + timedelta(days=31))
        self.assertEqual(customer.tier_id, self.gold, "expired: computed tier again")
        self.assertFalse(override.active)
        self.assertFalse(customer.tier_override_id.active)

    def test_removing_an_override_restores_the_computed_tier(self):
        customer = self._customer("Clinic With Override")
        self._sell(customer, AS_OF - timedelta(days=100), 100)
        self._recompute()
        override = self.env["zhongzheng.tier.override"].create(
            {"partner_id": customer.id, "tier_id": self.lead.id, "reason": "Disputes"}
        )
        self.assertEqual(customer.tier_id, self.lead)
        override.unlink()
        self.assertEqual(customer.tier_id, self.platinum)
        self.assertEqual(self._history(customer, "tier")[-1].origin, "manual")


@tagged("post_install", "-at_install")
class TestClasses(RelationshipCase):
    def _opportunity(self, partner):
        return self.env["crm.lead"].create(
            {
                "name": "Ultrasound tender",
                "type": "opportunity",
                "partner_id": partner.id,
                "company_id": self.company.id,
            }
        )

    def test_each_class_and_transitions_both_ways(self):
        customer = self._customer("Class Journey Hospital")
        day = AS_OF
        opportunity = self._opportunity(customer)
        self._recompute(as_of=day)
        self.assertEqual(customer.relationship_class, "potential")
        opportunity.action_set_lost()
        self._recompute(as_of=day)
        self.assertEqual(customer.relationship_class, "non_customer")
        # first confirmed order: marginal
        self._order(customer, day, 100)
        self._recompute(as_of=day)
        self.assertEqual(customer.relationship_class, "marginal")
        # four orders at most 90 days apart, the last 30 days ago: loyal
        for k in (1, 2, 3):
            self._order(customer, day + timedelta(days=90 * k), 100)
        day += timedelta(days=300)
        self._recompute(as_of=day)
        self.assertEqual(customer.relationship_class, "loyal")
        # 130 days without an order: the gap breaks loyalty
        day += timedelta(days=100)
        self._recompute(as_of=day)
        self.assertEqual(customer.relationship_class, "marginal")
        # more than 180 days: lost
        day += timedelta(days=60)
        self._recompute(as_of=day)
        self.assertEqual(customer.relationship_class, "lost")
        # a win-back order: marginal again
        self._order(customer, day, 100)
        self._recompute(as_of=day)
        self.assertEqual(customer.relationship_class, "marginal")
        classes = self._history(customer, "class")
        self.assertEqual(
            [(h.class_from or False, h.class_to) for h in classes],
            [
                (False, "potential"),
                ("potential", "non_customer"),
                ("non_customer", "marginal"),
                ("marginal", "loyal"),
                ("loyal", "marginal"),
                ("marginal", "lost"),
                ("lost", "marginal"),
            ],
        )
        self.assertIn("longest gap", classes[-1].figures)

    def test_users_read_classes_and_history_managers_configure(self):
        customer = self._customer("Visible Clinic")
        self._order(customer, AS_OF, 100)
        self._recompute()
        as_user = customer.with_user(self.crm_user)
        self.assertEqual(as_user.relationship_class, "marginal")
        self.assertEqual(len(as_user.relationship_history_ids), 1)
        with self.assertRaises(AccessError):
            self.platinum.with_user(self.crm_user).share_limit = 10
        with self.assertRaises(AccessError):
            self.env["zhongzheng.relationship.history"].with_user(self.crm_user).create(
                {"partner_id": customer.id, "kind": "tier"}
            )
        self.platinum.with_user(self.crm_manager).share_limit = 40


@tagged("post_install", "-at_install")
class TestFollowups(RelationshipCase):
    def _activities(self, partner, summary):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("summary", "=", summary),
            ]
        )

    def test_nightly_rule_wins_back_lost_platinum_customers(self):
        lost_big = self._customer("Lost Big Hospital")
        self._sell(lost_big, AS_OF - timedelta(days=300), 900)
        active_small = self._customer("Active Small Clinic")
        self._sell(active_small, AS_OF - timedelta(days=250), 50)
        self._sell(active_small, AS_OF - timedelta(days=10), 50)
        self._recompute()
        self.assertEqual(
            (lost_big.tier_id, lost_big.relationship_class), (self.platinum, "lost")
        )
        rule = self.env.ref("crm_zhongzheng.activity_rule_win_back").copy(
            {"company_id": self.company.id}
        )
        created = rule._apply()
        self.assertEqual(created.mapped("res_id"), [lost_big.id])
        self.assertEqual(
            created.activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual(
            created.date_deadline, fields.Date.context_today(rule) + timedelta(days=3)
        )
        self.assertFalse(rule._apply(), "no second activity while one is open")
        self.assertEqual(len(self._activities(lost_big, "Win-back call")), 1)

    def test_manager_schedules_a_whole_class(self):
        loyal = []
        for i in range(3):
            customer = self._customer(f"Loyal {i}")
            for k in range(5):
                self._order(customer, AS_OF - timedelta(days=30 * k + i), 100)
            loyal.append(customer)
        marginal = self._customer("Occasional Buyer")
        self._order(marginal, AS_OF - timedelta(days=5), 100)
        self._recompute()
        Wizard = self.env["zhongzheng.activity.schedule"]
        with self.assertRaises(AccessError):
            Wizard.with_user(self.crm_user).create({"summary": "Visit"})
        wizard = Wizard.with_user(self.crm_manager).create(
            {"relationship_class": "loyal", "summary": "Thank-you visit"}
        )
        self.assertEqual(wizard.target_count, 3)
        wizard.action_schedule()
        for customer in loyal:
            self.assertEqual(len(self._activities(customer, "Thank-you visit")), 1)
        self.assertFalse(self._activities(marginal, "Thank-you visit"))
        # from a selection in the customer list
        selected = (
            Wizard.with_user(self.crm_manager)
            .with_context(active_model="res.partner", active_ids=[marginal.id])
            .create({"summary": "Catalogue call"})
        )
        self.assertEqual(selected.partner_ids, marginal)
        selected.action_schedule()
        self.assertEqual(len(self._activities(marginal, "Catalogue call")), 1)


@tagged("post_install", "-at_install")
class TestReplay(RelationshipCase):
    def test_replay_builds_a_monthly_history(self):
        today = fields.Date.context_today(self.env.user)
        customer = self._customer("Replayed Hospital")
        for days in (400, 330, 260, 200):
            self._order(customer, today - timedelta(days=days), 100)
        self.engine._replay(companies=self.company, months=12)
        classes = self.env["zhongzheng.relationship.history"].search(
            [("partner_id", "=", customer.id), ("kind", "=", "class")], order="id"
        )
        # bought every ~70 days until 200 days ago, then stopped: loyal, then
        # the gap breaks loyalty, then lost
        self.assertEqual(classes.mapped("class_to")[-3:], ["loyal", "marginal", "lost"])
        self.assertEqual(customer.relationship_class, "lost")
        self.assertTrue(all(h.date < today for h in classes[:-1]))
