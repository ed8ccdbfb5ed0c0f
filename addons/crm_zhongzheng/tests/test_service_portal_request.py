import io

from PIL import Image

from odoo import Command, http
from odoo.tests import HttpCase, new_test_user, tagged

from .common import portal_customer
from .devices_common import DeviceCase

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
# a Windows program: its content says so, whatever its name
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" * 8


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return buffer.getvalue()


@tagged("post_install", "-at_install")
class TestServicePortalRequest(HttpCase, DeviceCase):
    """A customer opens a service ticket from /my: its own documents only,
    photos and PDFs only, a few requests an hour; the ticket enters the
    normal SLA flow and shows in the back office."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hospital, cls.buyer = portal_customer(
            cls.env, "zz_request", "Request Hospital", "Wang Fang"
        )
        cls.other = cls._company_partner("Rival Clinic")
        cls.team = cls.env["zhongzheng.service.team"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.agent = new_test_user(
            cls.env,
            login="zz_request_agent",
            groups="crm_zhongzheng.group_service_user",
        )
        cls.team.member_ids = [Command.link(cls.agent.id)]
        product = cls.env["product.product"].create(
            {"name": "Infusion Pump", "is_storable": True, "list_price": 300.0}
        )
        cls.order = cls._confirmed_order(cls.hospital, product)
        cls.delivery = cls.order.picking_ids
        cls.other_order = cls._confirmed_order(cls.other, product)
        cls.other_delivery = cls.other_order.picking_ids
        cls.env.company.service_portal_hourly_limit = 5
        cls.own_serial, cls.other_serial = cls._serials(
            cls.scanner, "US-REQ-001", "US-REQ-002"
        )
        cls._deliver(cls.hospital, cls.own_serial)
        cls._deliver(cls.other, cls.other_serial)
        cls.Ticket = cls.env["zhongzheng.service.ticket"]

    @classmethod
    def _confirmed_order(cls, partner, product):
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": 1})
                ],
            }
        )
        order.action_confirm()
        return order

    def setUp(self):
        super().setUp()
        self.authenticate("zz_request", "zz_request")

    def _post(self, files=(), csrf=True, **fields):
        data = {
            "type": "repair",
            "subject": "Monitor screen flickers",
            "description": "The screen flickers since Monday.\nBed 12.",
            **fields,
        }
        if csrf:
            data["csrf_token"] = http.Request.csrf_token(self)
        return self.url_open(
            "/my/tickets/new",
            data=data,
            files=[("attachments", file) for file in files] or None,
        )

    def _own_tickets(self):
        return self.Ticket.search([("commercial_partner_id", "=", self.hospital.id)])

    def _assert_refused(self, response, message):
        self.assertEqual(response.status_code, 200)
        self.assertIn("Your request was not sent", response.text)
        self.assertIn(message, response.text)
        self.assertFalse(self._own_tickets(), "nothing is created")

    def test_opens_a_ticket_with_a_pdf_and_a_png(self):
        self.assertIn("New Service Request", self.url_open("/my").text)
        form = self.url_open("/my/tickets/new").text
        self.assertIn(self.order.name, form)
        self.assertIn(self.delivery.name, form)
        self.assertNotIn(self.other_order.name, form)
        self.assertNotIn(self.other_delivery.name, form)
        self.assertIn("Repair Request", form)
        response = self._post(
            files=[
                ("report.pdf", PDF, "application/pdf"),
                ("screen.png", png_bytes(), "image/png"),
            ],
            sale_order_id=str(self.order.id),
            picking_id=str(self.delivery.id),
        )
        self.assertEqual(response.status_code, 200)
        ticket = self._own_tickets()
        self.assertEqual(len(ticket), 1)
        self.assertIn(f"/my/tickets/{ticket.id}", response.url)
        self.assertIn("we received your request", response.text)
        self.assertIn(ticket.number, response.text)
        self.assertEqual(ticket.partner_id, self.buyer)
        self.assertEqual(ticket.type_id.code, "repair")
        self.assertEqual(ticket.channel, "web")
        self.assertEqual(ticket.sale_order_id, self.order)
        self.assertEqual(ticket.picking_id, self.delivery)
        self.assertIn("Bed 12.", ticket.description)
        attachments = self.env["ir.attachment"].search(
            [("res_model", "=", ticket._name), ("res_id", "=", ticket.id)]
        )
        self.assertEqual(
            sorted(attachments.mapped("mimetype")), ["application/pdf", "image/png"]
        )
        # the customer finds it in its list, with the photo in the thread
        listing = self.url_open("/my/tickets").text
        self.assertIn(ticket.number, listing)
        self.assertIn("New Request", listing)
        sent = ticket.message_ids.filtered("attachment_ids")
        self.assertEqual(sent.author_id, self.buyer)
        self.assertFalse(sent.subtype_id.internal, "the customer's chatter shows it")
        self.assertEqual(sent.attachment_ids, attachments)
        # the team sees it in the back office, its SLA clock running
        seen = self.Ticket.with_user(self.agent).search([("id", "=", ticket.id)])
        self.assertEqual(seen.team_id, self.team)
        self.assertEqual(seen.sla_status, "on_track")
        self.assertTrue(seen.sla_response_deadline)
        self.assertGreater(seen.sla_resolution_deadline, seen.create_date)

    def test_an_exe_named_pdf_is_refused(self):
        response = self._post(files=[("manual.pdf", EXE, "application/pdf")])
        self._assert_refused(response, "manual.pdf is not a photo (JPEG, PNG) or a PDF")

    def test_a_sixth_attachment_is_refused(self):
        files = [(f"page{n}.pdf", PDF, "application/pdf") for n in range(6)]
        response = self._post(files=files)
        self._assert_refused(response, "Attach at most 5 files (you chose 6)")

    def test_a_file_over_10_mb_is_refused(self):
        big = PDF + b"0" * (10 * 1024 * 1024)
        response = self._post(files=[("scan.pdf", big, "application/pdf")])
        self._assert_refused(response, "scan.pdf is larger than 10 MB")

    def test_another_customers_order_or_delivery_is_refused(self):
        response = self._post(sale_order_id=str(self.other_order.id))
        self._assert_refused(response, "This sales order is not one of yours.")
        response = self._post(picking_id=str(self.other_delivery.id))
        self._assert_refused(response, "This delivery is not one of yours.")
        response = self._post(lot_id=str(self.other_serial.id))
        self._assert_refused(response, "This device is not one of yours.")
        response = self._post(lot_id="not-a-number")
        self._assert_refused(response, "This device is not one of yours.")

    def test_a_repair_request_for_one_of_its_devices(self):
        device_team = self.env["zhongzheng.service.team"].create(
            {"name": "Device Service", "alias_name": "zz-request-devices"}
        )
        self.env.company.device_team_id = device_team
        form = self.url_open("/my/tickets/new").text
        self.assertIn("US-REQ-001", form)
        self.assertNotIn("US-REQ-002", form)
        self._post(
            lot_id=str(self.own_serial.id),
            files=[("broken.png", png_bytes(), "image/png")],
        )
        ticket = self._own_tickets()
        self.assertEqual(ticket.lot_ids, self.own_serial)
        self.assertEqual(ticket.product_ids, self.scanner)
        self.assertEqual(ticket.type_id.code, "repair")
        self.assertEqual(ticket.team_id, device_team)
        # its page names the device; a lot staff add by mistake is not shown
        ticket.lot_ids |= self.other_serial
        page = self.url_open(ticket.access_url).text
        self.assertIn("US-REQ-001", page)
        self.assertNotIn("US-REQ-002", page)

    def test_errors_show_on_the_form_with_what_was_typed(self):
        response = self._post(subject="  ", type="claim")
        self._assert_refused(response, "Give your request a subject.")
        self.assertIn("Choose what your request is about.", response.text)
        self.assertIn("The screen flickers since Monday.", response.text)

    def test_without_the_csrf_token_nothing_is_created(self):
        response = self._post(csrf=False)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self._own_tickets())

    def test_at_most_the_hourly_number_of_requests(self):
        self.env.company.service_portal_hourly_limit = 2
        # a ticket staff opened for the customer does not count
        self.Ticket.create({"name": "Called us", "partner_id": self.buyer.id})
        self._post(subject="First")
        self._post(subject="Second")
        response = self._post(subject="Third")
        self.assertIn("opened 2 requests in the last hour", response.text)
        self.assertEqual(len(self._own_tickets()), 3)
        # an hour later it may ask again
        first = self._own_tickets().filtered(lambda t: t.name == "First")
        self.env.cr.execute(
            "UPDATE zhongzheng_service_ticket SET create_date = create_date "
            "- interval '2 hours' WHERE id = %s",
            [first.id],
        )
        self.env.invalidate_all()
        self._post(subject="Fourth")
        self.assertEqual(
            sorted(self._own_tickets().mapped("name")),
            ["Called us", "First", "Fourth", "Second"],
        )


@tagged("post_install", "-at_install")
class TestServicePortalRequestTour(HttpCase, DeviceCase):
    """In Chromium: a customer asks for a repair of one of its devices from
    the device's page, with a photo."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hospital, cls.buyer = portal_customer(
            cls.env, "zz_request_tour", "Tour Hospital", "Liu Yang"
        )
        cls.serial = cls._serials(cls.scanner, "US-TOUR-001")
        cls._deliver(cls.hospital, cls.serial)

    def test_repair_request_for_a_device_with_a_photo(self):
        device = self._devices(self.hospital)
        self.start_tour(
            f"/my/devices/{device.id}",
            "crm_zhongzheng_portal_repair_request",
            login="zz_request_tour",
        )
        ticket = self.env["zhongzheng.service.ticket"].search(
            [("commercial_partner_id", "=", self.hospital.id)]
        )
        self.assertEqual(ticket.name, "Probe cable broken")
        self.assertEqual(ticket.type_id.code, "repair")
        self.assertEqual(ticket.lot_ids, self.serial)
        photo = ticket.message_ids.attachment_ids
        self.assertEqual(photo.mapped("name"), ["broken-cable.png"])
        self.assertEqual(photo.mimetype, "image/png")
