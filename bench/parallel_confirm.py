"""Benchmark: many writers confirming orders at once (crm_zhongzheng).

Two databases with the same generated customers and history
(bench/_value_data.py, by default 10,000 customers and 100,000 lines) and the
same 1,000 quotations: one with the addon's dependencies only (sale_management,
sale_stock, purchase_stock, crm ...: what the addon is measured against), one
with crm_zhongzheng installed and its figures computed. For each, the real
server runs with ``--workers=2`` and one cron worker, and 8 parallel XML-RPC
clients confirm the quotations (``sale.order.action_confirm``, one per call).

Prints per database the p50/p95/max confirm latency and the throughput; while
the clients run, a sampler polls ``pg_stat_activity`` every 10 ms and records
every statement seen waiting on a lock (the longest wait seen per statement
kind) and how long the value queue's insert was seen running. With the addon,
it then measures how long after the last confirmation the queue is empty and
every touched customer's figures count its new orders (the queue's cron does
it in the background).

Run: ``bench/run parallel_confirm`` (see bench/README.md).
"""

import argparse
import ast
import os
import random
import re
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import harness
from bench._value_data import GENERATED_TABLES, generate
from bench.tracking_ingest import percentile
from bench.value_engine import addon_fingerprint, odoo_bin, vacuum_analyze

ADDON = harness.ADDON
PREFIX = os.environ.get("ZZ_BENCH_PREFIX", "zzbench")
LIMIT_QUEUE_WAIT_MS, LIMIT_CURRENT_S, LIMIT_OVERHEAD = 100.0, 60.0, 0.10
ANALYSED = list(GENERATED_TABLES)


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--lines-per-order", type=float, default=5.0)
    parser.add_argument("--orders", type=int, default=1000, help="to confirm")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--only", choices=["base", "addon"], help="run one of the two databases"
    )
    args = parser.parse_args()
    args.no_accounting = False
    return args


def addon_depends():
    manifest = harness.ROOT / "addons" / ADDON / "__manifest__.py"
    return ast.literal_eval(manifest.read_text())["depends"]


# ----------------------------------------------------------------------
# databases: a template per flavour, copied for each run
# ----------------------------------------------------------------------
def flavour_modules(flavour):
    return ADDON if flavour == "addon" else ",".join(addon_depends())


def label(args, flavour):
    fingerprint = addon_fingerprint() if flavour == "addon" else "deps"
    return (
        f"pc={fingerprint}-{flavour}-c{args.customers}-l{args.lines}"
        f"-o{args.orders}-s{args.seed}"
    )


def create_quotations(env, args, company):
    """The quotations to confirm, for a random sample of the customers: a
    tenth of them get two (two writers on one customer at once)."""
    cr = env.cr
    cr.execute("SELECT id FROM res_partner WHERE ref LIKE 'ZZB%%' ORDER BY id")
    customers = [row[0] for row in cr.fetchall()]
    rng = random.Random(args.seed)
    chosen = rng.sample(customers, min(len(customers), int(args.orders * 0.9)))
    partners = (chosen + chosen[: args.orders - len(chosen)])[: args.orders]
    rng.shuffle(partners)
    goods = env["product.product"].search(
        [("default_code", "=like", "ZZB-%"), ("type", "=", "consu")], limit=6
    )
    vals = [
        {
            "partner_id": partner,
            "company_id": company.id,
            "client_order_ref": "zzbench-parallel",
            "order_line": [
                (
                    0,
                    0,
                    {
                        "product_id": product.id,
                        "product_uom_qty": rng.randint(1, 20),
                        "tax_id": [(5, 0, 0)],
                    },
                )
                for product in rng.sample(list(goods), 2)
            ],
        }
        for partner in partners
    ]
    env["sale.order"].with_company(company).create(vals)
    env.flush_all()


