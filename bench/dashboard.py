"""Benchmark of the Customer Relations dashboard at scale (issue 21, item 1).

On a database holding the value engine benchmark's data with
crm_zhongzheng_spreadsheet_dashboard installed (``--db``, by default the
prefix itself; it is upgraded first when the addon's sources
changed), as a CRM administrator: what the nightly cron stores for the
dashboard (the key figures, the pyramid's forecast), then every data
source's read_group calls as the web client makes them when the dashboard
opens (tools/dashboard_calls.py), timed per data source.
Reads only: everything is rolled back.

Run: ``ZZ_BENCH_PREFIX=zzdbench bench/run dashboard``.
"""

import argparse
import os
import subprocess
import sys
import time

import harness
from bench.value_engine import PREFIX, addon_fingerprint, new_env, odoo_bin

ADDONS = "crm_zhongzheng,crm_zhongzheng_spreadsheet_dashboard"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=PREFIX)
    parser.add_argument("--runs", type=int, default=1, help="best of N loads")
    args = parser.parse_args(argv)
    if not args.db.startswith(PREFIX):
        parser.error(f"database names must start with {PREFIX!r} (ZZ_BENCH_PREFIX)")
    return args


def ensure_current(db):
    """Upgrade both addons when crm_zhongzheng's sources changed."""
    fingerprint = addon_fingerprint()
    comment = harness.db_comment(db)
    if comment is None:
        sys.exit(f"no database {db}: build one with the reports benchmark's data")
    if not comment.startswith(f"addon={fingerprint}"):
        print(f"upgrading {ADDONS} in {db}: the sources changed", flush=True)
        odoo_bin(db, "-u", ADDONS)
        rest = comment.split(" ", 1)[1] if " " in comment else ""
        harness.set_db_comment(db, f"addon={fingerprint} {rest}".strip())


def main(argv=None):
    args = parse_args(argv)
    ensure_current(args.db)
    odoo, registry = harness.load_odoo(args.db, "--log-level=warn")
    from odoo.addons.crm_zhongzheng_spreadsheet_dashboard.tools import (
        build_dashboard,
        dashboard_calls,
    )

    with registry.cursor() as cr:
        env = new_env(odoo, cr)
        company = env.ref("base.main_company")
        cr.execute(
            "SELECT count(DISTINCT partner_id), count(*) FROM sale_order"
            " WHERE state = 'sale'"
        )
        buyers, orders = cr.fetchone()
        print(f"dashboard on {args.db}: {buyers} buying customers, {orders} orders")
        admin = env.ref("base.user_admin")
        admin.groups_id |= env.ref("crm_zhongzheng.group_crm_manager")
        print("\n--- nightly: what the dashboard reads stored")
        for label, refresh in (
            ("key figures", env["zhongzheng.crm.kpi.report"]._refresh_figures),
            (
                "customer value",
                env["zhongzheng.customer.value.store"]._refresh_figures,
            ),
            ("forecast", env["zhongzheng.pyramid.forecast"]._refresh),
        ):
            started = time.perf_counter()
            rows = refresh(company)
            print(
                f"{label} refresh: {time.perf_counter() - started:.2f} s,"
                f" {rows if isinstance(rows, int) else len(rows)} rows;"
                f" load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        env.flush_all()
        user_env = env(
            user=admin,
            context={"allowed_company_ids": company.ids, "lang": "en_US"},
        )
        data = build_dashboard.build()
        today = odoo.fields.Date.context_today(user_env["res.partner"])
        print("\n--- the data sources, as the web client loads them")
        total, per_source, calls = dashboard_calls.time_sources(
            user_env, data, today, runs=args.runs
        )
        for name, seconds in sorted(per_source.items(), key=lambda item: -item[1]):
            print(f"    {seconds:7.2f} s  {name}")
        print(
            f"  {calls} read_group calls of {len(per_source)} data sources;"
            f" load average {os.getloadavg()[0]:.1f}"
        )
        print("uptime:", subprocess.check_output(["uptime"], text=True).strip())
        cr.rollback()
    print("\n==== summary " + "=" * 60)
    print(f"customers={buyers} dashboard_load={total:.2f}s calls={calls}")
    print("=" * 73)
    harness.unload_odoo(odoo, registry, args.db, keep=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
