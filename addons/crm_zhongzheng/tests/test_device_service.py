from dateutil.relativedelta import relativedelta

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import make_user
from .devices_common import DeviceCase


@tagged("post_install", "-at_install")
class TestMaintenanceVisits(DeviceCase):
    """The nightly job opens one maintenance visit per device coming due;
    the visit done moves the device's next due date on."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.device_maintenance_days = 30
        cls.team = cls.env["zhongzheng.service.team"].create(
            {"name": "Device Engineers", "company_id": cls.env.company.id}
        )
        cls.env.company.device_team_id = cls.team
        platinum = cls.env.ref("crm_zhongzheng.customer_tier_platinum")
        cls.hospital_a.with_company(cls.env.company).tier_id = platinum
        cls.soon, cls.later, cls.overdue = cls._serials(
            cls.scanner, "US-M1", "US-M2", "US-M3"
        )
        # every 6 months: due in about 10 days, in about 5 months, 20 days ago
        cls._deliver(cls.hospital_a, cls.soon, when=cls._months_ago(6, -10))
        cls._deliver(cls.hospital_b, cls.later, when=cls._days_ago(30))
        cls._deliver(cls.hospital_c, cls.overdue, when=cls._months_ago(6, 20))
        (cls.untracked,) = cls._serials(cls.monitor, "PM-M1")
        cls._deliver(cls.hospital_b, cls.untracked, when=cls._months_ago(12, 0))

    @classmethod
    def _months_ago(cls, months, days):
        return cls._days_ago(days) - relativedelta(months=months)

    def _cron(self):
        return self.env["zhongzheng.service.ticket"]._cron_schedule_maintenance()

    def test_one_visit_per_due_device_and_rerun_opens_none(self):
        visits = self._cron()
        self.assertEqual(visits.maintenance_lot_id, self.soon | self.overdue)
        self.assertEqual(len(visits), 2)
        soon = visits.filtered(lambda t: t.maintenance_lot_id == self.soon)
        self.assertEqual(
            soon.type_id, self.env.ref("crm_zhongzheng.service_ticket_type_followup")
        )
        self.assertEqual(soon.partner_id, self.hospital_a)
        self.assertEqual(soon.team_id, self.team)
        self.assertEqual(soon.lot_ids, self.soon)
        self.assertEqual(soon.priority, "2", "platinum customer: high priority")
        overdue = visits - soon
        self.assertEqual(overdue.priority, "1", "no tier: normal priority")
        self.assertEqual(
            overdue.maintenance_due_date,
            self._months_ago(6, 20) + relativedelta(months=6),
        )
        self.assertFalse(self._cron(), "the second run opens none")
        Ticket = self.env["zhongzheng.service.ticket"]
        self.assertEqual(
            Ticket.search_count([("maintenance_lot_id", "in", self.soon.ids)]), 1
        )

    def test_done_visit_moves_the_next_due_date(self):
        visit = self._cron().filtered(lambda t: t.maintenance_lot_id == self.overdue)
        closed = self.env.ref("crm_zhongzheng.service_ticket_stage_closed")
        visit.with_user(self.service_manager).stage_id = closed
        self.assertEqual(self.overdue.zz_last_maintenance_date, self._days_ago(0))
        device = self._devices(self.hospital_c)
        self.assertEqual(
            device.maintenance_due_date, self._days_ago(0) + relativedelta(months=6)
        )
        self.assertFalse(self._cron(), "next due in 6 months: nothing to open")

    def test_settings_refuse_bad_values(self):
        with self.assertRaises(ValidationError):
            self.env.company.device_maintenance_days = -1
        other = self.env["res.company"].create({"name": "Other Devices Co."})
        with self.assertRaises(ValidationError):
            other.device_team_id = self.team
        with self.assertRaises(ValidationError):
            self.monitor.write({"tracking": "lot", "zz_maintenance_months": 3})


@tagged("post_install", "-at_install")
class TestRecalls(DeviceCase):
    """A recall finds who holds its lots now, opens one ticket per customer
    in tier order, and stops their delivery unless a manager overrides."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        for partner, tier in (
            (cls.hospital_a, "iron"),
            (cls.hospital_b, "platinum"),
            (cls.hospital_c, "gold"),
        ):
            partner.with_company(company).tier_id = cls.env.ref(
                f"crm_zhongzheng.customer_tier_{tier}"
            )
        cls.r1, cls.r2, cls.r3, cls.r4 = cls._serials(
            cls.scanner, "US-R1", "US-R2", "US-R3", "US-R4"
        )
        cls._deliver(cls.hospital_a, cls.r1)
        cls._deliver(cls.hospital_b, cls.r2)
        to_a = cls._deliver(cls.hospital_a, cls.r3)
        cls._return_delivery(to_a, cls.r3)
        cls._deliver(cls.hospital_c, cls.r3)
        cls.stock_user = make_user(cls.env, "zz_recall_stock", "stock.group_stock_user")
        cls.stock_service = make_user(
            cls.env,
            "zz_recall_stock_service",
            "stock.group_stock_user",
            "crm_zhongzheng.group_service_user",
        )
        cls.stock_service_manager = make_user(
            cls.env,
            "zz_recall_manager",
            "stock.group_stock_user",
            "crm_zhongzheng.group_service_manager",
        )
        cls.recall = (
            cls.env["zhongzheng.device.recall"]
            .with_user(cls.service_manager)
            .create(
                {
                    "product_id": cls.scanner.id,
                    "lot_ids": [(6, 0, (cls.r1 | cls.r2 | cls.r3 | cls.r4).ids)],
                    "reason": "Power supply may overheat",
                    "severity": "critical",
                }
            )
        )

    def test_service_user_can_neither_create_nor_launch(self):
        Recall = self.env["zhongzheng.device.recall"].with_user(self.service_user)
        with self.assertRaises(AccessError):
            Recall.create(
                {
                    "product_id": self.scanner.id,
                    "lot_ids": [(6, 0, self.r1.ids)],
                    "reason": "x",
                }
            )
        with self.assertRaises(AccessError):
            self.recall.with_user(self.service_user).action_launch()
        with self.assertRaises(AccessError):
            self.recall.with_user(self.service_user).write({"severity": "low"})
        self.assertEqual(self.recall.state, "draft")

    def test_launch_opens_one_ticket_per_current_holder_in_tier_order(self):
        self.recall.with_user(self.service_manager).action_launch()
        lines = self.recall.line_ids
        self.assertEqual(
            lines.mapped("partner_id"),
            self.hospital_b | self.hospital_c | self.hospital_a,
        )
        self.assertEqual(
            [line.partner_id for line in lines],
            [self.hospital_b, self.hospital_c, self.hospital_a],
            "platinum, gold, iron",
        )
        by_partner = {line.partner_id: line for line in lines}
        self.assertEqual(by_partner[self.hospital_a].lot_ids, self.r1, "R3 came back")
        self.assertEqual(by_partner[self.hospital_c].lot_ids, self.r3, "redelivered")
        tickets = lines.ticket_id
        self.assertEqual(len(tickets), 3)
        self.assertEqual(set(tickets.mapped("priority")), {"3"}, "critical")
        self.assertEqual(
            tickets.type_id, self.env.ref("crm_zhongzheng.service_ticket_type_recall")
        )
        self.assertEqual(by_partner[self.hospital_b].ticket_id.lot_ids, self.r2)
        self.assertIn(
            "Power supply may overheat",
            by_partner[self.hospital_b].ticket_id.description,
        )
        self.assertLess(
            by_partner[self.hospital_b].ticket_id.id,
            by_partner[self.hospital_a].ticket_id.id,
            "the top tier's ticket is opened first",
        )
        self.assertIn(self.recall.name, self.r4.zz_recall_warning)
        (fine,) = self._serials(self.scanner, "US-R9")
        self.assertFalse(fine.zz_recall_warning, "not recalled: no warning")
        self.assertEqual(
            self.env["stock.lot"].search(
                [
                    ("product_id", "=", self.scanner.id),
                    ("zz_recall_ids", "!=", False),
                ]
            ),
            self.r1 | self.r2 | self.r3 | self.r4,
        )
        self.assertTrue(self._devices(self.hospital_a).recalled)
        with self.assertRaises(UserError):
            self.recall.with_user(self.service_manager).write({"lot_ids": [(5,)]})

        # progress: service users move their customers' lines on
        line_a = by_partner[self.hospital_a].with_user(self.service_user)
        line_a.action_acknowledged()
        by_partner[self.hospital_b].with_user(self.service_user).action_fixed()
        with self.assertRaises(AccessError):
            line_a.write({"lot_ids": [(5,)]})
        counts = dict(
            self.env["zhongzheng.device.recall.line"]._read_group(
                [("recall_id", "=", self.recall.id)], ["state"], ["__count"]
            )
        )
        self.assertEqual(counts, {"notified": 1, "acknowledged": 1, "fixed": 1})
        self.assertEqual(self.recall.open_count, 2)

    def test_delivery_of_a_recalled_lot_needs_a_manager_override(self):
        self.recall.with_user(self.service_manager).action_launch()
        hospital_d = self._company_partner("Fourth People's Hospital")
        picking = self._deliver(hospital_d, self.r4, validate=False)
        self.assertIn("US-R4", picking.zz_recall_warning)
        with self.assertRaisesRegex(UserError, "US-R4"):
            picking.with_user(self.stock_user).button_validate()
        self.assertNotEqual(picking.state, "done")
        for user in (self.stock_user, self.stock_service, self.service_user):
            with self.assertRaises(AccessError):
                picking.with_user(user).write({"zz_recall_override": True})
        picking.with_user(self.stock_service_manager).zz_recall_override = True
        self.assertEqual(picking.zz_recall_override_uid, self.stock_service_manager)
        picking.with_user(self.stock_user).button_validate()
        self.assertEqual(picking.state, "done")
        self.assertEqual(self.r4.zz_partner_id, hospital_d)
        # not recalled: delivered as usual
        (fine,) = self._serials(self.scanner, "US-R5")
        self.assertEqual(self._deliver(hospital_d, fine).state, "done")

    def test_notice_in_the_customers_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.hospital_a.lang = "zh_CN"
        self.hospital_b.lang = "en_US"
        self.recall.with_context(lang="zh_CN").reason = "电源可能过热"
        self.recall.with_user(self.service_manager).action_launch()
        by_partner = {line.partner_id: line for line in self.recall.line_ids}
        Report = self.env["ir.actions.report"].with_user(self.service_user)
        html_a = Report._render_qweb_html(
            "crm_zhongzheng.report_recall_notice", by_partner[self.hospital_a].ids
        )[0].decode()
        self.assertIn("电源可能过热", html_a)
        self.assertIn("US-R1", html_a)
        self.assertNotIn("Power supply may overheat", html_a)
        html_b = Report._render_qweb_html(
            "crm_zhongzheng.report_recall_notice", by_partner[self.hospital_b].ids
        )[0].decode()
        self.assertIn("Power supply may overheat", html_b)
        self.assertNotIn("US-R1", html_b)
        action = self.recall.with_user(self.service_user).action_print_notices()
        self.assertEqual(action["report_name"], "crm_zhongzheng.report_recall_notice")
        self.assertEqual(
            set(action["context"]["active_ids"]), set(self.recall.line_ids.ids)
        )
