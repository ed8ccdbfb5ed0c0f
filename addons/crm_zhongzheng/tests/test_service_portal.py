import xmlrpc.client

from odoo import Command, http
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from .common import portal_customer


@tagged("post_install", "-at_install")
class TestServicePortal(HttpCase):
    """What a customer sees and does at /my: their company's tickets only,
    writing on them, rating closed ones 1-5, and their deliveries' tracking."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hospital, cls.buyer = portal_customer(
            cls.env, "zz_portal", "Portal Hospital", "Li Na"
        )
        cls.other, cls.other_buyer = portal_customer(
            cls.env, "zz_portal_other", "Other Clinic", "Zhang Wei"
        )
        cls.stage = {
            key: cls.env.ref(f"crm_zhongzheng.service_ticket_stage_{key}")
            for key in ("new", "in_progress", "closed")
        }
        product = cls.env["product.product"].create(
            {"name": "Syringe Pump", "is_storable": True}
        )
        out_type = (
            cls.env["stock.warehouse"]
            .search([("company_id", "=", cls.env.company.id)], limit=1)
            .out_type_id
        )
        cls.delivery = cls.env["stock.picking"].create(
            {
                "picking_type_id": out_type.id,
                "partner_id": cls.buyer.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": 2,
                            "location_id": out_type.default_location_src_id.id,
                            "location_dest_id": cls.env.ref(
                                "stock.stock_location_customers"
                            ).id,
                        }
                    )
                ],
            }
        )
        cls.other_delivery = cls.delivery.copy({"partner_id": cls.other_buyer.id})
        cls.env["zhongzheng.tracking.event"].create(
            [
                {
                    "picking_id": cls.delivery.id,
                    "kind": "picked_up",
                    "location": "Shanghai warehouse",
                    "event_time": "2026-11-20 02:00:00",
                },
                {
                    "picking_id": cls.delivery.id,
                    "kind": "in_transit",
                    "location": "Wuxi sorting centre",
                    "event_time": "2026-11-20 09:00:00",
                },
            ]
        )
        cls.env["zhongzheng.tracking.event"].create(
            {
                "picking_id": cls.other_delivery.id,
                "kind": "hub",
                "location": "Harbin depot",
            }
        )
        Ticket = cls.env["zhongzheng.service.ticket"]
        cls.open_ticket = Ticket.create(
            {
                "name": "Where is the syringe pump?",
                "partner_id": cls.buyer.id,
                "picking_id": cls.delivery.id,
                "type_id": cls.env.ref(
                    "crm_zhongzheng.service_ticket_type_tracking"
                ).id,
            }
        )
        cls.closed_ticket = Ticket.create(
            {"name": "Manual in Chinese, please", "partner_id": cls.buyer.id}
        )
        cls.closed_ticket.stage_id = cls.stage["in_progress"]
        cls.closed_ticket.stage_id = cls.stage["closed"]
        cls.foreign_ticket = Ticket.create(
            {"name": "Invoice address is wrong", "partner_id": cls.other_buyer.id}
        )

    def _get(self, url):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, url)
        return response

    def _rate(self, ticket, score, feedback="", token=None, redirect="ticket"):
        token = token or ticket.sudo()._rating_get_access_token()
        return self.url_open(
            f"/service/rate/{token}/submit",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "score": score,
                "feedback": feedback,
                "redirect": redirect,
            },
        )

    def test_customer_sees_only_their_company_tickets(self):
        self.authenticate("zz_portal", "zz_portal")
        page = self._get("/my/tickets").text
        self.assertIn(self.open_ticket.number, page)
        self.assertIn(self.closed_ticket.number, page)
        self.assertNotIn(self.foreign_ticket.number, page)
        closed_only = self._get("/my/tickets?filterby=closed").text
        self.assertIn(self.closed_ticket.number, closed_only)
        self.assertNotIn(self.open_ticket.number, closed_only)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["service_ticket_count", "delivery_count"]}
        )
        self.assertEqual(counters, {"service_ticket_count": 2, "delivery_count": 1})

        detail = self._get(self.open_ticket.access_url)
        self.assertIn("Where is the syringe pump?", detail.text)
        self.assertIn("Wuxi sorting centre", detail.text, "the delivery's timeline")
        self.assertNotIn('id="rating"', detail.text, "open tickets are not rated")

        refused = self.url_open(self.foreign_ticket.access_url)
        self.assertTrue(refused.url.endswith("/my"), "another customer's ticket")
        self.assertNotIn("Invoice address is wrong", refused.text)

    def test_customer_writes_on_their_ticket_only(self):
        self.authenticate("zz_portal", "zz_portal")
        self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "zhongzheng.service.ticket",
                "thread_id": self.open_ticket.id,
                "post_data": {
                    "body": "Please deliver before Friday.",
                    "message_type": "comment",
                    "subtype_xmlid": "mail.mt_comment",
                },
            },
        )
        message = self.open_ticket.message_ids[:1]
        self.assertIn("Please deliver before Friday.", str(message.body))
        self.assertEqual(message.author_id, self.buyer)
        self.assertFalse(
            self.open_ticket.date_first_response,
            "the customer's own message is no response from us",
        )
        before = len(self.foreign_ticket.message_ids)
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                "/mail/message/post",
                {
                    "thread_model": "zhongzheng.service.ticket",
                    "thread_id": self.foreign_ticket.id,
                    "post_data": {"body": "hello", "message_type": "comment"},
                },
            )
        self.assertEqual(len(self.foreign_ticket.message_ids), before)

    def test_customer_rates_a_closed_ticket_from_the_portal(self):
        self.authenticate("zz_portal", "zz_portal")
        page = self._get(self.closed_ticket.access_url).text
        self.assertIn('id="rating"', page)
        self.assertIn("Rate how we handled this ticket", page)

        response = self._rate(self.closed_ticket, 4, "Good, but slow to start")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Thank you for your rating.", response.text)
        self.assertIn("4 / 5", response.text)
        self.assertEqual(self.closed_ticket.rating_last_value, 4.0)
        rating = self.closed_ticket.rating_ids.filtered("consumed")
        self.assertEqual(rating.feedback, "Good, but slow to start")
        self.assertEqual(rating.partner_id, self.buyer)

        # out of range: refused, nothing changes
        self.assertEqual(self._rate(self.closed_ticket, 9).status_code, 400)
        self.assertEqual(self._rate(self.closed_ticket, "x").status_code, 400)
        self.assertEqual(self.closed_ticket.rating_last_value, 4.0)

    def test_rating_link_of_the_email_takes_1_to_5(self):
        """Odoo's own /rate/ pages take 1, 3 or 5; the e-mail's links go to
        ours, which take every score, without logging in. Following a link
        records nothing (a mail scanner follows links): the customer
        confirms with a click."""
        self.authenticate(None, None)
        token = self.closed_ticket.sudo()._rating_get_access_token()
        response = self._get(f"/service/rate/{token}/2")
        self.assertIn("Send my rating", response.text)
        self.assertIn('value="2" checked', response.text)
        self.assertFalse(self.closed_ticket.rating_last_value, "a GET never rates")
        self._rate(self.closed_ticket, 2, token=token, redirect="")
        self.assertEqual(self.closed_ticket.rating_last_value, 2.0)
        given = self.closed_ticket.rating_ids.filtered("consumed")
        self.assertEqual(given.rating_channel, "email")
        self.assertFalse(given.is_staff_recorded)
        self.assertEqual(self.url_open("/service/rate/not-a-token/2").status_code, 404)

    def test_odoos_own_rate_route_never_rates_a_ticket(self):
        """/rate/<token>/<score> of the rating module records on a GET and
        takes a token again; for a ticket it leads to the confirm page."""
        self.authenticate(None, None)
        token = self.closed_ticket.sudo()._rating_get_access_token()
        response = self.url_open(f"/rate/{token}/5")
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"/service/rate/{token}/5", response.url)
        self.assertIn("Send my rating", response.text)
        self.assertFalse(self.closed_ticket.rating_last_value)
        response = self.url_open(
            f"/rate/{token}/submit_feedback",
            data={"csrf_token": http.Request.csrf_token(self), "rate": 1},
        )
        self.assertFalse(self.closed_ticket.rating_last_value)
        self._rate(self.closed_ticket, 4, token=token)
        response = self.url_open(f"/rate/{token}/1")
        self.assertIn("4 / 5", response.text, "shows the recorded rating")
        self.assertEqual(self.closed_ticket.rating_last_value, 4.0)

    def test_other_customer_cannot_rate_with_a_foreign_token(self):
        self.authenticate("zz_portal_other", "zz_portal_other")
        self.assertEqual(self._rate(self.closed_ticket, 1).status_code, 404)
        self.assertFalse(self.closed_ticket.rating_last_value)

    def test_customer_follows_a_delivery_timeline(self):
        self.authenticate("zz_portal", "zz_portal")
        listing = self._get("/my/deliveries").text
        self.assertIn(self.delivery.name, listing)
        self.assertNotIn(self.other_delivery.name, listing)
        self.assertIn("In Transit", listing, "the latest status")

        timeline = self._get(f"/my/deliveries/{self.delivery.id}").text
        positions = [
            timeline.index(text)
            for text in ("Wuxi sorting centre", "Shanghai warehouse")
        ]
        self.assertEqual(positions, sorted(positions), "newest event first")
        self.assertIn(self.open_ticket.number, timeline, "its ticket")

        refused = self.url_open(f"/my/deliveries/{self.other_delivery.id}")
        self.assertTrue(refused.url.endswith("/my"))

    def test_a_token_rates_once(self):
        self.authenticate("zz_portal", "zz_portal")
        self._rate(self.closed_ticket, 4)
        page = self._get(self.closed_ticket.access_url).text
        self.assertIn("4 / 5", page)
        self.assertNotIn("Send my rating", page, "rated: no form again")
        token = self.closed_ticket.rating_ids.filtered("consumed").access_token
        again = self._rate(self.closed_ticket, 2, "Changed my mind", token=token)
        self.assertEqual(again.status_code, 200)
        given = self.closed_ticket.rating_ids.filtered("consumed")
        self.assertEqual(len(given), 1)
        self.assertEqual(given.rating, 4.0)
        self.assertEqual(given.rating_channel, "portal")
        self.assertEqual(self.closed_ticket.rating_last_value, 4.0)
        self.authenticate(None, None)
        shown = self._get(f"/service/rate/{token}/1").text
        self.assertIn("4 / 5", shown)
        self.assertNotIn("Send my rating", shown)

    def test_rating_token_does_not_open_the_ticket(self):
        """A forwarded rating e-mail lets its reader rate, not read the
        ticket's conversation."""
        self.authenticate(None, None)
        response = self._rate(self.closed_ticket, 5)
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("/my/tickets/", response.url)
        self.assertNotIn("Communication history", response.text)
        self.assertIn("5 / 5", response.text)

    def test_ticket_never_shows_another_customers_delivery(self):
        ticket = self.env["zhongzheng.service.ticket"].create(
            {
                "name": "Wrong delivery linked",
                "partner_id": self.buyer.id,
                "picking_id": self.other_delivery.id,
            }
        )
        self.authenticate("zz_portal", "zz_portal")
        page = self._get(ticket.access_url).text
        self.assertIn("Wrong delivery linked", page)
        self.assertNotIn("Harbin depot", page)
        self.assertNotIn(self.other_delivery.name, page)

    # what a portal user reads of a ticket: customer-facing fields only
    INTERNAL_FIELDS = (
        "claim_approved_amount",
        "claim_approved_by",
        "claim_approved_date",
        "claim_cause",
        "claim_state",
        "first_response_hours",
        "handling_cost",
        "purchase_order_id",
        "questionnaire_channel",
        "questionnaire_entered_by_id",
        "questionnaire_score",
        "refund_id",
        "reopen_count",
        "resolution_hours",
        "responsible_party",
        "return_picking_id",
        "root_cause",
        "sla_id",
        "sla_paused_hours",
        "sla_resolution_deadline",
        "sla_response_deadline",
        "sla_start",
        "sla_status",
        "supplier_id",
        "team_id",
    )

    def _portal_rpc(self, model, method, *args, **kwargs):
        uid = self.xmlrpc_common.authenticate(
            self.env.cr.dbname, "zz_portal", "zz_portal", {}
        )
        return self.xmlrpc_object.execute_kw(
            self.env.cr.dbname, uid, "zz_portal", model, method, list(args), kwargs
        )

    def test_portal_user_reads_customer_facing_fields_only_over_rpc(self):
        self.open_ticket.sudo().write(
            {"root_cause": "Our picker swapped labels", "responsible_party": "us"}
        )
        model = "zhongzheng.service.ticket"
        described = self._portal_rpc(model, "fields_get", attributes=["type"])
        for name in self.INTERNAL_FIELDS:
            self.assertNotIn(name, described, name)
        for name in ("number", "name", "type_id", "stage_id", "create_date"):
            self.assertIn(name, described, name)
        rows = self._portal_rpc(
            model,
            "search_read",
            [("id", "=", self.open_ticket.id)],
            fields=["number", "name", "stage_id"],
        )
        self.assertEqual(rows[0]["number"], self.open_ticket.number)
        # a read without a field list gives the customer-facing fields
        full = self._portal_rpc(model, "read", [self.open_ticket.id])[0]
        self.assertNotIn("root_cause", full)
        self.assertNotIn("sla_status", full)
        self.assertNotIn("Our picker", str(full))
        for name in ("root_cause", "sla_status", "claim_approved_amount", "team_id"):
            Fault = xmlrpc.client.Fault
            with self.subTest(name=name), self.assertRaises(Fault) as caught:
                self._portal_rpc(model, "read", [self.open_ticket.id], [name])
            self.assertIn("enough rights", caught.exception.faultString)
            with self.assertRaises(xmlrpc.client.Fault):
                self._portal_rpc(
                    model, "search_read", [(name, "!=", False)], fields=["number"]
                )

    def test_portal_page_shows_no_internals_and_no_internal_notes(self):
        self.open_ticket.sudo().write({"root_cause": "Our picker swapped labels"})
        self.open_ticket.message_post(
            body="Internal: customer is on the lead tier",
            subtype_xmlid="mail.mt_note",
        )
        self.open_ticket.message_post(
            body="Your pump leaves Wuxi today.",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.authenticate("zz_portal", "zz_portal")
        page = self._get(self.open_ticket.access_url).text
        self.assertIn(self.open_ticket.number, page)
        self.assertNotIn("Our picker", page)
        messages = self.make_jsonrpc_request(
            "/mail/thread/messages",
            {"thread_model": self.open_ticket._name, "thread_id": self.open_ticket.id},
        )
        bodies = " ".join(str(m["body"]) for m in messages["data"]["mail.message"])
        self.assertIn("leaves Wuxi", bodies)
        self.assertNotIn("lead tier", bodies)

    def test_integrator_text_shows_as_text_on_the_portal(self):
        self.env["zhongzheng.tracking.event"].create(
            {
                "picking_id": self.delivery.id,
                "kind": "exception",
                "location": "<b>Nanjing</b>",
                "note": '<a href="https://evil.example/">pay here</a><img src="x">',
            }
        )
        self.authenticate("zz_portal", "zz_portal")
        for url in (f"/my/deliveries/{self.delivery.id}", self.open_ticket.access_url):
            page = self._get(url).text
            self.assertNotIn('<a href="https://evil.example/">', page, url)
            self.assertNotIn('<img src="x">', page, url)
            self.assertIn("&lt;a href=", page, url)
        ticket = self.delivery.tracking_event_ids.ticket_id
        page = self._get(ticket.access_url).text
        self.assertNotIn('<a href="https://evil.example/">', page)
        self.assertIn("&lt;a href=", page)

    def test_no_rating_through_the_chatter(self):
        """Odoo's chatter takes a rating_value along with a message: on a
        ticket it would rate again, unconfirmed and unmarked."""
        self.authenticate("zz_portal", "zz_portal")
        with self.assertRaises(JsonRpcException):
            self.make_jsonrpc_request(
                "/mail/message/post",
                {
                    "thread_model": "zhongzheng.service.ticket",
                    "thread_id": self.closed_ticket.id,
                    "post_data": {
                        "body": "one star",
                        "message_type": "comment",
                        "rating_value": 1,
                    },
                },
            )
        self.assertFalse(self.closed_ticket.rating_ids.filtered("consumed"))
        self.assertFalse(self.closed_ticket.rating_last_value)
