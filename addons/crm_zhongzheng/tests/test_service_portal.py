import re

from odoo import Command, http
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException


@tagged("post_install", "-at_install")
class TestServicePortal(HttpCase):
    """What a customer sees and does at /my: their company's tickets only,
    writing on them, rating closed ones 1-5, and their deliveries' tracking."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.hospital = Partner.create({"name": "Portal Hospital", "is_company": True})
        cls.buyer = Partner.create(
            {
                "name": "Li Na",
                "parent_id": cls.hospital.id,
                "email": "li.na@portal-hospital.example.com",
            }
        )
        cls.other = Partner.create({"name": "Other Clinic", "is_company": True})
        cls.other_buyer = Partner.create(
            {
                "name": "Zhang Wei",
                "parent_id": cls.other.id,
                "email": "zw@other.example.com",
            }
        )
        for login, partner in (
            ("zz_portal", cls.buyer),
            ("zz_portal_other", cls.other_buyer),
        ):
            new_test_user(
                cls.env,
                login=login,
                groups="base.group_portal",
                partner_id=partner.id,
                name=partner.name,
                email=partner.email,
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

    def _rate(self, ticket, score, feedback="", token=None):
        token = token or ticket.sudo()._rating_get_access_token()
        return self.url_open(
            f"/service/rate/{token}/submit",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "score": score,
                "feedback": feedback,
                "redirect": "ticket",
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
        ours, which take every score, without logging in."""
        token = self.closed_ticket.sudo()._rating_get_access_token()
        response = self._get(f"/service/rate/{token}/2")
        self.assertIn("2 / 5", response.text)
        self.assertEqual(self.closed_ticket.rating_last_value, 2.0)
        self.assertEqual(self.url_open("/service/rate/not-a-token/2").status_code, 404)

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

    def test_rating_again_changes_the_rating(self):
        self.authenticate("zz_portal", "zz_portal")
        self._rate(self.closed_ticket, 4)
        page = self._get(self.closed_ticket.access_url).text
        token = re.search(r"/service/rate/(\w+)/submit", page).group(1)
        self._rate(self.closed_ticket, 2, "Changed my mind", token=token)
        given = self.closed_ticket.rating_ids.filtered("consumed")
        self.assertEqual(len(given), 1, "one rating per customer, changed")
        self.assertEqual(given.rating, 2.0)
        self.assertEqual(self.closed_ticket.rating_last_value, 2.0)

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
