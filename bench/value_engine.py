"""Benchmark of the customer value engine (crm_zhongzheng).

Generates N customers and M sale order lines straight into a fresh database
(set-based SQL), then times, in this Python process:

  (a) a full recompute of the company (facts, CLV fit, ranks, tiers),
  (b) a second full recompute (must write no changed row),
  (c) one incremental update after confirming one new order
      (``_recompute_partners``), and the queue path (``_enqueue`` +
      ``_process``) after confirming another,
  (d) the straightforward per-partner ORM computation of the sale facts for a
      sample of partners, extrapolated to all of them,

and prints wall and CPU time, current and peak RSS after each phase, where the
time went (engine methods and SQL statements) and a summary block.

Run: ``bench/run value_engine --customers 100000 --lines 1000000`` (see
bench/README.md).
"""

import argparse
import hashlib
import os
import random
import sys
import time

import psutil

import harness
from bench._orm_baseline import run_orm_sample
from bench._profiling import Bench, instrument, peak_rss_mb, rss_mb
from bench._value_data import INCREMENTAL_REF, data_counts, generate, reset_figures

ADDON = harness.ADDON
ADDON_DIR = harness.ROOT / "addons" / ADDON
# Database names start with this prefix (the benchmark drops them).
PREFIX = os.environ.get("ZZ_BENCH_PREFIX", "zzbench")
TARGET_SECONDS, TARGET_RSS_MB, TARGET_SPEEDUP = 60.0, 1500.0, 20.0


# ----------------------------------------------------------------------
# command line
# ----------------------------------------------------------------------
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Benchmark the crm_zhongzheng customer value engine.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument(
        "--lines-per-order", type=float, default=5.0, help="mean lines per order"
    )
    parser.add_argument(
        "--orm-sample",
        type=int,
        default=500,
        help="partners timed with the per-partner ORM computation (0: skip)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--db", default=PREFIX)
    parser.add_argument("--template", default=f"{PREFIX}_template")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database at the end"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the database of an earlier --keep run when it holds data of "
        "the same size and seed (its figures are reset first); implies --keep",
    )
    parser.add_argument(
        "--no-accounting",
        action="store_true",
        help="do not generate invoices, payments and deliveries",
    )
    args = parser.parse_args(argv)
    if not args.db.startswith(PREFIX) or not args.template.startswith(PREFIX):
        parser.error(f"database names must start with {PREFIX!r} (ZZ_BENCH_PREFIX)")
    if args.customers < 1 or args.lines < args.customers:
        parser.error("need at least 1 customer and one line per customer")
    args.keep = args.keep or args.reuse
    return args


# ----------------------------------------------------------------------
# databases (through the project's harness)
# ----------------------------------------------------------------------
def addon_fingerprint():
    """Hash of the addon's sources (not its tests): a database built from
    other sources is upgraded before use."""
    digest = hashlib.sha1()
    for path in sorted(ADDON_DIR.rglob("*")):
        rel = path.relative_to(ADDON_DIR)
        if path.is_file() and rel.parts[0] not in ("tests", "static", "i18n"):
            if path.suffix in (".pyc",):
                continue
            digest.update(str(rel).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def odoo_bin(dbname, *args):
    """odoo-bin in a subprocess (install and upgrade are not measured)."""
    log = harness.log_dir() / f"bench-{dbname}.log"
    start = time.perf_counter()
    code, _text = harness.run_odoo(
        dbname,
        *args,
        "--without-demo=all",
        "--stop-after-init",
        "--no-http",
        "--max-cron-threads=0",
        timeout=3600,
        log_path=log,
    )
    if code:
        sys.exit(f"odoo-bin {' '.join(args)} on {dbname} failed: see {log}")
    print(f"  done in {time.perf_counter() - start:.0f} s (log: {log})", flush=True)


def ensure_current(dbname, fingerprint):
    """Install the addon without demo data into a new database, or upgrade
    one built from other addon sources."""
    comment = harness.db_comment(dbname)
    if comment is not None and comment.startswith(f"addon={fingerprint}"):
        return comment
    if comment is None:
        print(f"creating {dbname}: {ADDON} without demo data (~2 min)", flush=True)
        odoo_bin(dbname, "-i", ADDON)
    else:
        print(f"upgrading {ADDON} in {dbname}: its sources changed", flush=True)
        odoo_bin(dbname, "-u", ADDON)
    rest = comment.split(" ", 1)[1] if comment and " " in comment else ""
    text = f"addon={fingerprint} {rest}".strip()
    harness.set_db_comment(dbname, text)
    return text


def data_label(args):
    """What the data of a run depends on, kept in the database's comment."""
    return (
        f"data=c{args.customers}-l{args.lines}-o{args.lines_per_order}"
        f"-s{args.seed}-acc{int(not args.no_accounting)}"
    )


def prepare_database(args, fingerprint):
    """Returns True when the database already holds the requested data."""
    wanted = data_label(args)
    if args.reuse:
        comment = harness.db_comment(args.db)
        if comment is not None and wanted in comment:
            ensure_current(args.db, fingerprint)
            print(f"reusing {args.db} ({wanted})")
            return True
        print(f"{args.db} does not hold {wanted}: generating it")
    ensure_current(args.template, fingerprint)
    harness.copy_db(args.template, args.db)
    harness.set_db_comment(args.db, f"addon={fingerprint}")
    return False


def vacuum_analyze(dbname, tables):
    """What autovacuum does to a production database after a bulk load."""
    for table in tables:
        harness.execute(dbname, f"VACUUM ANALYZE {table}")


def new_env(odoo, cr):
    return odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


# ----------------------------------------------------------------------
# the phases
# ----------------------------------------------------------------------
def confirm_new_order(env, company, partner_id, product):
    """One new confirmed order, through the ORM like a user would."""
    order = (
        env["sale.order"]
        .with_company(company)
        .create(
            {
                "partner_id": partner_id,
                "company_id": company.id,
                "client_order_ref": INCREMENTAL_REF,
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": product.id,
                            "product_uom_qty": 2,
                            "price_unit": 250.0,
                            "tax_id": [(5, 0, 0)],
                        },
                    )
                ],
            }
        )
    )
    order.action_confirm()
    env.flush_all()
    return order


