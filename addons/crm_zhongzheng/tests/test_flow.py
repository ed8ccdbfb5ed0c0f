from datetime import datetime, timedelta

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import AS_OF, ValueCase


@tagged("post_install", "-at_install")
class TestSaleWarnings(ValueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_chart()
        cls.customer = cls._customer("Below Cost Trading Co.")

    def test_lead_tier_warns_and_blocks_only_if_enabled(self):
        self.env["zhongzheng.tier.override"].create(
            {"partner_id": self.customer.id, "tier_id": self.lead.id, "reason": "Audit"}
        )
        order = self._order(self.customer, AS_OF, 100, confirm=False)
        self.assertEqual(order.partner_tier_id, self.lead)
        self.assertIn("is in the lead tier", order.customer_risk_warning)
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        note = order.message_ids[:3].mapped("body")[0]
        self.assertIn("Confirmed despite a warning", note)
        # the chatter is read by employees who may not know the tiers
        self.assertIn("Customer Relations flagged this customer", note)
        self.assertNotIn("lead tier", note)
        self.company.sale_block_risky = True
        blocked = self._order(self.customer, AS_OF, 100, confirm=False)
        with self.assertRaisesRegex(UserError, "cannot be confirmed"):
            blocked.action_confirm()
        self.assertEqual(blocked.state, "draft")
        # a good customer is never warned nor blocked
        fine = self._order(self._customer("Good Hospital"), AS_OF, 100)
        self.assertEqual(fine.state, "sale")
        self.assertFalse(fine.customer_risk_warning)

    def test_overdue_above_credit_limit(self):
        self.company.account_use_credit_limit = True
        self.customer.credit_limit = 300.0
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": AS_OF,
                "invoice_date_due": AS_OF,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Gloves", "price_unit": 500.0, "tax_ids": []}
                    )
                ],
            }
        )
        invoice.action_post()
        order = self._order(self.customer, AS_OF, 100, confirm=False)
        self.assertIn("exceeds its credit limit", order.customer_risk_warning)
        self.company.sale_block_risky = True
        with self.assertRaises(UserError):
            order.action_confirm()
        self.customer.credit_limit = 1000.0
        order.invalidate_recordset(["customer_risk_warning"])
        self.assertFalse(order.customer_risk_warning)
        order.action_confirm()
        self.assertEqual(order.state, "sale")


@tagged("post_install", "-at_install")
class TestPipelineAndSuppliers(ValueCase):
    def test_key_customer_opportunities_are_flagged(self):
        big = self._customer("Platinum Hospital")
        small = self._customer("Small Clinic")
        for partner, price in ((big, 1000), (small, 61)):
            self._order(partner, AS_OF - timedelta(days=200), price)
        self.engine._recompute(companies=self.company)
        self.assertEqual(big.tier_id.code, "platinum")
        Lead = self.env["crm.lead"]
        flagged = Lead.create(
            {"name": "CT tender", "type": "opportunity", "partner_id": big.id}
        )
        plain = Lead.create(
            {"name": "Gloves", "type": "opportunity", "partner_id": small.id}
        )
        self.assertTrue(flagged.key_customer)
        self.assertFalse(plain.key_customer)
        found = Lead.search(
            [("key_customer", "=", True), ("id", "in", (flagged | plain).ids)]
        )
        self.assertEqual(found, flagged)

    def test_supplier_rating_from_receipts(self):
        supplier = self._customer("Mindray Components")
        product = self.env["product.product"].create(
            {"name": "Monitor module", "is_storable": True}
        )
        order = self.env["purchase.order"].create(
            {
                "partner_id": supplier.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_qty": 100,
                            "price_unit": 5.0,
                        }
                    )
                ],
            }
        )
        order.button_confirm()
        receipt = order.picking_ids
        receipt.scheduled_date = datetime.now() - timedelta(days=10)
        receipt.move_ids.quantity = 80
        receipt.with_context(
            skip_backorder=True, picking_ids_not_to_backorder=receipt.ids
        ).button_validate()
        self.assertEqual(receipt.state, "done")
        receipt.date_done = datetime.now() - timedelta(days=7)  # three days late
        self.engine._recompute(companies=self.company)
        self.assertEqual(supplier.supplier_receipt_count, 1)
        self.assertEqual(supplier.supplier_on_time_rate, 0.0)
        self.assertEqual(supplier.supplier_qty_accuracy, 80.0)
        # 0 of 50 on-time points, 32 of 40 accuracy points, all 10 quality points
        self.assertEqual(supplier.supplier_rating, 42.0)
        self.assertEqual(order.supplier_rating, 42.0)