def build_template(args, flavour):
    """The flavour's template: installed and generated (kept as a checkpoint
    in its comment), analysed, the addon's figures computed, quotations."""
    name = f"{PREFIX}_pc_{flavour}_template"
    wanted = label(args, flavour)
    comment = harness.db_comment(name)
    if comment == wanted:
        return name
    if comment != f"{wanted} generated":
        harness.drop_db(name)
        print(f"building {name}: {flavour_modules(flavour)} (a few minutes)")
        odoo_bin(name, "-i", flavour_modules(flavour))
    odoo, registry = harness.load_odoo(name, "--log-level=warn")
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        as_of = odoo.fields.Date.context_today(env["res.partner"])
        if comment != f"{wanted} generated":
            generate(env, args, company, as_of)
            cr.commit()
            harness.set_db_comment(name, f"{wanted} generated")
        # fresh tables: without statistics the planner picks nested loops
        vacuum_analyze(name, ANALYSED)
        if flavour == "addon":
            start = time.perf_counter()
            env["zhongzheng.value.engine"]._recompute(companies=company, as_of=as_of)
            print(f"  full recompute: {time.perf_counter() - start:.1f} s")
            cr.commit()
        create_quotations(env, args, company)
        cr.commit()
    registry.delete(name)
    odoo.sql_db.close_db(name)
    vacuum_analyze(name, ANALYSED)
    harness.set_db_comment(name, wanted)
    return name


# ----------------------------------------------------------------------
# measuring
# ----------------------------------------------------------------------
class LockSampler(threading.Thread):
    """Polls pg_stat_activity of one database every `interval` seconds:
    the longest lock wait seen per statement kind, and the longest time the
    value queue's insert was seen running."""

    def __init__(self, db, interval=0.01):
        super().__init__(daemon=True)
        self.db, self.interval = db, interval
        self.stop = threading.Event()
        self.lock_waits = {}  # statement head -> (longest ms, count)
        self.queue_insert_ms = 0.0
        self.samples = 0

    def run(self):
        seen = {}
        # autocommit, no `with conn`: pg_stat_activity is read once per
        # transaction, each sample must be a transaction of its own
        with closing(harness.connect(self.db)) as conn, conn.cursor() as cr:
            while not self.stop.is_set():
                cr.execute(
                    """
                    SELECT pid, query_start, wait_event_type,
                           extract(epoch FROM clock_timestamp() - query_start) * 1000,
                           left(regexp_replace(query, '\\s+', ' ', 'g'), 70)
                      FROM pg_stat_activity
                     WHERE datname = current_database() AND state = 'active'
                       AND pid <> pg_backend_pid()
                    """
                )
                self.samples += 1
                for pid, started, wait_type, ms, head in cr.fetchall():
                    if "zhongzheng_value_queue" in head and head.startswith("INSERT"):
                        self.queue_insert_ms = max(self.queue_insert_ms, ms)
                    if wait_type == "Lock":
                        seen[(pid, started)] = (head, ms)
                time.sleep(self.interval)
        for head, ms in seen.values():
            longest, count = self.lock_waits.get(head, (0.0, 0))
            self.lock_waits[head] = (max(longest, ms), count + 1)


REQUEST = re.compile(r'"POST /xmlrpc/2/object HTTP/1.1" 200 - (\d+) ([\d.]+) ([\d.]+)')


def server_side(log_path, min_queries=30):
    """The confirmations as the server logged them (werkzeug's line: query
    count, SQL seconds, other seconds); the warm-up calls make fewer
    queries. The query count does not depend on the machine's load."""
    calls = [
        (int(count), float(sql) + float(rest))
        for count, sql, rest in REQUEST.findall(log_path.read_text())
        if int(count) >= min_queries
    ]
    return {
        "server_calls": len(calls),
        "queries": statistics.median(count for count, _s in calls) if calls else 0,
        "server_p50": 1000 * statistics.median(s for _c, s in calls) if calls else 0,
        "server_p95": 1000 * percentile([s for _c, s in calls], 0.95) if calls else 0,
    }


