from odoo.tests import HttpCase, tagged

from .common import demo_company, make_user


@tagged("post_install", "-at_install")
class TestStaffTours(HttpCase):
    """The staff flows in a real browser, on the demo data: each tour checks
    what the user sees; the test then checks what was recorded."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # on the demo, in its company (admin lands there too)
        company = demo_company(cls.env)
        cls.env = cls.env(
            context=dict(cls.env.context, allowed_company_ids=company.ids)
        )
        cls.demo = cls.env.ref("crm_zhongzheng.res_partner_beijing_union_demo", False)
        # Zhongzheng's salespeople are Customer Relations users
        sales = ("sales_team.group_sale_salesman", "crm_zhongzheng.group_crm_user")
        service = ("stock.group_stock_user", "crm_zhongzheng.group_service_user")
        cls.sales_user = make_user(cls.env, "zz_tour_sales", *sales, company=company)
        cls.service_user = make_user(
            cls.env, "zz_tour_service", *service, company=company
        )

    def setUp(self):
        super().setUp()
        if not self.demo:
            self.skipTest("installed without demo data")

    def test_value_tab_shows_the_score_breakdown(self):
        self.start_tour(
            f"/odoo/contacts/{self.demo.id}",
            "crm_zhongzheng_value_tab",
            login="zz_tour_sales",
        )

    def test_manager_overrides_a_tier_with_a_reason(self):
        customer = self.env["res.partner"].search(
            [("tier_id.code", "=", "iron"), ("is_company", "=", True)], limit=1
        )
        self.start_tour(
            f"/odoo/contacts/{customer.id}",
            "crm_zhongzheng_tier_override",
            login="admin",
        )
        self.assertEqual(customer.tier_id.code, "gold")
        self.assertEqual(customer.tier_computed_id.code, "iron")
        self.assertEqual(
            customer.tier_override_id.reason, "Framework contract signed for 2027"
        )

    def test_ticket_from_a_delivery_through_its_stages(self):
        delivery = self.env["stock.picking"].search(
            [("picking_type_code", "=", "outgoing"), ("state", "=", "done")], limit=1
        )
        self.start_tour(
            f"/odoo/deliveries/{delivery.id}",
            "crm_zhongzheng_ticket_from_delivery",
            login="zz_tour_service",
        )
        ticket = self.env["zhongzheng.service.ticket"].search(
            [("name", "=", "Carton dented on arrival")]
        )
        self.assertEqual(ticket.picking_id, delivery)
        self.assertEqual(ticket.partner_id, delivery.partner_id)
        self.assertTrue(ticket.is_closed)
        self.assertTrue(ticket.date_first_response and ticket.date_closed)

    def test_claim_registered_then_approved_into_a_credit_note(self):
        self.start_tour(
            "/odoo/action-crm_zhongzheng.service_ticket_action/new",
            "crm_zhongzheng_claim_register",
            login="zz_tour_service",
        )
        claim = self.env["zhongzheng.service.ticket"].search(
            [("name", "=", "Two monitors broken in transit")]
        )
        self.assertEqual(claim.claim_state, "draft")
        self.start_tour(
            f"/odoo/action-crm_zhongzheng.service_ticket_action/{claim.id}",
            "crm_zhongzheng_claim_approve",
            login="admin",
        )
        self.assertEqual(claim.claim_state, "approved")
        self.assertEqual(claim.claim_approved_by.login, "admin")
        self.assertEqual(claim.refund_id.move_type, "out_refund")
        self.assertEqual(claim.refund_id.amount_total, 1250.0)

    def test_manager_opens_the_dashboard_pivot_then_the_graph(self):
        self.start_tour("/odoo", "crm_zhongzheng_dashboard", login="admin")
