from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import ValueCase


@tagged("post_install", "-at_install")
class TestClaimsAndTracking(ValueCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_chart()
        cls.customer = cls._customer("Nanjing Drum Tower Hospital")
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.pumps = cls.env["product.product"].create(
            {"name": "Infusion Pump", "is_storable": True, "list_price": 900.0}
        )
        cls.env["stock.quant"]._update_available_quantity(
            cls.pumps, cls.warehouse.lot_stock_id, 10
        )
        cls.Ticket = cls.env["zhongzheng.service.ticket"]
        cls.claim_type = cls.env.ref("crm_zhongzheng.service_ticket_type_claim")
        cls.closed = cls.env.ref("crm_zhongzheng.service_ticket_stage_closed")

    def _delivered_order(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.pumps.id,
                            "product_uom_qty": 2,
                            "tax_id": [],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        picking = order.picking_ids
        picking.move_ids.quantity = 2
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        return order, picking

    def _claim(self, picking, amount=500.0):
        return self.Ticket.create(
            {
                "name": "Pump housings cracked",
                "type_id": self.claim_type.id,
                "partner_id": self.customer.id,
                "picking_id": picking.id,
                "sale_order_id": picking.sale_id.id,
                "claim_amount": amount,
                "claim_cause": "carrier_damage",
                "responsible_party": "carrier",
            }
        )

    def test_only_managers_approve_and_a_credit_note_follows(self):
        _order, picking = self._delivered_order()
        claim = self._claim(picking)
        self.assertEqual(claim.claim_state, "draft")
        with self.assertRaises(AccessError):
            claim.with_user(self.service_user).action_approve_claim()
        self.assertEqual(claim.claim_state, "draft")
        claim.with_user(self.service_manager).action_approve_claim()
        self.assertEqual(claim.claim_state, "approved")
        self.assertEqual(claim.claim_approved_amount, 500.0)
        self.assertEqual(claim.claim_approved_by, self.service_manager)
        self.assertIn("Claim approved by", claim.message_ids[0].body)
        with self.assertRaises(AccessError):
            claim.with_user(self.service_user).action_create_credit_note()
        claim.with_user(self.service_manager).action_create_credit_note()
        refund = claim.refund_id
        self.assertEqual(refund.state, "draft", "finance posts it")
        self.assertEqual(refund.move_type, "out_refund")
        self.assertEqual(refund.partner_id, self.customer)
        self.assertEqual(refund.amount_total, 500.0)
        # approved compensation and handling cost are the cost-to-serve
        claim.sudo().handling_cost = 80.0
        claim.stage_id = self.closed
        self.engine._recompute(companies=self.company, fit_clv=False)
        manager_view = self.customer.with_user(self.crm_manager)
        self.assertEqual(manager_view.cost_to_serve, 580.0)

    def test_return_of_the_delivery(self):
        _order, picking = self._delivered_order()
        claim = self._claim(picking)
        claim.action_approve_claim()
        claim.action_create_return()
        returned = claim.return_picking_id
        self.assertEqual(returned.picking_type_id.code, "incoming")
        self.assertEqual(returned.move_ids.product_uom_qty, 2.0)
        self.assertEqual(returned.move_ids.product_id, self.pumps)

    def test_replacement_returns_and_delivers_the_goods_again(self):
        _order, picking = self._delivered_order()
        claim = self._claim(picking, amount=0.0)
        claim.claim_remedy = "replace"
        with self.assertRaises(AccessError):
            claim.with_user(self.service_user).action_approve_claim()
        claim.with_user(self.service_manager).action_approve_claim()
        self.assertEqual(claim.claim_state, "approved")
        self.assertIn("replacement of the goods", claim.message_ids[0].body)
        with self.assertRaises(UserError):
            claim.with_user(self.service_manager).action_create_credit_note()
        self.assertFalse(claim.refund_id)
        with self.assertRaises(AccessError):
            claim.with_user(self.service_user).action_create_return()
        claim.with_user(self.service_manager).action_create_return()
        returned = claim.return_picking_id
        self.assertEqual(returned.picking_type_id.code, "incoming")
        self.assertEqual(returned.return_id, picking)
        self.assertEqual(returned.move_ids.product_uom_qty, 2.0)
        exchange = claim.exchange_picking_id
        self.assertEqual(exchange.picking_type_id.code, "outgoing")
        self.assertEqual(exchange.partner_id, picking.partner_id)
        self.assertEqual(exchange.move_ids.product_id, self.pumps)
        self.assertEqual(exchange.move_ids.product_uom_qty, 2.0)
        self.assertNotIn(exchange.state, ("done", "cancel"))
        self.assertIn(exchange.name, claim.message_ids[0].body)
        # decided: the service user cannot turn it back into a compensation
        with self.assertRaises(UserError):
            claim.with_user(self.service_user).claim_remedy = "compensation"

    def test_bad_amounts_change_nothing(self):
        _order, picking = self._delivered_order()
        claim = self._claim(picking)
        with self.assertRaises(ValidationError):
            claim.claim_amount = -10.0
        self.assertEqual(claim.claim_amount, 500.0)
        with self.assertRaises(ValidationError):
            self._claim(picking, amount=-1.0)

    def test_supplier_incidents_lower_the_supplier_rating(self):
        supplier = self._customer("Component Factory")
        purchase = self._purchase(supplier, self.pumps, 5, 300)
        receipt = purchase.picking_ids
        receipt.scheduled_date = fields.Datetime.now() + timedelta(days=1)
        receipt.move_ids.quantity = 5
        receipt.button_validate()
        self.engine._recompute(companies=self.company, fit_clv=False)
        self.assertEqual(supplier.supplier_rating, 100.0)
        self.Ticket.create(
            {
                "name": "Faulty batch of pump motors",
                "type_id": self.env.ref(
                    "crm_zhongzheng.service_ticket_type_complaint"
                ).id,
                "partner_id": self.customer.id,
                "purchase_order_id": purchase.id,
                "responsible_party": "supplier",
            }
        )
        self.engine._recompute(companies=self.company, fit_clv=False)
        self.assertEqual(supplier.supplier_incident_count, 1)
        self.assertEqual(supplier.supplier_rating, 90.0, "one incident per receipt")

    def test_exception_event_opens_or_adds_to_the_ticket(self):
        order, picking = self._delivered_order()
        Event = self.env["zhongzheng.tracking.event"]
        now = fields.Datetime.now()
        Event.create(
            [
                {"picking_id": picking.id, "kind": "picked_up", "event_time": now},
                {
                    "picking_id": picking.id,
                    "kind": "in_transit",
                    "event_time": now + timedelta(hours=5),
                    "location": "Wuxi hub",
                },
            ]
        )
        self.assertEqual(picking.tracking_status, "in_transit")
        self.assertEqual(order.delivery_tracking_status, "in_transit")
        first = Event.create(
            {
                "picking_id": picking.id,
                "kind": "exception",
                "event_time": now + timedelta(hours=8),
                "location": "Nanjing",
                "note": "Carton crushed",
            }
        )
        ticket = first.ticket_id
        self.assertEqual(ticket.type_id.code, "exception")
        self.assertEqual(
            (ticket.picking_id, ticket.sale_order_id, ticket.commercial_partner_id),
            (picking, order, self.customer),
        )
        self.assertEqual(picking.service_ticket_count, 1)
        self.assertEqual(order.service_ticket_count, 1)
        self.assertEqual(self.customer.service_ticket_count, 1)
        second = Event.create(
            {
                "picking_id": picking.id,
                "kind": "exception",
                "event_time": now + timedelta(hours=9),
                "note": "Recipient absent",
            }
        )
        self.assertEqual(second.ticket_id, ticket, "adds to the open ticket")
        self.assertIn("Recipient absent", ticket.message_ids[0].body)
        Event.create(
            {
                "picking_id": picking.id,
                "kind": "delivered",
                "event_time": now + timedelta(days=1),
                "signed_by": "Dr. Zhang",
            }
        )
        self.assertEqual(picking.tracking_status, "delivered")

    def test_new_ticket_from_a_delivery_is_prefilled(self):
        order, picking = self._delivered_order()
        action = picking.action_new_service_ticket()
        ctx = action["context"]
        self.assertEqual(ctx["default_picking_id"], picking.id)
        self.assertEqual(ctx["default_sale_order_id"], order.id)
        self.assertEqual(ctx["default_partner_id"], self.customer.id)
        ticket = self.Ticket.with_context(**ctx).create({"name": "Manual ticket"})
        self.assertEqual(ticket.product_ids, self.pumps)

    def test_closing_asks_for_a_rating_and_staff_can_record_one(self):
        self.customer.email = "service@drumtower.example"
        ticket = self.Ticket.create(
            {"name": "Manual missing", "partner_id": self.customer.id}
        )
        ticket.stage_id = self.closed
        request = ticket.message_ids.filtered(
            lambda m: "how did we handle" in (m.subject or "")
        )
        self.assertEqual(len(request), 1)
        self.assertIn("/rate/", request.body)
        rating = ticket.rating_ids
        self.assertEqual(len(rating), 1, "the request's token")
        # the customer clicks "4" in the e-mail
        ticket.rating_apply(4, token=rating.access_token, feedback="Fast answer")
        self.assertEqual(ticket.rating_last_value, 4.0)
        # or staff record it after a follow-up call
        wizard = self.env["zhongzheng.ticket.rating"].create(
            {"ticket_id": ticket.id, "score": "2", "feedback": "Too slow"}
        )
        wizard.action_record()
        self.assertEqual(ticket.rating_last_value, 2.0)
        with self.assertRaises(UserError):
            ticket._record_rating(7)

    def test_reopen_count_and_sla_compliance_measures(self):
        self.env["zhongzheng.service.sla"].create(
            {"name": "Test company standard", "company_id": self.company.id}
        )
        ticket = self.Ticket.create(
            {"name": "Wrong lot number", "partner_id": self.customer.id}
        )
        ticket.stage_id = self.closed
        self.assertEqual(ticket.sla_status, "met")
        self.assertEqual(ticket.sla_compliance, 100.0)
        ticket.action_reopen()
        self.assertEqual(ticket.reopen_count, 1)
        self.assertFalse(ticket.sla_compliance)

    def test_follow_up_visits_after_deliveries_for_chosen_tiers(self):
        platinum = self.env.ref("crm_zhongzheng.customer_tier_platinum")
        self.company.write(
            {"followup_days": 7, "followup_tier_ids": [Command.set(platinum.ids)]}
        )
        _order, picking = self._delivered_order()
        other = self._customer("Iron Clinic")
        self.env["zhongzheng.tier.override"].create(
            {"partner_id": self.customer.id, "tier_id": platinum.id, "reason": "VIP"}
        )
        picking.date_done = fields.Datetime.now() - timedelta(days=8)
        Ticket = self.Ticket
        created = Ticket._cron_schedule_visits()
        self.assertEqual(len(created), 1)
        self.assertEqual(created.type_id.code, "followup")
        self.assertEqual(created.picking_id, picking)
        self.assertEqual(created.commercial_partner_id, self.customer)
        self.assertFalse(Ticket._cron_schedule_visits(), "once per delivery")
        self.assertFalse(Ticket.search([("commercial_partner_id", "=", other.id)]))
        with self.assertRaises(ValidationError):
            created.questionnaire_score = 120
        created.questionnaire_score = 85
