"""Issue 14: the customer figures are Customer Relations', the addon changes
nothing for users of none of its groups, blocking risky sales never hurts the
customer paying or signing online, the value queue loses nothing, and the
engine has no public entry taking a past date. Each as the user concerned."""

from datetime import timedelta
from unittest.mock import patch

import psycopg2

from odoo import SUPERUSER_ID, Command, api
from odoo.api import call_kw
from odoo.exceptions import AccessError, UserError
from odoo.models import check_method_name
from odoo.tests import Form, TransactionCase, new_test_user, tagged

from .common import AS_OF, ValueCase, ZhongzhengCase, demo_company, make_user
from .test_reports import ReportCase

# the figures of issue 14, point 4, as a CRM user reads them
CRM_FIGURES = [
    "tier_id",
    "relationship_class",
    "value_score",
    "value_points_current",
    "rfm_recency",
    "rfm_segment_id",
    "abc_class",
    "clv_prob_alive",
    "clv_expected_purchases",
    "revenue_window",
    "receivable_overdue",
    "average_days_to_pay",
    "supplier_rating",
    "tier_override_id",
    "tier_pending",
    "relationship_history_ids",
]
# one record of each of the core models the addon extends
CORE_MODELS = [
    "sale.order",
    "res.partner",
    "stock.picking",
    "purchase.order",
    "account.move",
    "crm.lead",
]


@tagged("post_install", "-at_install")
class TestNothingChangesForOthers(ZhongzhengCase):
    """Point 0: a user of none of the addon's groups reads the documents as
    without it (the demo's records, in the main company)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the demo's documents are in its Zhongzheng company
        demo = demo_company(cls.env)
        companies = {
            "company_id": demo.id,
            "company_ids": [Command.set((demo | cls.env.company).ids)],
        }
        cls.back_office = make_user(
            cls.env,
            "zz_back_office",
            "sales_team.group_sale_salesman_all_leads",
            "stock.group_stock_manager",
            "purchase.group_purchase_user",
            "account.group_account_invoice",
            **companies,
        )
        cls.service_clerk = make_user(
            cls.env,
            "zz_service_clerk",
            "stock.group_stock_user",
            "crm_zhongzheng.group_service_manager",
            **companies,
        )

    def _one(self, model, domain=()):
        record = self.env[model].search(list(domain), limit=1)
        self.assertTrue(record, f"the demo has a {model}")
        return record

    def test_read_without_field_list_works_for_other_users(self):
        for model in CORE_MODELS:
            domain = (
                [("move_type", "=", "out_invoice")] if model == "account.move" else []
            )
            record = self._one(model, domain).with_user(self.back_office)
            values = record.read()[0]  # no AccessError
            self.assertEqual(values["id"], record.id)
            self.assertNotIn("service_ticket_count", values, model)
            self.assertNotIn("partner_tier_id", values, model)
        partner = self._one("res.partner", [("sale_count_total", "!=", False)])
        values = partner.with_user(self.back_office).read()[0]
        for name in CRM_FIGURES:
            self.assertNotIn(name, values)
        # the demo delivery with tickets: its ticket ids are Customer Service's
        picking = self._one("stock.picking", [("service_ticket_ids", "!=", False)])
        values = picking.with_user(self.back_office).read()[0]
        self.assertNotIn("service_ticket_ids", values)
        self.assertIn("tracking_status", values, "tracking stays everyone's")

    def test_every_added_field_is_readable_or_left_out(self):
        """Whatever of the addon's fields a read() without a field list
        gives a user is readable: for a sales user, an employee and a
        portal user (whose read() of its partner or company fails in Odoo
        itself, on bank accounts and working hours)."""
        portal = new_test_user(
            self.env, login="zz_portal_reader", groups="base.group_portal"
        )
        salesman = new_test_user(
            self.env,
            login="zz_own_salesman",
            groups="sales_team.group_sale_salesman",
        )
        records = {
            portal: [portal.partner_id, self.env.company],
            salesman: [salesman.partner_id, self.env.company],
            self.plain_user: [self.env.company, self.plain_user.partner_id],
            self.back_office: [self._one(m) for m in CORE_MODELS] + [self.env.company],
        }
        for user, targets in records.items():
            for record in targets:
                record = record.with_user(user)
                names = [
                    name
                    for name, field in record._fields.items()
                    if getattr(field, "_module", None) == "crm_zhongzheng"
                    and field.is_accessible(record.env)
                ]
                record.read(names)  # no AccessError
                for name in CRM_FIGURES:
                    self.assertNotIn(name, names, f"{user.login}: {name}")

    def test_service_user_still_sees_ticket_counts(self):
        picking = self._one("stock.picking", [("service_ticket_ids", "!=", False)])
        values = picking.with_user(self.service_clerk).read(["service_ticket_count"])
        self.assertGreater(values[0]["service_ticket_count"], 0)


class FiguresCase(ValueCase):
    """A lead-tier customer with a contact who logs in on the portal, its
    quotation, invoice and opportunity; a supplier's purchase order; a
    salesman and a purchaser of none of the addon's groups."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_chart()
        cls.customer = cls._customer("Lead Tier Clinic")
        cls.env["zhongzheng.tier.override"].create(
            {"partner_id": cls.customer.id, "tier_id": cls.lead.id, "reason": "Audit"}
        )
        cls.buyer = cls.env["res.partner"].create(
            {"name": "Clinic Buyer", "parent_id": cls.customer.id, "email": "b@x.cn"}
        )
        company = {"company_id": cls.company.id, "company_ids": cls.company.ids}
        cls.salesman = new_test_user(
            cls.env,
            login="zz_salesman_no_crm",
            groups="sales_team.group_sale_salesman_all_leads,account.group_account_invoice",
            **company,
        )
        cls.purchaser = new_test_user(
            cls.env,
            login="zz_purchaser_no_crm",
            groups="purchase.group_purchase_user",
            **company,
        )
        cls.portal = new_test_user(
            cls.env,
            login="zz_clinic_portal",
            groups="base.group_portal",
            partner_id=cls.buyer.id,
            **company,
        )
        cls.plain_user.write(company)
        cls.crm_salesman = new_test_user(
            cls.env,
            login="zz_crm_salesman",
            groups="sales_team.group_sale_salesman_all_leads,crm_zhongzheng.group_crm_user",
            **company,
        )
        cls.order = cls._order(cls.customer, AS_OF, 100, confirm=False)
        cls.order.user_id = cls.salesman
        cls.order.message_subscribe(cls.buyer.ids)
        cls.supplier = cls._customer("Parts Supplier")
        cls.purchase = cls.env["purchase.order"].create(
            {
                "partner_id": cls.supplier.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": cls.monitor.id,
                            "product_qty": 1,
                            "price_unit": 5,
                        }
                    )
                ],
            }
        )
        cls.invoice = cls.env["account.move"].create(
            {"move_type": "out_invoice", "partner_id": cls.customer.id}
        )
        cls.opportunity = cls.env["crm.lead"].create(
            {"name": "Tender", "type": "opportunity", "partner_id": cls.customer.id}
        )


