"""Benchmark: tracking-event ingestion over XML-RPC (crm_zhongzheng).

Copies a database that has the addon installed (by default the one
``bin/test`` builds, with its demo deliveries), makes a technical user with
an API key, starts ``odoo-bin --workers=2`` on a free port, then K parallel
clients send N tracking events through ``zhongzheng.api.register_tracking_event``,
spread over the outgoing deliveries, with a share of duplicates (the same
event sent again, as carriers do after a timeout) and of exceptions (which
open or update a service ticket), in rounds that alternate with as many
calls of a trivial read (the RPC floor). Prints events per second, latency
percentiles, the serialization failures the server retried, the floor and
the ratio (overall and per round), the machine load, and checks that
every distinct event was recorded exactly once.

Run: ``bench/run tracking_ingest --events 2000 --clients 8`` (see
bench/README.md).
"""

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import harness

KINDS = ["intake", "picked_up", "in_transit", "hub", "out_for_delivery", "delivered"]
PREFIX = os.environ.get("ZZ_BENCH_PREFIX", "zzbench")

MAKE_USER = """
from odoo import Command
groups = ["base.group_user", "stock.group_stock_user",
          "crm_zhongzheng.group_service_user"]
# the company with the most outgoing deliveries (the demo's: Zhongzheng)
env.cr.execute(
    "SELECT p.company_id FROM stock_picking p JOIN stock_picking_type t"
    " ON t.id = p.picking_type_id WHERE t.code = 'outgoing'"
    " GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
)
company_id = env.cr.fetchone()[0]
user = env["res.users"].with_context(no_reset_password=True).create({
    "name": "Carrier Integration (bench)", "login": "bench_carrier",
    "groups_id": [Command.set([env.ref(g).id for g in groups])],
    "company_id": company_id, "company_ids": [Command.set([company_id])],
})
key = env["res.users.apikeys"].with_user(user).sudo()._generate(None, "bench", None)
env.cr.commit()
print("BENCH=%s %s %s" % (user.id, key, company_id))
"""


def technical_user(db):
    code, log = harness.run_odoo(
        db,
        "--no-http",
        command="shell",
        stdin=MAKE_USER,
        log_path=harness.log_dir() / f"bench-tracking-{db}-shell.log",
    )
    for line in log.splitlines():
        if line.startswith("BENCH="):
            uid, key, company_id = line[len("BENCH=") :].split()
            return int(uid), key, int(company_id)
    sys.exit(f"could not create the technical user (exit {code}):\n{log[-3000:]}")


def plan(pickings, count, duplicates, exceptions, seed):
    """The events to send, in order: distinct ones spread over the
    deliveries, with copies of earlier ones mixed in."""
    rng = random.Random(seed)
    start = datetime(2026, 7, 1, tzinfo=timezone.utc)
    distinct, sends = [], []
    while len(sends) < count:
        if distinct and rng.random() < duplicates:
            sends.append(rng.choice(distinct))
            continue
        number = len(distinct)
        kind = "exception" if rng.random() < exceptions else rng.choice(KINDS)
        event = {
            "event_id": f"BENCH-{seed}-{number:07d}",
            "picking": rng.choice(pickings),
            "kind": kind,
            "time": (start + timedelta(seconds=37 * number)).isoformat(),
            "location": rng.choice(["Shanghai hub", "Guangzhou hub", "Beijing"]),
        }
        distinct.append(event)
        sends.append(event)
    return distinct, sends


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000, help="calls to send")
    parser.add_argument("--clients", type=int, default=8, help="parallel clients")
    parser.add_argument("--workers", type=int, default=2, help="odoo-bin --workers")
    parser.add_argument("--duplicates", type=float, default=0.1)
    parser.add_argument("--exceptions", type=float, default=0.02)
    parser.add_argument("--source", default=os.environ.get("ZZ_TEST_DB", "zz_test"))
    parser.add_argument("--db", default=f"{PREFIX}_tracking")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="rounds of events, each followed by as many floor calls",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    if not args.db.startswith(PREFIX):
        parser.error(f"the database name must start with {PREFIX!r} (ZZ_BENCH_PREFIX)")
    return args


