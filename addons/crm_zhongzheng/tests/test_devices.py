from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import make_user
from .devices_common import DeviceCase


@tagged("post_install", "-at_install")
class TestInstalledBase(DeviceCase):
    """Who holds which serial number, from deliveries and returns, and
    until when it is under warranty."""

    def test_returns_and_redeliveries_move_the_device(self):
        s1, s2, s3 = self._serials(self.scanner, "US-001", "US-002", "US-003")
        to_a = self._deliver(self.hospital_a, s1 | s2)
        self._deliver(self.hospital_b, s3)
        self.assertEqual(self._devices(self.hospital_a).lot_id, s1 | s2)
        self._return_delivery(to_a, s1)
        self.assertEqual(self._devices(self.hospital_a).lot_id, s2, "S1 came back")
        self.assertFalse(s1.zz_partner_id, "in our stock: held by nobody")
        to_c = self._deliver(self.hospital_c, s1)

        self.assertEqual(self._devices(self.hospital_b).lot_id, s3)
        device = self._devices(self.hospital_c)
        self.assertEqual(device.lot_id, s1)
        self.assertEqual(device.picking_id, to_c, "its last delivery order")
        self.assertEqual(device.address_id, self.hospital_c)
        self.assertEqual(device.product_id, self.scanner)
        self.assertEqual(
            (s1 | s2 | s3).mapped("zz_partner_id"),
            self.hospital_c | self.hospital_a | self.hospital_b,
        )
        Lot = self.env["stock.lot"]
        self.assertEqual(Lot.search([("zz_partner_id", "=", self.hospital_a.id)]), s2)
        self.assertEqual(self.hospital_a.zz_device_count, 1)
        action = self.hospital_c.action_view_zz_devices()
        self.assertEqual(
            self.env[action["res_model"]].search(action["domain"]).lot_id, s1
        )

    def test_a_receipt_from_the_customer_also_counts_as_a_return(self):
        (s1,) = self._serials(self.scanner, "US-101")
        self._deliver(self.hospital_a, s1)
        self._return(self.hospital_a, s1)
        self.assertFalse(self._devices(self.hospital_a))
        self._deliver(self.hospital_a, s1)
        self.assertEqual(self._devices(self.hospital_a).lot_id, s1, "delivered again")

    def test_warranty_from_category_product_and_installation(self):
        (scanner_lot,) = self._serials(self.scanner, "US-201")
        (monitor_lot,) = self._serials(self.monitor, "PM-201")
        delivered = self._days_ago(30)
        self._deliver(self.hospital_a, scanner_lot | monitor_lot, when=delivered)
        by_lot = {d.lot_id: d for d in self._devices(self.hospital_a)}
        self.assertEqual(by_lot[scanner_lot].delivery_date, delivered)
        self.assertEqual(
            scanner_lot.zz_warranty_end,
            delivered + relativedelta(months=12),
            "the category's 12 months",
        )
        self.assertEqual(
            monitor_lot.zz_warranty_end,
            delivered + relativedelta(months=24),
            "the product's own 24 months",
        )
        self.assertTrue(scanner_lot.zz_under_warranty)

        installed = delivered + relativedelta(days=10)
        scanner_lot.with_user(self.service_user).zz_installation_date = installed
        self.assertEqual(
            scanner_lot.zz_warranty_end, installed + relativedelta(months=12)
        )
        self.assertEqual(
            self._devices(self.hospital_a)
            .filtered(lambda d: d.lot_id == scanner_lot)
            .maintenance_due_date,
            installed + relativedelta(months=6),
        )
        # an installation before this delivery was the previous holder's
        monitor_lot.zz_installation_date = delivered - relativedelta(days=90)
        self.assertEqual(
            monitor_lot.zz_warranty_end, delivered + relativedelta(months=24)
        )

        (old_lot,) = self._serials(self.scanner, "US-202")
        self._deliver(self.hospital_b, old_lot, when=self._days_ago(400))
        self.assertFalse(old_lot.zz_under_warranty)
        Lot = self.env["stock.lot"]
        lots = scanner_lot | monitor_lot | old_lot
        self.assertEqual(
            Lot.search([("id", "in", lots.ids), ("zz_under_warranty", "=", False)]),
            old_lot,
        )
        self.assertEqual(
            Lot.search([("id", "in", lots.ids), ("zz_under_warranty", "=", True)]),
            scanner_lot | monitor_lot,
        )

    def test_a_distributor_keeps_what_it_had_shipped_to_a_hospital(self):
        distributor = self._company_partner("Jiangsu Medical Distribution")
        (lot,) = self._serials(self.scanner, "US-301")
        order = self.env["sale.order"].create(
            {
                "partner_id": distributor.id,
                "partner_shipping_id": self.hospital_a.id,
                "order_line": [
                    Command.create(
                        {"product_id": self.scanner.id, "product_uom_qty": 1}
                    )
                ],
            }
        )
        order.action_confirm()
        picking = order.picking_ids
        self._pick_lots(picking, lot)
        picking.button_validate()
        device = self._devices(distributor)
        self.assertEqual(device.lot_id, lot)
        self.assertEqual(device.address_id, self.hospital_a, "shipped to the hospital")
        self.assertFalse(self._devices(self.hospital_a), "the hospital's is not ours")

    def test_rights(self):
        (lot,) = self._serials(self.scanner, "US-401")
        self._deliver(self.hospital_a, lot)
        Device = self.env["zhongzheng.installed.device"]
        self.assertEqual(
            Device.with_user(self.service_user).search([]).lot_id & lot, lot
        )
        for user in (self.plain_user, self.crm_user):
            with self.assertRaises(AccessError):
                Device.with_user(user).search([])
        stock_user = make_user(self.env, "zz_stock_user", "stock.group_stock_user")
        with self.assertRaises(AccessError):
            lot.with_user(stock_user).read(["zz_partner_id"])
        self.assertEqual(lot.with_user(stock_user).read(["name"])[0]["name"], "US-401")
        as_service = lot.with_user(self.service_user)
        with self.assertRaises(AccessError):
            as_service.write({"name": "US-401-X"})
        with self.assertRaises(AccessError):
            as_service.write({"zz_last_maintenance_date": "2026-01-01"})
        warehouse_service = make_user(
            self.env,
            "zz_stock_service",
            "stock.group_stock_manager",
            "crm_zhongzheng.group_service_manager",
        )
        with self.assertRaises(AccessError):
            lot.with_user(warehouse_service).write(
                {"zz_last_maintenance_date": "2026-01-01"}
            )
        self.assertEqual(as_service.zz_partner_id, self.hospital_a)

    def test_another_company_sees_none_of_the_devices(self):
        (lot,) = self._serials(self.scanner, "US-501")
        self._deliver(self.hospital_a, lot)
        other = self.env["res.company"].create({"name": "Zhongzheng Export Co."})
        outsider = make_user(
            self.env,
            "zz_devices_other_co",
            "crm_zhongzheng.group_service_manager",
            company=other,
        )
        Device = self.env["zhongzheng.installed.device"]
        self.assertFalse(Device.with_user(outsider).search([("lot_id", "=", lot.id)]))
        self.assertEqual(
            Device.with_user(self.service_manager)
            .search([("lot_id", "=", lot.id)])
            .partner_id,
            self.hospital_a,
        )


