import re
import xmlrpc.client

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.crm_zhongzheng.tests.common import make_user

SERVICE_USER = "crm_zhongzheng.group_service_user"
SERVICE_MANAGER = "crm_zhongzheng.group_service_manager"


@tagged("post_install", "-at_install")
class TestVisitSurvey(HttpCase):
    """The follow-up visit's questionnaire is the company's Odoo survey: the
    customer answers it through their token link, or staff with them at the
    visit; the completed answer's scale answers give the visit score, marked
    by who entered it, and no typed score replaces it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.survey = cls.env.ref("crm_zhongzheng_survey.survey_followup_visit")
        cls.questions = cls.survey.question_ids.sorted("sequence")
        cls.hospital = cls.env["res.partner"].create(
            {"name": "Xiamen Heart Hospital", "is_company": True}
        )
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Dr. Zhou",
                "parent_id": cls.hospital.id,
                "email": "zhou@example.com",
            }
        )
        cls.agent = make_user(
            cls.env, "zz_survey_agent", "base.group_user", SERVICE_USER
        )
        cls.outsider = make_user(
            cls.env,
            "zz_survey_outsider",
            "base.group_user",
            SERVICE_USER,
            "survey.group_survey_user",
        )
        cls.manager = make_user(
            cls.env, "zz_survey_manager", "base.group_user", SERVICE_MANAGER
        )
        cls.team = cls.env["zhongzheng.service.team"].create(
            {"name": "Visits", "alias_name": "zz-survey-visits"}
        )
        cls.team.member_ids = [Command.set(cls.agent.ids)]
        cls.other_team = cls.env["zhongzheng.service.team"].create(
            {"name": "Elsewhere", "alias_name": "zz-survey-elsewhere"}
        )
        cls.other_team.member_ids = [Command.set(cls.outsider.ids)]

    def _visit(self):
        return self.env["zhongzheng.service.ticket"].create(
            {
                "name": "Follow-up visit after delivery",
                "type_id": self.env.ref(
                    "crm_zhongzheng.service_ticket_type_followup"
                ).id,
                "partner_id": self.contact.id,
                "team_id": self.team.id,
            }
        )

    def _answer_in_browser(self, url, values):
        """Open the survey at `url` and submit its one page with `values`
        (one per question, in order), as the session's user would."""
        survey_token, answer_token = (
            self.survey.access_token,
            re.search(r"answer_token=([\w-]+)", url).group(1),
        )
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200)
        page = self.url_open(f"/survey/{survey_token}/{answer_token}")
        csrf = re.search(r'csrf_token.+value="([a-f0-9]{40}o[0-9]*)"', page.text)
        base = self.survey.get_base_url()
        self.opener.post(f"{base}/survey/begin/{survey_token}/{answer_token}", json={})
        post = {str(q.id): str(v) for q, v in zip(self.questions, values, strict=True)}
        post.update(csrf_token=csrf.group(1), token=answer_token, button_submit="next")
        response = self.opener.post(
            f"{base}/survey/submit/{survey_token}/{answer_token}",
            json={"params": post},
        )
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("error", response.json())

    def _outsider_rpc(self, model, method, *args):
        db, login = self.env.cr.dbname, "zz_survey_outsider"
        uid = self.xmlrpc_common.authenticate(db, login, login, {})
        return self.xmlrpc_object.execute_kw(db, uid, login, model, method, list(args))

    def test_the_company_uses_the_default_questionnaire(self):
        self.assertEqual(self.env.company.followup_survey_id, self.survey)
        self.assertEqual(
            self.questions.mapped("question_type"), ["scale"] * 5, "five scales"
        )
        self.assertEqual(self.survey.access_mode, "token")
        self.assertFalse(self.survey.users_login_required)

    def test_the_customer_answers_by_their_link(self):
        visit = self._visit()
        action = visit.with_user(self.agent).action_send_questionnaire()
        self.assertEqual(action["params"]["type"], "success")
        answer = visit.survey_answer_id
        self.assertEqual(answer.partner_id, self.contact)
        self.assertEqual(answer.zz_ticket_id, visit)
        self.assertFalse(answer.zz_entered_by_id)
        mail = self.env["mail.mail"].search(
            [("recipient_ids", "in", self.contact.ids)], order="id desc", limit=1
        )
        self.assertIn(answer.access_token, str(mail.body_html), "the token link")
        self.assertFalse(visit.questionnaire_channel, "no score before an answer")
        # the customer, not logged in, answers 5 4 4 3 5 on scales 1-5:
        # (4 + 3 + 3 + 2 + 4) / 4 / 5 * 100 = 80
        self._answer_in_browser(answer.get_start_url(), (5, 4, 4, 3, 5))
        visit.invalidate_recordset()
        answer.invalidate_recordset()
        self.assertEqual(answer.state, "done")
        self.assertEqual(visit.survey_answer_state, "done")
        self.assertEqual(visit.questionnaire_score, 80.0)
        self.assertEqual(visit.questionnaire_channel, "survey_customer")
        self.assertFalse(visit.questionnaire_entered_by_id, "the customer's own")

    def test_staff_answer_with_the_customer_at_the_visit(self):
        visit = self._visit()
        action = visit.with_user(self.agent).action_answer_questionnaire()
        self.assertEqual(action["type"], "ir.actions.act_url")
        answer = visit.survey_answer_id
        self.assertEqual(answer.zz_entered_by_id, self.agent)
        # pressed again: the same answer, not a second one
        again = visit.with_user(self.agent).action_answer_questionnaire()
        self.assertEqual(again["url"], action["url"])
        self.authenticate("zz_survey_agent", "zz_survey_agent")
        # 2 2 3 1 2: (1 + 1 + 2 + 0 + 1) / 4 / 5 * 100 = 25
        self._answer_in_browser(action["url"], (2, 2, 3, 1, 2))
        visit.invalidate_recordset()
        self.assertEqual(visit.questionnaire_score, 25.0)
        self.assertEqual(visit.questionnaire_channel, "survey_staff")
        self.assertEqual(visit.questionnaire_entered_by_id, self.agent)
        # the survey's score stands: a typed one is refused, nothing changes
        with self.assertRaisesRegex(UserError, "completed questionnaire"):
            visit.with_user(self.agent).write({"questionnaire_score": 90})
        with self.assertRaisesRegex(UserError, "completed questionnaire"):
            visit.with_user(self.manager).write({"questionnaire_score": 90})
        visit.invalidate_recordset()
        self.assertEqual(visit.questionnaire_score, 25.0)
        self.assertEqual(visit.questionnaire_channel, "survey_staff")
        # the satisfaction analysis has the survey's row, labelled
        self.env.flush_all()
        [row] = (
            self.env["zhongzheng.satisfaction.report"]
            .with_user(self.manager)
            .search([("ticket_id", "=", visit.id), ("source", "=", "visit")])
        )
        self.assertEqual(
            (row.satisfaction, row.entered, row.entered_by_id, row.channel),
            (25.0, "staff", self.agent, "survey_staff"),
        )

    def test_a_customer_answer_reads_as_the_customers_in_the_analysis(self):
        visit = self._visit()
        answer = self.survey.sudo()._create_answer(
            partner=self.contact, check_attempts=False, zz_ticket_id=visit.id
        )
        for question, value in zip(self.questions, (5, 5, 5, 5, 4), strict=True):
            answer._save_lines(question, str(value))
        answer._mark_done()
        self.env.flush_all()
        [row] = (
            self.env["zhongzheng.satisfaction.report"]
            .with_user(self.manager)
            .search([("ticket_id", "=", visit.id)])
        )
        self.assertEqual(
            (row.source, row.satisfaction, row.entered, row.channel),
            ("visit", 95.0, "customer", "survey_customer"),
        )
        self.assertFalse(row.entered_by_id)

    def test_only_the_tickets_service_users_link_an_answer(self):
        visit = self._visit()
        # the other team's user (a survey user too) cannot send or answer it
        with self.assertRaises(AccessError):
            visit.with_user(self.outsider).action_send_questionnaire()
        with self.assertRaises(AccessError):
            visit.with_user(self.outsider).action_answer_questionnaire()
        self.assertFalse(visit.survey_answer_ids)
        # over RPC: nor link an answer of their own to it
        with self.assertRaisesRegex(xmlrpc.client.Fault, "linked to a service ticket"):
            self._outsider_rpc(
                "survey.user_input",
                "create",
                {"survey_id": self.survey.id, "zz_ticket_id": visit.id},
            )
        own = self.survey.with_user(self.outsider)._create_answer(
            partner=self.contact, check_attempts=False
        )
        with self.assertRaisesRegex(xmlrpc.client.Fault, "linked to a service ticket"):
            self._outsider_rpc(
                "survey.user_input", "write", own.ids, {"zz_ticket_id": visit.id}
            )
        with self.assertRaisesRegex(xmlrpc.client.Fault, "'write' access to"):
            self._outsider_rpc(
                "zhongzheng.service.ticket", "action_send_questionnaire", visit.ids
            )
        visit.invalidate_recordset()
        self.assertFalse(visit.survey_answer_ids)
        # the agent of the ticket's team reads its answers, not others'
        visit.with_user(self.agent).action_send_questionnaire()
        Answer = self.env["survey.user_input"].with_user(self.agent)
        answers = visit.survey_answer_ids
        self.assertTrue(answers)
        self.assertEqual(Answer.search([("id", "in", (answers | own).ids)]), answers)
        # a portal user or the public reads no answer at all
        public = self.env.ref("base.public_user")
        with self.assertRaises(AccessError):
            self.env["survey.user_input"].with_user(public).search([])

    def test_the_demo_visits_have_a_survey_score(self):
        if not self.env.ref("crm_zhongzheng.res_company_zhongzheng_demo", False):
            self.skipTest("without the demo")
        visits = self.env["zhongzheng.service.ticket"].search(
            [
                ("type_id.code", "=", "followup"),
                ("survey_answer_ids.state", "=", "done"),
            ]
        )
        self.assertTrue(visits)
        for visit in visits:
            self.assertEqual(visit.questionnaire_score, 80.0)
            self.assertEqual(visit.questionnaire_channel, "survey_customer")
        self.env.flush_all()
        rows = self.env["zhongzheng.satisfaction.report"].search(
            [("ticket_id", "in", visits.ids), ("source", "=", "visit")]
        )
        self.assertEqual(set(rows.mapped("satisfaction")), {80.0})
        self.assertEqual(set(rows.mapped("entered")), {"customer"})

    def test_a_questionnaire_needs_a_visit_and_an_address(self):
        visit = self._visit()
        visit.partner_id = self.env["res.partner"].create(
            {"name": "Nurse Wu", "parent_id": self.hospital.id}
        )
        with self.assertRaisesRegex(UserError, "no e-mail address"):
            visit.with_user(self.agent).action_send_questionnaire()
        inquiry = self._visit()
        inquiry.type_id = self.env.ref("crm_zhongzheng.service_ticket_type_inquiry")
        with self.assertRaisesRegex(UserError, "Only a follow-up visit"):
            inquiry.with_user(self.agent).action_answer_questionnaire()
        self.env.company.followup_survey_id = False
        other = self._visit()
        with self.assertRaisesRegex(UserError, "in the settings first"):
            other.with_user(self.agent).action_send_questionnaire()
        self.assertFalse((visit | inquiry | other).survey_answer_ids)
