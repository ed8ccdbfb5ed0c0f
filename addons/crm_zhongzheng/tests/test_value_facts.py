from datetime import datetime, timedelta

from odoo import Command, fields
from odoo.tests import tagged

from .common import AS_OF, ValueCase


@tagged("post_install", "-at_install")
class TestPaymentAndDeliveryFacts(ValueCase):
    """Invoices, payments, deliveries and purchases of a company with its own
    chart of accounts and warehouse."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["account.chart.template"].try_loading(
            "generic_coa", company=cls.company, install_demo=False
        )
        cls.customer = cls._customer("Zhongshan Hospital")
        cls.queue = cls.env["zhongzheng.value.queue"]
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.syringes = cls.env["product.product"].create(
            {"name": "Disposable Syringes (box)", "is_storable": True}
        )

    def _invoice(self, amount, invoice_date, due_date=None):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.customer.id,
                "invoice_date": invoice_date,
                "invoice_date_due": due_date or invoice_date,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": "Infusion pumps",
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _pay(self, invoice, when):
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": when})._create_payments()

    def _queued(self):
        return self.queue.search_count([("partner_id", "=", self.customer.id)])

    def test_days_to_pay_open_and_overdue_receivables(self):
        paid = self._invoice(1000.0, AS_OF - timedelta(days=40))
        self.queue.search([]).unlink()
        self._pay(paid, AS_OF - timedelta(days=10))
        self.assertEqual(self._queued(), 1, "a reconciled payment queues the customer")
        self._invoice(
            500.0, AS_OF - timedelta(days=60), due_date=AS_OF - timedelta(days=30)
        )
        self._invoice(
            200.0, AS_OF - timedelta(days=5), due_date=AS_OF + timedelta(days=25)
        )
        self._recompute()
        self.assertEqual(paid.payment_state, "paid")
        self.assertEqual(self.customer.average_days_to_pay, 30.0)
        self.assertEqual(self.customer.invoiced_window, 1700.0)
        self.assertEqual(self.customer.receivable_open, 700.0)
        self.assertEqual(self.customer.receivable_overdue, 500.0)

    def test_health_reads_the_payment_facts(self):
        # paid in 30 days half a year ago, in 70 days lately, one overdue
        early = self._invoice(1000.0, AS_OF - timedelta(days=200))
        self._pay(early, AS_OF - timedelta(days=170))
        late = self._invoice(1000.0, AS_OF - timedelta(days=80))
        self._pay(late, AS_OF - timedelta(days=10))
        self._invoice(
            500.0, AS_OF - timedelta(days=60), due_date=AS_OF - timedelta(days=30)
        )
        self._order(self.customer, AS_OF - timedelta(days=3))
        self._recompute(fit_clv=False)
        customer = self.customer.with_company(self.company)
        self.assertEqual(
            (customer.days_to_pay_recent, customer.days_to_pay_before), (70.0, 30.0)
        )
        signals = {s.signal: s for s in customer.health_signal_ids}
        overdue, days = signals["payment_overdue"], signals["payment_days"]
        # 2,500 invoiced in the year: 625 a quarter
        self.assertEqual((overdue.value, overdue.reference), (500.0, 625.0))
        self.assertEqual((days.value, days.reference), (70.0, 30.0))
        self.assertIn("500.00 overdue", customer.health_reasons)
        self.assertIn("pays in 70 days, 30 before", customer.health_reasons)

    def test_posting_an_invoice_queues_the_customer(self):
        self.queue.search([]).unlink()
        self._invoice(100.0, AS_OF)
        self.assertEqual(self._queued(), 1)

    def _delivery(self, scheduled, done):
        self.env["stock.quant"]._update_available_quantity(
            self.syringes, self.warehouse.lot_stock_id, 10
        )
        picking = self.env["stock.picking"].create(
            {
                "partner_id": self.customer.id,
                "picking_type_id": self.warehouse.out_type_id.id,
                "scheduled_date": scheduled,
                "move_ids": [
                    Command.create(
                        {
                            "name": self.syringes.name,
                            "product_id": self.syringes.id,
                            "product_uom_qty": 2,
                            "location_id": self.warehouse.lot_stock_id.id,
                            "location_dest_id": self.env.ref(
                                "stock.stock_location_customers"
                            ).id,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        picking.move_ids.quantity = 2
        picking.button_validate()
        picking.date_done = done
        return picking

    def test_on_time_delivery_rate(self):
        day = datetime.combine(AS_OF, datetime.min.time())
        self.queue.search([]).unlink()
        on_time = self._delivery(day - timedelta(days=20), day - timedelta(days=21))
        self.assertEqual(on_time.state, "done")
        self.assertEqual(self._queued(), 1, "a validated delivery queues the customer")
        self._delivery(day - timedelta(days=10), day - timedelta(days=10))
        self._delivery(day - timedelta(days=5), day - timedelta(days=2))  # late
        self._delivery(day - timedelta(days=3), day - timedelta(days=1))  # late
        self._recompute()
        self.assertEqual(self.customer.delivery_count_window, 4)
        self.assertEqual(self.customer.delivery_on_time_rate, 50.0)

    def test_supplier_purchase_facts(self):
        supplier = self._customer("Siemens Healthineers")
        order = self._purchase(supplier, self.syringes, 100, 3.0)
        self.assertEqual(self.queue.search_count([("partner_id", "=", supplier.id)]), 1)
        order.date_order = fields.Datetime.to_datetime(AS_OF)
        self._recompute()
        self.assertEqual(supplier.purchase_count_window, 1)
        self.assertEqual(supplier.purchase_amount_window, 300.0)
        self.assertFalse(supplier.sale_count_total)
