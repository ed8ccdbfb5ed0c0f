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
import logging
import math
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import psutil
import psycopg2

ROOT = Path(__file__).resolve().parent.parent
ADDON = "crm_zhongzheng"
ADDON_DIR = ROOT / "addons" / ADDON
ODOO_PATH = Path(os.environ.get("ODOO_PATH", "/opt/odoo18"))
DATA_DIR = Path(os.environ.get("ZZ_DATA_DIR", ROOT / ".local" / "data"))
LOG_DIR = Path(os.environ.get("ZZ_LOG_DIR", ROOT / ".local" / "log"))
PG = {
    "host": os.environ.get("PGHOST", "127.0.0.1"),
    "port": int(os.environ.get("PGPORT", "54329")),
    "user": os.environ.get("PGUSER", "odoo"),
}
PG_PASSWORD = os.environ.get("PGPASSWORD", "")
TARGET_SECONDS, TARGET_RSS_MB, TARGET_SPEEDUP = 60.0, 1500.0, 20.0
HISTORY_DAYS = 730  # two years of orders up to the as-of date
INCREMENTAL_REF = "zzbench-incremental"
# Products: (name, list price, cost). The first ones sell most.
PRODUCTS = [
    ("Pallet Wrap Film", 18.0, 11.5),
    ("Carton Box 60x40", 2.4, 1.5),
    ("Steel Strapping Coil", 42.0, 29.0),
    ("Wooden Pallet EUR", 14.0, 9.8),
    ("Label Printer Ribbon", 9.5, 5.2),
    ("Forklift Battery Service Kit", 310.0, 220.0),
    ("Cold Chain Data Logger", 85.0, 51.0),
    ("Hand Pallet Truck", 420.0, 300.0),
    ("Plastic Crate 40L", 11.0, 6.9),
    ("Shrink Hood 1200", 3.1, 1.9),
    ("Corner Protector 50m", 27.0, 16.0),
    ("Container Desiccant Bag", 4.2, 2.1),
    ("Dock Bumper", 95.0, 61.0),
    ("Stretch Wrapper Spare Film Roller", 150.0, 98.0),
    ("Barcode Scanner", 260.0, 190.0),
    ("Air Cushion Roll", 36.0, 21.0),
]
SERVICE = ("Express Delivery Surcharge", 250.0, 120.0)

_logger = logging.getLogger("bench.value_engine")


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
    parser.add_argument("--db", default="zzbench")
    parser.add_argument("--template", default="zzbench_template")
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
    if not args.db.startswith("zzbench") or not args.template.startswith("zzbench"):
        parser.error("database names must start with 'zzbench'")
    if args.customers < 1 or args.lines < args.customers:
        parser.error("need at least 1 customer and one line per customer")
    args.keep = args.keep or args.reuse
    return args


# ----------------------------------------------------------------------
# measuring
# ----------------------------------------------------------------------
def rss_mb():
    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mb():
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def backend_stats(cr):
    """(VmRSS MB, VmHWM MB, CPU seconds) of this cursor's PostgreSQL backend
    if readable (same machine); its RSS includes the shared buffers it
    touched, its CPU not that of parallel workers."""
    cr.execute("SELECT pg_backend_pid()")
    pid = cr.fetchone()[0]
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    values = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.MULTILINE))
    if len(values) < 2:
        return None
    # utime and stime: fields 14 and 15, counted after the ")" ending comm
    ticks = stat.rsplit(")", 1)[1].split()[11:13]
    cpu = sum(int(t) for t in ticks) / os.sysconf("SC_CLK_TCK")
    return int(values["VmRSS"]) / 1024, int(values["VmHWM"]) / 1024, cpu


class Profiler:
    """Inclusive wall time per call path of the engine's methods, plus the
    SQL statements they run (Odoo's query hooks) and execute_values."""

    def __init__(self):
        self.stack = []
        self.nodes = defaultdict(lambda: [0, 0.0])  # path -> [calls, seconds]
        self.enabled = False
        self.writes = []  # (kind, rows given, rows changed)

    def reset(self):
        self.nodes.clear()
        self.writes = []

    def add(self, label, seconds):
        if self.enabled:
            node = self.nodes[(*self.stack, label)]
            node[0] += 1
            node[1] += seconds

    def wrap(self, func, label):
        profiler = self

        def timed(*args, **kwargs):
            if not profiler.enabled:
                return func(*args, **kwargs)
            profiler.stack.append(label)
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                profiler.stack.pop()
                profiler.add(label, elapsed)

        timed.__name__ = getattr(func, "__name__", label)
        timed.__doc__ = getattr(func, "__doc__", None)
        timed.__dict__.update(getattr(func, "__dict__", {}))  # keeps Odoo's _api
        return timed

    def query_hook(self, cr, query, params, start, delay):
        text = " ".join(str(query).split())
        self.add("SQL " + text[:72], delay)

    def report(self, total, min_share=0.01):
        """The call tree, children under their parent, biggest first."""
        lines = []

        def walk(prefix, depth):
            children = [
                (path, node)
                for path, node in self.nodes.items()
                if len(path) == depth + 1 and path[:depth] == prefix
            ]
            children.sort(key=lambda item: -item[1][1])
            hidden = 0.0
            for path, (calls, seconds) in children:
                if seconds < max(min_share * total, 0.05):
                    hidden += seconds
                    continue
                lines.append(
                    f"    {seconds:8.2f} s {100 * seconds / total:5.1f}%"
                    f" {calls:6d}x  {'  ' * depth}{path[-1]}"
                )
                walk(path, depth + 1)
            if hidden:
                lines.append(f"    {hidden:8.2f} s {'':6} {'':7}  {'  ' * depth}(rest)")

        walk((), 0)
        return "\n".join(lines)


