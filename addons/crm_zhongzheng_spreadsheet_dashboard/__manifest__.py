# Copyright 2026 Zhongzheng
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Zhongzheng Customer Relations Dashboard",
    "summary": "The Customer Relations dashboard in Odoo's Dashboards app: "
    "pyramid, key figures, migration, health, service quality, top customers",
    "version": "18.0.1.0.0",
    "category": "Productivity/Dashboard",
    "author": "Zhongzheng",
    "website": "https://github.com/zhongzheng/crm_zhongzheng",
    "license": "LGPL-3",
    "depends": ["crm_zhongzheng", "spreadsheet_dashboard"],
    "data": ["data/dashboards.xml"],
    "assets": {
        "web.assets_tests": [
            "crm_zhongzheng_spreadsheet_dashboard/static/tests/tours/*.js",
        ],
    },
    "installable": True,
    "auto_install": True,
}
