# Copyright 2026 Zhongzheng
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Zhongzheng Follow-up Visit Survey",
    "summary": "The follow-up visit's questionnaire is an Odoo survey: sent to "
    "the customer by link or answered with staff at the visit, linked to the "
    "ticket, its score the visit's score in the satisfaction analysis",
    "version": "18.0.1.0.0",
    "category": "Marketing/Surveys",
    "author": "Zhongzheng",
    "website": "https://github.com/zhongzheng/crm_zhongzheng",
    "license": "LGPL-3",
    "installable": True,
    "auto_install": True,
    "depends": ["crm_zhongzheng", "survey"],
    "data": [
        "security/ir.model.access.csv",
        "security/survey_rules.xml",
        "data/survey_data.xml",
        "views/service_ticket_views.xml",
        "views/survey_user_input_views.xml",
        "views/res_config_settings_views.xml",
    ],
    "demo": [
        "demo/survey_demo.xml",
    ],
}
