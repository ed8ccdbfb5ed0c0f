from odoo.tests import TransactionCase, tagged

STAFF = {
    "zhangwei": "crm_zhongzheng.group_crm_manager",
    "lina": "sales_team.group_sale_salesman",
    "wangfang": "crm_zhongzheng.group_service_user",
    "chengang": "purchase.group_purchase_user",
}


@tagged("post_install", "-at_install")
class TestZhongzhengDemo(TransactionCase):
    """A fresh demo database shows what the users came for: Zhongzheng's
    company in yuan, its staff, every tier and relationship class, their
    history, and meaningful scores (the figures are the company's)."""

    def setUp(self):
        super().setUp()
        if not self.env.ref("crm_zhongzheng.res_partner_ruijin_demo", False):
            self.skipTest("installed without demo data")
        self.company = self.env.ref("crm_zhongzheng.res_company_zhongzheng_demo")
        self.env = self.env(
            context=dict(self.env.context, allowed_company_ids=self.company.ids)
        )

    def test_zhongzheng_company_in_yuan_where_the_staff_land(self):
        company = self.company
        self.assertEqual(company.name, "中正公司")
        self.assertEqual(company.currency_id.name, "CNY")
        self.assertEqual(company.country_id.code, "CN")
        self.assertEqual(company.state_id, self.env.ref("base.state_cn_SH"))
        self.assertIn(company.chart_template, ("cn", "generic_coa"))
        self.assertTrue(
            self.env["account.journal"].search_count(
                [("company_id", "=", company.id), ("type", "=", "sale")]
            )
        )
        Users = self.env["res.users"].with_context(active_test=False)
        for login, group in STAFF.items():
            user = Users.search([("login", "=", login)])
            self.assertEqual(user.company_id, company, login)
            self.assertEqual(user.company_ids, company, login)
            self.assertEqual(user.lang, "zh_CN", login)
            self.assertTrue(user.has_group(group), login)
        admin = self.env.ref("base.user_admin")
        self.assertEqual(admin.company_id, company)
        self.assertIn(self.env.ref("base.main_company"), admin.company_ids)
        # the demo's business is the company's, in yuan
        demo_customer = ("partner_id.commercial_partner_id.ref", "=like", "C-%")
        orders = self.env["sale.order"].search([demo_customer])
        self.assertGreater(len(orders), 150)
        self.assertEqual(orders.company_id, company)
        self.assertEqual(
            self.env["account.move"]
            .search(
                [
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("commercial_partner_id.ref", "=like", "C-%"),
                ]
            )
            .company_id,
            company,
        )
        self.assertFalse(
            self.env["sale.order"].search_count(
                [("company_id", "!=", company.id), demo_customer]
            ),
            "no demo customer order in another company",
        )
        # Chinese customers go by their Chinese names
        ruijin = self.env.ref("crm_zhongzheng.res_partner_ruijin_demo")
        self.assertEqual(ruijin.name, "上海瑞金医疗用品有限公司")

    def test_foreign_customers_and_suppliers_in_euros_and_dollars(self):
        def currencies(model, xmlid):
            partner = self.env.ref(f"crm_zhongzheng.{xmlid}")
            records = self.env[model].search([("partner_id", "=", partner.id)])
            self.assertTrue(records, xmlid)
            return set(records.mapped("currency_id.name"))

        self.assertEqual(currencies("sale.order", "res_partner_medtrade_demo"), {"EUR"})
        self.assertEqual(currencies("sale.order", "res_partner_bach_mai_demo"), {"USD"})
        self.assertEqual(currencies("sale.order", "res_partner_ruijin_demo"), {"CNY"})
        self.assertEqual(
            currencies("purchase.order", "res_partner_supplier_sonomed_demo"), {"EUR"}
        )
        self.assertEqual(
            currencies("purchase.order", "res_partner_supplier_kyoto_monitor_demo"),
            {"USD"},
        )
        self.assertEqual(
            currencies("purchase.order", "res_partner_supplier_huaxin_demo"), {"CNY"}
        )
        # a euro order is worth its amount at the company's rate in yuan
        isar = self.env.ref("crm_zhongzheng.res_partner_isar_demo")
        order = self.env["sale.order"].search([("partner_id", "=", isar.id)], limit=1)
        self.assertAlmostEqual(order.currency_rate, 0.128, 3)

    def test_every_tier_and_class_with_history(self):
        Partner = self.env["res.partner"]
        for code in ("platinum", "gold", "iron", "lead"):
            self.assertTrue(Partner.search_count([("tier_id.code", "=", code)]), code)
        for klass in ("loyal", "marginal", "potential", "non_customer", "lost"):
            self.assertTrue(
                Partner.search_count([("relationship_class", "=", klass)]), klass
            )
        history = self.env["zhongzheng.relationship.history"].search([])
        self.assertGreaterEqual(len(set(history.mapped("date"))), 6)
        self.assertIn("lost", history.mapped("class_to"))

    def test_customers_have_meaningful_figures(self):
        lead = self.env.ref("crm_zhongzheng.res_partner_zhongyuan_demo")
        self.assertEqual(lead.tier_id.code, "lead")
        self.assertLess(lead.sudo().margin_window, 0)
        self.assertGreater(lead.receivable_overdue, 0)
        top = self.env.ref("crm_zhongzheng.res_partner_beijing_union_demo")
        self.assertEqual(top.tier_id.code, "platinum")
        self.assertGreater(top.value_score, lead.value_score)
        self.assertEqual(top.abc_class, "a")
        self.assertTrue(top.rfm_segment_id)
        fit = self.env["zhongzheng.clv.fit"].search([("state", "=", "done")], limit=1)
        self.assertTrue(fit, "the demo has enough repeat buyers for a CLV fit")
        self.assertGreater(top.sudo().clv_value, 0)

    def test_service_tickets_in_every_stage(self):
        Ticket = self.env["zhongzheng.service.ticket"]
        demo_customers = self.env["res.partner"].search(
            [
                (
                    "id",
                    "in",
                    [
                        self.env.ref(f"crm_zhongzheng.res_partner_{key}_demo").id
                        for key in (
                            "ruijin",
                            "beijing_union",
                            "nanfang",
                            "west_china",
                            "tongji",
                            "gulou",
                            "zhongyuan",
                        )
                    ],
                )
            ]
        )
        tickets = Ticket.search([("commercial_partner_id", "in", demo_customers.ids)])
        stages = self.env["zhongzheng.service.ticket.stage"].search([])
        self.assertEqual(tickets.stage_id, stages, "a ticket in every stage")
        self.assertGreaterEqual(len(tickets.type_id), 6)
        # the carrier's exception event opened the Beijing Union ticket
        exception = tickets.filtered(lambda t: t.type_id.code == "exception")
        self.assertEqual(exception.picking_id.tracking_status, "exception")
        # the approved claim was refunded by a draft credit note
        claim = tickets.filtered("is_claim")
        self.assertEqual(claim.claim_state, "approved")
        self.assertEqual(claim.refund_id.amount_total, 16800.0)
        self.assertEqual(
            sorted(tickets.filtered("rating_last_value").mapped("rating_last_value")),
            [2.0, 4.0, 5.0],
        )
        signed = tickets.picking_id.filtered(lambda p: p.tracking_status == "delivered")
        self.assertEqual(signed.tracking_event_ids[:1].signed_by, "王磊")
        # Ruijin's buyer sees the company's tickets in the portal
        portal = self.env.ref("crm_zhongzheng.user_ruijin_portal_demo")
        self.assertEqual(
            Ticket.with_user(portal).search_count([]),
            Ticket.search_count(
                [
                    (
                        "commercial_partner_id",
                        "=",
                        portal.partner_id.commercial_partner_id.id,
                    )
                ]
            ),
        )
        self.assertEqual(
            Ticket.with_user(portal).search([]).partner_id.commercial_partner_id,
            self.env.ref("crm_zhongzheng.res_partner_ruijin_demo"),
        )