@tagged("post_install", "-at_install")
class TestFiguresAreForCrmUsers(FiguresCase):
    """Point 4: tier, class, score, RFM, ABC, CLV probabilities, revenue,
    receivable and payment facts, supplier rating and the badges are for
    Customer Relations users; never for the customer itself."""

    def test_plain_employee_and_salesman_cannot_read_figures(self):
        for user in (self.plain_user, self.salesman):
            partner = self.customer.with_user(user)
            for name in CRM_FIGURES:
                with self.assertRaises(AccessError, msg=f"{user.login}: {name}"):
                    partner.read([name])
            with self.assertRaises(AccessError):
                partner.search([("tier_id", "=", self.lead.id)])
        self.assertEqual(self.customer.with_user(self.crm_user).tier_id, self.lead)

    def test_figures_are_not_typed(self):
        platinum = self.env.ref("crm_zhongzheng.customer_tier_platinum")
        partner = self.customer.with_user(self.crm_salesman)
        for vals in ({"tier_id": platinum.id}, {"value_score": 99.0}):
            with self.assertRaisesRegex(AccessError, "computed, not typed"):
                partner.write(vals)
        with self.assertRaises(AccessError):
            partner.create({"name": "Forged", "tier_id": platinum.id})
        partner.write({"comment": "Met the buyer"})  # the rest is as before
        self.assertEqual(self.customer.tier_id, self.lead)

    def test_badges_on_documents_are_for_crm_users(self):
        documents = [
            (self.order, self.salesman),
            (self.invoice, self.salesman),
            (self.opportunity, self.salesman),
        ]
        for document, user in documents:
            for name in ("partner_tier_id", "partner_relationship_class"):
                with self.assertRaises(AccessError, msg=f"{document._name}.{name}"):
                    document.with_user(user).read([name])
            self.assertEqual(
                document.with_user(self.crm_user).partner_tier_id, self.lead
            )
        for name in ("customer_risk_warning",):
            with self.assertRaises(AccessError):
                self.order.with_user(self.salesman).read([name])
        with self.assertRaises(AccessError):
            self.opportunity.with_user(self.salesman).read(["key_customer"])
        for name in ("supplier_rating", "supplier_on_time_rate"):
            with self.assertRaises(AccessError):
                self.purchase.with_user(self.purchaser).read([name])
        ticket = self.env["zhongzheng.service.ticket"].create(
            {"name": "Missing manual", "partner_id": self.buyer.id}
        )
        as_service = ticket.with_user(self.service_manager)
        self.assertEqual(as_service.read(["name"])[0]["name"], "Missing manual")
        with self.assertRaises(AccessError):
            as_service.read(["partner_tier_id"])

    def test_portal_user_never_reads_its_own_tier(self):
        own = self.buyer.commercial_partner_id.with_user(self.portal)
        self.assertEqual(own, self.customer)
        readable = own.fields_get()  # what the portal user's RPC can ask for
        for name in CRM_FIGURES:
            self.assertNotIn(name, readable)
        for name in ("tier_id", "value_score", "relationship_class"):
            with self.assertRaises(AccessError):
                own.read([name])
        order = self.order.with_user(self.portal)
        self.assertEqual(order.read(["name"])[0]["name"], self.order.name)
        for name in ("partner_tier_id", "customer_risk_warning"):
            with self.assertRaises(AccessError):
                order.read([name])

    def test_salesman_without_crm_group_works_the_forms(self):
        user = self.salesman
        # a quotation for the lead-tier customer, as the web client does it
        with Form(self.env["sale.order"].with_user(user)) as form:
            form.partner_id = self.customer
            with form.order_line.new() as line:
                line.product_id = self.monitor
        quotation = form.record
        self.assertEqual(quotation.partner_id, self.customer)
        # the forms' fields are all readable, nothing of the figures in them
        for model, record in (
            ("res.partner", self.customer),
            ("sale.order", self.order),
            ("account.move", self.invoice),
            ("crm.lead", self.opportunity),
        ):
            views = self.env[model].with_user(user).get_views([(False, "form")])
            names = list(views["models"][model]["fields"])
            self.assertNotIn("partner_tier_id", names)
            self.assertNotIn("tier_id", names)
            record.with_user(user).read(names)
        # confirming works as before (no block), and tells no tier
        quotation.with_user(user).action_confirm()
        self.assertEqual(quotation.state, "sale")

    def test_blocked_salesman_is_not_told_the_tier(self):
        self.company.sale_block_risky = True
        with self.assertRaises(UserError) as refused:
            self.order.with_user(self.salesman).action_confirm()
        self.assertIn("cannot be confirmed", str(refused.exception))
        self.assertNotIn("lead tier", str(refused.exception))
        with self.assertRaisesRegex(UserError, "lead tier"):
            self.order.with_user(self.crm_salesman).action_confirm()
        self.assertEqual(self.order.state, "draft")


