from datetime import date, datetime, timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import AS_OF, ValueCase, make_user, table_keys


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
        # the salesperson's today, in their time zone (Shanghai's date runs
        # eight hours ahead of the server's)
        self.assertEqual(
            dismissal.date_until,
            fields.Date.context_today(dismissal.with_user(self.salesman))
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

    def _stored(self):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT partner_id, product_id, rank, score, kind, reason_product_id,"
            " reason_tier_id, median_days, expected_date"
            " FROM zhongzheng_customer_recommendation WHERE company_id = %s"
            " ORDER BY partner_id, product_id",
            [self.company.id],
        )
        return self.env.cr.fetchall()

    def _foreign_keys(self):
        return table_keys(self.env.cr, "zhongzheng_customer_recommendation")

    def test_first_fill_equals_the_update_of_stale_rows(self):
        keys = self._foreign_keys()
        self.assertIn("REFERENCES res_partner(id) ON DELETE CASCADE", str(keys))
        expected = self._stored()
        self.assertEqual(len(expected), 12)
        # stale rows: one changed, one gone, one that should not be there
        Recommendation = self.env["zhongzheng.customer.recommendation"]
        stored = Recommendation.search([("company_id", "=", self.company.id)])
        stored[0].write({"score": 1.0, "rank": 9})
        stored[1].unlink()
        Recommendation.create(
            {
                "partner_id": self.cover_buyers[0].id,
                "company_id": self.company.id,
                "product_id": self.stand.id,
                "kind": "popular",
            }
        )
        self.engine._recompute(companies=self.company, as_of=AS_OF)
        self.assertEqual(self._stored(), expected)
        # from an empty table: the first pass's single insert, with the
        # foreign keys checked row by row, or set-based (the bulk path)
        for bulk_rows in (10**9, 1):
            # every company's: the first fill of the table (a tenth of it)
            Recommendation.search([]).unlink()
            self.env.cr.execute("ANALYZE zhongzheng_customer_recommendation")
            self.engine.with_context(reco_bulk_rows=bulk_rows)._recompute(
                companies=self.company, as_of=AS_OF
            )
            self.assertEqual(self._stored(), expected)
        # the bulk path put the same keys and indexes back (ON DELETE
        # CASCADE, the unique product per customer...)
        self.assertEqual(self._foreign_keys(), keys)

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


