from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import ZhongzhengCase


@tagged("post_install", "-at_install")
class TestFoundation(ZhongzhengCase):
    def _visible_menus(self, user):
        menus = self.env["ir.ui.menu"].with_user(user).load_menus(debug=False)
        return {m["xmlid"]: m for key, m in menus.items() if key != "root"}

    def test_manager_implies_user(self):
        self.assertTrue(self.crm_manager.has_group("crm_zhongzheng.group_crm_user"))
        self.assertFalse(self.crm_user.has_group("crm_zhongzheng.group_crm_manager"))
        admin = self.env.ref("base.user_admin")
        self.assertTrue(admin.has_group("crm_zhongzheng.group_crm_manager"))

    def test_app_menu_for_crm_user(self):
        menus = self._visible_menus(self.crm_user)
        root = menus.get("crm_zhongzheng.crm_zhongzheng_menu_root")
        self.assertTrue(root, "the CRM user sees the Customer Relations app")
        self.assertEqual(root["name"], "Customer Relations")
        self.assertIn("crm_zhongzheng.res_partner_menu_customers", menus)
        self.assertIn("crm_zhongzheng.res_partner_menu_suppliers", menus)
        # configuration is for managers only
        self.assertNotIn("crm_zhongzheng.crm_zhongzheng_menu_config", menus)
        self.assertIn(
            "crm_zhongzheng.crm_zhongzheng_menu_config",
            self._visible_menus(self.crm_manager),
        )

    def test_app_hidden_without_crm_group(self):
        menus = self._visible_menus(self.plain_user)
        self.assertNotIn("crm_zhongzheng.crm_zhongzheng_menu_root", menus)

    def test_every_app_action_loads_for_its_users(self):
        """Each role reaches exactly its window actions under the app, and
        each one opens: its views load and its records can be searched."""
        prefix = "crm_zhongzheng."
        crm_user = {
            "res_partner_menu_customers",
            "res_partner_menu_suppliers",
            "customer_segment_menu",
            "relationship_history_menu",
            "customer_value_report_menu",
            "relationship_migration_report_menu",
            "relationship_migration_report_menu_class",
            "relationship_migration_report_menu_health",
            "trade_daily_report_menu",
        }
        crm_manager = crm_user | {
            "value_settings_menu",
            "customer_tier_menu",
            "tier_override_menu",
            "activity_rule_menu",
            "rfm_segment_menu",
            "clv_fit_menu",
            "health_backtest_menu",
            "recommendation_backtest_menu",
            "customer_pyramid_forecast_menu",
            "res_partner_category_menu",
            "report_period_menu_pyramid",
            "crm_kpi_report_menu",
        }
        service_user = {
            "service_ticket_menu",
            "installed_device_menu",
            "device_recall_menu",
            "device_recall_line_menu",
        }
        service_manager = service_user | {
            "service_team_menu",
            "service_ticket_type_menu",
            "service_ticket_stage_menu",
            "service_sla_menu",
            "service_quality_report_menu",
            "satisfaction_report_menu",
            "report_period_menu_service",
        }
        root = self.env.ref("crm_zhongzheng.crm_zhongzheng_menu_root")
        menus = self.env["ir.ui.menu"].search([("id", "child_of", root.id)])
        windows = menus.filtered(
            lambda m: m.action and m.action._name == "ir.actions.act_window"
        )
        for user, expected in (
            (self.crm_user, crm_user),
            (self.crm_manager, crm_manager),
            (self.service_user, service_user),
            (self.service_manager, service_manager),
        ):
            visible = self._visible_menus(user)
            reachable = windows.filtered(
                lambda m, v=visible: m.get_external_id()[m.id] in v
            )
            names = {m.get_external_id()[m.id].removeprefix(prefix) for m in reachable}
            self.assertEqual(names, expected, user.login)
            for menu in reachable:
                with self.subTest(user=user.login, menu=menu.complete_name):
                    # what /web/action/load sends to the web client
                    data = menu.action.with_user(user).sudo()._get_action_dict()
                    model = self.env[data["res_model"]].with_user(user)
                    views = [tuple(v) for v in data["views"]]
                    search_view = data["search_view_id"]
                    views.append((search_view and search_view[0], "search"))
                    result = model.get_views(views)
                    self.assertEqual(set(result["views"]), {mode for _v, mode in views})
                    domain = safe_eval(data["domain"] or "[]", {"uid": user.id})
                    if data["view_mode"] != "form":
                        model.search_fetch(domain, ["display_name"], limit=5)
