"""What the ticket screens promise, the server enforces (issue 14): claim
decisions are a service manager's, the SLA clock is computed, a closed
ticket stays closed, the API links only the customer's own documents, what
an integrator sends is text, and e-mail tickets land in the team's company."""

from datetime import datetime

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import ValueCase
from .test_service_ticket import INCOMING


@tagged("post_install", "-at_install")
class TestServiceTrust(ValueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Nanjing Drum Tower Hospital")
        cls.other_customer = cls._customer("Suzhou Eye Clinic")
        cls.Ticket = cls.env["zhongzheng.service.ticket"]
        cls.claim_type = cls.env.ref("crm_zhongzheng.service_ticket_type_claim")
        cls.stage = {
            key: cls.env.ref(f"crm_zhongzheng.service_ticket_stage_{key}")
            for key in ("new", "in_progress", "closed")
        }
        cls.integrator = new_test_user(
            cls.env,
            login="zz_trust_integrator",
            groups="base.group_user,stock.group_stock_user,"
            "crm_zhongzheng.group_service_user",
            company_ids=[(4, cls.company.id)],
            company_id=cls.company.id,
        )
        warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.other_delivery = cls.env["stock.picking"].create(
            {
                "picking_type_id": warehouse.out_type_id.id,
                "partner_id": cls.other_customer.id,
                "company_id": cls.company.id,
            }
        )
        cls.own_delivery = cls.env["stock.picking"].create(
            {
                "picking_type_id": warehouse.out_type_id.id,
                "partner_id": cls.customer.id,
                "company_id": cls.company.id,
            }
        )

    def _claim(self, **vals):
        return self.Ticket.with_user(self.service_user).create(
            {
                "name": "Pump housings cracked",
                "type_id": self.claim_type.id,
                "partner_id": self.customer.id,
                "claim_amount": 500.0,
                "claim_cause": "carrier_damage",
                **vals,
            }
        )

    def _decision(self, claim):
        claim.invalidate_recordset()
        return (
            claim.claim_state,
            claim.claim_approved_amount,
            claim.claim_approved_by,
            claim.claim_approved_date,
            claim.refund_id,
            claim.return_picking_id,
        )

    # ------------------------------------------------------------------
    # 1. claims
    def test_service_user_cannot_decide_a_claim_by_writing(self):
        claim = self._claim()
        before = self._decision(claim)
        refund = self.env["account.move"].search([], limit=1)
        attempts = [
            {"claim_state": "approved"},
            {"claim_state": "rejected"},
            {"claim_approved_amount": 450.0},
            {"claim_approved_by": self.service_user.id},
            {"claim_approved_date": fields.Date.today()},
            {"return_picking_id": self.own_delivery.id},
        ]
        if refund:
            attempts.append({"refund_id": refund.id})
        for vals in attempts:
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                claim.with_user(self.service_user).write(vals)
            self.assertEqual(self._decision(claim), before)
        # the service user's form still opens and saves what is theirs
        with Form(claim.with_user(self.service_user)) as form:
            form.claim_amount = 520.0
        self.assertEqual(claim.claim_amount, 520.0)
        self.assertEqual(claim.claim_state, "draft")

    def test_service_user_cannot_create_or_import_a_decided_claim(self):
        with self.assertRaises(AccessError):
            self._claim(claim_state="approved", claim_approved_amount=500.0)
        with self.assertRaises(AccessError):
            self._claim(claim_approved_by=self.service_user.id)
        count = self.Ticket.search_count([])
        result = self.Ticket.with_user(self.service_user).load(
            ["name", "type_id/.id", "partner_id/.id", "claim_approved_amount"],
            [["Imported claim", str(self.claim_type.id), str(self.customer.id), "900"]],
        )
        self.assertFalse(result["ids"])
        self.assertTrue(result["messages"])
        self.assertEqual(self.Ticket.search_count([]), count)

    def test_approval_is_tracked_and_approved_amount_only_lowered(self):
        claim = self._claim()
        # a record created in the transaction is not tracked until it ends
        self.env.flush_all()
        self.env.cr.precommit.run()
        as_manager = claim.with_user(self.service_manager)
        as_manager.action_approve_claim()
        self.env.flush_all()
        self.env.cr.precommit.run()  # tracking is written on commit
        claim.invalidate_recordset(["message_ids"])
        self.assertEqual(claim.claim_approved_by, self.service_manager)
        tracked = claim.message_ids.sudo().tracking_value_ids.filtered(
            lambda v: v.field_id.name == "claim_state"
        )
        self.assertEqual(tracked.new_value_char, "Approved")
        self.assertEqual(
            tracked.mail_message_id.author_id, self.service_manager.partner_id
        )
        with self.assertRaisesRegex(UserError, "only be lowered"):
            as_manager.claim_approved_amount = 800.0
        self.assertEqual(claim.claim_approved_amount, 500.0)
        as_manager.claim_approved_amount = 300.0
        self.assertEqual(claim.claim_approved_amount, 300.0)
        # what was claimed stays as it was once decided
        with self.assertRaisesRegex(UserError, "is decided"):
            claim.with_user(self.service_user).claim_amount = 5000.0
        inquiry = self.env.ref("crm_zhongzheng.service_ticket_type_inquiry")
        with self.assertRaisesRegex(UserError, "is decided"):
            claim.with_user(self.service_user).type_id = inquiry
        self.assertEqual(claim.claim_state, "approved")

    # ------------------------------------------------------------------
    # 2. the SLA clock and the service figures are computed
    def test_sla_clock_and_figures_cannot_be_typed(self):
        ticket = self._claim()
        ticket.with_user(self.service_user).stage_id = self.stage["in_progress"]
        ticket.invalidate_recordset()
        before = ticket.read(
            [
                "sla_start",
                "sla_paused_hours",
                "first_response_hours",
                "resolution_hours",
                "reopen_count",
                "sla_status",
                "date_first_response",
            ]
        )
        attempts = [
            {"sla_start": "2020-01-01 00:00:00"},
            {"sla_paused_hours": 99.0},
            {"first_response_hours": 0.1},
            {"resolution_hours": 0.5},
            {"reopen_count": 0 if before[0]["reopen_count"] else 3},
            {"sla_status": "met"},
            # the current stage sent along changes nothing
            {"stage_id": self.stage["in_progress"].id, "sla_status": "met"},
        ]
        for user in (self.service_user, self.service_manager):
            for vals in attempts:
                with self.subTest(user=user.login, vals=vals):
                    with self.assertRaises(AccessError):
                        ticket.with_user(user).write(vals)
                    ticket.invalidate_recordset()
                    self.assertEqual(ticket.read(list(before[0]))[0], before[0])
        with self.assertRaises(AccessError):
            self._claim(sla_start="2020-01-01 00:00:00", reopen_count=4)

    def test_closed_ticket_changes_only_by_reopening(self):
        ticket = self._claim()
        as_user = ticket.with_user(self.service_user)
        as_user.stage_id = self.stage["closed"]
        self.assertTrue(ticket.is_closed)
        # sending the closed stage along no longer opens the lock
        with self.assertRaisesRegex(UserError, "is closed"):
            as_user.write({"stage_id": self.stage["closed"].id, "name": "Rewritten"})
        with self.assertRaisesRegex(UserError, "is closed"):
            as_user.write({"stage_id": self.stage["closed"].id, "root_cause": "x"})
        with self.assertRaises(AccessError):
            as_user.write({"stage_id": self.stage["in_progress"].id, "name": "y"})
        self.assertEqual(ticket.name, "Pump housings cracked")
        self.assertTrue(ticket.is_closed)
        # a manager too reopens first: no change rides along, not even
        # with the reopening write itself
        as_manager = ticket.with_user(self.service_manager)
        with self.assertRaisesRegex(UserError, "is closed"):
            as_manager.name = "Rewritten by the manager"
        with self.assertRaisesRegex(UserError, "is closed"):
            as_manager.write({"stage_id": self.stage["in_progress"].id, "name": "z"})
        self.assertEqual(ticket.name, "Pump housings cracked")
        self.assertTrue(ticket.is_closed)
        as_manager.action_reopen()
        self.assertFalse(ticket.is_closed)
        self.assertEqual(ticket.reopen_count, 1)
        as_user.name = "Editable again"

    def test_the_engine_and_its_cron_still_write_the_clock(self):
        ticket = self._claim()
        ticket.with_user(self.service_user).stage_id = self.stage["in_progress"]
        self.assertTrue(ticket.date_first_response)
        self.Ticket.with_user(self.service_manager)._cron_sla_check()
        ticket.with_user(self.service_user).message_post(
            body="We are on it.", message_type="comment"
        )

    # ------------------------------------------------------------------
    # 8. create_ticket links only the customer's own documents
    def _api(self, user):
        return self.env["zhongzheng.api"].with_user(user)

    def test_create_ticket_refuses_another_customers_documents(self):
        api = self._api(self.integrator)
        count = self.Ticket.search_count([])
        with self.assertRaisesRegex(
            UserError,
            f"{self.other_delivery.name} belongs to another customer than "
            f"{self.customer.name}",
        ):
            api.create_ticket(
                {
                    "subject": "Damaged",
                    "customer": self.customer.id,
                    "picking": self.other_delivery.name,
                }
            )
        order = self._order(self.other_customer, fields.Date.today())
        with self.assertRaisesRegex(UserError, "belongs to another customer"):
            api.create_ticket(
                {
                    "subject": "Damaged",
                    "customer": self.customer.id,
                    "sale_order": order.name,
                }
            )
        self.assertEqual(self.Ticket.search_count([]), count)
        answer = api.create_ticket(
            {
                "subject": "Damaged",
                "customer": self.customer.id,
                "picking": self.own_delivery.name,
            }
        )
        self.assertEqual(self.Ticket.browse(answer["id"]).picking_id, self.own_delivery)

    # ------------------------------------------------------------------
    # 7. what an integrator sends is text
    def test_tracking_event_text_is_escaped_in_the_ticket(self):
        note = '<a href="https://evil.example/">pay here</a><img src="x">'
        answer = self._api(self.integrator).register_tracking_event(
            {
                "event_id": "EVIL-1",
                "picking": self.own_delivery.name,
                "kind": "exception",
                "location": "<b>Hub</b>",
                "note": note,
                "signed_by": "<script>x</script>",
            }
        )
        ticket = self.Ticket.search([("number", "=", answer["ticket"])])
        description = str(ticket.description)
        self.assertNotIn("<a ", description)
        self.assertNotIn("<img", description)
        self.assertNotIn("<b>", description)
        self.assertIn("&lt;a href=", description)
        self.assertIn("&lt;img", description)
        # a second exception adds to the ticket's chatter, as text too
        self._api(self.integrator).register_tracking_event(
            {
                "event_id": "EVIL-2",
                "picking": self.own_delivery.name,
                "kind": "exception",
                "note": note,
            }
        )
        body = str(ticket.message_ids[0].body)
        self.assertNotIn("<a ", body)
        self.assertIn("&lt;a href=", body)

    def test_tracking_status_is_the_newest_event_whatever_the_order(self):
        """Carriers' events arrive late and out of order: the delivery shows
        the newest by time (of two at the same time, the later sent), as
        when events are entered by hand."""
        api = self._api(self.integrator)
        delivery = self.own_delivery

        def send(event_id, kind, time):
            api.register_tracking_event(
                {
                    "event_id": event_id,
                    "picking": delivery.name,
                    "kind": kind,
                    "time": time,
                }
            )
            delivery.invalidate_recordset()
            return delivery.tracking_status, delivery.tracking_status_time

        self.assertEqual(
            send("ORDER-2", "hub", "2026-07-02T10:00:00Z"),
            ("hub", datetime(2026, 7, 2, 10, 0)),
        )
        self.assertEqual(
            send("ORDER-1", "picked_up", "2026-07-01T10:00:00Z"),
            ("hub", datetime(2026, 7, 2, 10, 0)),
            "an older event arriving late does not move the status back",
        )
        self.assertEqual(
            send("ORDER-3", "out_for_delivery", "2026-07-02T10:00:00Z"),
            ("out_for_delivery", datetime(2026, 7, 2, 10, 0)),
            "same time: the later sent wins",
        )
        # the same as the status computed from the events
        delivery.tracking_event_ids.invalidate_recordset()
        self.env.add_to_compute(delivery._fields["tracking_status"], delivery)
        delivery._recompute_recordset(["tracking_status"])
        self.assertEqual(delivery.tracking_status, "out_for_delivery")
        # and an event entered by hand after them still counts
        self.env["zhongzheng.tracking.event"].create(
            {
                "picking_id": delivery.id,
                "kind": "delivered",
                "event_time": datetime(2026, 7, 3, 9, 0),
            }
        )
        self.assertEqual(delivery.tracking_status, "delivered")

    def test_tracking_event_row_is_what_the_orm_writes(self):
        """The API writes an ordinary event's row in one statement with its
        delivery's status, not through the ORM's create: the row is the one
        the ORM writes for the same event, field for field, and a duplicate
        is answered from it alike."""
        Event = self.env["zhongzheng.tracking.event"]
        # a stored field added to events must be written by the API too
        stored = {name for name, field in Event._fields.items() if field.store}
        self.assertEqual(
            stored,
            {"id", "picking_id", "company_id", "partner_id", "kind", "event_time"}
            | {"location", "note", "signed_by", "external_id", "ticket_id"}
            | {"create_uid", "create_date", "write_uid", "write_date"},
            "a new stored field of tracking events: write it in"
            " zhongzheng.api._record_event as well",
        )
        api = self._api(self.integrator)
        event = {
            "event_id": "ROW-1",
            "picking": self.own_delivery.name,
            "kind": "hub",
            "time": "2026-07-02T10:00:00+08:00",
            "location": "Wuxi hub",
            "signed_by": "王芳",
        }
        answer = api.register_tracking_event(event)
        self.assertEqual(api.register_tracking_event(event), answer)
        by_api = Event.browse(answer["id"])
        by_orm = (
            Event.with_user(self.integrator)
            .with_company(self.own_delivery.company_id)
            .create(
                {
                    "picking_id": self.own_delivery.id,
                    "external_id": "ROW-2",
                    "kind": "hub",
                    "event_time": datetime(2026, 7, 2, 2, 0),
                    "location": "Wuxi hub",
                    "signed_by": "王芳",
                }
            )
        )
        same = sorted(stored - {"id", "external_id", "create_date", "write_date"})
        (by_api | by_orm).invalidate_recordset()
        self.assertEqual(
            by_api.read(same)[0] | {"id": 0}, by_orm.read(same)[0] | {"id": 0}
        )
        self.assertEqual(by_api.create_date, by_orm.create_date)
        self.assertEqual(by_api.partner_id, self.customer)
        self.assertEqual(self.own_delivery.tracking_event_ids, by_api | by_orm)
        self.assertEqual(
            answer,
            {
                "event_id": "ROW-1",
                "id": by_api.id,
                "picking": self.own_delivery.name,
                "kind": "hub",
                "time": "2026-07-02T02:00:00Z",
                "ticket": False,
            },
        )

    def test_event_after_a_conflict_on_a_deleted_delivery_is_refused(self):
        """After a parallel change of the delivery the event is recorded in
        a transaction of its own (tests/test_integration_api.py races them);
        a delivery deleted meanwhile gets the refusal of an unknown one."""
        api = self._api(self.integrator)
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) + 1000 FROM stock_picking")
        [missing] = self.env.cr.fetchone()
        values = {
            "external_id": "GONE-1",
            "kind": "hub",
            "event_time": datetime(2026, 7, 2, 10, 0),
            "location": False,
            "note": False,
            "signed_by": False,
            "picking_id": missing,
        }
        with self.assertRaisesRegex(
            UserError, "No delivery with reference or tracking number 'Zhong/OUT/9'"
        ):
            api._record_after_conflict(missing, "Zhong/OUT/9", values)

    # ------------------------------------------------------------------
    # 11. e-mail tickets land in the team's company
    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_email_ticket_lands_in_the_teams_company(self):
        domain = self.env["mail.alias.domain"].create({"name": "zz-trust.example"})
        team = self.env["zhongzheng.service.team"].create(
            {
                "name": "Test Co. Service",
                "company_id": self.company.id,
                "alias_name": "testco-service",
                "alias_domain_id": domain.id,
            }
        )
        main_company = self.env.ref("base.main_company")
        self.assertNotEqual(main_company, self.company)
        raw = INCOMING.format(
            subject="Monitor screen flickers", msgid="trust-1", extra="", body="."
        ).replace("service@zhongzheng.example", team.alias_email)
        gateway = self.env["mail.thread"].with_context(
            allowed_company_ids=[main_company.id, self.company.id]
        )
        ticket = self.Ticket.browse(gateway.message_process(False, raw))
        self.assertEqual(ticket.team_id, team)
        self.assertEqual(ticket.company_id, self.company)

    # ------------------------------------------------------------------
    # 3. ratings say who gave them
    def test_staff_recorded_ratings_are_marked_as_such(self):
        contact = self.env["res.partner"].create(
            {"name": "Dr. Wang", "parent_id": self.customer.id}
        )
        ticket = self.Ticket.with_user(self.service_user).create(
            {"name": "Manual missing", "partner_id": contact.id}
        )
        wizard = (
            self.env["zhongzheng.ticket.rating"]
            .with_user(self.service_user)
            .create({"ticket_id": ticket.id, "score": "2", "feedback": "Too slow"})
        )
        wizard.action_record()
        rating = ticket.sudo().rating_ids.filtered("consumed")
        self.assertEqual(rating.recorded_by_id, self.service_user)
        self.assertEqual(rating.rating_channel, "phone")
        self.assertTrue(rating.is_staff_recorded)
        self.assertEqual(rating.partner_id, contact, "on the customer's behalf")
        message = rating.message_id
        self.assertEqual(message.author_id, self.service_user.partner_id)
        self.assertNotEqual(message.author_id, contact, "never as the customer")
        self.assertIn("recorded by", str(message.body))
        self.assertEqual(ticket.rating_last_value, 2.0)
        # the API marks it too
        self._api(self.integrator).rate_ticket(ticket.number, 3, "From a survey")
        latest = ticket.sudo().rating_ids.filtered("consumed").sorted("id")[-1]
        self.assertEqual(latest.rating_channel, "api")
        self.assertEqual(latest.recorded_by_id, self.integrator)
        # nobody forges who recorded a rating
        with self.assertRaises(AccessError):
            latest.with_user(self.service_user).write({"recorded_by_id": False})
        with self.assertRaises(AccessError):
            latest.with_user(self.service_user).write({"rating_channel": "email"})

    def test_service_quality_tells_customer_given_from_staff_recorded(self):
        customer_given = self.Ticket.create(
            {"name": "A", "partner_id": self.customer.id}
        )
        customer_given.stage_id = self.stage["closed"]
        token = customer_given._rating_get_access_token()
        rating = customer_given.rating_ids.filtered(lambda r: r.access_token == token)
        customer_given._rating_apply_customer(rating, 5, None, "email")
        self.assertFalse(
            customer_given._rating_apply_customer(rating, 1, None, "email"),
            "a token rates once",
        )
        self.assertEqual(customer_given.rating_last_value, 5.0)
        staff = self.Ticket.create({"name": "B", "partner_id": self.customer.id})
        staff.with_user(self.service_user)._record_rating(1)
        self.env.flush_all()
        Report = self.env["zhongzheng.service.quality.report"].with_user(
            self.service_manager
        )
        rows = {
            row.ticket_id: row
            for row in Report.search(
                [("ticket_id", "in", (customer_given | staff).ids)]
            )
        }
        self.assertEqual(rows[customer_given].rating_source, "customer")
        self.assertEqual(rows[customer_given].satisfaction_customer, 5.0)
        self.assertFalse(rows[customer_given].satisfaction_staff)
        self.assertEqual(rows[staff].rating_source, "staff")
        self.assertEqual(rows[staff].satisfaction_staff, 1.0)
        self.assertFalse(rows[staff].satisfaction_customer)

    def test_nobody_rates_as_the_customer_over_rpc(self):
        ticket = self.Ticket.create({"name": "C", "partner_id": self.customer.id})
        ticket.stage_id = self.stage["closed"]
        token = ticket._rating_get_access_token()
        rating = ticket.rating_ids.filtered(lambda r: r.access_token == token)
        as_user = ticket.with_user(self.service_user)
        # Odoo's public rating_apply would post it in the customer's name
        with self.assertRaises(AccessError):
            as_user.rating_apply(5, token=token)
        # employees may write rating.rating in Odoo's rights: not a ticket's
        with self.assertRaises(AccessError):
            rating.with_user(self.service_user).write({"rating": 5, "consumed": True})
        with self.assertRaises(AccessError):
            self.env["rating.rating"].with_user(self.service_user).create(
                {
                    "res_model_id": self.env["ir.model"]._get_id(ticket._name),
                    "res_id": ticket.id,
                    "partner_id": self.customer.id,
                    "rating": 5,
                    "consumed": True,
                }
            )
        self.assertFalse(ticket.rating_last_value)
        self.assertFalse(rating.consumed)