PROFILED_METHODS = {
    "zhongzheng.value.engine": [
        "_recompute",
        "_recompute_partners",
        "_rerank",
        "_pipeline",
        "_optional_step",
    ],
    "zhongzheng.value.writer": [
        "_write_rows",
        "_write_query",
        "_stage_open",
        "_stage_rows",
        "_stage_flush",
    ],
    "zhongzheng.value.facts": ["_compute_facts"],
    "zhongzheng.value.ranks": ["_compute_ranks"],
    "zhongzheng.supplier.engine": ["_compute_supplier_facts"],
    "zhongzheng.relationship.engine": [
        "_compute_relationships",
        "_relationship_rows",
        "_rank_tiers",
        "_current_overrides",
    ],
    "zhongzheng.relationship.history": ["_log_changes"],
    "zhongzheng.clv.fit": [
        "_fit",
        "_run",
        "_apply",
        "_apply_last",
        "_inputs",
        "_predict",
        "_backtest",
        "create",
        "write",
    ],
    "zhongzheng.value.queue": ["_enqueue", "_process"],
}
PROFILED_FUNCTIONS = {
    "clv_math": [
        "fit_bgnbd",
        "fit_gamma_gamma",
        "customer_lifetime_value",
        "bgnbd_prob_alive",
        "bgnbd_expected_purchases",
    ],
}


def instrument(registry, profiler, field_kinds):
    """Wrap the engine's methods (on the registry's final classes) and a few
    module functions with the profiler; count what each bulk write changed."""
    import importlib
    import inspect

    for model, names in PROFILED_METHODS.items():
        cls = registry[model]
        for name in names:
            if not hasattr(cls, name):
                continue
            raw = inspect.getattr_static(cls, name)
            func = getattr(cls, name)
            label = f"{model.rsplit('.', 1)[-1]}.{name}"
            if name == "_write_rows":
                func = count_writes(func, profiler, field_kinds)
            elif name == "_stage_flush":
                func = count_flush(func, profiler)
            timed = profiler.wrap(func, label)
            setattr(
                cls,
                name,
                staticmethod(timed) if isinstance(raw, staticmethod) else timed,
            )
    for module_name, names in PROFILED_FUNCTIONS.items():
        module = importlib.import_module(f"odoo.addons.{ADDON}.models.{module_name}")
        for name in names:
            if hasattr(module, name):
                setattr(module, name, profiler.wrap(getattr(module, name), name))
    threading.current_thread().query_hooks = [profiler.query_hook]


def count_writes(func, profiler, field_kinds):
    def counted(self, company, rows, columns, *args, **kwargs):
        changed = func(self, company, rows, columns, *args, **kwargs)
        kind = field_kinds.get(columns[0], columns[0]) if columns else "?"
        profiler.writes.append((kind, len(rows), changed))
        return changed

    counted.__dict__.update(getattr(func, "__dict__", {}))
    return counted


def count_flush(func, profiler):
    """The one UPDATE of res_partner that ends a recompute."""

    def counted(self, company, *args, **kwargs):
        changed = func(self, company, *args, **kwargs)
        profiler.writes.append(("res_partner", "staged", changed))
        return changed

    counted.__dict__.update(getattr(func, "__dict__", {}))
    return counted


class Bench:
    """Phases, their figures and the printed report."""

    def __init__(self, args):
        self.args = args
        self.profiler = Profiler()
        self.figures = {}
        self.phase_peak = 0.0

    @contextmanager
    def phase(self, name, cr, profile=True):
        print(f"\n--- {name}", flush=True)
        self.profiler.reset()
        self.profiler.enabled = profile
        rss_before = rss_mb()
        backend_before = backend_stats(cr)
        wall, cpu = time.perf_counter(), time.process_time()
        result = {}
        yield result
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        self.profiler.enabled = False
        result.update(wall=wall, cpu=cpu)
        self.figures[name] = result
        backend = backend_stats(cr)
        backend_text = ""
        if backend and backend_before:
            result["pg_cpu"] = backend[2] - backend_before[2]
            backend_text = (
                f"; PostgreSQL backend (separate process, not in the target):"
                f" {result['pg_cpu']:.2f} s CPU, rss {backend[0]:.0f} MB,"
                f" peak {backend[1]:.0f} MB"
            )
        print(
            f"{name}: {wall:.2f} s wall, {cpu:.2f} s Python CPU "
            f"(the rest is PostgreSQL and I/O); this process: rss "
            f"{rss_before:.0f} -> {rss_mb():.0f} MB, peak {peak_rss_mb():.0f} MB"
            f"{backend_text}; load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        if self.profiler.writes:
            print(
                "  rows written (changed/given): "
                + ", ".join(f"{k} {c}/{n}" for k, n, c in self.profiler.writes)
            )
            result["changed"] = sum(c for _k, _n, c in self.profiler.writes)
        if profile and self.profiler.nodes:
            print("  where the time went (inclusive; SQL = one statement's text):")
            print(self.profiler.report(wall))


# ----------------------------------------------------------------------
# databases
# ----------------------------------------------------------------------
def connect(dbname="postgres"):
    conn = psycopg2.connect(dbname=dbname, password=PG_PASSWORD or None, **PG)
    conn.autocommit = True
    return conn


def db_comment(dbname):
    with connect() as conn, conn.cursor() as cr:
        cr.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
            " WHERE datname = %s",
            [dbname],
        )
        row = cr.fetchone()
    conn.close()
    return None if row is None else (row[0] or "")


def set_db_comment(dbname, text):
    conn = connect()
    with conn.cursor() as cr:
        cr.execute(f'COMMENT ON DATABASE "{dbname}" IS %s', [text])
    conn.close()


def drop_db(dbname):
    conn = connect()
    with conn.cursor() as cr:
        cr.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    conn.close()
    shutil.rmtree(DATA_DIR / "filestore" / dbname, ignore_errors=True)


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
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / f"bench-{dbname}.log"
    cmd = [
        sys.executable,
        str(ODOO_PATH / "odoo-bin"),
        f"--addons-path={ODOO_PATH / 'addons'},{ROOT / 'addons'}",
        f"--data-dir={DATA_DIR}",
        f"--db_host={PG['host']}",
        f"--db_port={PG['port']}",
        f"--db_user={PG['user']}",
        f"--db_password={PG_PASSWORD}",
        "-d",
        dbname,
        *args,
        "--without-demo=all",
        "--stop-after-init",
        "--no-http",
        "--max-cron-threads=0",
        f"--logfile={log}",
    ]
    start = time.perf_counter()
    done = subprocess.run(cmd, check=False)
    if done.returncode:
        sys.exit(f"odoo-bin {' '.join(args)} on {dbname} failed: see {log}")
    print(f"  done in {time.perf_counter() - start:.0f} s (log: {log})", flush=True)