@tagged("post_install", "-at_install")
class TestRiskySaleOnline(FiguresCase):
    """Point 9: with risky sales blocked, the customer's own signature or
    payment confirms its order; staff get an activity, the customer no
    word of its tier."""

    def _customer_saw_tier(self, order):
        public = order.message_ids.filtered(lambda m: not m.subtype_id.internal)
        return any("lead tier" in (m.body or "") for m in public)

    def test_portal_signature_confirms_and_leaves_a_review(self):
        self.company.sale_block_risky = True
        order = self.order.with_user(self.portal).sudo()
        order._validate_order()  # what the portal's accept route calls
        self.assertEqual(self.order.state, "sale")
        self.assertFalse(self._customer_saw_tier(self.order))
        activity = self.order.activity_ids
        self.assertEqual(activity.user_id, self.salesman)
        self.assertIn("confirmed", activity.summary)
        note = self.order.message_ids.filtered(lambda m: "despite" in (m.body or ""))
        self.assertTrue(note and all(note.subtype_id.mapped("internal")))
        # every employee reading the order reads the chatter and the
        # activity: neither names the tier
        self.assertIn("flagged this customer", note.body)
        for text in self.order.message_ids.mapped("body") + [activity.note]:
            self.assertNotIn("lead tier", str(text))

    def test_captured_payment_confirms_the_order(self):
        self.company.sale_block_risky = True
        transaction = (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": self.env.ref("payment.payment_provider_adyen").id,
                    "payment_method_id": self.env.ref("payment.payment_method_card").id,
                    "reference": "ZZ-RISKY-1",
                    "amount": self.order.amount_total,
                    "currency_id": self.order.currency_id.id,
                    "partner_id": self.customer.id,
                    "sale_order_ids": [Command.set(self.order.ids)],
                }
            )
        )
        transaction.state = "done"
        # as the payment cron does it: as superuser, an internal user
        confirmed = transaction.with_user(
            SUPERUSER_ID
        )._check_amount_and_confirm_order()
        self.assertEqual(confirmed, self.order)
        self.assertEqual(self.order.state, "sale")
        self.assertTrue(self.order.activity_ids)
        self.assertFalse(self._customer_saw_tier(self.order))


