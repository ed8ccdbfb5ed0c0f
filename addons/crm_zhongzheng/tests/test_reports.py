import shutil
import subprocess
import unicodedata
from datetime import date, datetime

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import ValueCase, demo_company

MARCH = date(2026, 3, 15)


def pdf_text(content):
    """The text of a PDF as pdftotext lays it out."""
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"],
        input=content,
        capture_output=True,
        check=True,
    ).stdout.decode()
    # CJK fonts map some glyphs to compatibility code points (KANGXI RADICAL
    # GOLD for 金): NFKC gives back the characters a reader sees
    return unicodedata.normalize("NFKC", text)


class ReportCase(ValueCase):
    """A constructed history in a company of its own, around March 2026:

    A bought in October and in March (800), B in November and turned lost on
    March 31, C in December and turned lost on February 28, D (200) and E
    (100) bought for the first time in March. At the end of March A moved
    from iron to platinum, D entered gold and E iron; B is lead and C left
    the pyramid in February. Three tickets closed in March (two met their
    SLA, one breached; rated 4 and 5) and one claim of 300 was approved."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tier = {
            code: cls.env.ref(f"crm_zhongzheng.customer_tier_{code}")
            for code in ("platinum", "gold", "iron", "lead")
        }
        customers = {}
        for key, sales in {
            "a": [(date(2025, 10, 10), 1000.0), (date(2026, 3, 5), 800.0)],
            "b": [(date(2025, 11, 10), 100.0)],
            "c": [(date(2025, 12, 1), 50.0)],
            "d": [(date(2026, 3, 15), 200.0)],
            "e": [(date(2026, 3, 20), 100.0)],
        }.items():
            customers[key] = cls._customer(f"Customer {key.upper()}")
            for when, price in sales:
                cls._order(customers[key], when, price=price)
        cls.customers = customers
        history = [
            ("a", date(2025, 10, 31), "tier", None, "iron"),
            ("a", date(2026, 3, 31), "tier", "iron", "platinum"),
            ("b", date(2025, 11, 30), "tier", None, "lead"),
            ("c", date(2025, 12, 31), "tier", None, "iron"),
            ("c", date(2026, 2, 28), "tier", "iron", None),
            ("d", date(2026, 3, 31), "tier", None, "gold"),
            ("e", date(2026, 3, 31), "tier", None, "iron"),
            ("b", date(2025, 11, 30), "class", "potential", "marginal"),
            ("b", date(2026, 3, 31), "class", "marginal", "lost"),
            ("c", date(2026, 2, 28), "class", "marginal", "lost"),
        ]
        cls.env["zhongzheng.relationship.history"].create(
            [
                {
                    "partner_id": customers[key].id,
                    "company_id": cls.company.id,
                    "date": when,
                    "kind": kind,
                    "tier_from_id": kind == "tier" and source and cls.tier[source].id,
                    "tier_to_id": kind == "tier" and target and cls.tier[target].id,
                    "class_from": kind == "class" and source,
                    "class_to": kind == "class" and target,
                }
                for key, when, kind, source, target in history
            ]
        )
        ref = cls.env.ref
        cls.tickets = cls.env["zhongzheng.service.ticket"].create(
            [
                {
                    "name": name,
                    "partner_id": customers[key].id,
                    "type_id": ref(f"crm_zhongzheng.service_ticket_type_{kind}").id,
                    "company_id": cls.company.id,
                }
                for name, key, kind in [
                    ("Where is my monitor?", "a", "inquiry"),
                    ("Late delivery", "d", "complaint"),
                    ("Invoice copy", "e", "inquiry"),
                    ("Cracked casing", "a", "claim"),
                ]
            ]
        )
        for ticket, closed, status in zip(
            cls.tickets[:3],
            [datetime(2026, 3, 10, 9), datetime(2026, 3, 12, 9), datetime(2026, 3, 25)],
            ["met", "met", "breached"],
            strict=True,
        ):
            ticket.sudo().write({"date_closed": closed, "sla_status": status})
        cls.tickets[0]._record_rating(4)
        cls.tickets[1]._record_rating(5)
        cls.tickets[3].sudo().write(
            {
                "claim_state": "approved",
                "claim_approved_amount": 300.0,
                "claim_approved_date": date(2026, 3, 10),
            }
        )
        # the tickets were opened in March
        cls.env.flush_all()
        cls.env.cr.execute(
            "UPDATE zhongzheng_service_ticket SET create_date = %s WHERE id = ANY(%s)",
            [datetime(2026, 3, 2, 8), cls.tickets.ids],
        )
        cls.tickets.invalidate_recordset(["create_date"])

    @property
    def mine(self):
        return [("company_id", "=", self.company.id)]

    def _as(self, user, **context):
        return self.env(
            user=user,
            context=dict(
                self.env.context, allowed_company_ids=[self.company.id], **context
            ),
        )

    @staticmethod
    def _rows(text, word):
        """The words after `word` on each line of the text holding it."""
        rows = []
        for line in text.splitlines():
            words = line.split()
            if word in words:
                rows.append(words[words.index(word) + 1 :])
        return rows

    def _no_report_assets(self):
        """wkhtmltopdf would fetch the report CSS from this server, whose
        requests wait for the running test to end: point it to a closed
        port instead (the reports' own inline style still applies)."""
        self.env["ir.config_parameter"].sudo().set_param(
            "report.url", "http://127.0.0.1:9"
        )

    def _pdf(self, user, report, res_ids, data=None, lang="en_US"):
        if not shutil.which("pdftotext"):
            self.skipTest("pdftotext (poppler-utils) is not installed")
        self._no_report_assets()
        env = self._as(user, lang=lang, force_report_rendering=True)
        content, kind = env["ir.actions.report"]._render_qweb_pdf(
            report, res_ids, data=data
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(content.startswith(b"%PDF"))
        return pdf_text(content)


@tagged("post_install", "-at_install")
class TestKpis(ReportCase):
    def _kpi(self, period, start):
        kpi = self.env["zhongzheng.crm.kpi.report"]._for_period(
            self.company, period, start
        )
        self.assertTrue(kpi, f"a {period} row from {start}")
        return kpi

    def test_month(self):
        march = self._kpi("month", date(2026, 3, 1))
        self.assertEqual(march.date_to, date(2026, 3, 31))
        self.assertEqual(march.customers_start, 2, "A and B; C was lost already")
        self.assertEqual(march.new_customers, 2, "D and E")
        self.assertEqual(march.lost_customers, 1, "B")
        self.assertEqual(march.retention_rate, 50.0)
        self.assertEqual(march.churn_rate, 50.0)
        self.assertEqual(march.acquisition_rate, 100.0)
        self.assertEqual(march.buying_customers, 3)
        self.assertEqual(march.revenue, 1100.0)
        self.assertEqual(march.top20_revenue_share, 72.73, "A's 800 of 1100")
        self.assertEqual(march.tickets_closed, 3)
        self.assertEqual(march.sla_compliance, 66.67)
        self.assertEqual(march.satisfaction, 4.5)
        self.assertEqual(march.claims_paid, 300.0)
        february = self._kpi("month", date(2026, 2, 1))
        self.assertEqual(
            (february.customers_start, february.lost_customers), (3, 1), "C"
        )
        self.assertEqual(february.retention_rate, 66.67)
        self.assertEqual(february.revenue, 0.0)

    def test_quarter_and_year(self):
        q1 = self._kpi("quarter", date(2026, 1, 1))
        self.assertEqual(q1.date_to, date(2026, 3, 31))
        self.assertEqual((q1.customers_start, q1.lost_customers), (3, 2), "B, C")
        self.assertEqual(q1.retention_rate, 33.33)
        self.assertEqual(q1.new_customers, 2)
        self.assertEqual(q1.revenue, 1100.0)
        year = self._kpi("year", date(2025, 1, 1))
        self.assertEqual((year.customers_start, year.new_customers), (0, 3))
        self.assertEqual(year.revenue, 1150.0)
        self.assertEqual(year.top20_revenue_share, 86.96, "A's 1000 of 1150")


@tagged("post_install", "-at_install")
class TestAnalysisViews(ReportCase):
    """Each analysis view gives the numbers the ORM gives."""

    def test_customer_value_matches_orders_and_tickets(self):
        Value = self.env["zhongzheng.customer.value.report"]
        a = self.customers["a"]
        rows = Value.search([("partner_id", "=", a.id)], order="date")
        self.assertEqual(rows.mapped("date"), [date(2025, 10, 1), date(2026, 3, 1)])
        self.assertEqual(rows.mapped("revenue"), [1000.0, 800.0])
        self.assertEqual(rows.mapped("margin"), [940.0, 740.0], "cost 60 a unit")
        self.assertEqual(rows.mapped("order_count"), [1, 1])
        self.assertEqual(rows.mapped("ticket_count"), [0, 2])
        self.assertEqual(rows.mapped("claim_count"), [0, 1])
        self.assertEqual(rows.mapped("claims_paid"), [0.0, 300.0])
        [(customers, revenue)] = Value._read_group(
            self.mine, [], ["partner_id:count_distinct", "revenue:sum"]
        )
        self.assertEqual((customers, revenue), (5, 2250.0))
        # the pivot's Customers per quarter: A, who bought again in March,
        # counts in both quarters
        by_quarter = Value._read_group(
            self.mine, ["date:quarter"], ["partner_id:count_distinct"]
        )
        self.assertEqual(
            [(str(day), count) for day, count in by_quarter],
            [("2025-10-01", 3), ("2026-01-01", 3)],
            "A, B, C in Q4 2025; A, D, E in Q1 2026",
        )
        self.assertEqual(
            Value.fields_get(["partner_id"])["partner_id"]["aggregator"],
            "count_distinct",
        )

    def test_migration_matches_history(self):
        Migration = self.env["zhongzheng.relationship.migration.report"]
        History = self.env["zhongzheng.relationship.history"]
        groupby = ["kind", "tier_from_id", "tier_to_id", "class_from", "class_to"]
        self.assertEqual(
            Migration._read_group(self.mine, groupby, ["move_count:sum"]),
            History._read_group(self.mine, groupby, ["__count"]),
        )
        a_up = Migration.search(
            [("partner_id", "=", self.customers["a"].id), ("date", "=", "2026-03-31")]
        )
        self.assertEqual(a_up.direction, "up")
        c_out = Migration.search(
            [("partner_id", "=", self.customers["c"].id), ("kind", "=", "tier")],
            order="date desc",
            limit=1,
        )
        self.assertEqual(c_out.direction, "out")

    def test_service_quality_matches_tickets(self):
        Quality = self.env["zhongzheng.service.quality.report"]
        Ticket = self.env["zhongzheng.service.ticket"]
        self.assertEqual(
            Quality._read_group(self.mine, ["type_id"], ["ticket_count:sum"]),
            Ticket._read_group(self.mine, ["type_id"], ["__count"]),
        )
        [(compliance, rating, paid)] = Quality._read_group(
            self.mine, [], ["sla_compliance:avg", "satisfaction:avg", "claims_paid:sum"]
        )
        self.assertAlmostEqual(compliance, 200 / 3)
        self.assertEqual((rating, paid), (4.5, 300.0))

    def test_daily_trade_matches_orders(self):
        Trade = self.env["zhongzheng.trade.daily.report"]
        vendor = self._customer("Medical Gloves Supplier")
        purchase = self._purchase(vendor, self.monitor, 5, 60.0)
        purchase.date_order = datetime(2026, 3, 5, 9)
        day = {
            day: (sales, purchases)
            for day, sales, purchases in Trade._read_group(
                [*self.mine, ("date", ">=", "2026-03-01")],
                ["date:day"],
                ["sale_amount:sum", "purchase_amount:sum"],
            )
        }
        self.assertEqual(day[date(2026, 3, 5)], (800.0, 300.0))
        self.assertEqual(day[date(2026, 3, 15)], (200.0, 0.0))
        orders = self.env["sale.order"].search([*self.mine, ("state", "=", "sale")])
        [(total,)] = Trade._read_group(self.mine, [], ["sale_amount:sum"])
        self.assertEqual(total, sum(orders.mapped("amount_untaxed")))


@tagged("post_install", "-at_install")
class TestAnalysisViewsDemo(ValueCase):
    """On the demo company, the customer value view adds up to the figures
    the value engine wrote on each customer."""

    def test_demo_customer_value_matches_engine(self):
        if not self.env.ref("crm_zhongzheng.res_partner_ruijin_demo", False):
            self.skipTest("installed without demo data")
        company = demo_company(self.env)
        env = self.env(context=dict(self.env.context, allowed_company_ids=company.ids))
        partners = (
            env["res.partner"]
            .with_company(company)
            .sudo()
            .search([("sale_count_total", ">", 0)])
        )
        self.assertGreaterEqual(len(partners), 20)
        sums = {
            partner.id: (orders, revenue, margin)
            for partner, orders, revenue, margin in env[
                "zhongzheng.customer.value.report"
            ]._read_group(
                [("company_id", "=", company.id)],
                ["partner_id"],
                ["order_count:sum", "revenue:sum", "margin:sum"],
            )
        }
        # to the cent: the engine stores amounts rounded, the view sums the
        # lines of euro and dollar orders converted at the rates
        for partner in partners:
            orders, revenue, margin = sums[partner.id]
            self.assertEqual(orders, partner.sale_count_total, partner.name)
            self.assertAlmostEqual(
                revenue, partner.revenue_total, delta=0.01, msg=partner.name
            )
            self.assertAlmostEqual(
                margin, partner.margin_total, delta=0.01, msg=partner.name
            )
        Migration = env["zhongzheng.relationship.migration.report"]
        self.assertEqual(
            Migration.search_count([("company_id", "=", company.id)]),
            env["zhongzheng.relationship.history"].search_count(
                [("company_id", "=", company.id)]
            ),
        )


@tagged("post_install", "-at_install")
class TestReportPdf(ReportCase):
    def test_pyramid_pdf(self):
        text = self._pdf(
            self.crm_manager,
            "crm_zhongzheng.customer_pyramid_report_action",
            self.company.ids,
            data={"period": "month", "date": str(MARCH)},
        )
        self.assertIn("Customer Pyramid", text)
        # tier table: customers, revenue, revenue share; then the matrix rows
        tier_row = self._rows(text, "Iron")[0]
        matrix_row = next(
            line.split() for line in text.splitlines() if line.startswith("Iron")
        )
        self.assertEqual(tier_row[:4], ["1", "$", "100.00", "9.1%"])
        self.assertEqual(matrix_row[-6:], ["1", "0", "0", "0", "0", "1"])
        platinum = self._rows(text, "Platinum")[0]
        self.assertEqual(platinum[:5], ["1", "$", "800.00", "72.7%", "80.4%"])
        self.assertEqual(self._rows(text, "Gold")[0][:4], ["1", "$", "200.00", "18.2%"])
        self.assertEqual(self._rows(text, "Lead")[0][:4], ["1", "$", "0.00", "0.0%"])
        self.assertIn("Margin Share", text)
        # migration matrix: new -> gold and iron
        new_row = self._rows(text, "Pyramid")[-1]
        self.assertEqual(new_row[-6:], ["0", "1", "1", "0", "0", "2"])
        self.assertIn("Customer A", text)
        self.assertIn("Retention Rate", text)
        self.assertIn("50.0%", text)
        self.assertIn("66.7%", text, "SLA compliance")

    def test_pyramid_pdf_in_chinese(self):
        """Depends on the zh_CN terms of the report templates (the Chinese
        title); tier names come from the tier data's translation."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["crm_zhongzheng"], ["zh_CN"])
        # the terms were written in SQL: drop the templates compiled before
        self.env.invalidate_all()
        self.env.registry.clear_cache("templates")
        self.crm_manager.lang = "zh_CN"
        text = self._pdf(
            self.crm_manager,
            "crm_zhongzheng.customer_pyramid_report_action",
            self.company.ids,
            data={"period": "month", "date": str(MARCH)},
            lang="zh_CN",
        )
        self.assertIn("铂金", text)
        self.assertIn("铁", text)
        self.assertIn("800.00", text)
        # 户 and 黄 come out of the PDF as radicals NFKC does not map back
        self.assertIn("金字塔", text)
        self.assertIn("迁移矩阵", text)
        self.assertIn("保持率", text)

    def test_profile_pdf(self):
        a = self.customers["a"]
        report = "crm_zhongzheng.customer_profile_report_action"
        manager_text = self._pdf(self.crm_manager, report, a.ids)
        self.assertIn("Customer Profile", manager_text)
        self.assertIn("Customer A", manager_text)
        self.assertIn("Patient Monitor", manager_text)
        self.assertIn("1,800.00", manager_text, "bought for 1000 and 800")
        self.assertIn("Platinum", manager_text, "history: iron to platinum")
        self.assertIn("Margin (window)", manager_text)
        self.assertIn("Cost-to-Serve", manager_text)
        user_text = self._pdf(self.crm_user, report, a.ids)
        self.assertIn("Patient Monitor", user_text)
        self.assertNotIn("Margin (window)", user_text)
        self.assertNotIn("Cost-to-Serve", user_text)

    def test_profile_queries_do_not_grow_with_customers(self):
        """Printing ten customers' profiles costs the queries of printing
        one: every section is read for all of them at once."""
        report = "crm_zhongzheng.customer_profile_report_action"
        customers = self.env["res.partner"].browse(
            [c.id for c in self.customers.values()]
        )
        for number in range(5):
            customer = self._customer(f"Customer {number}")
            self._order(customer, date(2026, 3, 1 + number), price=10.0 * number)
            customers |= customer
        # reads the opportunities section too (a salesman of all leads)
        self.crm_manager.groups_id |= self.env.ref(
            "sales_team.group_sale_salesman_all_leads"
        )
        stage = self.env["crm.stage"].search([], limit=1)
        self.env["crm.lead"].create(
            [
                {
                    "name": f"Renewal {customer.name}",
                    "type": "opportunity",
                    "partner_id": customer.id,
                    "stage_id": stage.id,
                    "company_id": self.company.id,
                }
                for customer in customers
            ]
        )
        for customer in customers:
            customer.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=f"Call {customer.name}",
                user_id=self.crm_manager.id,
            )
        env = self._as(self.crm_manager)
        self.env.flush_all()

        def queries(partners):
            env.invalidate_all()
            before = self.env.cr.sql_log_count
            html, _kind = env["ir.actions.report"]._render_qweb_html(
                report, partners.ids
            )
            return self.env.cr.sql_log_count - before, html.decode()

        queries(customers)  # templates compiled, caches warm
        one, html_one = queries(customers[:1])
        ten, html_ten = queries(customers)
        self.assertEqual(len(customers), 10)
        self.assertIn("Renewal Customer A", html_one)
        for customer in customers:
            self.assertIn(f"Renewal {customer.name}", html_ten)
            self.assertIn(f"Call {customer.name}", html_ten)
        self.assertLessEqual(ten, one, f"{one} queries for 1 customer, {ten} for 10")

    def test_service_quality_pdf(self):
        text = self._pdf(
            self.service_manager,
            "crm_zhongzheng.service_quality_pdf_action",
            self.company.ids,
            data={"period": "month", "date": str(MARCH)},
        )
        self.assertIn("Service Quality", text)
        summary = next(line for line in text.splitlines() if "SLA Compliance" in line)
        self.assertEqual(summary.split()[1], "4", "four tickets opened in March")
        self.assertIn("66.7%", summary)
        self.assertIn("4.50", text, "average rating")
        self.assertIn("300.00", text, "claim paid")
        self.assertIn("Complaint", text)

    def test_print_wizard(self):
        wizard = self._as(self.crm_manager)["zhongzheng.report.period"].create(
            {"report": "pyramid", "period": "quarter", "date": MARCH}
        )
        action = wizard.action_print()
        self.assertEqual(
            action["report_name"], "crm_zhongzheng.report_customer_pyramid"
        )
        self.assertEqual(action["data"]["period"], "quarter")
        self.assertEqual(action["context"]["active_ids"], self.company.ids)


@tagged("post_install", "-at_install")
class TestPyramidMail(ReportCase):
    def test_monthly_mail_with_pdf(self):
        self._no_report_assets()
        self.company.pyramid_report_user_ids = self.crm_manager
        Pyramid = self.env["report.crm_zhongzheng.report_customer_pyramid"]
        mails = Pyramid.with_context(force_report_rendering=True)._send_pyramid(
            self.company, "month", MARCH
        )
        self.assertEqual(len(mails), 1)
        self.assertEqual(mails.recipient_ids, self.crm_manager.partner_id)
        self.assertIn("2026-03", mails.subject)
        attachment = mails.attachment_ids
        self.assertEqual(attachment.mimetype, "application/pdf")
        if shutil.which("pdftotext"):
            self.assertIn("800.00", pdf_text(attachment.raw))
        # margins are for CRM managers: other employees cannot read the PDF
        for user in (self.crm_user, self.service_user):
            Attachment = self._as(user)["ir.attachment"]
            self.assertFalse(Attachment.search([("id", "=", attachment.id)]))
            with self.assertRaises(AccessError):
                Attachment.browse(attachment.id).read(["raw"])

    def test_recipients_are_crm_managers_of_the_company(self):
        with self.assertRaises(ValidationError):
            self.company.pyramid_report_user_ids = self.crm_user
        outsider = new_test_user(
            self.env,
            login="zz_other_manager",
            groups="base.group_user,crm_zhongzheng.group_crm_manager",
            company_id=self.env.ref("base.main_company").id,
            company_ids=[Command.set(self.env.ref("base.main_company").ids)],
        )
        self.assertNotIn(self.company, outsider.company_ids)
        with self.assertRaises(ValidationError):
            self.company.pyramid_report_user_ids = outsider
        self.company.pyramid_report_user_ids = self.crm_manager
        self.assertEqual(self.company.pyramid_report_user_ids, self.crm_manager)

    def test_a_failing_company_does_not_stop_the_others(self):
        self._no_report_assets()
        self.company.pyramid_report_user_ids = self.crm_manager
        broken = self.env["res.company"].create({"name": "Zhongzheng Broken Co."})
        manager = new_test_user(
            self.env,
            login="zz_left_manager",
            groups="base.group_user,crm_zhongzheng.group_crm_manager",
            company_id=self.company.id,
            company_ids=[Command.set((self.company | broken).ids)],
        )
        broken.pyramid_report_user_ids = manager
        # the manager left that company since: its report cannot be made
        manager.company_ids = self.company
        with self.assertLogs(
            "odoo.addons.crm_zhongzheng.report.customer_pyramid_report", "ERROR"
        ):
            mails = (
                self.env["report.crm_zhongzheng.report_customer_pyramid"]
                .with_context(force_report_rendering=True)
                ._cron_send_pyramid()
            )
        self.assertFalse(
            mails.filtered(lambda m: m.recipient_ids == manager.partner_id)
        )
        mine = mails.filtered(lambda m: m.recipient_ids == self.crm_manager.partner_id)
        self.assertEqual(len(mine), 1)

    def test_cron_mails_each_company_with_recipients(self):
        self._no_report_assets()
        self.company.pyramid_report_user_ids = self.crm_manager
        mails = (
            self.env["report.crm_zhongzheng.report_customer_pyramid"]
            .with_context(force_report_rendering=True)
            ._cron_send_pyramid()
        )
        mine = mails.filtered(lambda m: m.recipient_ids == self.crm_manager.partner_id)
        self.assertEqual(len(mine), 1)
        self.assertTrue(mine.attachment_ids.raw.startswith(b"%PDF"))


@tagged("post_install", "-at_install")
class TestReportAccess(ReportCase):
    def test_margin_and_clv_for_crm_managers_only(self):
        Value = self._as(self.crm_user)["zhongzheng.customer.value.report"]
        rows = Value.search([("partner_id", "=", self.customers["a"].id)])
        self.assertEqual(sum(rows.mapped("revenue")), 1800.0)
        with self.assertRaises(AccessError):
            rows.read(["margin"])
        with self.assertRaises(AccessError):
            rows.read(["clv_value"])
        managed = rows.with_user(self.crm_manager)
        self.assertEqual(sum(managed.mapped("margin")), 1680.0)

    def test_service_quality_for_service_managers(self):
        with self.assertRaises(AccessError):
            self._as(self.crm_user)["zhongzheng.service.quality.report"].search([])
        with self.assertRaises(AccessError):
            self._as(self.service_user)["zhongzheng.service.quality.report"].search([])
        quality = self._as(self.service_manager)["zhongzheng.service.quality.report"]
        self.assertEqual(quality.search_count([]), 4)
        # the key figures are company-level rates: CRM administrators'
        with self.assertRaises(AccessError):
            self._as(self.crm_user)["zhongzheng.crm.kpi.report"].search([])
        with self.assertRaises(AccessError):
            self._as(self.service_manager)["zhongzheng.crm.kpi.report"].search([])
        kpi = self._as(self.crm_manager)["zhongzheng.crm.kpi.report"].search(
            [("period", "=", "month"), ("date", "=", "2026-03-01")]
        )
        self.assertEqual(kpi.retention_rate, 50.0)

    def test_pyramid_and_quality_pdf_for_their_managers(self):
        data = {"period": "month", "date": str(MARCH)}
        pyramid = "report.crm_zhongzheng.report_customer_pyramid"
        quality = "report.crm_zhongzheng.report_service_quality"
        for user, report in [
            (self.crm_user, pyramid),
            (self.service_manager, pyramid),
            (self.crm_manager, quality),
            (self.service_user, quality),
        ]:
            with self.assertRaises(AccessError, msg=f"{user.login} {report}"):
                self._as(user)[report]._get_report_values(self.company.ids, data)
        values = self._as(self.crm_manager)[pyramid]._get_report_values(
            self.company.ids, data
        )
        self.assertEqual(values["docs"], self.company)
        # not for a company the manager does not work in
        main = self.env.ref("base.main_company")
        with self.assertRaises(AccessError):
            self._as(self.crm_manager)[pyramid]._get_report_values(main.ids, data)

    def test_plain_users_and_other_companies(self):
        with self.assertRaises(AccessError):
            self._as(self.plain_user)["zhongzheng.customer.value.report"].search([])
        main = self.env.ref("base.main_company")
        self.crm_manager.company_ids |= main
        other = self.env(
            user=self.crm_manager,
            context=dict(self.env.context, allowed_company_ids=main.ids),
        )
        for model in (
            "zhongzheng.customer.value.report",
            "zhongzheng.relationship.migration.report",
            "zhongzheng.crm.kpi.report",
            "zhongzheng.trade.daily.report",
        ):
            self.assertFalse(
                other[model].search([("company_id", "=", self.company.id)]), model
            )
