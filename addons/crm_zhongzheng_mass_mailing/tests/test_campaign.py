from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from odoo.addons.crm_zhongzheng.tests.common import ValueCase, make_user

SENT = datetime(2026, 7, 1, 8, 0)


@tagged("post_install", "-at_install")
class TestCampaign(ValueCase):
    """A mailing to the gold tier of a company of 40 reachable gold customers
    (plus one on the blacklist and one without an address) and 5 platinum
    ones, sent by a marketing user who reads no customer figure."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.marketer = make_user(
            cls.env,
            "zz_marketer",
            "base.group_user",
            "mass_mailing.group_mass_mailing_user",
            company=cls.company,
        )
        cls.marketing_manager = make_user(
            cls.env,
            "zz_marketing_crm_manager",
            "mass_mailing.group_mass_mailing_user",
            "crm_zhongzheng.group_crm_manager",
            company=cls.company,
        )
        cls.salesman = make_user(
            cls.env,
            "zz_mm_salesman",
            "sales_team.group_sale_salesman",
            "crm_zhongzheng.group_crm_user",
            company=cls.company,
        )
        cls.gold = cls.env.ref("crm_zhongzheng.customer_tier_gold")
        cls.platinum = cls.env.ref("crm_zhongzheng.customer_tier_platinum")
        Partner = cls.env["res.partner"]
        cls.golds = Partner.create(
            [
                {"name": f"Gold {i:02d}", "is_company": True, "email": f"g{i}@ex.com"}
                for i in range(40)
            ]
        )
        cls.opted_out = Partner.create(
            {"name": "Gold Opted Out", "is_company": True, "email": "out@ex.com"}
        )
        cls.env["mail.blacklist"].create({"email": "out@ex.com"})
        cls.no_address = Partner.create({"name": "Gold Silent", "is_company": True})
        cls.platinums = Partner.create(
            [
                {"name": f"Plat {i}", "is_company": True, "email": f"p{i}@ex.com"}
                for i in range(5)
            ]
        )
        cls.buyer_contact = Partner.create(
            {
                "name": "Ms Buyer",
                "parent_id": cls.golds[0].id,
                "email": "buyer@ex.com",
                "campaign_contact": True,
            }
        )
        in_company = Partner.sudo().with_company(cls.company)
        in_company.browse((cls.golds | cls.opted_out | cls.no_address).ids).write(
            {"tier_id": cls.gold.id}
        )
        in_company.browse(cls.platinums.ids).write({"tier_id": cls.platinum.id})

    def _mailing(self, user=None, **vals):
        return (
            self.env["mailing.mailing"]
            .with_user(user or self.marketer)
            .create(
                {
                    "subject": "Spring offer",
                    "body_html": "<p>Our spring offer</p>",
                    "customer_target": True,
                    "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
                    "customer_tier_ids": [Command.set(self.gold.ids)],
                    "company_id": self.company.id,
                    **vals,
                }
            )
        )

    def _results(self, mailing, user):
        """The result lines `user` reads, as the mailing's tab shows them."""
        self.env.invalidate_all()
        return (
            self.env["zhongzheng.campaign.result"]
            .with_user(user)
            .search([("mailing_id", "=", mailing.id)])
        )

    def test_gold_mailing_reaches_gold_minus_opt_outs_minus_control(self):
        mailing = self._mailing(holdout_percent=25.0)
        self.assertEqual((mailing.targeted_count, mailing.control_count), (30, 10))
        self.assertIn("control group would hold 10 customers", mailing.warning_message)
        mailing.action_send_mail()

        members = mailing.campaign_member_ids
        control = members.filtered("is_control").partner_id
        self.assertEqual(len(members), 40)
        self.assertEqual(len(control), 10)
        self.assertEqual(members.partner_id, self.golds)
        traces = mailing.mailing_trace_ids
        self.assertEqual(len(traces), 30)
        self.assertFalse(set(traces.mapped("res_id")) & set(control.ids))
        self.assertEqual(set(traces.mapped("res_id")), set((self.golds - control).ids))
        self.assertEqual(set(traces.mapped("trace_status")), {"sent"})
        self.assertEqual(mailing.sent, 30)
        self.assertEqual(mailing.total, 30)
        self.assertEqual(mailing.targeted_count, 30)
        self.assertTrue(mailing.campaign_id, "the mailing gets a UTM campaign")
        # the marketing user targeted gold without reading any tier
        with self.assertRaises(AccessError):
            self.assertFalse(self.golds[0].with_user(self.marketer).tier_id)
        # the same seed draws the same control group
        again = self._mailing(holdout_percent=25.0, holdout_seed=mailing.holdout_seed)
        again.action_send_mail()
        self.assertEqual(
            again.campaign_member_ids.filtered("is_control").partner_id, control
        )
        # what was drawn no longer changes
        with self.assertRaises(UserError):
            mailing.write({"holdout_percent": 50.0})

    def test_contacts_and_segments(self):
        to_contacts = self._mailing(customer_recipients="contacts")
        self.assertEqual(to_contacts.targeted_count, 1)
        to_contacts.action_send_mail()
        self.assertEqual(to_contacts.mailing_trace_ids.res_id, self.buyer_contact.id)
        segment = self.env["zhongzheng.customer.segment"].create(
            {"name": "Platinum", "domain": f"[('tier_id', '=', {self.platinum.id})]"}
        )
        by_segment = self._mailing(
            customer_tier_ids=[Command.clear()], customer_segment_id=segment.id
        )
        self.assertEqual(by_segment.targeted_count, 5)
        action = segment.with_user(self.marketer).action_new_mailing()
        self.assertEqual(action["context"]["default_customer_segment_id"], segment.id)

    def test_who_may_mail_and_bad_input(self):
        with self.assertRaises(AccessError):
            self._mailing(user=self.salesman)
        mailings = self.env["mailing.mailing"].search_count([])
        with self.assertRaises(ValidationError) as caught:
            self._mailing(holdout_percent=150.0)
        self.assertIn("from 0 to below 100% (150.0% given)", str(caught.exception))
        self.assertEqual(self.env["mailing.mailing"].search_count([]), mailings)
        mailing = self._mailing(holdout_percent=10.0)
        for vals, message in (
            ({"attribution_days": 0}, "runs from 1 to 730 days (0 given)"),
            ({"holdout_percent": 150.0}, "below 100%"),
            ({"customer_tier_ids": [Command.clear()]}, "Choose the customers"),
        ):
            with self.assertRaises(ValidationError) as caught:
                mailing.write(vals)
            self.assertIn(message, str(caught.exception))
        self.assertEqual((mailing.holdout_percent, mailing.attribution_days), (10, 30))
        self.assertEqual(mailing.customer_tier_ids, self.gold)

    def test_uplift_from_real_orders(self):
        mailing = self._mailing(holdout_percent=25.0)
        mailing.action_send_mail()
        mailing = mailing.with_env(self.env)
        mailing.mailing_trace_ids[:3].set_opened()
        mailing.mailing_trace_ids[:1].set_replied()
        mailing.sent_date = SENT
        members = mailing.campaign_member_ids
        mailed = members.filtered(lambda m: not m.is_control).partner_id
        control = members.filtered("is_control").partner_id
        # 15 of the 30 mailed customers order 200 in the window (one through
        # its contact), 2 of the 10 control customers 100
        for i, partner in enumerate(mailed[:15]):
            buyer = partner
            if not i:
                buyer = self.env["res.partner"].create(
                    {"name": "Mr Orders", "parent_id": partner.id}
                )
            self._order(buyer, date(2026, 7, 10), 200.0)
        for partner in control[:2]:
            self._order(partner, date(2026, 7, 5), 100.0)
        # before the sending and after the window: not the mailing's
        self._order(mailed[20], date(2026, 6, 20), 500.0)
        self._order(mailed[21], date(2026, 8, 15), 500.0)
        self._order(mailed[22], date(2026, 7, 12), 500.0, confirm=False)

        rows = {r.metric: r for r in self._results(mailing, self.marketer)}
        self.assertEqual(set(rows), {"buyers", "orders", "revenue"}, "no margin")
        buyers, revenue = rows["buyers"], rows["revenue"]
        self.assertEqual((buyers.targeted_count, buyers.control_count), (30, 10))
        self.assertAlmostEqual(buyers.targeted_value, 0.5)
        self.assertAlmostEqual(buyers.control_value, 0.2)
        self.assertAlmostEqual(buyers.uplift, 0.3)
        # se = sqrt(.25/30 + .16/10) = 0.15599
        self.assertAlmostEqual(buyers.ci_low, -0.00574, places=4)
        self.assertAlmostEqual(buyers.ci_high, 0.60574, places=4)
        self.assertFalse(buyers.significant)
        self.assertAlmostEqual(revenue.targeted_value, 100.0)
        self.assertAlmostEqual(revenue.control_value, 20.0)
        self.assertAlmostEqual(revenue.uplift, 80.0)
        # Welch: se = sqrt(10344.83/30 + 1777.78/10) = 22.8607
        self.assertAlmostEqual(revenue.ci_low, 35.194, places=2)
        self.assertAlmostEqual(revenue.ci_high, 124.806, places=2)
        self.assertTrue(revenue.significant)
        self.assertAlmostEqual(revenue.targeted_total, 3000.0)
        # Odoo's UTM attribution sees none of the orders salespeople enter
        self.assertEqual(mailing.sale_quotation_count, 0)

        margin = self._results(mailing, self.marketing_manager).filtered(
            lambda r: r.metric == "margin"
        )
        # 200 - 60 cost for the mailed, 100 - 60 for the control
        self.assertEqual(len(margin), 1, "CRM administrators see the margin")
        self.assertAlmostEqual(margin.targeted_value, 70.0)
        self.assertAlmostEqual(margin.control_value, 8.0)

        report = (
            self.env["zhongzheng.campaign.report"]
            .with_user(self.marketer)
            .search([("mailing_id", "=", mailing.id)])
        )
        self.assertEqual(
            (report.sent, report.opened, report.replied, report.orders),
            (30, 3, 1, 15),
        )
        self.assertAlmostEqual(report.revenue, 3000.0)
        self.assertAlmostEqual(report.incremental_revenue, 2400.0)
        self.assertAlmostEqual(report.buyer_uplift, 30.0)
        self.assertIn("Gold", report.customer_selection_label)
        with self.assertRaises(AccessError):
            report.read(["margin_uplift"])
        # the pivot as the marketing user opens it
        Report = self.env["zhongzheng.campaign.report"].with_user(self.marketer)
        Report.get_views([(False, "pivot"), (False, "graph"), (False, "list")])
        [(label, incremental)] = Report._read_group(
            [("mailing_id", "=", mailing.id)],
            ["customer_selection_label"],
            ["incremental_revenue:sum"],
        )
        self.assertEqual((label, incremental), ("Tiers: Gold", 2400.0))

        # the customer pyramid PDF of July has the campaign's line
        self.env.flush_all()
        html, _kind = (
            self.env["ir.actions.report"]
            .with_user(self.marketing_manager)
            .with_context(allowed_company_ids=self.company.ids)
            ._render_qweb_html(
                "crm_zhongzheng.customer_pyramid_report_action",
                self.company.ids,
                data={"period": "month", "date": "2026-07-15"},
            )
        )
        section = html.decode().split("Campaigns</h4>")[1]
        self.assertIn("Spring offer", section)
        self.assertIn("Tiers: Gold", section)
        self.assertIn("<span>yes</span>", section, "the revenue uplift is significant")

    def test_from_the_tier_list_to_the_sending_job(self):
        """New Mailing on the gold tier, a 10% control group, the warning a
        user reads before sending, then the queue's job sends it."""
        action = self.gold.with_user(self.marketer).action_new_mailing()
        Mailing = self.env["mailing.mailing"].with_user(self.marketer)
        form = Form(Mailing.with_context(**action["context"]))
        form.subject = "Gold spring offer"
        form.body_arch = "<p>For our gold customers</p>"
        form.holdout_percent = 10.0
        self.assertEqual(form.targeted_count, 36)
        self.assertEqual(form.control_count, 4)
        self.assertIn("fewer than 30", form.warning_message)
        mailing = form.save()
        self.assertEqual(mailing.customer_tier_ids, self.gold)
        self.assertEqual(mailing.customer_selection_label, "Tiers: Gold")
        mailing.action_launch()
        self.env["mailing.mailing"]._process_mass_mailing_queue()
        self.assertEqual(mailing.state, "done")
        self.assertEqual(len(mailing.mailing_trace_ids), 36)
        self.assertEqual(mailing.control_count, 4)

    def test_criteria_add_up_in_the_mailing_company(self):
        in_company = self.env["res.partner"].sudo().with_company(self.company)
        in_company.browse(self.golds[:6].ids).write({"abc_class": "a"})
        in_company.browse(self.golds[:2].ids).write({"health_status": "at_risk"})
        at_risk_a = self._mailing(
            customer_abc_class="a", customer_health_status="at_risk"
        )
        self.assertEqual(at_risk_a.targeted_count, 2)
        self.assertEqual(
            self._mailing(customer_abc_class="a").targeted_count, 6, "A and gold"
        )
        # the tiers of another company: nobody is gold there
        other = self.env["res.company"].create({"name": "Zhongzheng Elsewhere"})
        self.marketer.company_ids |= other
        elsewhere = self._mailing(company_id=other.id)
        self.assertEqual(elsewhere.targeted_count, 0)
        with self.assertRaises(UserError):
            elsewhere.action_send_mail()
        # a marketing user of the other company only sees no member here
        mailing = self._mailing()
        mailing.action_send_mail()
        outsider = make_user(
            self.env,
            "zz_marketer_other",
            "mass_mailing.group_mass_mailing_user",
            company=other,
        )
        Member = self.env["zhongzheng.campaign.member"]
        self.assertEqual(Member.with_user(self.marketer).search_count([]), 40)
        outside = Member.with_user(outsider).with_context(allowed_company_ids=other.ids)
        self.assertEqual(outside.search_count([]), 0)
        # nor sends to this company's customers
        theirs = mailing.copy({"subject": "Not theirs"}).with_user(outsider)
        theirs = theirs.with_context(allowed_company_ids=other.ids)
        self.assertEqual(theirs.targeted_count, 0)
        with self.assertRaises(AccessError):
            theirs.action_send_mail()
        with self.assertRaises(AccessError):
            Member.with_user(self.marketer).browse(
                mailing.campaign_member_ids[0].id
            ).write({"is_control": True})

    def test_partner_list_action(self):
        action = (
            (self.buyer_contact | self.platinums[0])
            .with_user(self.marketer)
            .action_new_mailing()
        )
        chosen = action["context"]["default_customer_partner_ids"]
        self.assertEqual(set(chosen[0][2]), {self.golds[0].id, self.platinums[0].id})
        mailing = self._mailing(
            customer_tier_ids=[Command.clear()], customer_partner_ids=chosen
        )
        self.assertEqual(mailing.targeted_count, 2)
        with self.assertRaises(ValidationError):
            mailing.write({"ab_testing_enabled": True})

    def test_customers_to_whom_a_product_is_recommended(self):
        product = self.env["product.product"].create({"name": "Coupling Gel"})
        other_company = self.env["res.company"].create({"name": "Zhongzheng Else"})
        Recommendation = self.env["zhongzheng.customer.recommendation"].sudo()
        for partner, company in (
            (self.golds[0], self.company),
            (self.golds[1], self.company),
            (self.platinums[0], self.company),
            (self.golds[2], other_company),
        ):
            Recommendation.create(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "product_id": product.id,
                    "kind": "cross_sell",
                }
            )
        # the marketer reads no recommendation, yet selects by one
        with self.assertRaises(AccessError):
            Recommendation.with_user(self.marketer).search([])
        mailing = self._mailing(
            customer_tier_ids=[Command.clear()],
            customer_recommended_product_id=product.id,
        )
        self.assertEqual(mailing.targeted_count, 3)
        self.assertEqual(
            mailing.customer_selection_label, "Recommended Product: Coupling Gel"
        )
        # with the gold tier: the two gold customers of this company
        both = self._mailing(customer_recommended_product_id=product.id)
        self.assertEqual(both.targeted_count, 2)
        both.action_send_mail()
        self.assertEqual(
            both.campaign_member_ids.partner_id, self.golds[0] | self.golds[1]
        )