def load(server, uid, key, clients, sends, rounds):
    """Send the events from parallel clients, alternating with as many floor
    calls in `rounds` rounds (so that a drift of the machine's speed during
    the run touches both alike). Returns a dict: the timed answers and
    seconds of the events and of the floor calls, (events, seconds, floor
    calls, seconds) per round, and the load average before and after."""
    local = threading.local()

    def timed(model, method, rpc_args):
        if not hasattr(local, "api"):  # one keep-alive connection per client
            local.api = xmlrpc.client.ServerProxy(f"{server.url}/xmlrpc/2/object")
        started = time.perf_counter()
        answer = local.api.execute_kw(server.db, uid, key, model, method, rpc_args)
        return time.perf_counter() - started, answer

    def send(event):
        return timed("zhongzheng.api", "register_tracking_event", [event])

    def floor(picking):
        # the same round trip doing almost nothing: what RPC itself costs
        return timed("stock.picking", "search_count", [[("name", "=", picking)]])

    def run(function, items):
        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            answers = list(pool.map(function, items))
        return answers, time.perf_counter() - started

    load_before = os.getloadavg()
    results, floor_results, per_round = [], [], []
    size = -(-len(sends) // rounds)
    for start in range(0, len(sends), size):
        part = sends[start : start + size]
        answers, seconds = run(send, part)
        floor_answers, floor_seconds = run(floor, [e["picking"] for e in part])
        results += answers
        floor_results += floor_answers
        per_round.append((len(part), seconds, len(floor_answers), floor_seconds))
    return {
        "results": results,
        "elapsed": sum(r[1] for r in per_round),
        "floor_results": floor_results,
        "floor_elapsed": sum(r[3] for r in per_round),
        "per_round": per_round,
        "load_before": load_before,
        "load_after": os.getloadavg(),
    }


def warm_up(server, uid, key, workers):
    """Every worker loads the registry before the clock starts."""

    def warm(_number):
        server.proxy("object").execute_kw(
            server.db, uid, key, "res.users", "context_get", []
        )

    with ThreadPoolExecutor(workers * 2) as pool:
        list(pool.map(warm, range(workers * 4)))


def main():
    args = parse_args()
    print(f"copying {args.source} to {args.db}", flush=True)
    harness.copy_db(args.source, args.db)
    uid, key, company_id = technical_user(args.db)
    # the deliveries of the technical user's company (the only one it sees)
    pickings = [
        row[0]
        for row in harness.query(
            args.db,
            "SELECT p.name FROM stock_picking p JOIN stock_picking_type t"
            " ON t.id = p.picking_type_id WHERE t.code = 'outgoing'"
            " AND p.company_id = %s ORDER BY p.id",
            [company_id],
        )
    ]
    distinct, sends = plan(
        pickings, args.events, args.duplicates, args.exceptions, args.seed
    )
    log_path = harness.log_dir() / f"bench-tracking-{args.db}.log"
    with harness.running_server(
        args.db, f"--workers={args.workers}", log_path=log_path
    ) as server:
        warm_up(server, uid, key, args.workers)
        run = load(server, uid, key, args.clients, sends, args.rounds)
    results, elapsed = run["results"], run["elapsed"]
    floor_results, floor_elapsed = run["floor_results"], run["floor_elapsed"]

    latencies = [seconds * 1000 for seconds, _answer in results]
    answers = {}
    mismatched = 0
    for event, (_seconds, answer) in zip(sends, results, strict=True):
        first = answers.setdefault(event["event_id"], answer)
        mismatched += first != answer
    recorded = harness.query(
        args.db,
        "SELECT count(*), count(DISTINCT (picking_id, external_id))"
        " FROM zhongzheng_tracking_event WHERE external_id LIKE %s",
        (f"BENCH-{args.seed}-%",),
    )[0]
    tickets = harness.query(
        args.db,
        "SELECT count(DISTINCT ticket_id) FROM zhongzheng_tracking_event"
        " WHERE external_id LIKE %s",
        (f"BENCH-{args.seed}-%",),
    )[0][0]
    retried = log_path.read_text().count("SERIALIZATION_FAILURE")
    if not args.keep:
        harness.drop_db(args.db)

    summary = {
        "events_sent": len(sends),
        "distinct_events": len(distinct),
        "deliveries": len({e["picking"] for e in distinct}),
        "clients": args.clients,
        "workers": args.workers,
        "seconds": round(elapsed, 2),
        "events_per_s": round(len(sends) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
        "retried_serialization_failures": retried,
        "rpc_floor_calls_per_s": round(len(floor_results) / floor_elapsed, 1),
        "rpc_floor_p95_ms": round(
            percentile([seconds * 1000 for seconds, _a in floor_results], 0.95), 1
        ),
        "ratio": round(
            (len(sends) / elapsed) / (len(floor_results) / floor_elapsed), 2
        ),
        # events/s over floor calls/s in each round: the spread of the ratio
        "ratio_per_round": [
            round((n / seconds) / (m / floor_seconds), 2)
            for n, seconds, m, floor_seconds in run["per_round"]
        ],
        "tickets_opened_or_updated": tickets,
        "load_before": [round(x, 2) for x in run["load_before"]],
        "load_after": [round(x, 2) for x in run["load_after"]],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(summary, indent=1))
    ok = recorded == (len(distinct), len(distinct)) and not mismatched
    print(
        f"recorded {recorded[0]} events for {len(distinct)} distinct ones, "
        f"{mismatched} answers differing from the first for their event: "
        + ("PASS" if ok else "FAIL")
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