def ensure_current(dbname, fingerprint, create=False):
    """Install the addon without demo data into a new database, or upgrade
    one built from other addon sources."""
    comment = db_comment(dbname)
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
    set_db_comment(dbname, text)
    return text


def prepare_database(args, fingerprint):
    """Returns True when the database already holds the requested data."""
    wanted = f"data=c{args.customers}-l{args.lines}-o{args.lines_per_order}"
    wanted += f"-s{args.seed}-acc{int(not args.no_accounting)}"
    if args.reuse:
        comment = db_comment(args.db)
        if comment is not None and wanted in comment:
            ensure_current(args.db, fingerprint)
            print(f"reusing {args.db} ({wanted})")
            return True
        print(f"{args.db} does not hold {wanted}: generating it")
    ensure_current(args.template, fingerprint)
    drop_db(args.db)
    conn = connect()
    with conn.cursor() as cr:
        cr.execute(f'CREATE DATABASE "{args.db}" TEMPLATE "{args.template}"')
    conn.close()
    source = DATA_DIR / "filestore" / args.template
    if source.is_dir():
        shutil.copytree(source, DATA_DIR / "filestore" / args.db)
    set_db_comment(args.db, f"addon={fingerprint}")
    return False


def mark_generated(args, fingerprint):
    wanted = f"data=c{args.customers}-l{args.lines}-o{args.lines_per_order}"
    wanted += f"-s{args.seed}-acc{int(not args.no_accounting)}"
    set_db_comment(args.db, f"addon={fingerprint} {wanted}")


def vacuum_analyze(dbname, tables):
    """What autovacuum does to a production database after a bulk load."""
    conn = connect(dbname)
    with conn.cursor() as cr:
        for table in tables:
            cr.execute(f"VACUUM ANALYZE {table}")
    conn.close()


# ----------------------------------------------------------------------
# Odoo in this process
# ----------------------------------------------------------------------
def load_odoo(dbname):
    sys.path.insert(0, str(ODOO_PATH))
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(
        [
            f"--addons-path={ODOO_PATH / 'addons'},{ROOT / 'addons'}",
            f"--data-dir={DATA_DIR}",
            f"--db_host={PG['host']}",
            f"--db_port={PG['port']}",
            f"--db_user={PG['user']}",
            f"--db_password={PG_PASSWORD}",
            f"--database={dbname}",
            "--max-cron-threads=0",
            "--log-level=warn",
            f"--log-handler=odoo.addons.{ADDON}:INFO",
        ]
    )
    return odoo, Registry(dbname)


def new_env(odoo, cr):
    return odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})


# ----------------------------------------------------------------------
# data generation (set-based SQL)
# ----------------------------------------------------------------------
def create_products(env, company):
    """A handful of goods with a cost (company-dependent standard_price),
    and one service for the incremental orders (no picking)."""
    Product = env["product.product"].with_company(company)
    existing = Product.search([("default_code", "=like", "ZZB-%")], order="id")
    if existing:
        return existing
    vals = [
        {
            "name": name,
            "default_code": f"ZZB-{i:02d}",
            "type": "consu",
            "list_price": price,
            "standard_price": cost,
            "taxes_id": [(5, 0, 0)],
        }
        for i, (name, price, cost) in enumerate(PRODUCTS)
    ]
    name, price, cost = SERVICE
    vals.append(
        {
            "name": name,
            "default_code": "ZZB-SRV",
            "type": "service",
            "list_price": price,
            "standard_price": cost,
            "taxes_id": [(5, 0, 0)],
        }
    )
    products = Product.create(vals)
    env.flush_all()
    return products


def execute(cr, label, query, params=None):
    start = time.perf_counter()
    cr.execute(query, params or {})
    print(f"  {label}: {cr.rowcount} rows, {time.perf_counter() - start:.1f} s")


def generate(env, args, company, as_of):
    """Customers (10% with a contact who also orders), orders with a
    BG/NBD-like history (acquisition spread over two years, an exponential
    lifetime, a heavy-tailed purchase rate) and exactly M lines; then
    invoices, payments and deliveries of those orders."""
    cr = env.cr
    products = create_products(env, company)
    goods = products.filtered(lambda p: p.type == "consu")
    unit = env.ref("uom.product_uom_unit")
    dozen = env.ref("uom.product_uom_dozen")
    team = env["crm.team"].search([], limit=1)
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", company.id)], limit=1
    )
    start_ts = datetime.combine(
        as_of - timedelta(days=HISTORY_DAYS - 1), datetime.min.time()
    )
    p = {
        "n": args.customers,
        "m": args.lines,
        "days": HISTORY_DAYS,
        "start": start_ts,
        "as_of": as_of,
        "company": company.id,
        "currency": company.currency_id.id,
        "team": team.id or None,
        "wh": warehouse.id or None,
        "unit": unit.id,
        "dozen": dozen.id,
        "prod_ids": goods.ids,
        "prod_prices": [g.list_price for g in goods],
        "prod_names": [g.display_name for g in goods],
        "nprod": len(goods),
        "user": env.ref("base.user_admin").id,
    }
    cr.execute("SELECT setseed(%s)", [(args.seed % 1000) / 1000.0])
    print("generating (set-based SQL):", flush=True)
    execute(
        cr,
        "customer parameters",
        """
        CREATE TEMP TABLE zzb_c0 AS
        SELECT n, id, child_id, birth,
               LEAST(birth + floor(-ln(1 - random()) * 540)::int, %(days)s - 1)
                   AS last_day,
               -- log-normal purchase rate: a few customers buy very often
               exp(1.3 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))
                   AS lam
          FROM (SELECT g AS n, nextval('res_partner_id_seq')::int AS id,
                       CASE WHEN random() < 0.1
                            THEN nextval('res_partner_id_seq')::int END AS child_id,
                       floor(random() * %(days)s)::int AS birth
                  FROM generate_series(1, %(n)s) g OFFSET 0) s
        """,
        p,
    )
    target_orders = max(args.customers, round(args.lines / args.lines_per_order))
    cr.execute("SELECT sum(lam * (last_day - birth)) FROM zzb_c0")
    p["k"] = (target_orders - args.customers) / max(cr.fetchone()[0] or 1.0, 1e-9)
    execute(
        cr,
        "order counts",
        """
        CREATE TEMP TABLE zzb_cust AS
        SELECT *, 1 + floor(%(k)s * lam * (last_day - birth) + random())::int
                      AS n_orders
          FROM zzb_c0
        """,
        p,
    )
    insert_partners(cr, p)
    insert_orders(cr, p)
    if not args.no_accounting:
        insert_accounting(env, cr, p)
    cr.execute("DROP TABLE zzb_c0, zzb_cust, zzb_o0, zzb_so, zzb_sol, zzb_line")
    env.registry.clear_cache()
    env.invalidate_all()
    return p


