"""Benchmark of crm_zhongzheng's reports at scale (issue 15, point 5).

On the value engine benchmark's data (bench/_value_data.py: N customers, M
confirmed sale order lines, invoices, payments, deliveries) after one full
recompute of the figures, times in this Python process:

  (p) the customer pyramid PDF of a year: the HTML (values and QWeb) and the
      full PDF (the same plus wkhtmltopdf),
  (c) the customer profile PDF of --profiles customers: HTML and full PDF,
  (k) the key-figures view (the CRM KPI report) grouped by month, as the web
      client reads it: its grouped rows and its first list page, from the
      figures the nightly pass stores (timed first, as (n)),

each with its wall time, number of SQL queries, their total time and the
slowest statements. Prints a summary line and PASS/FAIL against the targets.

Run: ``bench/run reports --customers 100000 --lines 1000000`` (see
bench/README.md); ``--reuse`` takes the database of an earlier
``bench/run value_engine --keep`` or ``bench/run reports --keep`` run of the
same size.
"""

import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import date

import harness
from bench._value_data import data_counts, generate
from bench.value_engine import (
    addon_fingerprint,
    data_label,
    ensure_current,
    new_env,
    prepare_database,
    print_environment,
    vacuum_analyze,
)
from bench.value_engine import parse_args as engine_args

TARGETS = {"pyramid_pdf": 10.0, "profile_pdf": 10.0, "kpi_view": 2.0}
PYRAMID = "crm_zhongzheng.customer_pyramid_report_action"
PROFILE = "crm_zhongzheng.customer_profile_report_action"
KPI_MEASURES = [
    "customers_start:sum",
    "new_customers:sum",
    "lost_customers:sum",
    "retention_rate:avg",
    "churn_rate:avg",
    "top20_revenue_share:avg",
    "sla_compliance:avg",
    "satisfaction:avg",
    "claims_paid:sum",
]


def parse_args(argv=None):
    """The value engine benchmark's options (data size, --db, --reuse,
    --keep), plus --profiles (customers in the profile PDF, 100), --year
    (of the pyramid, this year) and --phases (letters of those to run:
    p pyramid, c profile, k key figures; all by default) and --any-data."""
    argv = list(sys.argv[1:] if argv is None else argv)
    own = {"--profiles": "100", "--year": "0", "--phases": "pck"}
    for option in own:
        if option in argv:
            at = argv.index(option)
            own[option] = argv[at + 1]
            del argv[at : at + 2]
    # --any-data: with --reuse, the database whatever data it holds (e.g.
    # made by an earlier version of the generator), upgraded if needed
    any_data = "--any-data" in argv
    argv = [arg for arg in argv if arg != "--any-data"]
    args = engine_args([*argv, "--orm-sample", "0"])
    args.any_data = any_data and args.reuse
    args.profiles, args.year = int(own["--profiles"]), int(own["--year"])
    args.phases = own["--phases"]
    return args


class Queries:
    """Counts this thread's SQL statements and their time (Odoo's query
    hooks), by statement text."""

    def __init__(self):
        self.count, self.seconds = 0, 0.0
        self.by_text = defaultdict(lambda: [0, 0.0])

    def hook(self, cr, query, params, start, delay):
        self.count += 1
        self.seconds += delay
        node = self.by_text[" ".join(str(query).split())[:90]]
        node[0] += 1
        node[1] += delay


