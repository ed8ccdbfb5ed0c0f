# Copyright 2026 Zhongzheng
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Zhongzheng Customer Campaigns",
    "summary": "Mailings to customer tiers, classes and segments, with a holdout "
    "control group and the measured uplift in orders and revenue",
    "version": "18.0.1.0.0",
    "category": "Marketing/Email Marketing",
    "author": "Zhongzheng",
    "website": "https://github.com/zhongzheng/crm_zhongzheng",
    "license": "LGPL-3",
    "installable": True,
    "auto_install": True,
    "depends": ["crm_zhongzheng", "mass_mailing", "mass_mailing_sale"],
    "data": [
        "security/ir.model.access.csv",
        "security/campaign_rules.xml",
        "views/mailing_mailing_views.xml",
        "views/customer_views.xml",
        "report/campaign_report_views.xml",
        "report/customer_pyramid_templates.xml",
    ],
    "demo": ["demo/mailing_mailing_demo.xml"],
    "assets": {
        "web.assets_tests": [
            "crm_zhongzheng_mass_mailing/static/tests/tours/*.js",
        ],
    },
}
