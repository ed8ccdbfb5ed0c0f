from datetime import date, datetime, timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import AS_OF, ValueCase, make_user


class RecommendationCase(ValueCase):
    """Products of a category and confirmed orders of them on given days."""

    @classmethod
    def _product(cls, name, price, category):
        return cls.env["product.product"].create(
            {
                "name": name,
                "type": "service",
                "list_price": price,
                "categ_id": category.id,
                "taxes_id": [Command.clear()],
            }
        )

    @classmethod
    def _sale(cls, partner, when, *products, confirm=True):
        order = cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": p.id,
                            "product_uom_qty": 1.0,
                            "price_unit": p.list_price,
                            "tax_id": [Command.clear()],
                        }
                    )
                    for p in products
                ],
            }
        )
        if confirm:
            order.action_confirm()
            order.date_order = datetime.combine(when, datetime.min.time())
        return order

    def _recommended(self, partner, env=None):
        return (env or self.env)["zhongzheng.customer.recommendation"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.company.id)]
        )


@tagged("post_install", "-at_install")
class TestRecommendation(RecommendationCase):
    """Twelve customers of a company of their own, as of AS_OF:

    - six buy the probe and the gel (and the stand, no longer for sale);
      one of them (c5) bought its gel two years ago
    - two buy only the probe (one of them: Only Probe), two only the gel,
      two only the cover

    The probe's buyers (8) who also bought the gel (6): confidence 75 %,
    support 6/12 = 50 %, lift 0.75 / (8/12) = 1.125."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        category = cls.env["product.category"].create({"name": "Ultrasound"})
        product = cls._product
        cls.probe = product("Ultrasound Probe", 100.0, category)
        cls.gel = product("Coupling Gel", 10.0, category)
        cls.stand = product("Probe Stand", 30.0, category)
        cls.cover = product("Probe Cover", 5.0, category)
        recent = AS_OF - timedelta(days=120)
        cls.both = [cls._customer(f"Both {i}") for i in range(6)]
        for i, partner in enumerate(cls.both):
            cls._sale(partner, recent, cls.probe, cls.stand)
            cls._sale(partner, recent if i < 5 else date(2024, 6, 1), cls.gel)
        cls.only_probe = cls._customer("Only Probe")
        cls._sale(cls.only_probe, recent, cls.probe)
        cls._sale(cls._customer("Probe Buyer"), recent, cls.probe)
        cls.gel_buyers = [cls._customer(f"Gel Buyer {i}") for i in range(2)]
        cls.cover_buyers = [cls._customer(f"Cover Buyer {i}") for i in range(2)]
        for partner in cls.gel_buyers:
            cls._sale(partner, recent, cls.gel)
        for partner in cls.cover_buyers:
            cls._sale(partner, recent, cls.cover)
        cls.stand.sale_ok = False
        cls.engine._recompute(companies=cls.company, as_of=AS_OF)
        cls.salesman = make_user(
            cls.env,
            "zz_reco_salesman",
            "sales_team.group_sale_salesman",
            "crm_zhongzheng.group_crm_user",
            company=cls.company,
        )

    def test_co_purchase_figures(self):
        rule = self.env["zhongzheng.product.affinity"].search(
            [
                ("company_id", "=", self.company.id),
                ("product_id", "=", self.probe.id),
                ("other_product_id", "=", self.gel.id),
            ]
        )
        self.assertEqual(rule.customer_count, 6)
        self.assertAlmostEqual(rule.support, 50.0)
        self.assertAlmostEqual(rule.confidence, 75.0)
        self.assertAlmostEqual(rule.lift, 1.125, delta=0.006)

    def test_top_product_and_reason(self):
        recos = self._recommended(self.only_probe)
        top = recos[:1]
        self.assertEqual(top.product_id, self.gel)
        self.assertEqual(top.kind, "cross_sell")
        self.assertEqual(top.rank, 1)
        self.assertAlmostEqual(top.score, 75.0)
        self.assertEqual(
            top.reason, "bought by 75% of customers who buy Ultrasound Probe"
        )
        # the gel's buyers get the probe the same way
        self.assertEqual(
            self._recommended(self.gel_buyers[0])[:1].product_id, self.probe
        )

    def test_one_product_customer_gets_its_tier_best_sellers(self):
        # the iron tier: the two cover buyers, the two gel buyers and one
        # probe buyer; the gel is bought by 2 of those 5
        customer = self.cover_buyers[0].with_company(self.company)
        iron = self.env.ref("crm_zhongzheng.customer_tier_iron")
        self.assertEqual(customer.tier_id, iron)
        top = self._recommended(customer)[:1]
        self.assertEqual(top.product_id, self.gel)
        self.assertEqual(top.kind, "popular")
        self.assertEqual(top.reason_tier_id, iron)
        self.assertAlmostEqual(top.score, 40.0)
        self.assertEqual(
            top.reason,
            "customers like you in the Iron tier buy it (40% of them in the last "
            "12 months)",
        )

    def test_bought_in_last_12_months_not_recommended(self):
        # c0 bought the gel 4 months ago, c5 two years ago
        self.assertNotIn(self.gel, self._recommended(self.both[0]).product_id)
        self.assertIn(self.gel, self._recommended(self.both[5]).product_id)

    def test_not_for_sale_never_recommended(self):
        recommended = self.env["zhongzheng.customer.recommendation"].search(
            [("company_id", "=", self.company.id)]
        )
        self.assertTrue(recommended)
        self.assertNotIn(self.stand, recommended.product_id)
        self.assertFalse(
            self.env["zhongzheng.product.affinity"].search_count(
                [("other_product_id", "=", self.stand.id)]
            )
        )

    def test_quotation_fills_options_and_add_puts_the_line(self):
        env = self.env(user=self.salesman)
        customer = env["res.partner"].browse(self.only_probe.id)
        other = self._sale(self.only_probe, AS_OF, self.gel, confirm=False)
        other.user_id = self.salesman
        quote = env["sale.order"].create(
            {
                "partner_id": customer.id,
                "order_line": [Command.create({"product_id": self.cover.id})],
            }
        )
        quote.action_add_recommended_options()
        options = quote.sale_order_option_ids
        self.assertEqual(options[:1].product_id, self.gel)
        self.assertNotIn(self.cover, options.product_id)
        self.assertIn("bought by 75% of customers", options[0].recommendation_note)
        self.assertIn(other.name, options[0].recommendation_note)
        # nothing new the second time
        quote.action_add_recommended_options()
        self.assertEqual(quote.sale_order_option_ids, options)
        options[0].button_add_to_order()
        self.assertIn(self.gel, quote.order_line.product_id)
        self.assertTrue(options[0].is_present)
        quote.action_confirm()
        with self.assertRaises(UserError):
            quote.action_add_recommended_options()

    def test_salesman_reads_but_cannot_write(self):
        env = self.env(user=self.salesman)
        recos = self._recommended(self.only_probe, env)
        self.assertEqual(recos[:1].product_id, self.gel)
        self.assertTrue(recos[:1].reason)
        with self.assertRaises(AccessError):
            recos[:1].write({"score": 99.0})
        with self.assertRaises(AccessError):
            env["zhongzheng.customer.recommendation"].create(
                {
                    "partner_id": self.only_probe.id,
                    "company_id": self.company.id,
                    "product_id": self.cover.id,
                    "kind": "popular",
                }
            )
        with self.assertRaises(AccessError):
            recos.unlink()
        with self.assertRaises(AccessError):
            env["zhongzheng.product.affinity"].search([], limit=1).write({"lift": 9})

    def test_dismissed_and_do_not_recommend_stay_away(self):
        env = self.env(user=self.salesman)
        [gel] = self._recommended(self.only_probe, env).filtered(
            lambda r: r.product_id == self.gel
        )
        gel.action_dismiss()
        self.assertNotIn(self.gel, self._recommended(self.only_probe).product_id)
        dismissal = self.env["zhongzheng.recommendation.dismissal"].search(
            [("partner_id", "=", self.only_probe.id)]
        )
        self.assertEqual(dismissal.user_id, self.salesman)
        self.assertEqual(
            dismissal.date_until,
            fields.Date.context_today(dismissal)
            + timedelta(days=self.company.recommendation_dismiss_days),
        )
        with self.assertRaises(AccessError):
            dismissal.with_user(self.salesman).write({"date_until": AS_OF})
        # the next pass leaves it out; only this customer
        self.engine._recompute(companies=self.company, as_of=AS_OF)
        self.assertNotIn(self.gel, self._recommended(self.only_probe).product_id)
        self.assertIn(self.gel, self._recommended(self.both[5]).product_id)
        # once the dismissal has run out it comes back
        dismissal.date_until = AS_OF - timedelta(days=1)
        self.engine._recompute(companies=self.company, as_of=AS_OF)
        self.assertIn(self.gel, self._recommended(self.only_probe).product_id)
        # a product marked "do not recommend" is suggested to nobody
        self.gel.no_recommend = True
        self.engine._recompute(companies=self.company, as_of=AS_OF)
        self.assertNotIn(
            self.gel,
            self.env["zhongzheng.customer.recommendation"]
            .search([("company_id", "=", self.company.id)])
            .product_id,
        )

    def test_settings_refuse_nonsense(self):
        for vals in (
            {"recommendation_count": 0},
            {"recommendation_min_support": 101.0},
            {"recommendation_min_confidence": -1.0},
        ):
            with (
                self.subTest(vals=vals),
                self.assertRaisesRegex(ValidationError, "1 to 50 recommendations"),
                self.env.cr.savepoint(),
            ):
                self.company.write(vals)
        self.company.invalidate_recordset()
        self.assertEqual(self.company.recommendation_count, 5)
        self.assertEqual(self.company.recommendation_min_support, 1.0)

    def test_plain_employee_sees_none(self):
        with self.assertRaises(AccessError):
            self._recommended(self.only_probe, self.env(user=self.plain_user))

    def test_profile_over_api(self):
        profile = (
            self.env["zhongzheng.api"]
            .with_user(self.crm_user)
            .with_company(self.company)
            .customer_profile(self.only_probe.id, history_limit=0)
        )
        first = profile["recommendations"][0]
        self.assertEqual(first["product"]["id"], self.gel.id)
        self.assertEqual(first["kind"], "cross_sell")
        self.assertEqual(first["score"], 75.0)
        self.assertIn("Ultrasound Probe", first["reason"])


@tagged("post_install", "-at_install")
class TestRecommendationKinds(RecommendationCase):
    """Ten scanner buyers: six buy gel 30, 60 and 90 days after it, three
    move up to the Pro scanner 200 days after it, one (Scanner Only) bought
    its scanner 100 days ago and nothing else."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        category = cls.env["product.category"].create({"name": "Scanners"})
        cls.scanner = cls._product("Ultrasound Scanner", 5000.0, category)
        cls.pro = cls._product("Ultrasound Scanner Pro", 9000.0, category)
        cls.gel = cls._product("Scanner Gel", 20.0, category)
        sale = cls._sale
        start = AS_OF - timedelta(days=300)
        for i in range(6):
            partner = cls._customer(f"Gel Buyer {i}")
            sale(partner, start, cls.scanner)
            for days in (30, 60, 90):
                sale(partner, start + timedelta(days=days), cls.gel)
        for i in range(3):
            partner = cls._customer(f"Pro Buyer {i}")
            sale(partner, start, cls.scanner)
            sale(partner, start + timedelta(days=200), cls.pro)
        cls.target = cls._customer("Scanner Only")
        cls.bought = AS_OF - timedelta(days=100)
        sale(cls.target, cls.bought, cls.scanner)
        cls.engine._recompute(companies=cls.company, as_of=AS_OF)

    def test_consumable_then_up_sell(self):
        recos = self._recommended(self.target)
        self.assertEqual(recos.mapped("product_id"), self.gel | self.pro)
        gel, pro = recos
        self.assertEqual(gel.product_id, self.gel)
        self.assertEqual(gel.kind, "consumable")
        self.assertEqual(gel.median_days, 30)
        self.assertEqual(gel.expected_date, self.bought + timedelta(days=30))
        self.assertAlmostEqual(gel.score, 60.0)
        self.assertEqual(
            gel.reason,
            "60% of the buyers of Ultrasound Scanner buy it, typically 30 days later",
        )
        self.assertEqual(pro.kind, "up_sell")
        self.assertAlmostEqual(pro.score, 30.0)
        self.assertEqual(
            pro.reason,
            "30% of customers who bought Ultrasound Scanner moved up to it later",
        )