def insert_partners(cr, p):
    execute(
        cr,
        "res_partner (customers and contacts)",
        """
        INSERT INTO res_partner (
            id, name, complete_name, commercial_company_name, ref, is_company,
            customer_rank, supplier_rank, active, type, autopost_bills, lang,
            parent_id, commercial_partner_id, partner_share, email, city,
            color, employee, create_uid, write_uid, create_date, write_date)
        SELECT id, 'Bench Customer ' || n, 'Bench Customer ' || n,
               'Bench Customer ' || n, 'ZZB' || lpad(n::text, 7, '0'), TRUE,
               1, 0, TRUE, 'contact', 'ask', 'en_US', NULL, id, TRUE,
               'orders' || n || '@customer.example', 'Shanghai', 0, FALSE,
               %(user)s, %(user)s, now() at time zone 'UTC',
               now() at time zone 'UTC'
          FROM zzb_cust
        UNION ALL
        SELECT child_id, 'Buyer ' || n, 'Bench Customer ' || n || ', Buyer ' || n,
               'Bench Customer ' || n, NULL, FALSE, 0, 0, TRUE, 'contact', 'ask',
               'en_US', id, id, TRUE, 'buyer' || n || '@customer.example',
               'Shanghai', 0, FALSE, %(user)s, %(user)s, now() at time zone 'UTC',
               now() at time zone 'UTC'
          FROM zzb_cust WHERE child_id IS NOT NULL
        """,
        p,
    )