def pick_repeat_customers(cr, count, seed):
    cr.execute(
        """
        SELECT p.commercial_partner_id FROM sale_order so
          JOIN res_partner p ON p.id = so.partner_id
         WHERE so.state = 'sale' AND p.ref LIKE 'ZZB%%'
           AND so.client_order_ref IS DISTINCT FROM %s
         GROUP BY 1 HAVING count(*) BETWEEN 3 AND 20 ORDER BY 1
        """,
        [INCREMENTAL_REF],
    )
    ids = [r[0] for r in cr.fetchall()]
    return random.Random(seed).sample(ids, min(count, len(ids)))


def run_phases(bench, odoo, registry, args, as_of, population):
    engine_name = "zhongzheng.value.engine"
    with registry.cursor() as cr:
        env = new_env(odoo, cr)
        company = env.ref("base.main_company")
        service = env["product.product"].search(
            [("default_code", "=", "ZZB-SRV")], limit=1
        )
        engine = env[engine_name]
        with bench.phase("(a) full recompute", cr):
            engine._recompute(companies=company, as_of=as_of, fit_clv=True)
            cr.commit()
        with bench.phase("(b) second full recompute", cr):
            engine._recompute(companies=company, as_of=as_of, fit_clv=True)
            cr.commit()
        first, second = pick_repeat_customers(cr, 2, args.seed)
        confirm_new_order(env, company, first, service)
        cr.commit()
        with bench.phase("(c) incremental: _recompute_partners, 1 partner", cr):
            engine._recompute_partners(company, [first], as_of=as_of)
            cr.commit()
        cr.execute("DELETE FROM zhongzheng_value_queue")  # done just above
        confirm_new_order(env, company, second, service)  # queues it
        cr.commit()
        queue = env["zhongzheng.value.queue"]
        with bench.phase("(c') incremental: queue _enqueue + _process", cr) as res:
            queue._enqueue(env["res.partner"].browse(second), company)
            res["done"], res["left"] = queue._process()
            cr.commit()
        print(f"  queue: {res['done']} processed, {res['left']} left")
        bench.engine_peak = peak_rss_mb()
        sample = []
        if args.orm_sample:
            cr.execute("SELECT id FROM res_partner WHERE ref LIKE 'ZZB%' ORDER BY id")
            ids = [r[0] for r in cr.fetchall()]
            sample = random.Random(args.seed + 1).sample(
                ids, min(args.orm_sample, len(ids))
            )
            run_orm_sample(bench, env, company, as_of, sample, population)
        cr.rollback()


def print_environment(cr):
    cr.execute(
        "SELECT name, current_setting(name) FROM pg_settings WHERE name IN"
        " ('work_mem', 'shared_buffers', 'max_parallel_workers_per_gather',"
        " 'jit', 'server_version') ORDER BY name"
    )
    pg = ", ".join(f"{name}={setting}" for name, setting in cr.fetchall())
    print(
        f"machine: {os.cpu_count()} CPUs, "
        f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM, load average"
        f" {os.getloadavg()[0]:.1f}; PostgreSQL session: {pg}"
    )