@tagged("post_install", "-at_install")
class TestDevicePortal(DeviceCase, HttpCase):
    """/my/devices: the customer's own devices and warranty, nobody else's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for login, company in (
            ("zz_dev_a", cls.hospital_a),
            ("zz_dev_b", cls.hospital_b),
        ):
            contact = cls.env["res.partner"].create(
                {"name": f"Buyer of {company.name}", "parent_id": company.id}
            )
            new_test_user(
                cls.env, login=login, groups="base.group_portal", partner_id=contact.id
            )
        cls.own, cls.foreign = cls._serials(cls.scanner, "US-OWN-1", "US-FOREIGN-1")
        cls._deliver(cls.hospital_a, cls.own)
        cls._deliver(cls.hospital_b, cls.foreign)

    def test_customer_sees_only_its_devices(self):
        self.authenticate("zz_dev_a", "zz_dev_a")
        page = self.url_open("/my/devices")
        self.assertEqual(page.status_code, 200)
        self.assertIn("US-OWN-1", page.text)
        self.assertIn("Under warranty", page.text)
        self.assertNotIn("US-FOREIGN-1", page.text)
        own = self._devices(self.hospital_a)
        foreign = self._devices(self.hospital_b)
        detail = self.url_open(f"/my/devices/{own.id}")
        self.assertEqual(detail.status_code, 200)
        self.assertIn(own.picking_id.name, detail.text)
        refused = self.url_open(f"/my/devices/{foreign.id}")
        self.assertEqual(refused.status_code, 404)
        self.assertNotIn("US-FOREIGN-1", refused.text)
        counters = self.make_jsonrpc_request(
            "/my/counters", {"counters": ["device_count"]}
        )
        self.assertEqual(counters, {"device_count": 1})