def insert_orders(cr, p):
    execute(
        cr,
        "order dates",
        """
        CREATE TEMP TABLE zzb_o0 AS
        SELECT c.id AS cust,
               CASE WHEN c.child_id IS NOT NULL AND random() < 0.3
                    THEN c.child_id ELSE c.id END AS partner,
               %(start)s::timestamp
                 + (CASE WHEN k = 1 THEN c.birth
                         ELSE c.birth
                              + floor(random() * (c.last_day - c.birth + 1))::int
                    END) * interval '1 day'
                 + interval '8 hours' + random() * interval '10 hours' AS ts
          FROM zzb_cust c, generate_series(1, c.n_orders) k
        """,
        p,
    )
    cr.execute("SELECT COALESCE(max(id), 0) FROM sale_order")
    p["so_base"] = cr.fetchone()[0]
    execute(
        cr,
        "orders",
        """
        CREATE TEMP TABLE zzb_so AS
        SELECT %(so_base)s + row_number() OVER (ORDER BY ts, cust) AS id,
               row_number() OVER (ORDER BY ts, cust) AS rn, cust, partner, ts,
               -- invoiced some days after, most of them; delivered a few
               -- days after, mostly on time
               ts::date + floor(random() * 5)::int AS inv_date,
               random() < 0.85 AS invoiced,
               ts + floor(-ln(1 - random()) * 2.5) * interval '1 day'
                  + interval '2 hours' AS done_ts
          FROM zzb_o0
        """,
        p,
    )
    cr.execute("SELECT count(*) FROM zzb_so")
    p["o"] = cr.fetchone()[0]
    cr.execute("SELECT COALESCE(max(id), 0) FROM sale_order_line")
    p["sol_base"] = cr.fetchone()[0]
    execute(
        cr,
        "line slots (every order one line, the rest spread at random)",
        """
        CREATE TEMP TABLE zzb_sol AS
        SELECT s AS slot,
               CASE WHEN s <= %(o)s THEN s
                    ELSE 1 + floor(random() * %(o)s)::int END AS rn,
               floor(%(nprod)s * random() ^ 2)::int + 1 AS pidx,
               random() < 0.1 AS dozen,
               1 + floor(-ln(1 - random()) * 3)::int AS qty,
               0.85 + 0.3 * random() AS pf
          FROM generate_series(1, %(m)s) s
        """,
        p,
    )
    execute(
        cr,
        "lines",
        """
        CREATE TEMP TABLE zzb_line AS
        SELECT %(sol_base)s + row_number() OVER (ORDER BY rn, slot) AS id, rn,
               10 * row_number() OVER (PARTITION BY rn ORDER BY slot) AS seq,
               pidx, dozen, qty, price_unit,
               round(qty * price_unit, 2) AS subtotal
          FROM (SELECT *, round(((%(prod_prices)s::float8[])[pidx] * pf
                                 * CASE WHEN dozen THEN 12 ELSE 1 END)::numeric,
                                2) AS price_unit
                  FROM zzb_sol) x
        """,
        p,
    )
    execute(
        cr,
        "sale_order",
        """
        INSERT INTO sale_order (
            id, name, state, date_order, partner_id, partner_invoice_id,
            partner_shipping_id, company_id, currency_id, currency_rate, user_id,
            team_id, picking_policy, warehouse_id, invoice_status,
            delivery_status, effective_date, amount_untaxed, amount_tax,
            amount_total, locked, require_signature, require_payment,
            prepayment_percent, create_uid, write_uid, create_date, write_date)
        SELECT so.id, 'ZZB' || lpad(so.rn::text, 7, '0'), 'sale', so.ts,
               so.partner, so.cust, so.partner, %(company)s, %(currency)s, 1,
               %(user)s, %(team)s, 'direct', %(wh)s,
               CASE WHEN so.invoiced AND so.inv_date <= %(as_of)s
                    THEN 'invoiced' ELSE 'to invoice' END,
               CASE WHEN so.done_ts::date <= %(as_of)s THEN 'full'
                    ELSE 'pending' END,
               CASE WHEN so.done_ts::date <= %(as_of)s THEN so.done_ts END,
               t.amount, 0, t.amount, FALSE, FALSE, FALSE, 1.0,
               %(user)s, %(user)s, so.ts, so.ts
          FROM zzb_so so
          JOIN (SELECT rn, sum(subtotal) AS amount FROM zzb_line GROUP BY rn) t
            ON t.rn = so.rn
        """,
        p,
    )
    execute(
        cr,
        "sale_order_line",
        """
        INSERT INTO sale_order_line (
            id, order_id, sequence, company_id, currency_id, order_partner_id,
            salesman_id, product_id, product_uom, state, qty_delivered_method,
            invoice_status, name, product_uom_qty, price_unit, discount,
            price_subtotal, price_total, price_reduce_taxexcl,
            price_reduce_taxinc, qty_delivered, qty_invoiced, qty_to_invoice,
            untaxed_amount_invoiced, untaxed_amount_to_invoice, is_downpayment,
            is_expense, technical_price_unit, price_tax, product_packaging_qty,
            customer_lead, warehouse_id, create_uid, write_uid, create_date,
            write_date)
        SELECT l.id, so.id, l.seq, %(company)s, %(currency)s, so.partner,
               %(user)s, (%(prod_ids)s::int[])[l.pidx],
               CASE WHEN l.dozen THEN %(dozen)s ELSE %(unit)s END, 'sale',
               'stock_move', CASE WHEN inv THEN 'invoiced' ELSE 'to invoice' END,
               (%(prod_names)s::text[])[l.pidx], l.qty, l.price_unit, 0,
               l.subtotal, l.subtotal, l.price_unit, l.price_unit,
               CASE WHEN so.done_ts::date <= %(as_of)s THEN l.qty ELSE 0 END,
               CASE WHEN inv THEN l.qty ELSE 0 END,
               CASE WHEN inv THEN 0 ELSE l.qty END,
               CASE WHEN inv THEN l.subtotal ELSE 0 END,
               CASE WHEN inv THEN 0 ELSE l.subtotal END,
               FALSE, FALSE, l.price_unit, 0, 0, 0, %(wh)s, %(user)s, %(user)s,
               so.ts, so.ts
          FROM zzb_line l
          JOIN (SELECT *, invoiced AND inv_date <= %(as_of)s AS inv
                  FROM zzb_so) so ON so.rn = l.rn
        """,
        p,
    )
    for seq in ("sale_order_id_seq", "sale_order_line_id_seq"):
        table = seq.removesuffix("_id_seq")
        cr.execute(f"SELECT setval('{seq}', (SELECT max(id) FROM {table}))")