@tagged("post_install", "-at_install")
class TestQueueLosesNothing(TransactionCase):
    """Point 10, with real transactions: the batch and the enqueuers each on
    a cursor of their own, committed, running the real recompute of a
    customer of their own; everything they wrote is removed. The test's own
    transaction writes nothing, so no cursor waits on it."""

    def test_requeue_during_a_batch_is_kept_and_never_waits(self):
        registry = self.registry
        Engine = type(self.env["zhongzheng.value.engine"])
        recompute_partners = Engine._recompute_partners
        calls = []
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            partner = env["res.partner"].create(
                {"name": "Queue Test Hospital", "is_company": True}
            )
            partner_id, company_id = partner.id, company.id
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM zhongzheng_value_queue")
            (first_new_id,) = cr.fetchone()

        def enqueue_elsewhere():
            """A user confirming another order of the customer meanwhile."""
            with registry.cursor() as cr:
                cr.execute("SET LOCAL lock_timeout = '2s'")
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["zhongzheng.value.queue"]._enqueue(
                    env["res.partner"].browse(partner_id),
                    env["res.company"].browse(company_id),
                )

        def recompute_and_enqueue(engine, company_, partner_ids, **kwargs):
            """The real recompute; during the first batch, a new request."""
            calls.append(list(partner_ids))
            result = recompute_partners(engine, company_, partner_ids, **kwargs)
            if len(calls) == 1:
                enqueue_elsewhere()  # while this batch holds the customer
            return result

        def process():
            with registry.cursor() as cr:
                cr.execute("SET LOCAL lock_timeout = '10s'")
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["zhongzheng.value.queue"]._process()

        holder = registry.cursor()  # keeps the queue's earlier rows out of it
        try:
            holder.execute("SELECT id FROM zhongzheng_value_queue FOR UPDATE")
            enqueue_elsewhere()
            with patch.object(Engine, "_recompute_partners", recompute_and_enqueue):
                process()
                try:
                    enqueue_elsewhere()  # after the batch's delete
                except psycopg2.errors.LockNotAvailable:
                    self.fail("enqueueing waited on the batch")
                self.assertEqual(calls, [[partner_id]])
                process()
            self.assertEqual(calls, [[partner_id], [partner_id]])
            with registry.cursor() as cr:
                cr.execute(
                    "SELECT count(*) FROM zhongzheng_value_queue WHERE id > %s",
                    [first_new_id],
                )
                self.assertEqual(cr.fetchone()[0], 0, "both requests done")
                env = api.Environment(cr, SUPERUSER_ID, {})
                customer = env["res.partner"].browse(partner_id)
                self.assertEqual(
                    customer.with_company(company_id).relationship_class,
                    "non_customer",
                    "the batch really classified the customer (no orders yet)",
                )
        finally:
            holder.rollback()
            holder.close()
            with registry.cursor() as cr:
                cr.execute(
                    "DELETE FROM zhongzheng_value_queue WHERE id > %s", [first_new_id]
                )
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["res.partner"].browse(partner_id).unlink()