@tagged("post_install", "-at_install")
class TestRecommendationBacktest(RecommendationCase):
    """One recommendation per customer, as of AS_OF; in the 60 days before:

    - four Pairs buy the probe and the gel, two Targets only the probe,
      seven Covers only the cover (the best seller: 7 of 13 customers)

    Co-purchase recommends the gel to the Targets (probe -> gel), the probe
    to the Covers (best seller they lack; they have one product) and nothing
    to the Pairs; the best sellers: the cover to Pairs and Targets, the
    probe to the Covers. 30 days after AS_OF: both Targets buy the gel,
    Target 1 the cover too, Cover 0 the probe, Cover 1 the gel, Pair 1 the
    probe again (not new to it)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {"recommendation_count": 1, "recommendation_backtest_min_customers": 4}
        )
        category = cls.env["product.category"].create({"name": "Probes"})
        cls.probe = cls._product("Linear Probe", 300.0, category)
        cls.gel = cls._product(
            "Probe Gel", 12.0, cls.env.ref("product.product_category_all")
        )
        cls.cover = cls._product("Sterile Cover", 4.0, category)
        before, cls.after = AS_OF - timedelta(days=60), AS_OF + timedelta(days=30)
        cls.pairs = [cls._customer(f"Pair {i}") for i in range(4)]
        cls.targets = [cls._customer(f"Target {i}") for i in range(2)]
        cls.covers = [cls._customer(f"Cover {i}") for i in range(7)]
        for partner in cls.pairs:
            cls._sale(partner, before, cls.probe, cls.gel)
        for partner in cls.targets:
            cls._sale(partner, before, cls.probe)
        for partner in cls.covers:
            cls._sale(partner, before, cls.cover)
        cls._sale(cls.targets[0], cls.after, cls.gel)
        cls._sale(cls.targets[1], cls.after, cls.gel, cls.cover)
        cls._sale(cls.covers[0], cls.after, cls.probe)
        cls._sale(cls.covers[1], cls.after, cls.gel)
        cls._sale(cls.pairs[1], cls.after, cls.probe)

    def _backtest(self, as_of=AS_OF):
        backtest = (
            self.env["zhongzheng.recommendation.backtest"]
            .with_user(self.crm_manager)
            .create({"as_of_date": as_of, "company_id": self.company.id})
        )
        backtest.action_run()
        return backtest

    def _figures(self, backtest):
        names = [
            "customer_count",
            "purchase_count",
            "recommended_count",
            "hit_count",
            "precision",
            "recall",
            "hit_rate",
            "baseline_recommended_count",
            "baseline_hit_count",
            "baseline_precision",
            "baseline_recall",
            "baseline_hit_rate",
            "winner",
            "complete",
        ]
        return dict(zip(names, (backtest[name] for name in names), strict=True))

    def test_backtest_from_real_orders_against_the_best_sellers(self):
        with self.assertRaises(AccessError):
            self.env["zhongzheng.recommendation.backtest"].with_user(
                self.crm_user
            ).create({"as_of_date": AS_OF, "company_id": self.company.id})
        backtest = self._backtest()
        # judged: the Targets, Cover 0 and Cover 1 (5 new purchases); hits:
        # co-purchase both Targets' gel and Cover 0's probe, the best sellers
        # Target 1's cover and Cover 0's probe
        self.assertEqual(
            self._figures(backtest),
            {
                "customer_count": 4,
                "purchase_count": 5,
                "recommended_count": 4,
                "hit_count": 3,
                "precision": 75.0,
                "recall": 60.0,
                "hit_rate": 75.0,
                "baseline_recommended_count": 4,
                "baseline_hit_count": 2,
                "baseline_precision": 50.0,
                "baseline_recall": 40.0,
                "baseline_hit_rate": 50.0,
                "winner": "co_purchase",
                "complete": True,
            },
        )
        self.assertEqual(backtest.top_count, 1)
        self.assertEqual(
            backtest.verdict,
            "Co-purchase won: its recommendations foresaw 60.0% of the customers' "
            "new purchases in the 90 days after the date, the best sellers 40.0%.",
        )
        self.assertEqual(self.company.recommendation_method, "co_purchase")
        self.assertEqual(self.company.recommendation_backtest_id, backtest)
        # the backtest leaves the stored recommendations alone
        self.assertFalse(self._recommended(self.targets[0]))

    def test_best_sellers_win_and_the_nightly_run_follows(self):
        # the Pairs and Target 0 buy the cover after: the best sellers saw it
        for partner in (*self.pairs[:3], self.targets[0]):
            self._sale(partner, self.after, self.cover)
        backtest = self._backtest()
        figures = self._figures(backtest)
        self.assertEqual((figures["customer_count"], figures["purchase_count"]), (7, 9))
        self.assertEqual(
            (figures["hit_count"], figures["recall"], figures["hit_rate"]),
            (3, 33.3, 42.9),
        )
        self.assertEqual(
            (
                figures["baseline_hit_count"],
                figures["baseline_precision"],
                figures["baseline_recall"],
                figures["baseline_hit_rate"],
            ),
            (6, 85.7, 66.7, 85.7),
        )
        self.assertEqual(backtest.winner, "popularity")
        self.assertIn("The best sellers won", backtest.verdict)
        self.assertEqual(self.company.recommendation_method, "popularity")
        # the nightly run recommends Target 0 the best seller, not the gel
        self.engine._recompute(companies=self.company, as_of=AS_OF)
        [top] = self._recommended(self.targets[0])
        self.assertEqual(top.product_id, self.cover)
        self.assertEqual(top.kind, "popular")
        self.assertEqual(
            top.reason,
            "a best seller: bought by 54% of customers in the last 12 months",
        )
        # a backtest whose 90 days are not over changes no method
        recent = self._backtest(
            fields.Date.context_today(backtest) - timedelta(days=10)
        )
        self.assertFalse(recent.complete)
        self.assertIn("not over", recent.verdict)
        self.assertEqual(self.company.recommendation_backtest_id, backtest)
        self.assertEqual(self.company.recommendation_method, "popularity")
        # nor one of too few customers (7 here)
        self.company.recommendation_backtest_min_customers = 8
        few = self._backtest()
        self.assertFalse(few.decides)
        self.assertIn("Only 7 customers bought something new", few.verdict)
        self.assertEqual(self.company.recommendation_backtest_id, backtest)