def insert_accounting(env, cr, p):
    """Posted invoices (receivable and income lines), their payments
    (reconciled through partials) and done delivery orders: only what a
    report over these tables reads; no stock moves, no taxes."""
    company = env["res.company"].browse(p["company"])
    sale_journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    bank_journal = env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
    )
    receivable = company.partner_id.with_company(company).property_account_receivable_id
    picking_type = env["stock.picking.type"].search(
        [("code", "=", "outgoing"), ("company_id", "=", company.id)], limit=1
    )
    p.update(
        sale_journal=sale_journal.id,
        bank_journal=bank_journal.id,
        receivable=receivable.id,
        income=sale_journal.default_account_id.id,
        bank=bank_journal.default_account_id.id,
        picking_type=picking_type.id,
        loc_src=picking_type.default_location_src_id.id,
        loc_dest=picking_type.default_location_dest_id.id,
    )
    for name, table in (
        ("am_base", "account_move"),
        ("aml_base", "account_move_line"),
        ("apr_base", "account_partial_reconcile"),
    ):
        cr.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")
        p[name] = cr.fetchone()[0]
    execute(
        cr,
        "invoices to make",
        """
        CREATE TEMP TABLE zzb_inv AS
        SELECT %(am_base)s + row_number() OVER (ORDER BY so.rn) AS id,
               row_number() OVER (ORDER BY so.rn) AS n, so.rn, so.cust,
               so.inv_date, t.amount,
               so.inv_date + 5 + floor(-ln(1 - random()) * 25)::int AS pay_date,
               random() < 0.97 AS pays
          FROM zzb_so so
          JOIN (SELECT rn, sum(subtotal) AS amount FROM zzb_line GROUP BY rn) t
            ON t.rn = so.rn
         WHERE so.invoiced AND so.inv_date <= %(as_of)s
        """,
        p,
    )
    cr.execute(
        "ALTER TABLE zzb_inv ADD COLUMN paid boolean;"
        " UPDATE zzb_inv SET paid = pays AND pay_date <= %(as_of)s",
        p,
    )
    cr.execute("SELECT count(*) FROM zzb_inv")
    p["ninv"] = cr.fetchone()[0]
    execute(
        cr,
        "account_move (invoices and payments)",
        """
        INSERT INTO account_move (
            id, name, sequence_prefix, sequence_number, journal_id, company_id,
            currency_id, partner_id, commercial_partner_id, state, move_type,
            auto_post, date, invoice_date, invoice_date_due, invoice_origin,
            payment_state, invoice_currency_rate, amount_untaxed, amount_tax,
            amount_total, amount_residual, amount_untaxed_signed,
            amount_untaxed_in_currency_signed, amount_tax_signed,
            amount_total_signed, amount_total_in_currency_signed,
            amount_residual_signed, is_storno, always_tax_exigible, checked,
            posted_before, made_sequence_gap, is_move_sent, invoice_user_id,
            create_uid, write_uid, create_date, write_date)
        SELECT i.id, 'ZZB/INV/' || lpad(i.n::text, 7, '0'), 'ZZB/INV/', i.n,
               %(sale_journal)s, %(company)s, %(currency)s, i.cust, i.cust,
               'posted', 'out_invoice', 'no', i.inv_date, i.inv_date,
               i.inv_date + 30, 'ZZB' || lpad(i.rn::text, 7, '0'),
               CASE WHEN i.paid THEN 'paid' ELSE 'not_paid' END, 1, i.amount, 0,
               i.amount, r.residual, i.amount, i.amount, 0, i.amount, i.amount,
               r.residual, FALSE, FALSE, TRUE, TRUE, FALSE, TRUE, %(user)s,
               %(user)s, %(user)s, i.inv_date, i.inv_date
          FROM zzb_inv i,
               LATERAL (SELECT CASE WHEN i.paid THEN 0 ELSE i.amount END
                               AS residual) r
        UNION ALL
        SELECT i.id + %(ninv)s, 'ZZB/PAY/' || lpad(i.n::text, 7, '0'),
               'ZZB/PAY/', i.n, %(bank_journal)s, %(company)s, %(currency)s,
               i.cust, i.cust, 'posted', 'entry', 'no', i.pay_date, NULL, NULL,
               NULL, 'not_paid', NULL, 0, 0, i.amount, 0, 0, 0, 0, i.amount,
               i.amount, 0, FALSE, FALSE, TRUE, TRUE, FALSE, FALSE, NULL,
               %(user)s, %(user)s, i.pay_date, i.pay_date
          FROM zzb_inv i WHERE i.paid
        """,
        p,
    )
    execute(
        cr,
        "account_move_line (receivable, income, payment lines)",
        """
        INSERT INTO account_move_line (
            id, move_id, journal_id, company_id, company_currency_id, sequence,
            account_id, currency_id, partner_id, move_name, parent_state, name,
            display_type, date, invoice_date, date_maturity, debit, credit,
            balance, amount_currency, amount_residual, amount_residual_currency,
            quantity, price_unit, price_subtotal, price_total, discount,
            reconciled, matching_number, is_imported, tax_tag_invert,
            create_uid, write_uid, create_date, write_date)
        SELECT %(aml_base)s + row_number() OVER (ORDER BY x.move_id, x.seq),
               x.move_id, x.journal, %(company)s, %(currency)s, x.seq,
               x.account, %(currency)s, x.cust, x.move_name, 'posted', x.label,
               x.display_type, x.date, x.invoice_date, x.maturity,
               GREATEST(x.balance, 0), GREATEST(-x.balance, 0), x.balance,
               x.balance, x.residual, x.residual, x.qty, x.price, x.subtotal,
               x.subtotal, 0, x.reconciled,
               CASE WHEN x.reconciled THEN 'P' || (%(apr_base)s + x.n) END,
               FALSE, FALSE, %(user)s, %(user)s, x.date, x.date
          FROM (
            SELECT i.id AS move_id, 1 AS seq, %(sale_journal)s AS journal,
                   %(income)s AS account, i.cust,
                   'ZZB/INV/' || lpad(i.n::text, 7, '0') AS move_name,
                   'Goods' AS label, 'product' AS display_type,
                   i.inv_date AS date, i.inv_date AS invoice_date,
                   NULL::date AS maturity, -i.amount AS balance, 0 AS residual,
                   1 AS qty, i.amount AS price, i.amount AS subtotal,
                   FALSE AS reconciled, i.n
              FROM zzb_inv i
            UNION ALL
            SELECT i.id, 2, %(sale_journal)s, %(receivable)s, i.cust,
                   'ZZB/INV/' || lpad(i.n::text, 7, '0'), '', 'payment_term',
                   i.inv_date, i.inv_date, i.inv_date + 30, i.amount,
                   CASE WHEN i.paid THEN 0 ELSE i.amount END, NULL, NULL, NULL,
                   i.paid, i.n
              FROM zzb_inv i
            UNION ALL
            SELECT i.id + %(ninv)s, 1, %(bank_journal)s, %(bank)s, i.cust,
                   'ZZB/PAY/' || lpad(i.n::text, 7, '0'), 'Payment', 'product',
                   i.pay_date, NULL, NULL, i.amount, 0, NULL, NULL, NULL, FALSE,
                   i.n
              FROM zzb_inv i WHERE i.paid
            UNION ALL
            SELECT i.id + %(ninv)s, 2, %(bank_journal)s, %(receivable)s, i.cust,
                   'ZZB/PAY/' || lpad(i.n::text, 7, '0'), 'Payment', 'product',
                   i.pay_date, NULL, i.pay_date, -i.amount, 0, NULL, NULL, NULL,
                   TRUE, i.n
              FROM zzb_inv i WHERE i.paid
          ) x
        """,
        p,
    )
    execute(
        cr,
        "account_partial_reconcile",
        """
        INSERT INTO account_partial_reconcile (
            id, debit_move_id, credit_move_id, debit_currency_id, credit_currency_id,
            company_id, max_date, amount, debit_amount_currency,
            credit_amount_currency, create_uid, write_uid, create_date, write_date)
        SELECT %(apr_base)s + i.n, d.id, c.id, %(currency)s, %(currency)s,
               %(company)s, i.pay_date,
               i.amount, i.amount, i.amount, %(user)s, %(user)s, i.pay_date,
               i.pay_date
          FROM zzb_inv i
          JOIN account_move_line d
            ON d.move_id = i.id AND d.display_type = 'payment_term'
          JOIN account_move_line c
            ON c.move_id = i.id + %(ninv)s AND c.account_id = %(receivable)s
         WHERE i.paid
        """,
        p,
    )
    execute(
        cr,
        "stock_picking (delivery orders)",
        """
        INSERT INTO stock_picking (
            name, origin, sale_id, partner_id, company_id, picking_type_id,
            location_id, location_dest_id, move_type, state, priority,
            scheduled_date, date_deadline, date, date_done, has_deadline_issue,
            printed, is_locked, create_uid, write_uid, create_date, write_date)
        SELECT 'ZZB/OUT/' || lpad(so.rn::text, 7, '0'),
               'ZZB' || lpad(so.rn::text, 7, '0'), so.id, so.partner,
               %(company)s, %(picking_type)s, %(loc_src)s, %(loc_dest)s, 'direct',
               CASE WHEN so.done_ts::date <= %(as_of)s THEN 'done'
                    ELSE 'assigned' END, '0',
               so.ts + interval '2 days', so.ts + interval '3 days', so.ts,
               CASE WHEN so.done_ts::date <= %(as_of)s THEN so.done_ts END,
               FALSE, TRUE, TRUE, %(user)s, %(user)s, so.ts, so.ts
          FROM zzb_so so
        """,
        p,
    )
    for seq in (
        "account_move_id_seq",
        "account_move_line_id_seq",
        "account_partial_reconcile_id_seq",
    ):
        table = seq.removesuffix("_id_seq")
        cr.execute(f"SELECT setval('{seq}', (SELECT max(id) FROM {table}))")
    cr.execute("DROP TABLE zzb_inv")