@contextmanager
def phase(figures, name):
    queries = Queries()
    thread = threading.current_thread()
    thread.query_hooks = [queries.hook]
    started = time.perf_counter()
    try:
        yield
    finally:
        wall = time.perf_counter() - started
        thread.query_hooks = []
    figures[name] = (wall, queries.count)
    print(
        f"{name}: {wall:.2f} s wall, {queries.count} queries taking"
        f" {queries.seconds:.2f} s; load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    slowest = sorted(queries.by_text.items(), key=lambda item: -item[1][1])[:4]
    for text, (calls, seconds) in slowest:
        print(f"    {seconds:6.2f} s {calls:5d}x  {text}")


def report_env(env, company):
    """A CRM manager of the company (as who prints these reports) who also
    reads tickets; wkhtmltopdf is pointed at a closed port for the report
    CSS (no HTTP server runs here: the reports' inline style applies)."""
    admin = env.ref("base.user_admin")
    for group in ("crm_zhongzheng.group_crm_manager", "sales_team.group_sale_manager"):
        admin.groups_id |= env.ref(group)
    env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")
    env.flush_all()
    return env(
        user=admin,
        context={"allowed_company_ids": company.ids, "lang": "en_US", "tz": "UTC"},
    )


def patched_wkhtmltopdf():
    """Whether wkhtmltopdf has its patched Qt: without it, it cannot print
    several HTML documents (Odoo's one per record) into one PDF."""
    version = subprocess.run(
        ["wkhtmltopdf", "--version"], capture_output=True, text=True, check=False
    ).stdout
    return "patched qt" in version.lower()


def render(env, figures, label, report, ids, data=None):
    Report = env["ir.actions.report"]
    env.invalidate_all()
    with phase(figures, f"{label} html"):
        html, _kind = Report._render_qweb_html(report, ids, data=data)
    env.invalidate_all()
    if len(ids) == 1 or patched_wkhtmltopdf():
        with phase(figures, f"{label} pdf"):
            pdf, _kind = Report._render_qweb_pdf(report, ids, data=data)
    else:
        print(
            "  (this wkhtmltopdf lacks the patched Qt that prints one document"
            " per record: the PDF is the same HTML printed as one document)"
        )
        with phase(figures, f"{label} pdf"):
            html, _kind = Report._render_qweb_html(report, ids, data=data)
            pdf = Report._run_wkhtmltopdf([html.decode()], report_ref=report)
    print(f"  {len(html) / 1024:.0f} KiB of HTML, {len(pdf) / 1024:.0f} KiB of PDF")


def nightly(env, company):
    """What the nightly cron stores for the reports: the key figures the
    view reads, the customer value rows and the pyramid's forecast, which
    the pyramid and the dashboard read (rolled back with the rest of the
    run)."""
    print("\n--- (n) nightly: the key figures, customer value rows, forecast")
    for label, refresh, count in (
        ("kpi", env["zhongzheng.crm.kpi.report"]._refresh_figures, int),
        (
            "customer value",
            env["zhongzheng.customer.value.store"]._refresh_figures,
            int,
        ),
        ("forecast", env["zhongzheng.pyramid.forecast"]._refresh, len),
    ):
        started = time.perf_counter()
        rows = refresh(company)
        print(
            f"{label} refresh: {time.perf_counter() - started:.2f} s,"
            f" {count(rows)} rows; load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    for row in rows:
        label = row.tier_id.name or row.relationship_class or row.state
        print(
            f"    {row.kind:5s} {label:14s} now {row.customers:6d}"
            f"  next quarter {row.forecast_quarter:9.1f}"
            f"  in a year {row.forecast_year:9.1f}"
            f"  forecast a year ago {row.backtest_customers:9.1f}"
            f"  revenue next year {row.revenue_year:14.2f}"
            f"  past year {row.actual_revenue:14.2f}"
            f" (forecast then {row.backtest_revenue:14.2f})"
        )


def run_reports(env, args, company, as_of):
    figures = {}
    year = args.year or as_of.year
    user_env = report_env(env, company)
    cr = env.cr
    cr.execute(
        "SELECT id FROM res_partner WHERE ref LIKE 'ZZB%%' AND parent_id IS NULL"
        " ORDER BY id LIMIT %s",
        [args.profiles],
    )
    customers = [row[0] for row in cr.fetchall()]
    if "p" in args.phases:
        print(f"\n--- (p) customer pyramid PDF, year {year}")
        render(
            user_env,
            figures,
            "pyramid",
            PYRAMID,
            company.ids,
            data={"period": "year", "date": str(date(year, 6, 30))},
        )
    if "c" in args.phases:
        print(f"\n--- (c) customer profile PDF, {len(customers)} customers")
        render(user_env, figures, "profile", PROFILE, customers)
    if "k" in args.phases:
        print("\n--- (k) key figures view, months, grouped by month")
        Kpi = user_env["zhongzheng.crm.kpi.report"]
        domain = [("period", "=", "month")]
        user_env.invalidate_all()
        with phase(figures, "kpi grouped"):
            groups = Kpi.web_read_group(
                domain, KPI_MEASURES, ["date:month"], lazy=False
            )
        with phase(figures, "kpi list"):
            Kpi.web_search_read(
                domain, {name.split(":")[0]: {} for name in KPI_MEASURES}, limit=80
            )
        print(f"  {groups['length']} months")
    return figures


def summary(figures, counts, profiles):
    if "kpi grouped" in figures:
        figures["kpi view"] = (
            figures["kpi grouped"][0] + figures["kpi list"][0],
            figures["kpi grouped"][1] + figures["kpi list"][1],
        )
    print("\n==== summary " + "=" * 60)
    parts = [f"customers={counts['customers']}", f"lines={counts['lines']}"]
    checks = []
    for key, label, target in (
        ("pyramid", "pyramid_year", "pyramid_pdf"),
        ("profile", f"profile_{profiles}", "profile_pdf"),
    ):
        if f"{key} pdf" in figures:
            parts += [
                f"{label}_pdf={figures[f'{key} pdf'][0]:.2f}s",
                f"{label}_html={figures[f'{key} html'][0]:.2f}s",
                f"{label}_queries={figures[f'{key} html'][1]}",
            ]
            checks.append((f"{label} PDF", figures[f"{key} pdf"][0], TARGETS[target]))
    if "kpi view" in figures:
        parts += [
            f"kpi_view={figures['kpi view'][0]:.2f}s",
            f"kpi_queries={figures['kpi view'][1]}",
        ]
        checks.append(
            ("key figures view by month", figures["kpi view"][0], TARGETS["kpi_view"])
        )
    print(" ".join(parts))
    for label, seconds, target in checks:
        print(f"  {'PASS' if seconds <= target else 'FAIL'}  {label} <= {target:.0f} s")
    print("=" * 73)
    return all(seconds <= target for _label, seconds, target in checks)


def main(argv=None):
    args = parse_args(argv)
    print(f"benchmark: reports on {args.db} ({data_label(args)})")
    fingerprint = addon_fingerprint()
    if args.any_data and harness.db_comment(args.db) is not None:
        print(f"reusing {args.db} as it is: {harness.db_comment(args.db)}")
        ensure_current(args.db, fingerprint)
        reused = True
    else:
        reused = prepare_database(args, fingerprint)
    odoo, registry = harness.load_odoo(args.db, "--log-level=warn")
    with registry.cursor() as cr:
        env = new_env(odoo, cr)
        print_environment(cr)
        company = env.ref("base.main_company")
        as_of = odoo.fields.Date.context_today(env["res.partner"])
        if not reused:
            generate(env, args, company, as_of)
            cr.commit()
        counts = data_counts(cr, company.id)
        cr.commit()
    if not reused:
        vacuum_analyze(args.db, ["res_partner", "sale_order", "sale_order_line"])
        harness.set_db_comment(args.db, f"addon={fingerprint} {data_label(args)}")
    with registry.cursor() as cr:
        env = new_env(odoo, cr)
        company = env.ref("base.main_company")
        cr.execute("SELECT 1 FROM zhongzheng_relationship_history LIMIT 1")
        if not cr.fetchone():
            print("full recompute first (figures, tiers and their history)")
            started = time.perf_counter()
            env["zhongzheng.value.engine"]._recompute(
                companies=company, as_of=as_of, fit_clv=True
            )
            cr.commit()
            print(f"  done in {time.perf_counter() - started:.0f} s")
        nightly(env, company)
        figures = run_reports(env, args, company, as_of)
        cr.rollback()
    ok = summary(figures, counts, args.profiles)
    # the data is minutes to generate: --keep, then --reuse
    harness.unload_odoo(odoo, registry, args.db, keep=args.keep)
    print(f"database {args.db} {'kept' if args.keep else 'dropped'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
