from odoo.tests import HttpCase, tagged

from odoo.addons.crm_zhongzheng.tests.common import demo_company, make_user


@tagged("post_install", "-at_install")
class TestCampaignTour(HttpCase):
    """From the tier list to a sent mailing with a control group and its
    result, in a real browser, on the demo data."""

    def test_gold_mailing_from_the_tier_list(self):
        # on the demo, in its company
        company = demo_company(self.env)
        self.env = self.env(
            context=dict(self.env.context, allowed_company_ids=company.ids)
        )
        gold = self.env.ref("crm_zhongzheng.customer_tier_gold")
        customers = self.env["res.partner"].search_count(
            [("tier_id", "=", gold.id), ("email", "!=", False)]
        )
        if not customers:
            self.skipTest("installed without demo data")
        make_user(
            self.env,
            "zz_tour_marketer",
            "mass_mailing.group_mass_mailing_user",
            "crm_zhongzheng.group_crm_user",
            company=company,
        )
        self.start_tour(
            "/odoo/action-crm_zhongzheng.customer_tier_action",
            "crm_zhongzheng_mass_mailing_from_tier",
            login="zz_tour_marketer",
        )
        mailing = self.env["mailing.mailing"].search(
            [("subject", "=", "Gold customers: spring calibration offer")]
        )
        self.assertEqual(mailing.customer_tier_ids, gold)
        self.assertEqual(mailing.holdout_percent, 10.0)
        self.env["mailing.mailing"]._process_mass_mailing_queue()
        self.assertEqual(mailing.state, "done")
        control = mailing.campaign_member_ids.filtered("is_control")
        self.assertEqual(len(control), round(len(mailing.campaign_member_ids) * 0.1))
        self.assertFalse(
            set(mailing.mailing_trace_ids.mapped("res_id"))
            & set(control.partner_id.ids)
        )
        self.start_tour(
            f"/odoo/action-mass_mailing.mailing_mailing_action_mail/{mailing.id}",
            "crm_zhongzheng_mass_mailing_result",
            login="zz_tour_marketer",
        )