@tagged("post_install", "-at_install")
class TestDeliberateMethods(ValueCase):
    """Point 12: no RPC entry recomputes as of another day; a CRM manager
    runs a backtest with its lines."""

    def test_engine_recompute_is_not_callable_remotely(self):
        customer = self._customer("Dated Hospital")
        self._order(customer, AS_OF - timedelta(days=400), 100)
        self._recompute(as_of=AS_OF - timedelta(days=300))
        engine = self.env["zhongzheng.value.engine"].with_user(self.crm_manager)
        with self.assertRaises(AccessError):
            check_method_name("_recompute")  # what the RPC layer asks first
        with self.assertRaises(AttributeError):
            call_kw(engine, "recompute", [], {"as_of": "2020-01-31"})
        self.assertEqual(customer.sale_count_window, 1, "figures as they were")

    def test_crm_manager_runs_a_backtest(self):
        self._repeat_buyers(name="Backtest Buyer")
        Fit = self.env["zhongzheng.clv.fit"].with_user(self.crm_manager)
        fit = Fit.create({"company_id": self.company.id, "as_of_date": AS_OF})
        fit.action_run()
        self.assertEqual(fit.state, "done", fit.message)
        self.assertEqual(len(fit.line_ids), 25)
        self.assertEqual(fit.backtest_actual, 18)
        fit.action_run()  # again: the lines are replaced, not added
        self.assertEqual(len(fit.line_ids), 25)
        with self.assertRaises(AccessError):
            self.env["zhongzheng.clv.fit.line"].with_user(self.crm_manager).create(
                {"fit_id": fit.id, "partner_id": self.company.partner_id.id}
            )
        # the fit's parameters, state and use are its output: a manager
        # cannot forge a fit the customers would then be valued by
        before = fit.read(["r", "alpha", "state", "applied", "as_of_date"])[0]
        for vals in ({"r": 99.0}, {"applied": True}, {"state": "draft"}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                fit.with_user(self.crm_manager).write(vals)
        with self.assertRaisesRegex(UserError, "create a new fit"):
            fit.with_user(self.crm_manager).as_of_date = AS_OF - timedelta(days=9)
        with self.assertRaises(AccessError):
            Fit.create(
                {
                    "company_id": self.company.id,
                    "state": "done",
                    "applied": True,
                    "r": 1.0,
                    "alpha": 1.0,
                }
            )
        fit.invalidate_recordset()
        self.assertEqual(
            fit.read(["r", "alpha", "state", "applied", "as_of_date"])[0], before
        )


@tagged("post_install", "-at_install")
class TestAnalysesFollowDocuments(ReportCase):
    """Point 6: the analyses show what the documents behind them show."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = {"company_id": cls.company.id, "company_ids": cls.company.ids}
        crm = "crm_zhongzheng.group_crm_user"
        cls.own_salesman = new_test_user(
            cls.env,
            login="zz_own_docs_salesman",
            groups=f"sales_team.group_sale_salesman,{crm}",
            **company,
        )
        cls.all_salesman = new_test_user(
            cls.env,
            login="zz_all_docs_salesman",
            groups=f"sales_team.group_sale_salesman_all_leads,{crm}",
            **company,
        )
        cls.purchaser = new_test_user(
            cls.env,
            login="zz_crm_purchaser",
            groups=f"purchase.group_purchase_user,{crm}",
            **company,
        )
        colleague = new_test_user(
            cls.env,
            login="zz_colleague_salesman",
            groups="sales_team.group_sale_salesman",
            **company,
        )
        customers = cls.customers
        customers["a"].user_id = cls.own_salesman
        (customers["b"] | customers["c"]).user_id = colleague
        # d and e have no salesperson: everyone's, as in sale.report

    def test_salesman_with_own_documents_sees_own_customers(self):
        c = self.customers
        everyone = c["a"] | c["b"] | c["c"] | c["d"] | c["e"]
        # the stored rows of the dashboard and the pyramid too
        self.env["zhongzheng.customer.value.store"]._refresh_figures(self.company)
        for model in (
            "zhongzheng.customer.value.report",
            "zhongzheng.customer.value.store",
            "zhongzheng.relationship.migration.report",
        ):
            own = self._as(self.own_salesman)[model].search([])
            self.assertEqual(own.partner_id, c["a"] | c["d"] | c["e"], model)
            for user in (self.all_salesman, self.crm_user):
                seen = self._as(user)[model].search([]).partner_id
                self.assertEqual(seen & everyone, everyone, f"{model} {user.login}")

    def test_purchase_amounts_for_purchase_users(self):
        vendor = self._customer("Glove Supplier")
        self._purchase(vendor, self.monitor, 5, 60.0)
        model = "zhongzheng.trade.daily.report"
        domain = [("partner_id", "=", vendor.id)]
        trade = self._as(self.all_salesman)[model]
        self.assertFalse(trade.search(domain), "no purchase rows without Purchase")
        self.assertTrue(trade.search([("kind", "=", "sale")]))
        for fields_ in (["purchase_amount"], ["purchase_qty"]):
            with self.assertRaises(AccessError):
                trade.search([], limit=1).read(fields_)
        with self.assertRaises(AccessError):
            trade._read_group([], [], ["purchase_amount:sum"])
        pivot = trade.get_views([(False, "pivot"), (False, "list")])
        self.assertNotIn("purchase_amount", pivot["models"][model]["fields"])
        [(amount,)] = self._as(self.purchaser)[model]._read_group(
            domain, [], ["purchase_amount:sum"]
        )
        self.assertEqual(amount, 300.0)
