"""The follow-up visit's score says who entered it, and one satisfaction
figure combines the ticket ratings and the visit scores, each labelled by
source and by who entered it (issue 19, item 6)."""

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ValueCase, make_user


@tagged("post_install", "-at_install")
class TestSatisfaction(ValueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Hangzhou First Hospital")
        cls.contact = cls.env["res.partner"].create(
            {"name": "Dr. Li", "parent_id": cls.customer.id, "email": "li@example.com"}
        )
        cls.Ticket = cls.env["zhongzheng.service.ticket"]
        cls.visit_type = cls.env.ref("crm_zhongzheng.service_ticket_type_followup")
        cls.closed = cls.env.ref("crm_zhongzheng.service_ticket_stage_closed")
        cls.agent = make_user(
            cls.env,
            "zz_satisfaction_agent",
            "base.group_user",
            "crm_zhongzheng.group_service_user",
            company=cls.company,
        )
        cls.manager = make_user(
            cls.env,
            "zz_satisfaction_manager",
            "base.group_user",
            "crm_zhongzheng.group_service_manager",
            company=cls.company,
        )

    def _visit(self, **vals):
        return self.Ticket.with_user(self.agent).create(
            {
                "name": "Follow-up visit",
                "type_id": self.visit_type.id,
                "partner_id": self.contact.id,
                "company_id": self.company.id,
                **vals,
            }
        )

    def test_a_typed_visit_score_says_who_typed_it(self):
        visit = self._visit()
        self.assertFalse(visit.questionnaire_channel)
        visit.with_user(self.agent).questionnaire_score = 70
        self.assertEqual(visit.questionnaire_channel, "typed")
        self.assertEqual(visit.questionnaire_entered_by_id, self.agent)
        self.assertTrue(visit.questionnaire_date)
        # on create too, by whoever creates it
        typed = self._visit(questionnaire_score=55)
        self.assertEqual(typed.questionnaire_channel, "typed")
        self.assertEqual(typed.questionnaire_entered_by_id, self.agent)
        # the same score sent again (the web client, an import) changes nothing
        visit.with_user(self.manager).write({"questionnaire_score": 70})
        self.assertEqual(visit.questionnaire_entered_by_id, self.agent)

    def test_nobody_writes_who_entered_a_visit_score(self):
        visit = self._visit(questionnaire_score=40)
        for vals in (
            {"questionnaire_entered_by_id": False},
            {"questionnaire_channel": "typed"},
            {"questionnaire_score": 90, "questionnaire_entered_by_id": False},
        ):
            with self.assertRaisesRegex(AccessError, "recorded by the server"):
                visit.with_user(self.manager).write(vals)
        with self.assertRaisesRegex(AccessError, "recorded by the server"):
            self._visit(questionnaire_score=90, questionnaire_entered_by_id=False)
        self.assertEqual(visit.questionnaire_score, 40)
        self.assertEqual(visit.questionnaire_entered_by_id, self.agent)

    def _rate(self, ticket, customer_score, staff_score):
        """The customer's own rating through their token, and one recorded
        by the agent from a call."""
        ticket = ticket.with_env(self.env)
        ticket.stage_id = self.closed
        token = ticket._rating_get_access_token()
        rating = ticket.rating_ids.filtered(lambda r: r.access_token == token)
        ticket._rating_apply_customer(rating, customer_score, None, "email")
        ticket.with_user(self.agent)._record_rating(staff_score)
        self.env.flush_all()

    def _rows(self, user, ticket):
        Report = (
            self.env["zhongzheng.satisfaction.report"]
            .with_user(user)
            .with_context(allowed_company_ids=user.company_ids.ids)
        )
        return Report.search([("ticket_id", "=", ticket.id)])

    def test_one_satisfaction_figure_from_ratings_and_visit_scores(self):
        visit = self._visit(questionnaire_score=70)
        # a 5 from the customer (100), a 2 recorded by staff (25), a visit
        # score typed by the agent (70)
        self._rate(visit, 5, 2)
        rows = self._rows(self.manager, visit)
        labels = sorted(
            (r.source, r.entered, r.entered_by_id, r.channel, r.satisfaction)
            for r in rows
        )
        nobody = self.env["res.users"]
        self.assertEqual(
            labels,
            [
                ("rating", "customer", nobody, "email", 100.0),
                ("rating", "staff", self.agent, "phone", 25.0),
                ("visit", "staff", self.agent, "typed", 70.0),
            ],
        )
        self.assertEqual(rows.mapped("partner_id"), self.customer)
        self.assertEqual(rows.mapped("type_id"), self.visit_type)
        self.assertEqual(rows.mapped("company_id"), self.company)
        [group] = (
            self.env["zhongzheng.satisfaction.report"]
            .with_user(self.manager)
            ._read_group(
                [("ticket_id", "=", visit.id)], [], ["satisfaction:avg", "__count"]
            )
        )
        self.assertAlmostEqual(group[0], (100 + 25 + 70) / 3, places=6)
        self.assertEqual(group[1], 3)
        # the labels read in the user's words
        selection = dict(rows._fields["channel"]._description_selection(self.env))
        self.assertEqual(selection["typed"], "Staff: Typed In")
        self.assertEqual(selection["email"], "Customer: E-mail Link")

    def test_only_service_managers_of_the_company_read_satisfaction(self):
        visit = self._visit(questionnaire_score=80)
        self.env.flush_all()
        self.assertEqual(len(self._rows(self.manager, visit)), 1)
        for user in (self.agent, self.crm_user, self.plain_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self._rows(user, visit)
        # a service manager of another company does not see it
        other = self.env["res.company"].create({"name": "Other Service Co."})
        outsider = make_user(
            self.env,
            "zz_satisfaction_outsider",
            "base.group_user",
            "crm_zhongzheng.group_service_manager",
            company=other,
        )
        self.assertFalse(self._rows(outsider, visit))
