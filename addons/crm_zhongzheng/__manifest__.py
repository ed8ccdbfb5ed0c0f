# Copyright 2026 Zhongzheng
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Zhongzheng Customer Relations",
    "summary": "Customer pyramid, relationship classes, customer value and "
    "logistics service tickets from sales, purchase, invoice and delivery data",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "Zhongzheng",
    "website": "https://github.com/zhongzheng/crm_zhongzheng",
    "license": "LGPL-3",
    "application": True,
    "installable": True,
    "depends": [
        "contacts",
        "crm",
        "sale_management",
        "purchase",
        "stock",
        "sale_stock",
        "purchase_stock",
        "account",
        "mail",
        "portal",
        "rating",
    ],
    "external_dependencies": {"python": ["numpy", "scipy"]},
    "data": [
        "security/crm_zhongzheng_security.xml",
        "security/ir.model.access.csv",
        "views/res_partner_views.xml",
        "views/menus.xml",
    ],
}
