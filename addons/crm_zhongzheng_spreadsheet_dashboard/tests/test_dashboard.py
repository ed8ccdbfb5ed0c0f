import json
import logging
import re
from collections import defaultdict

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged
from odoo.tools import file_open

from odoo.addons.crm_zhongzheng.tests.common import demo_company, make_user

from ..tools import build_dashboard
from ..tools.dashboard_calls import (
    describe,
    period_bounds,
    run_calls,
    source_calls,
    time_sources,
)

_logger = logging.getLogger(__name__)

MANAGER = "crm_zhongzheng.group_crm_manager"
CRM_USER = "crm_zhongzheng.group_crm_user"
DASHBOARD = (
    "crm_zhongzheng_spreadsheet_dashboard.spreadsheet_dashboard_customer_relations"
)
FILE = (
    "crm_zhongzheng_spreadsheet_dashboard/data/files/customer_relations_dashboard.json"
)
# PIVOT.VALUE(id, measure, dim, value, ...), PIVOT.HEADER(id, dim, value, ...),
# PIVOT(id, ...)
PIVOT_CALL = re.compile(r"PIVOT(?:\.(VALUE|HEADER))?\(([^()]*)\)")
MENU_LINK = re.compile(r"^\[.+\]\(odoo://ir_menu_xml_id/([\w.]+)\)$")


def formula_args(text):
    return [arg.strip().strip('"') for arg in text.split(",")]


