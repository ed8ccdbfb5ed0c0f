from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .test_relationship import RelationshipCase


@tagged("post_install", "-at_install")
class TestCareRules(RelationshipCase):
    """Customer care on the calendar: rules of the follow-up engine that
    fire some days before a date that matters to a key customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.big = cls._customer("Care Big Hospital")
        cls.small = cls._customer("Care Small Clinic")
        # older than the tiers' minimum history; orders every 30 days
        for days in (130, 100, 70, 40, 10):
            cls._sell(cls.big, cls.today - timedelta(days=days), 900)
        cls._sell(cls.small, cls.today - timedelta(days=120), 50)
        cls.engine._recompute(companies=cls.company, as_of=cls.today)
        cls.birthday_rule = cls.env.ref(
            "crm_zhongzheng.activity_rule_care_birthday"
        ).copy(
            {
                "company_id": cls.company.id,
                "tier_ids": [fields.Command.set(cls.platinum.ids)],
            }
        )

    def _contact(self, parent, name, days_ahead):
        return self.env["res.partner"].create(
            {
                "name": name,
                "parent_id": parent.id,
                "birthday": self.today + relativedelta(days=days_ahead, years=-40),
            }
        )

    def _rule_activities(self, partner, rule):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                ("summary", "=", rule.summary),
            ]
        )

    def test_birthday_gives_one_activity_per_customer_and_date(self):
        self.assertEqual(self.big.tier_id, self.platinum)
        self.assertNotEqual(self.small.tier_id, self.platinum)
        self._contact(self.big, "Zhang Wei", 4)
        self._contact(self.small, "Li Na", 2)
        self._contact(self.big, "Far Birthday", 30)
        created = self.birthday_rule._apply()
        self.assertEqual(created.mapped("res_id"), [self.big.id])
        self.assertEqual(created.date_deadline, self.today + timedelta(days=4))
        self.assertIn("Birthday of Zhang Wei", created.note)
        self.assertFalse(self.birthday_rule._apply(), "one activity per date")
        created.action_feedback("Flowers sent")
        self.assertFalse(
            self.birthday_rule._apply(), "a done activity is not given again"
        )
        self.assertFalse(self._rule_activities(self.small, self.birthday_rule))

    def test_the_per_customer_cap_holds_across_rules(self):
        self._contact(self.big, "Zhang Wei", 3)
        win_back = self.env.ref("crm_zhongzheng.activity_rule_win_back").copy(
            {
                "company_id": self.company.id,
                "relationship_class": False,
                "tier_ids": [fields.Command.set(self.platinum.ids)],
                "summary": "Quarterly review",
            }
        )
        self.assertEqual(win_back._apply().mapped("res_id"), [self.big.id])
        self.assertFalse(
            self.birthday_rule._apply(),
            "at most one automatic activity per customer in the cap days",
        )

    def test_expected_next_order_and_a_certificate_expiry(self):
        # orders every 30 days, the last 10 days ago: the next one in 20
        next_order = self.birthday_rule.copy(
            {"care_date": "next_order", "days_before": 25, "summary": "Call ahead"}
        )
        created = next_order._apply()
        self.assertEqual(created.mapped("res_id"), [self.big.id])
        self.assertEqual(created.date_deadline, self.today + timedelta(days=20))
        self.assertIn("every 30 days", created.note)
        self.assertFalse(
            next_order.copy({"days_before": 15})._apply(),
            "20 days ahead is beyond 15 days before",
        )

        self.env["zhongzheng.customer.alert"].search(
            [("partner_id", "=", self.big.id)]
        ).date -= timedelta(days=30)  # the cap has passed
        self.big.registration_expiry_date = self.today + timedelta(days=10)
        expiry = self.birthday_rule.copy(
            {
                "care_date": "field",
                "date_field_id": self.env["ir.model.fields"]
                ._get("res.partner", "registration_expiry_date")
                .id,
                "days_before": 30,
                "summary": "Renewal of the certificate",
            }
        )
        created = expiry._apply()
        self.assertEqual(created.date_deadline, self.today + timedelta(days=10))
        self.assertIn("Registration Certificate Expiry", created.note)

    def test_bad_care_rules_are_refused(self):
        rule = self.birthday_rule
        with self.assertRaises(ValidationError):
            rule.days_before = -1
        with self.assertRaises(ValidationError):
            rule.write({"care_date": "field", "date_field_id": False})
        name_field = self.env["ir.model.fields"]._get("res.partner", "name")
        with self.assertRaises(ValidationError):
            rule.write({"care_date": "field", "date_field_id": name_field.id})
        with self.assertRaises(ValidationError):
            rule.health_trigger = "at_risk"
        self.assertEqual((rule.care_date, rule.days_before), ("birthday", 7))
        with self.assertRaises(AccessError):
            rule.with_user(self.crm_user).days_before = 3
