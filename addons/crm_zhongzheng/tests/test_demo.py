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
        self.assertEqual(claim.refund_id.amount_total, 2400.0)
        self.assertEqual(
            sorted(tickets.filtered("rating_last_value").mapped("rating_last_value")),
            [2.0, 4.0, 5.0],
        )
        signed = tickets.picking_id.filtered(lambda p: p.tracking_status == "delivered")
        self.assertEqual(signed.tracking_event_ids[:1].signed_by, "Wang Lei")
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