@tagged("post_install", "-at_install")
class TestCustomerRelationsDashboard(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dashboard = cls.env.ref(DASHBOARD)
        cls.data = json.loads(cls.dashboard.spreadsheet_data)
        salesman = "sales_team.group_sale_salesman"
        # in the demo's company when there is a demo
        company = demo_company(cls.env)
        cls.manager = make_user(cls.env, "zz_dash_manager", MANAGER, company=company)
        # Zhongzheng's salespeople are CRM users; a plain salesman is not
        cls.crm_user = make_user(
            cls.env, "zz_dash_crm_user", salesman, CRM_USER, company=company
        )
        cls.salesman = make_user(cls.env, "zz_dash_salesman", salesman, company=company)
        cls.today = fields.Date.today()

    def test_file_is_the_scripts_output(self):
        with file_open(FILE) as committed:
            self.assertEqual(
                committed.read(),
                build_dashboard.dumps(),
                "run tools/build_dashboard.py and commit its output",
            )
        self.assertEqual(self.data, build_dashboard.build())

    def test_data_sources_name_what_the_server_has(self):
        """Every model, field, group-by, measure and filter field the data
        sources name exists and can be used so, as the manager reads it."""
        env = self.env(user=self.manager)
        pivots = self.data["pivots"]
        self.assertTrue(pivots)
        described = {}
        for source in pivots.values():
            model = source["model"]
            self.assertIn(model, env, source["name"])
            described[model] = env[model].fields_get(
                attributes=["type", "aggregator", "groupable", "selection"]
            )
            fields_ = described[model]
            for dim in source["rows"] + source["columns"]:
                name = dim["fieldName"]
                self.assertIn(name, fields_, f"{source['name']}: {name}")
                self.assertTrue(fields_[name]["groupable"], f"{model}.{name}")
                if "granularity" in dim:
                    self.assertIn(fields_[name]["type"], ("date", "datetime"))
            for measure in source["measures"]:
                name = measure["fieldName"]
                if name == "__count":
                    continue
                self.assertIn(name, fields_, f"{source['name']}: {name}")
                self.assertTrue(
                    fields_[name]["type"] == "many2one"
                    or fields_[name].get("aggregator"),
                    f"{model}.{name} is no measure",
                )
            for match in source["fieldMatching"].values():
                self.assertIn(fields_[match["chain"]]["type"], ("date", "datetime"))
            env[model].search_count(source["domain"])  # a valid domain
        charts = [
            figure["data"]
            for sheet in self.data["sheets"]
            for figure in sheet["figures"]
            if figure["data"]["type"].startswith("odoo_")
        ]
        self.assertTrue(charts)
        for chart in charts:
            model = chart["metaData"]["resModel"]
            fields_ = env[model].fields_get(
                attributes=["type", "aggregator", "groupable"]
            )
            for groupby in chart["metaData"]["groupBy"]:
                self.assertTrue(fields_[groupby.split(":")[0]]["groupable"])
            self.assertTrue(fields_[chart["metaData"]["measure"]].get("aggregator"))
            for match in chart["fieldMatching"].values():
                self.assertIn(fields_[match["chain"]]["type"], ("date", "datetime"))
        self._check_formulas(pivots, described)

    def _check_formulas(self, pivots, described):
        """Each formula names a pivot, its measures and its dimensions; each
        heading links to a menu that exists; each scorecard reads a cell."""
        cells = {
            sheet["name"]: {
                ref: cell["content"] for ref, cell in sheet["cells"].items()
            }
            for sheet in self.data["sheets"]
        }
        used = set()
        for sheet_cells in cells.values():
            for content in sheet_cells.values():
                menu = MENU_LINK.match(content)
                if menu:
                    self.assertTrue(
                        self.env.ref(menu[1], raise_if_not_found=False), menu[1]
                    )
                for kind, args in PIVOT_CALL.findall(content):
                    args = formula_args(args)
                    source = pivots.get(args[0])
                    self.assertTrue(source, content)
                    used.add(args[0])
                    if not kind:
                        continue
                    dims = {d["fieldName"] for d in source["rows"] + source["columns"]}
                    rest = args[1:]
                    if kind == "VALUE":
                        measures = {m["fieldName"] for m in source["measures"]}
                        self.assertIn(rest[0], measures, content)
                        rest = rest[1:]
                    for name, value in zip(rest[::2], rest[1::2], strict=True):
                        field = name.lstrip("#").split(":")[0]
                        self.assertIn(field, dims, content)
                        selection = described[source["model"]][field].get("selection")
                        if selection and not name.startswith("#"):
                            self.assertIn(value, dict(selection), content)
        self.assertEqual(used, set(pivots), "a pivot no cell shows")
        for figure in self.data["sheets"][0]["figures"]:
            for key in ("keyValue", "baseline"):
                if key in figure["data"]:
                    sheet_name, ref = figure["data"][key].split("!")
                    self.assertIn(ref, cells[sheet_name], figure["data"]["title"])
        for xmlid in self.data["chartOdooMenusReferences"].values():
            self.assertTrue(self.env.ref(xmlid, raise_if_not_found=False), xmlid)

    def test_manager_reads_the_dashboard_and_its_figures(self):
        """The CRM manager opens it; its figures are the analysis models'
        (the customer value rows as the nightly pass stores them: the live
        analysis' rows)."""
        self.env["zhongzheng.customer.value.store"]._refresh_figures()
        env = self.env(user=self.manager)
        dashboard = env["spreadsheet.dashboard"].search(
            [("id", "=", self.dashboard.id)]
        )
        self.assertEqual(dashboard, self.dashboard)
        snapshot = dashboard.get_readonly_dashboard()["snapshot"]
        self.assertEqual(snapshot["pivots"], self.data["pivots"])
        calls = source_calls(env, self.data, self.today)
        by_source = {}
        for call, result in zip(calls, run_calls(env, calls), strict=True):
            by_source[call[0], tuple(call[4])] = result
        start, end = period_bounds(self.data, self.today)
        in_period = [("date", ">=", start), ("date", "<=", end)]

        # the pyramid: distinct customers and revenue per tier of the period
        rows = env["zhongzheng.customer.value.report"].search_read(
            [*in_period, ("tier_id", "!=", False)], ["partner_id", "tier_id", "revenue"]
        )
        customers, revenue = defaultdict(set), defaultdict(float)
        for row in rows:
            customers[row["tier_id"][0]].add(row["partner_id"][0])
            revenue[row["tier_id"][0]] += row["revenue"]
        pyramid = by_source["Customer Pyramid", ("tier_id",)]
        self.assertEqual(
            {g["tier_id"][0]: g["partner_id"] for g in pyramid},
            {tier: len(ids) for tier, ids in customers.items()},
        )
        for group in pyramid:
            self.assertAlmostEqual(group["revenue"], revenue[group["tier_id"][0]], 2)
        self.assertGreater(len(pyramid), 1, "the demo's customers are in tiers")

        # top customers: the period's confirmed orders, biggest buyer first
        # (the analysis' rows are months: those starting in the period)
        orders = (
            env["sale.order"]
            .sudo()
            .search(
                [("state", "=", "sale"), ("company_id", "=", env.company.id)],
                order="date_order, id",
            )
        )
        bought, firsts = defaultdict(float), {}
        for order in orders:
            month = order.date_order.date().replace(day=1)
            partner = order.partner_id.commercial_partner_id.id
            firsts.setdefault(partner, month)
            if start <= month <= end:
                bought[partner] += order.amount_untaxed / (order.currency_rate or 1.0)
        top = by_source["Top Customers", ("partner_id",)]
        best = max(top, key=lambda g: g["revenue"])
        self.assertEqual(best["partner_id"][0], max(bought, key=bought.get))
        self.assertAlmostEqual(best["revenue"], max(bought.values()), 2)
        (everyone,) = by_source["Top Customers", ()]
        self.assertAlmostEqual(everyone["revenue"], sum(bought.values()), 2)

        # health today: customers and revenue per status
        health = by_source["Customer Health", ("health_status",)]
        partners = env["res.partner"]
        for group in health:
            status = group["health_status"]
            self.assertEqual(
                group["__count"],
                partners.search_count([("health_status", "=", status)]),
            )
        stake = sum(
            partners.search([("health_status", "in", ["at_risk", "critical"])]).mapped(
                "revenue_window"
            )
        )
        self.assertAlmostEqual(
            sum(
                g["revenue_window"]
                for g in health
                if g["health_status"] in ("at_risk", "critical")
            ),
            stake,
            2,
        )
        self.assertTrue(stake, "the demo has customers at risk with revenue")

        # key figures: the new customers of the period's months
        (figures,) = by_source["Key Figures per Month", ()]
        self.assertEqual(
            figures["new_customers"],
            sum(1 for month in firsts.values() if start <= month <= end),
        )
        # one row a month of the last 365 days (the current one from its
        # first activity on), each the analysis' own monthly row
        months = by_source["Key Figures per Month", ("date:month",)]
        monthly = env["zhongzheng.crm.kpi.report"].search(
            [("period", "=", "month"), *in_period]
        )
        self.assertIn(len(months), (11, 12))
        self.assertEqual(len(months), len(monthly))
        self.assertEqual(
            sorted(g["new_customers"] for g in months),
            sorted(monthly.mapped("new_customers")),
        )

        # migration: every tier move of the period, once in the matrix
        (moves,) = by_source["Tier Migration", ()]
        self.assertEqual(
            moves["move_count"],
            env["zhongzheng.relationship.history"].search_count(
                [("kind", "=", "tier"), *in_period]
            ),
        )

    def test_others_cannot_read_it(self):
        """A salesman, with or without the CRM user group, neither finds nor
        reads the dashboard, nor the key figures behind it."""
        for user in (self.salesman, self.crm_user):
            env = self.env(user=user)
            with self.subTest(user=user.login):
                self.assertFalse(
                    env["spreadsheet.dashboard"].search(
                        [("id", "=", self.dashboard.id)]
                    )
                )
                dashboard = self.dashboard.with_user(user)
                with self.assertRaises(AccessError):
                    dashboard.read(["spreadsheet_data"])
                # what get_readonly_dashboard would send: its file is withheld
                self.assertFalse(dashboard.spreadsheet_data)
                with self.assertRaises(AccessError):
                    env["zhongzheng.crm.kpi.report"].read_group([], ["revenue:sum"], [])
        for model in (
            "zhongzheng.customer.value.report",
            "zhongzheng.customer.value.store",
        ):
            with self.assertRaises(AccessError):
                self.env(user=self.crm_user)[model].read_group(
                    [], ["margin:sum"], ["tier_id"]
                )

    def test_data_load_time(self):
        """Logs how long the data sources take to load, as the manager, on
        this database's data (the best of 3); no timed assert."""
        timing = time_sources(self.env(user=self.manager), self.data, self.today)
        _logger.info("Customer Relations dashboard: %s", describe(timing))
        _total, per_source, _calls = timing
        self.assertEqual(len(per_source), len(self.data["pivots"]) + 1)
