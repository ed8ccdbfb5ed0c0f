"""Time the Customer Relations dashboard's data sources on a database, as
its admin (a CRM administrator), with PostgreSQL's JIT on and off:

    odoo-bin shell -d DB --no-http < \
        addons/crm_zhongzheng_spreadsheet_dashboard/tools/time_dashboard.py

Prints one line per setting (the best of ZZ_DASHBOARD_RUNS, default 3,
loads of every data source, as the web client makes them:
tools/dashboard_calls.py). Reads only.
"""

# ruff: noqa: F821 (env is the Odoo shell's)
# a script for the shell's stdin, not a module of the addon: it prints, and
# imports the addon by its name (stdin has no package to be relative to)
# pylint: disable=print-used,odoo-addons-relative-import
import os

from odoo import fields

from odoo.addons.crm_zhongzheng_spreadsheet_dashboard.tools import (
    build_dashboard,
    dashboard_calls,
)

admin = env.ref("base.user_admin")
env.cr.execute("SELECT count(DISTINCT partner_id) FROM sale_order WHERE state = 'sale'")
print(f"database {env.cr.dbname}: {env.cr.fetchone()[0]} buying customers")
for jit in ("on", "off"):
    env.cr.execute(f"SET jit = {jit}")
    timing = dashboard_calls.time_sources(
        env(user=admin),
        build_dashboard.build(),
        fields.Date.today(),
        runs=int(os.environ.get("ZZ_DASHBOARD_RUNS", "3")),
    )
    print(f"jit {jit}: {dashboard_calls.describe(timing)}")
env.cr.rollback()
