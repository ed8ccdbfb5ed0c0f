from odoo.tests import HttpCase, tagged

from .common import make_user
from .devices_common import DeviceCase


@tagged("post_install", "-at_install")
class TestRecallTour(HttpCase, DeviceCase):
    """A service manager launches a recall in the browser and sees its
    tickets; the test then checks what the recall recorded."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        # the rights matrix's service manager: no Inventory or CRM rights
        cls.manager = make_user(
            cls.env,
            "zz_tour_recall_manager",
            "base.group_user",
            "crm_zhongzheng.group_service_manager",
            company=company,
        )
        cls.pump = cls.env["product.product"].create(
            {
                "name": "Tour Infusion Pump",
                "is_storable": True,
                "tracking": "lot",
                "categ_id": cls.category.id,
            }
        )
        cls.lot = cls.env["stock.lot"].create(
            {"name": "IP-TOUR-7", "product_id": cls.pump.id}
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.pump, cls.stock, 3.0, lot_id=cls.lot
        )
        # the same lot to three customers, the lowest tier first
        cls.holders = []
        for name, tier in (
            ("Xinhua Iron Clinic", "iron"),
            ("Renji Platinum Hospital", "platinum"),
            ("Huashan Gold Hospital", "gold"),
        ):
            partner = cls._company_partner(name)
            partner.with_company(company).tier_id = cls.env.ref(
                f"crm_zhongzheng.customer_tier_{tier}"
            )
            cls._deliver(partner, cls.lot)
            cls.holders.append(partner)
        cls.iron, cls.platinum, cls.gold = cls.holders

    def test_manager_launches_a_recall_and_sees_its_tickets(self):
        self.start_tour(
            "/odoo", "crm_zhongzheng_recall_launch", login=self.manager.login
        )
        recall = self.env["zhongzheng.device.recall"].search(
            [("product_id", "=", self.pump.id)]
        )
        self.assertEqual(len(recall), 1)
        self.assertEqual(recall.state, "running")
        self.assertEqual(recall.severity, "critical")
        self.assertEqual(recall.lot_ids, self.lot)
        self.assertEqual(recall.create_uid, self.manager)
        self.assertEqual(
            [line.partner_id for line in recall.line_ids],
            [self.platinum, self.gold, self.iron],
        )
        self.assertEqual(set(recall.line_ids.mapped("state")), {"notified"})
        tickets = self.env["zhongzheng.service.ticket"].search(
            [("recall_id", "=", recall.id)], order="id"
        )
        self.assertEqual(
            tickets.mapped("partner_id"), self.platinum | self.gold | self.iron
        )
        self.assertEqual(
            [ticket.partner_id for ticket in tickets],
            [self.platinum, self.gold, self.iron],
            "the top tier's ticket is opened first",
        )
        self.assertEqual(set(tickets.mapped("priority")), {"3"}, "critical")
        for ticket in tickets:
            self.assertEqual(ticket.lot_ids, self.lot)
            self.assertIn("stop without an alarm", ticket.description)
        self.assertIn(recall.name, self.lot.zz_recall_warning)
