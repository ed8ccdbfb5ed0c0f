# Copyright 2026 Zhongzheng
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).

from odoo.tools import SQL

from .models.value_writer import FIGURES_TABLE

MODULE = "crm_zhongzheng"


def uninstall_hook(env):
    """Prepare the removal of the module's records.

    - Service tickets go first: they are dropped with their table anyway,
      but until then their required type and stage would keep Odoo from
      deleting the module's ticket types and stages.
    - The demo partners and products stay behind: they carry posted
      invoices, payments and done stock moves, which can never be deleted.
      Instead of failing to delete them (and keeping their external ids),
      they become ordinary records.
    - The customer value figures' table is no model's (value_writer.py):
      Odoo would leave it behind.
    """
    env["zhongzheng.service.ticket"].sudo().with_context(active_test=False).search(
        []
    ).unlink()
    # the demo portal login has a known password: it must not outlive the demo
    portal_user = env.ref(f"{MODULE}.user_ruijin_portal_demo", raise_if_not_found=False)
    if portal_user:
        portal_user.active = False
    env["ir.model.data"].search(
        [("module", "=", MODULE), ("name", "=like", "%\\_demo")]
    ).unlink()
    env.cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(FIGURES_TABLE)))