def summary(bench, args, counts):
    f = bench.figures
    full = f["(a) full recompute"]
    second = f["(b) second full recompute"]
    incr = f["(c) incremental: _recompute_partners, 1 partner"]
    queue = f["(c') incremental: queue _enqueue + _process"]
    orm = next((v for k, v in f.items() if k.startswith("(d)")), None)
    speedup = orm["extrapolated"] / full["wall"] if orm else None
    peak = bench.engine_peak
    print("\n==== summary " + "=" * 60)
    parts = [
        f"customers={counts['customers']}",
        f"lines={counts['lines']}",
        f"orders={counts['orders']}",
        f"full_recompute={full['wall']:.1f}s",
        f"(python_cpu={full['cpu']:.1f}s",
        f"pg_backend_cpu={full.get('pg_cpu', float('nan')):.1f}s)",
        f"second_recompute={second['wall']:.1f}s",
        f"second_changed={second.get('changed', 0)}",
        f"incremental={incr['wall']:.2f}s",
        f"queue={queue['wall']:.2f}s",
    ]
    if orm:
        parts += [
            f"orm_per_partner={1000 * orm['mean']:.2f}ms",
            f"orm_extrapolated={orm['extrapolated']:.0f}s",
            f"speedup={speedup:.1f}x",
        ]
    parts.append(f"peak_rss={peak:.0f}MB")
    print(" ".join(parts))
    print(
        "(peak_rss: this Python process up to the end of the engine phases,"
        " ru_maxrss; PostgreSQL runs in its own processes, not counted)"
    )
    checks = [
        (f"full recompute < {TARGET_SECONDS:.0f} s", full["wall"] < TARGET_SECONDS),
        (f"peak RSS < {TARGET_RSS_MB:.0f} MB", peak < TARGET_RSS_MB),
        ("second recompute changes 0 rows", not second.get("changed")),
    ]
    if orm:
        checks.append((f"speedup >= {TARGET_SPEEDUP:.0f}x", speedup >= TARGET_SPEEDUP))
    for label, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {label}")
    print("=" * 73)
    return all(ok for _label, ok in checks)


def main(argv=None):
    args = parse_args(argv)
    fingerprint = addon_fingerprint()
    print(
        f"benchmark: value engine, {args.customers} customers, {args.lines} lines,"
        f" database {args.db}"
    )
    reused = prepare_database(args, fingerprint)
    odoo, registry = harness.load_odoo(
        args.db, "--log-level=warn", f"--log-handler=odoo.addons.{ADDON}:INFO"
    )
    bench = Bench(args)
    with registry.cursor() as cr:
        env = new_env(odoo, cr)
        print_environment(cr)
        company = env.ref("base.main_company")
        as_of = odoo.fields.Date.context_today(env["res.partner"])
        if reused:
            reset_figures(env, company)
        else:
            start = time.perf_counter()
            generate(env, args, company, as_of)
            cr.commit()
            print(f"  generated in {time.perf_counter() - start:.0f} s")
        counts = data_counts(cr, company.id)
        cr.commit()
    vacuum_analyze(
        args.db,
        [
            "res_partner",
            "sale_order",
            "sale_order_line",
            "account_move",
            "account_move_line",
            "account_partial_reconcile",
            "stock_picking",
            "product_product",
        ],
    )
    if not reused:
        harness.set_db_comment(args.db, f"addon={fingerprint} {data_label(args)}")
    print(
        "data: " + ", ".join(f"{k}={v}" for k, v in counts.items()) + f"; as of {as_of}"
    )
    print(f"after loading Odoo: rss {rss_mb():.0f} MB, peak {peak_rss_mb():.0f} MB")
    field_kinds = {}
    for module, kind in (
        ("value_engine", "FACT_FIELDS"),
        ("value_engine", "RANK_FIELDS"),
        ("value_engine", "CLV_FIELDS"),
        ("relationship_engine", "RELATIONSHIP_FIELDS"),
        ("supplier_engine", "SUPPLIER_FIELDS"),
    ):
        mod = sys.modules.get(f"odoo.addons.{ADDON}.models.{module}")
        for name in getattr(mod, kind, {}):
            field_kinds.setdefault(name, kind.removesuffix("_FIELDS").lower())
    instrument(registry, bench.profiler, field_kinds)
    run_phases(bench, odoo, registry, args, as_of, counts["customers"])
    ok = summary(bench, args, counts)
    if args.keep:
        print(f"kept database {args.db}")
    else:
        registry.delete(args.db)
        odoo.sql_db.close_db(args.db)
        harness.drop_db(args.db)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
