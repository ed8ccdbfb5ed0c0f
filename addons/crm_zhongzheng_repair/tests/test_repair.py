from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.crm_zhongzheng.tests.common import make_user, portal_customer
from odoo.addons.crm_zhongzheng.tests.devices_common import DeviceCase

SERVICE_USER = "crm_zhongzheng.group_service_user"


@tagged("post_install", "-at_install")
class TestRepairFromTicket(HttpCase, DeviceCase):
    """*Create Repair* on a ticket about a device: the repair order carries
    the product, the serial number, the customer and the warranty of the
    installed base; the ticket's team or a service manager creates it; its
    state shows on the ticket and on the customer's portal page."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hospital, cls.buyer = portal_customer(
            cls.env, "zz_repair_portal", "Repair Hospital", "Chen Jing"
        )
        cls.team = cls.env["zhongzheng.service.team"].create(
            {"name": "Device Service", "alias_name": "zz-device-service"}
        )
        # the team's agent (no Inventory rights): the shared service user
        cls.agent = cls.service_user
        for attr, groups in (
            ("outsider", (SERVICE_USER,)),
            ("technician", ("stock.group_stock_user", SERVICE_USER)),
            ("storekeeper", ("stock.group_stock_user",)),
        ):
            setattr(cls, attr, make_user(cls.env, f"zz_repair_{attr}", *groups))
        cls.team.member_ids = [Command.set((cls.agent | cls.technician).ids)]
        cls.new_serial, cls.old_serial = cls._serials(
            cls.scanner, "US-RP-NEW", "US-RP-OLD"
        )
        cls._deliver(cls.hospital, cls.new_serial, when=cls._days_ago(30))
        # the category's 12 months of warranty are over
        cls._deliver(cls.hospital, cls.old_serial, when=cls._days_ago(400))

    def _ticket(self, lots, **vals):
        return self.env["zhongzheng.service.ticket"].create(
            {
                "name": "Scanner does not start",
                "type_id": self.env.ref("crm_zhongzheng.service_ticket_type_repair").id,
                "partner_id": self.buyer.id,
                "team_id": self.team.id,
                "lot_ids": [Command.set(lots.ids)],
                **vals,
            }
        )

    def test_repair_carries_product_serial_customer_and_warranty(self):
        ticket = self._ticket(self.new_serial | self.old_serial)
        answer = ticket.with_user(self.agent).action_create_repair()
        # the agent has no Inventory rights: told, not sent to a form
        self.assertEqual(answer["tag"], "display_notification")
        repairs = ticket.repair_ids.sorted("id")
        self.assertEqual(len(repairs), 2)
        by_lot = {repair.lot_id: repair for repair in repairs}
        new, old = by_lot[self.new_serial], by_lot[self.old_serial]
        self.assertEqual(new.product_id, self.scanner)
        self.assertEqual(new.partner_id, self.hospital)
        self.assertTrue(new.under_warranty)
        self.assertFalse(old.under_warranty)
        self.assertEqual(new.zz_ticket_id, ticket)
        self.assertIn(ticket.number, new.internal_notes)
        self.assertIn("under warranty", ticket.message_ids[0].body)
        seen = ticket.with_user(self.agent)
        self.assertEqual(seen.repair_count, 2)
        self.assertIn(f"{new.name} (New)", seen.repair_status)
        # once each: a second click has nothing left to repair
        with self.assertRaises(UserError):
            ticket.with_user(self.agent).action_create_repair()
        self.assertEqual(len(ticket.repair_ids), 2)

    def test_a_technician_gets_the_repair_form(self):
        ticket = self._ticket(self.new_serial)
        action = ticket.with_user(self.technician).action_create_repair()
        self.assertEqual(action["res_model"], "repair.order")
        self.assertEqual(action["res_id"], ticket.repair_ids.id)
        self.assertEqual(
            self.env["repair.order"]
            .with_user(self.technician)
            .search([("zz_ticket_id", "=", ticket.id)]),
            ticket.repair_ids,
        )

    def test_only_the_team_or_a_service_manager_creates_a_repair(self):
        ticket = self._ticket(self.new_serial)
        for user in (self.outsider, self.storekeeper):
            with self.assertRaises(AccessError):
                ticket.with_user(user).action_create_repair()
        self.assertFalse(ticket.repair_ids)
        ticket.with_user(self.service_manager).action_create_repair()
        self.assertEqual(ticket.repair_ids.lot_id, self.new_serial)

    def test_nobody_links_a_repair_to_a_ticket_by_hand(self):
        ticket = self._ticket(self.new_serial)
        repair = (
            self.env["repair.order"]
            .with_user(self.technician)
            .create({"product_id": self.scanner.id, "partner_id": self.hospital.id})
        )
        with self.assertRaises(AccessError):
            repair.with_user(self.technician).zz_ticket_id = ticket
        self.assertFalse(ticket.repair_ids)

    def test_an_inventory_user_reads_repairs_as_without_the_bridge(self):
        ticket = self._ticket(self.new_serial)
        ticket.action_create_repair()
        values = ticket.repair_ids.with_user(self.storekeeper).read()[0]
        self.assertEqual(values["lot_id"][0], self.new_serial.id)
        self.assertNotIn("zz_ticket_id", values, "tickets are Customer Service's")
        # the agent without Inventory rights reads the ticket without them
        values = ticket.with_user(self.agent).read()[0]
        self.assertNotIn("repair_ids", values)
        self.assertEqual(values["repair_count"], 1)

    def test_no_device_or_a_closed_ticket_is_refused(self):
        with self.assertRaises(UserError):
            self._ticket(self.new_serial.browse()).action_create_repair()
        ticket = self._ticket(self.new_serial)
        ticket.stage_id = self.env.ref("crm_zhongzheng.service_ticket_stage_closed")
        with self.assertRaises(UserError):
            ticket.action_create_repair()
        self.assertFalse(ticket.repair_ids)

    def test_repair_state_on_the_ticket_and_the_portal(self):
        ticket = self._ticket(self.new_serial)
        ticket.with_user(self.agent).action_create_repair()
        repair = ticket.repair_ids
        repair.with_user(self.technician).internal_notes = "Board 7 burnt"
        repair.with_user(self.technician).action_repair_start()
        self.assertEqual(repair.state, "under_repair")
        self.assertIn("Under Repair", ticket.with_user(self.agent).repair_status)
        self.assertIn(
            f"Repair {repair.name}: Under Repair.", ticket.message_ids[0].body
        )
        self.authenticate("zz_repair_portal", "zz_repair_portal")
        page = self.url_open(ticket.access_url).text
        self.assertIn(repair.name, page)
        self.assertIn("Under Repair", page)
        self.assertIn("US-RP-NEW", page)
        self.assertNotIn("Board 7 burnt", page)
