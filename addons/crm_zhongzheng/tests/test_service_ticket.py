from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import ZhongzhengCase

INCOMING = """Return-Path: <li.wei@ruijin-hospital.example>
To: service@zhongzheng.example
From: Li Wei <li.wei@ruijin-hospital.example>
Subject: {subject}
Message-ID: <{msgid}@ruijin-hospital.example>
{extra}MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

{body}
"""


@tagged("post_install", "-at_install")
class TestServiceTicket(ZhongzhengCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Ticket = cls.env["zhongzheng.service.ticket"]
        cls.customer = cls.env["res.partner"].create(
            {"name": "Ruijin Hospital", "is_company": True}
        )
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Li Wei",
                "parent_id": cls.customer.id,
                "email": "li.wei@ruijin-hospital.example",
            }
        )
        cls.team = cls.env["zhongzheng.service.team"].create(
            {"name": "Shanghai Service", "member_ids": [cls.service_user.id]}
        )
        cls.other_team = cls.env["zhongzheng.service.team"].create(
            {"name": "Export Service"}
        )
        cls.closed = cls.env.ref("crm_zhongzheng.service_ticket_stage_closed")

    def _receive(self, subject, msgid, body, extra=""):
        """Li Wei's e-mail to the team's alias, through the mail gateway."""
        raw = INCOMING.format(subject=subject, msgid=msgid, extra=extra, body=body)
        raw = raw.replace("service@zhongzheng.example", self.team.alias_email)
        return self.env["mail.thread"].message_process(False, raw)

    def test_number_customer_and_contact(self):
        ticket = self.Ticket.create(
            {"name": "Where is my order?", "partner_id": self.contact.id}
        )
        self.assertRegex(ticket.number, r"^ST/\d{4}/\d{5}$")
        self.assertEqual(ticket.commercial_partner_id, self.customer)
        self.assertEqual(ticket.email_from, "li.wei@ruijin-hospital.example")
        self.assertEqual(
            ticket.stage_id, self.env.ref("crm_zhongzheng.service_ticket_stage_new")
        )
        self.assertIn(ticket.number, ticket.display_name)

    def test_closed_ticket_changes_after_a_manager_reopens_it(self):
        ticket = self.Ticket.with_user(self.service_user).create(
            {
                "name": "Gloves box count",
                "partner_id": self.contact.id,
                "team_id": self.team.id,
            }
        )
        ticket.stage_id = self.closed
        self.assertTrue(ticket.date_closed)
        with self.assertRaisesRegex(UserError, "is closed"):
            ticket.name = "Changed after closing"
        in_progress = self.env.ref("crm_zhongzheng.service_ticket_stage_in_progress")
        with self.assertRaises(AccessError):
            ticket.stage_id = in_progress
        with self.assertRaises(AccessError):
            ticket.action_reopen()
        as_manager = ticket.with_user(self.service_manager)
        as_manager.action_reopen()
        self.assertFalse(ticket.is_closed)
        self.assertFalse(ticket.date_closed)
        ticket.name = "Editable again"

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_email_to_team_alias_opens_a_ticket_and_replies_thread(self):
        domain = self.env["mail.alias.domain"].create({"name": "zhongzheng.example"})
        self.team.write(
            {"alias_name": "shanghai-service", "alias_domain_id": domain.id}
        )
        self.assertEqual(self.team.alias_email, "shanghai-service@zhongzheng.example")
        ticket_id = self._receive(
            subject="Infusion pumps arrived damaged",
            msgid="first",
            body="Two of the ten infusion pumps have cracked housings.",
        )
        ticket = self.Ticket.browse(ticket_id)
        self.assertEqual(ticket.name, "Infusion pumps arrived damaged")
        self.assertEqual(ticket.team_id, self.team)
        self.assertEqual(ticket.partner_id, self.contact)
        self.assertEqual(ticket.commercial_partner_id, self.customer)
        self.assertEqual(ticket.channel, "email")
        reply_id = self._receive(
            subject="Re: Infusion pumps arrived damaged",
            msgid="second",
            extra="In-Reply-To: <first@ruijin-hospital.example>\n",
            body="Photos attached.",
        )
        self.assertEqual(reply_id, ticket.id)
        self.assertEqual(self.Ticket.search_count([("team_id", "=", self.team.id)]), 1)
        self.assertIn("Photos attached.", ticket.message_ids[0].body)

    def test_record_rules(self):
        mine = self.Ticket.create({"name": "Team ticket", "team_id": self.team.id})
        other = self.Ticket.create(
            {"name": "Other team", "team_id": self.other_team.id}
        )
        free = self.Ticket.create({"name": "No team yet"})
        visible = self.Ticket.with_user(self.service_user).search([])
        self.assertIn(mine, visible)
        self.assertIn(free, visible)
        self.assertNotIn(other, visible)
        with self.assertRaises(AccessError):
            other.with_user(self.service_user).read(["name"])
        self.assertIn(other, self.Ticket.with_user(self.service_manager).search([]))
        with self.assertRaises(AccessError):
            self.Ticket.with_user(self.crm_user).search([])
        # portal: only their own company's tickets
        portal = new_test_user(
            self.env,
            login="zz_portal_li",
            groups="base.group_portal",
            partner_id=self.contact.id,
        )
        own = self.Ticket.create({"name": "Our ticket", "partner_id": self.customer.id})
        self.assertEqual(self.Ticket.with_user(portal).search([]), own)
        with self.assertRaises(AccessError):
            own.with_user(portal).write({"name": "Portal edit"})