def reset_figures(env, company):
    """Back to a database without any figure (for --reuse): the first
    recompute then writes every customer, as after a fresh generation."""
    cr = env.cr
    columns = list(env["zhongzheng.value.writer"]._figure_types())
    sets = ", ".join(f'"{c}" = NULL' for c in columns)
    where = " OR ".join(f'"{c}" IS NOT NULL' for c in columns)
    execute(cr, "figures reset", f"UPDATE res_partner SET {sets} WHERE {where}")
    cr.execute("DELETE FROM sale_order WHERE client_order_ref = %s", [INCREMENTAL_REF])
    for table in (
        "zhongzheng_clv_fit",
        "zhongzheng_relationship_history",
        "zhongzheng_value_queue",
    ):
        cr.execute(f"DELETE FROM {table}")
    env.invalidate_all()


def data_counts(cr, company_id):
    cr.execute(
        """
        WITH so AS (
            SELECT so.id, p.commercial_partner_id AS cp, so.date_order::date AS day
              FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
             WHERE so.state = 'sale' AND so.company_id = %(c)s
        ),
        per_customer AS (
            SELECT cp, count(*) AS n, count(DISTINCT day) AS days
              FROM so GROUP BY cp
        )
        SELECT (SELECT count(*) FROM res_partner WHERE ref LIKE 'ZZB%%'),
               (SELECT count(*) FROM so),
               (SELECT count(*) FROM sale_order_line sol JOIN so
                    ON so.id = sol.order_id),
               (SELECT count(*) FROM per_customer WHERE days > 1),
               (SELECT COALESCE(max(n), 0) FROM per_customer),
               (SELECT count(*) FROM account_move WHERE move_type = 'out_invoice'),
               (SELECT count(*) FROM stock_picking)
        """,
        {"c": company_id},
    )
    names = (
        "customers",
        "orders",
        "lines",
        "repeat_customers",
        "max_orders_per_customer",
        "invoices",
        "deliveries",
    )
    return dict(zip(names, cr.fetchone(), strict=True))


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


