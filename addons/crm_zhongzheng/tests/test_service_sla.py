from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import ZhongzhengCase

FRIDAY_4PM = "2026-11-20 16:00:00"


def at(text):
    return datetime.strptime(text, "%Y-%m-%d %H:%M")


@tagged("post_install", "-at_install")
class TestServiceSla(ZhongzhengCase):
    """Working hours Monday to Friday, 8-12 and 13-17 (UTC)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls.env["resource.calendar"].create(
            {
                "name": "Service hours",
                "tz": "UTC",
                "attendance_ids": [
                    Command.create(
                        {
                            "name": f"{day} {period}",
                            "dayofweek": str(day),
                            "hour_from": start,
                            "hour_to": end,
                            "day_period": period,
                        }
                    )
                    for day in range(5)
                    for start, end, period in (
                        (8, 12, "morning"),
                        (13, 17, "afternoon"),
                    )
                ],
            }
        )
        cls.team = cls.env["zhongzheng.service.team"].create(
            {
                "name": "Shanghai Service",
                "resource_calendar_id": cls.calendar.id,
                "member_ids": [Command.link(cls.service_user.id)],
                "manager_id": cls.service_manager.id,
            }
        )
        cls.iron_customer = cls.env["res.partner"].create(
            {"name": "Small Clinic", "is_company": True}
        )
        cls.platinum_customer = cls.env["res.partner"].create(
            {"name": "Provincial Hospital", "is_company": True}
        )
        cls.env["zhongzheng.tier.override"].create(
            {
                "partner_id": cls.platinum_customer.id,
                "tier_id": cls.env.ref("crm_zhongzheng.customer_tier_platinum").id,
                "reason": "Key account",
            }
        )
        cls.stage = {
            name: cls.env.ref(f"crm_zhongzheng.service_ticket_stage_{name}")
            for name in ("new", "in_progress", "waiting", "resolved")
        }

    def _ticket(self, customer, type_xmlid="inquiry", **vals):
        return self.env["zhongzheng.service.ticket"].create(
            {
                "name": "Where is the shipment?",
                "partner_id": customer.id,
                "team_id": self.team.id,
                "type_id": self.env.ref(
                    f"crm_zhongzheng.service_ticket_type_{type_xmlid}"
                ).id,
                "user_id": self.service_user.id,
                **vals,
            }
        )

    def test_deadlines_in_working_hours_with_a_paused_stage(self):
        with freeze_time(FRIDAY_4PM):
            ticket = self._ticket(self.iron_customer)
        self.assertEqual(
            ticket.sla_id, self.env.ref("crm_zhongzheng.service_sla_standard")
        )
        # 4 h: Friday 16-17, then Monday 8-11
        self.assertEqual(ticket.sla_response_deadline, at("2026-11-23 11:00"))
        # 24 h: Fri 1 h, Mon 8 h, Tue 8 h, Wed 8-12 and 13-16
        self.assertEqual(ticket.sla_resolution_deadline, at("2026-11-25 16:00"))
        self.assertEqual(ticket.sla_status, "on_track")
        with freeze_time("2026-11-23 09:00:00"):
            ticket.stage_id = self.stage["waiting"]
        self.assertEqual(ticket.date_first_response, at("2026-11-23 09:00"))
        self.assertEqual(ticket.first_response_hours, 2.0)
        with freeze_time("2026-11-23 11:00:00"):
            ticket.stage_id = self.stage["in_progress"]
        # two working hours waiting on the customer push the deadline:
        # Wed 16-17, then Thursday 8-9
        self.assertEqual(ticket.sla_paused_hours, 2.0)
        self.assertEqual(ticket.sla_resolution_deadline, at("2026-11-26 09:00"))
        with freeze_time("2026-11-25 16:30:00"):
            ticket.stage_id = self.stage["resolved"]
        self.assertEqual(ticket.sla_status, "met")
        # Fri 1 + Mon 8 + Tue 8 + Wed 7.5 working hours, minus 2 paused
        self.assertEqual(ticket.resolution_hours, 22.5)

    def test_policy_follows_tier_and_type(self):
        with freeze_time(FRIDAY_4PM):
            platinum = self._ticket(self.platinum_customer)
            claim = self._ticket(self.iron_customer, "claim")
        self.assertEqual(
            platinum.sla_id, self.env.ref("crm_zhongzheng.service_sla_key_customers")
        )
        # platinum answers within 2 working hours: Friday 16-17, Monday 8-9
        self.assertEqual(platinum.sla_response_deadline, at("2026-11-23 09:00"))
        self.assertEqual(
            claim.sla_id, self.env.ref("crm_zhongzheng.service_sla_claims")
        )

    def _alerts(self, ticket):
        return self.env["mail.activity"].search(
            [("res_model", "=", ticket._name), ("res_id", "=", ticket.id)]
        )

    def test_at_risk_and_breach_raise_activities_once(self):
        Ticket = self.env["zhongzheng.service.ticket"]
        with freeze_time(FRIDAY_4PM):
            ticket = self._ticket(self.iron_customer)
        with freeze_time("2026-11-23 10:30:00"):
            Ticket._cron_sla_check()
        self.assertEqual(ticket.sla_status, "at_risk", "3.5 of 4 hours used")
        alerts = self._alerts(ticket)
        self.assertEqual(alerts.user_id, self.service_user | self.service_manager)
        self.assertEqual(
            set(alerts.mapped("summary")), {f"SLA at risk: {ticket.number}"}
        )
        with freeze_time("2026-11-23 10:45:00"):
            Ticket._cron_sla_check()
        self.assertEqual(len(self._alerts(ticket)), 2, "no second alert")
        with freeze_time("2026-11-23 11:30:00"):
            Ticket._cron_sla_check()
        self.assertEqual(ticket.sla_status, "breached")
        breached = self._alerts(ticket) - alerts
        self.assertEqual(
            set(breached.mapped("summary")), {f"SLA breached: {ticket.number}"}
        )
        self.assertEqual(len(breached), 2)

    def test_an_employee_reply_is_the_first_response(self):
        with freeze_time(FRIDAY_4PM):
            ticket = self._ticket(self.iron_customer)
        with freeze_time("2026-11-23 08:30:00"):
            ticket.with_user(self.service_user).message_post(
                body="The shipment left Shanghai this morning.",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(ticket.date_first_response, at("2026-11-23 08:30"))
        self.assertEqual(ticket.first_response_hours, 1.5)
        with freeze_time("2026-11-23 08:40:00"):
            ticket.with_user(self.service_user).message_post(
                body="Internal: call the carrier", subtype_xmlid="mail.mt_note"
            )
        self.assertEqual(ticket.date_first_response, at("2026-11-23 08:30"))