def confirm_all(server, order_ids, clients):
    local = threading.local()

    def confirm(order_id):
        if not hasattr(local, "api"):
            local.api = server.proxy("object")
        started = time.perf_counter()
        local.api.execute_kw(
            server.db, 2, "admin", "sale.order", "action_confirm", [[order_id]]
        )
        return time.perf_counter() - started

    def warm(_n):
        server.proxy("object").execute_kw(
            server.db, 2, "admin", "sale.order", "search_count", [[]]
        )

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(warm, range(clients * 2)))
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = list(pool.map(confirm, order_ids))
    return [s * 1000 for s in latencies], time.perf_counter() - started


STALE = """
SELECT count(*) FROM (
    SELECT c.commercial_partner_id AS cp, count(*) AS n
      FROM sale_order so JOIN res_partner c ON c.id = so.partner_id
     WHERE so.state = 'sale' AND so.company_id = %(company)s
       AND c.commercial_partner_id = ANY(%(partners)s)
     GROUP BY 1) actual
  LEFT JOIN zhongzheng_partner_figures f
         ON f.partner_id = actual.cp AND f.company_id = %(company)s
 WHERE COALESCE(f.sale_count_total, 0) <> actual.n
"""


def wait_current(db, partners, company, limit=180.0):
    """Seconds until the queue is empty and every touched customer's
    figures count its confirmed orders (None after `limit`)."""
    started = time.perf_counter()
    params = {"company": company, "partners": partners}
    while time.perf_counter() - started < limit:
        queued = harness.query(db, "SELECT count(*) FROM zhongzheng_value_queue")[0][0]
        stale = harness.query(db, STALE, params)[0][0]
        if not queued and not stale:
            return time.perf_counter() - started, stale
        time.sleep(0.25)
    return None, stale


def run(args, flavour):
    template = build_template(args, flavour)
    db = f"{PREFIX}_pc_{flavour}"
    harness.copy_db(template, db)
    orders = harness.query(
        db,
        "SELECT so.id, p.commercial_partner_id FROM sale_order so"
        " JOIN res_partner p ON p.id = so.partner_id"
        " WHERE so.state = 'draft' AND so.client_order_ref = 'zzbench-parallel'"
        " ORDER BY so.id",
    )
    company = harness.query(db, "SELECT min(id) FROM res_company")[0][0]
    partners = sorted({cp for _id, cp in orders})
    result = {"flavour": flavour, "orders": len(orders), "customers": len(partners)}
    if flavour == "addon":
        result["stale_before"] = harness.query(
            db, STALE, {"company": company, "partners": partners, "key": str(company)}
        )[0][0]
    log_path = harness.log_dir() / f"bench-{db}.log"
    with harness.running_server(
        db,
        f"--workers={args.workers}",
        "--max-cron-threads=1",
        "--log-level=info",
        log_path=log_path,
    ) as server:
        sampler = LockSampler(db)
        sampler.start()
        load_before = os.getloadavg()[0]
        latencies, seconds = confirm_all(server, [o for o, _cp in orders], args.clients)
        sampler.stop.set()
        sampler.join()
        result["load"] = f"{load_before:.1f}->{os.getloadavg()[0]:.1f}"
        if flavour == "addon":
            result["current_after_s"], result["stale"] = wait_current(
                db, partners, company
            )
    confirmed = harness.query(
        db,
        "SELECT count(*) FROM sale_order WHERE state = 'sale'"
        " AND client_order_ref = 'zzbench-parallel'",
    )[0][0]
    result.update(
        confirmed=confirmed,
        seconds=seconds,
        per_s=len(latencies) / seconds,
        p50=statistics.median(latencies),
        p95=percentile(latencies, 0.95),
        max=max(latencies),
        queue_insert_ms=sampler.queue_insert_ms,
        lock_waits=sampler.lock_waits,
        samples=sampler.samples,
        serialization_retries=log_path.read_text().count("SERIALIZATION_FAILURE"),
        **server_side(log_path),
    )
    harness.drop_db(db)
    return result


