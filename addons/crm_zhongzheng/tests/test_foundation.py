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
        """Each window action under the app opens: its views load and its
        records can be searched by the least privileged user who sees it."""
        root = self.env.ref("crm_zhongzheng.crm_zhongzheng_menu_root")
        menus = self.env["ir.ui.menu"].search([("id", "child_of", root.id)])
        windows = menus.filtered(
            lambda m: m.action and m.action._name == "ir.actions.act_window"
        )
        self.assertGreaterEqual(len(windows), 3)
        config = self.env.ref("crm_zhongzheng.crm_zhongzheng_menu_config")
        opened = {}
        for user in (self.crm_user, self.crm_manager):
            visible = self._visible_menus(user)
            reachable = windows.filtered(
                lambda m, v=visible: m.get_external_id()[m.id] in v
            )
            opened[user.login] = reachable
            for menu in reachable:
                action = menu.action
                with self.subTest(user=user.login, menu=menu.complete_name):
                    # what /web/action/load sends to the web client
                    data = action.with_user(user).sudo()._get_action_dict()
                    model = self.env[data["res_model"]].with_user(user)
                    views = [tuple(v) for v in data["views"]]
                    search_view = data["search_view_id"]
                    views.append((search_view and search_view[0], "search"))
                    result = model.get_views(views)
                    self.assertEqual(set(result["views"]), {mode for _v, mode in views})
                    self.assertIn("<search", result["views"]["search"]["arch"])
                    domain = safe_eval(data["domain"] or "[]", {"uid": user.id})
                    model.search_fetch(domain, ["display_name"], limit=5)
        # managers reach every action but Odoo's settings page (administrators
        # only); users all but the configuration ones
        settings = self.env.ref("crm_zhongzheng.res_config_settings_menu")
        self.assertEqual(opened["zz_crm_manager"], windows - settings)
        in_config = windows.filtered(lambda m: m.parent_id == config)
        self.assertTrue(in_config)
        self.assertEqual(opened["zz_crm_user"], windows - in_config)