def naive_facts(env, company, partner, as_of, start, end):
    """The straightforward ORM computation of one commercial partner's
    transaction facts (what the engine's fact step writes), per partner:
    one search per source document type, then Python over the records."""
    from odoo.tools import float_round

    cid = company.id
    date_start, date_end = start.date(), end.date()
    orders = env["sale.order"].search(
        [
            ("partner_id", "child_of", partner.id),
            ("state", "=", "sale"),
            ("company_id", "=", cid),
            ("date_order", "<", end),
        ]
    )
    facts = {
        "sale_count_total": 0,
        "sale_count_window": 0,
        "revenue_total": 0.0,
        "revenue_window": 0.0,
        "margin_total": 0.0,
        "margin_window": 0.0,
        "first_sale_date": None,
        "last_sale_date": None,
    }
    for order in orders:
        rate = order.currency_rate or 1.0
        amount = order.amount_untaxed / rate
        margin = 0.0
        for line in order.order_line:
            if line.display_type or line.is_downpayment:
                continue
            product = line.product_id.with_company(company)
            qty = line.product_uom._compute_quantity(
                line.product_uom_qty, product.uom_id
            )
            margin += line.price_subtotal / rate - product.standard_price * qty
        day = order.date_order.date()
        facts["sale_count_total"] += 1
        facts["revenue_total"] += amount
        facts["margin_total"] += margin
        if order.date_order >= start:
            facts["sale_count_window"] += 1
            facts["revenue_window"] += amount
            facts["margin_window"] += margin
        if facts["first_sale_date"] is None or day < facts["first_sale_date"]:
            facts["first_sale_date"] = day
        if facts["last_sale_date"] is None or day > facts["last_sale_date"]:
            facts["last_sale_date"] = day
    window = facts["sale_count_window"]
    facts["average_order_value"] = facts["revenue_window"] / window if window else 0.0
    # purchases (suppliers)
    purchases = env["purchase.order"].search(
        [
            ("partner_id", "child_of", partner.id),
            ("state", "in", ("purchase", "done")),
            ("company_id", "=", cid),
            ("date_order", ">=", start),
            ("date_order", "<", end),
        ]
    )
    facts["purchase_amount_window"] = sum(
        po.amount_untaxed / (po.currency_rate or 1.0) for po in purchases
    )
    facts["purchase_count_window"] = len(purchases)
    # posted invoices, receivables and days to pay
    moves = env["account.move"].search(
        [
            ("partner_id", "child_of", partner.id),  # indexed, unlike commercial
            ("company_id", "=", cid),
            ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund")),
        ]
    )
    invoiced = receivable = overdue = 0.0
    days = []
    unpaid = ("paid", "in_payment", "reversed")
    for move in moves:
        in_window = date_start <= move.invoice_date < date_end
        if in_window:
            invoiced += move.amount_untaxed_signed
        if move.move_type != "out_invoice":
            continue
        if move.payment_state not in unpaid:
            receivable += move.amount_residual_signed
            if move.invoice_date_due < as_of:
                overdue += move.amount_residual_signed
        elif move.payment_state in ("paid", "in_payment") and in_window:
            terms = move.line_ids.filtered(lambda l: l.display_type == "payment_term")
            paid_on = terms.matched_credit_ids.mapped("max_date")
            if paid_on:
                days.append(max(0, (max(paid_on) - move.invoice_date).days))
    facts["invoiced_window"] = invoiced
    facts["receivable_open"] = receivable
    facts["receivable_overdue"] = overdue
    facts["average_days_to_pay"] = (
        float_round(sum(days) / len(days), precision_digits=1) if days else None
    )
    # on-time delivery
    pickings = env["stock.picking"].search(
        [
            ("partner_id", "child_of", partner.id),
            ("company_id", "=", cid),
            ("state", "=", "done"),
            ("picking_type_code", "=", "outgoing"),
            ("date_done", ">=", start),
            ("date_done", "<", end),
        ]
    )
    on_time = sum(
        1 for p in pickings if p.date_done <= (p.date_deadline or p.scheduled_date)
    )
    facts["delivery_count_window"] = len(pickings)
    facts["delivery_on_time_rate"] = (
        float_round(100.0 * on_time / len(pickings), precision_digits=1)
        if pickings
        else None
    )
    # cost to serve: service tickets closed and claims approved in the window
    tickets = env["zhongzheng.service.ticket"].search(
        [("commercial_partner_id", "=", partner.id), ("company_id", "=", cid)]
    )
    facts["cost_to_serve"] = sum(
        t.handling_cost
        for t in tickets
        if t.date_closed and start <= t.date_closed < end
    ) + sum(
        t.claim_approved_amount
        for t in tickets
        if t.claim_state == "approved"
        and t.claim_approved_date
        and date_start <= t.claim_approved_date < date_end
    )
    for name, value in facts.items():
        if isinstance(value, float) and name not in (
            "average_days_to_pay",
            "delivery_on_time_rate",
        ):
            facts[name] = float_round(value, precision_digits=2)
    # and written to the partner, as the engine does
    partner.with_company(company).write(facts)
    return facts


def engine_facts(cr, company, ids, names):
    """{partner id: {field: the engine's value as stored}}."""
    key = str(company.id)
    cr.execute(
        "SELECT id, "
        + ", ".join(f"{n}->>%(key)s" for n in names)
        + " FROM res_partner WHERE id = ANY(%(ids)s)",
        {"key": key, "ids": list(ids)},
    )
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in cr.fetchall()}


def compare_facts(stored, naive):
    """Where the naive results differ from what the engine wrote."""
    mismatches = []
    for pid, facts in naive.items():
        for name, mine in facts.items():
            value = stored[pid][name]
            if isinstance(mine, float):
                same = value is not None and math.isclose(
                    float(value), mine, abs_tol=0.011, rel_tol=1e-9
                )
            else:
                same = str(mine if mine is not None else None) == str(value)
            if not same:
                mismatches.append((pid, name, mine, value))
    return mismatches


def run_orm_sample(bench, env, company, as_of, sample, population):
    models = f"odoo.addons.{ADDON}.models"
    start, end = sys.modules[f"{models}.value_sql"].window(company, as_of)
    fact_names = list(sys.modules[f"{models}.value_facts"].FACT_FIELDS)
    stored = engine_facts(env.cr, company, sample, fact_names)
    env.invalidate_all()
    durations, naive = [], {}
    with bench.phase(
        f"(d) per-partner ORM facts, {len(sample)} partners", env.cr, profile=False
    ) as result:
        for pid in sample:
            t0 = time.perf_counter()
            partner = env["res.partner"].browse(pid)
            naive[pid] = naive_facts(env, company, partner, as_of, start, end)
            durations.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        env.flush_all()  # the writes, as at the end of a cron's transaction
        flush = time.perf_counter() - t0
    durations.sort()
    mean = (sum(durations) + flush) / len(durations)
    result.update(
        mean=mean,
        median=durations[len(durations) // 2],
        p95=durations[int(0.95 * (len(durations) - 1))],
        extrapolated=mean * population,
    )
    if set(fact_names) != set(next(iter(naive.values()))):
        print("  the ORM computation does not cover the engine's facts exactly")
    mismatches = compare_facts(stored, naive)
    print(
        f"  per partner: mean {1000 * mean:.2f} ms, median "
        f"{1000 * result['median']:.2f} ms, p95 {1000 * result['p95']:.2f} ms;"
        f" x {population} partners = {result['extrapolated']:.0f} s"
    )
    print(
        f"  cross-check: the ORM facts of {len(naive)} partners equal the"
        f" engine's figures: {'yes' if not mismatches else 'NO'}"
    )
    for pid, name, mine, value in mismatches[:10]:
        print(f"    partner {pid} {name}: ORM {mine!r}, engine {value!r}")
    result["mismatches"] = len(mismatches)
    env.invalidate_all()


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
    odoo, registry = load_odoo(args.db)
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
        mark_generated(args, fingerprint)
    print(
        "data: " + ", ".join(f"{k}={v}" for k, v in counts.items()) + f"; as of {as_of}"
    )
    print(f"after loading Odoo: rss {rss_mb():.0f} MB, peak {peak_rss_mb():.0f} MB")
    field_kinds = {}
    for module, kind in (
        ("value_facts", "FACT_FIELDS"),
        ("value_ranks", "RANK_FIELDS"),
        ("clv_fit", "CLV_FIELDS"),
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
        drop_db(args.db)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
