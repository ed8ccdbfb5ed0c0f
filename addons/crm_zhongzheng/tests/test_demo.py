from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestZhongzhengDemo(TransactionCase):
    """A fresh demo database shows what the users came for: every tier and
    relationship class, their history, and meaningful scores."""

    def setUp(self):
        super().setUp()
        if not self.env.ref("crm_zhongzheng.res_partner_ruijin_demo", False):
            self.skipTest("installed without demo data")

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