def report(result):
    r = result
    print(
        f"\n[{r['flavour']}] {r['confirmed']}/{r['orders']} orders confirmed for"
        f" {r['customers']} customers in {r['seconds']:.1f} s ({r['per_s']:.1f}/s),"
        f" load {r['load']}: p50={r['p50']:.0f}ms p95={r['p95']:.0f}ms"
        f" max={r['max']:.0f}ms; serialization retries {r['serialization_retries']}"
    )
    print(
        f"  server side ({r['server_calls']} calls): {r['queries']:.0f} queries per"
        f" confirmation, p50={r['server_p50']:.0f}ms p95={r['server_p95']:.0f}ms"
    )
    print(
        f"  pg_stat_activity: {r['samples']} samples; value queue insert seen"
        f" running at most {r['queue_insert_ms']:.1f} ms"
    )
    waits = sorted(r["lock_waits"].items(), key=lambda kv: -kv[1][0])
    for head, (longest, count) in waits[:8]:
        print(f"  lock wait: {count}x, longest {longest:.0f} ms: {head}")
    if not waits:
        print("  no statement seen waiting on a lock")
    if "current_after_s" in r:
        after = r["current_after_s"]
        print(
            f"  figures of the touched customers stale before: {r['stale_before']};"
            " queue empty and every touched customer's figures current "
            + (
                f"{after:.1f} s after the last confirmation"
                if after is not None
                else f"NOT within 180 s ({r['stale']} stale)"
            )
        )


def main():
    sys.stdout.reconfigure(line_buffering=True)
    args = parse_args()
    print(
        f"benchmark: parallel confirmations, {args.customers} customers,"
        f" {args.lines} lines, {args.orders} orders, {args.clients} clients,"
        f" --workers={args.workers}; {os.cpu_count()} CPUs, load"
        f" {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    flavours = [args.only] if args.only else ["base", "addon"]
    results = {flavour: run(args, flavour) for flavour in flavours}
    for result in results.values():
        report(result)
    if len(results) < 2:
        return 0
    base, addon = results["base"], results["addon"]
    overhead = addon["p95"] / base["p95"] - 1
    queue_waits = [
        ms
        for head, (ms, _n) in addon["lock_waits"].items()
        if "zhongzheng_value_queue" in head
    ]
    queue_wait = max([addon["queue_insert_ms"], *queue_waits])
    after = addon["current_after_s"]
    print("\n==== summary " + "=" * 60)
    print(
        f"confirm_p50_base={base['p50']:.0f}ms confirm_p95_base={base['p95']:.0f}ms"
        f" confirm_p50_addon={addon['p50']:.0f}ms"
        f" confirm_p95_addon={addon['p95']:.0f}ms"
        f" overhead_p95={100 * overhead:+.1f}% queue_wait_max={queue_wait:.1f}ms"
        f" current_after={after if after is None else round(after, 1)}s"
        f" queries_base={base['queries']:.0f} queries_addon={addon['queries']:.0f}"
    )
    checks = [
        (
            f"addon adds at most {100 * LIMIT_OVERHEAD:.0f}% to p95",
            overhead <= LIMIT_OVERHEAD,
        ),
        (
            f"no confirmation waits > {LIMIT_QUEUE_WAIT_MS:.0f} ms on the value queue",
            queue_wait <= LIMIT_QUEUE_WAIT_MS,
        ),
        (
            f"touched customers current within {LIMIT_CURRENT_S:.0f} s",
            after is not None and after <= LIMIT_CURRENT_S,
        ),
        (
            "every order confirmed",
            all(r["confirmed"] == r["orders"] for r in results.values()),
        ),
    ]
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    print("=" * 73)
    return 0 if all(ok for _t, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
