# Copyright 2026 Zhongzheng
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Zhongzheng Repairs from Service Tickets",
    "summary": "Create Repair on a service ticket about a device: an Odoo repair "
    "order for its product and serial number, under warranty from the installed "
    "base, its status on the ticket and the customer's portal",
    "version": "18.0.1.0.0",
    "category": "Inventory/Inventory",
    "author": "Zhongzheng",
    "website": "https://github.com/zhongzheng/crm_zhongzheng",
    "license": "LGPL-3",
    "installable": True,
    "auto_install": True,
    "depends": ["crm_zhongzheng", "repair"],
    "data": [
        "views/service_ticket_views.xml",
        "views/repair_order_views.xml",
        "views/portal_templates.xml",
    ],
}
