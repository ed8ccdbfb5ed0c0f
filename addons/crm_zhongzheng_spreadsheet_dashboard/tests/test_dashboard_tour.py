from odoo.tests import HttpCase, tagged

from odoo.addons.crm_zhongzheng.tests.common import demo_company, make_user


@tagged("post_install", "-at_install")
class TestDashboardTour(HttpCase):
    def test_manager_opens_the_dashboard_in_the_browser(self):
        """In Chromium, every formula of the dashboard evaluates on this
        database's data (no error cell) and the pyramid counts customers;
        the tour logs how long the data took to load."""
        make_user(
            self.env,
            "zz_dash_tour",
            "crm_zhongzheng.group_crm_manager",
            company=demo_company(self.env),
        )
        self.start_tour(
            "/odoo/dashboards",
            "crm_zhongzheng_customer_relations_dashboard",
            login="zz_dash_tour",
        )
