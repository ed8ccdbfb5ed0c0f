"""Benchmark of customer health (crm_zhongzheng, issue 16).

On the value engine benchmark's generated data (bench/_value_data.py, same
options and databases as bench/value_engine.py), times:

  (a) the full recompute (the pipeline, health step included),
  (b) the health step alone for every customer and (c) for one customer
      (the incremental path's statements),
  (d) the health backtest as of a year ago,

and prints the backtest's recall and precision of the at risk / critical
flags against the baseline "no order for more than 90 days".

Run: ``ZZ_BENCH_PREFIX=zzh bench/run customer_health --customers 100000
--lines 1000000`` (see bench/README.md).
"""

import os
import sys
import time
from datetime import timedelta

import harness
from bench._profiling import measure_floor, peak_rss_mb
from bench._value_data import RESET_TABLES, data_counts, generate, reset_figures
from bench.value_engine import (
    addon_fingerprint,
    data_label,
    new_env,
    parse_args,
    prepare_database,
    vacuum_analyze,
)


def timed(label, func, *args, **kwargs):
    start = time.perf_counter()
    result = func(*args, **kwargs)
    print(f"  {label}: {time.perf_counter() - start:.2f} s", flush=True)
    return result, time.perf_counter() - start


def engine_floor(env, company, as_of):
    """The value engine's floor on this data (the bare SQL of its facts and
    ranks, bench/_profiling.measure_floor), in the same session as the
    health step it is compared with."""
    from odoo.addons.crm_zhongzheng.models.value_sql import window

    start, end = window(company, as_of)
    facts, ranks = measure_floor(env.cr, company.id, start, end, as_of)
    env.cr.commit()
    print(
        f"  engine floor: {facts + ranks:.2f} s (facts {facts:.2f}, ranks {ranks:.2f})"
    )
    return facts + ranks


def main(argv=None):
    args = parse_args(argv)
    print(
        f"benchmark: customer health, {args.customers} customers, "
        f"{args.lines} lines, database {args.db}"
    )
    fingerprint = addon_fingerprint()
    reused = prepare_database(args, fingerprint)
    odoo, registry = harness.load_odoo(args.db, "--log-level=warn")
    with registry.cursor() as cr:
        env = new_env(odoo, cr)
        company = env.ref("base.main_company")
        as_of = odoo.fields.Date.context_today(env["res.partner"])
        if reused:
            reset_figures(env, company)
        else:
            generate(env, args, company, as_of)
        counts = data_counts(cr, company.id)
        cr.commit()
    reset = RESET_TABLES if reused else ()
    vacuum_analyze(args.db, ["res_partner", "sale_order", "account_move", *reset])
    if not reused:
        harness.set_db_comment(args.db, f"addon={fingerprint} {data_label(args)}")
    print("data: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    with registry.cursor() as cr:
        env = new_env(odoo, cr)
        company = env.ref("base.main_company")
        engine = env["zhongzheng.value.engine"]
        health = env["zhongzheng.customer.health"]
        _r, full = timed(
            "(a) full recompute", engine._recompute, companies=company, as_of=as_of
        )
        cr.commit()
        floor = engine_floor(env, company, as_of)
        _r, alone = timed(
            "(b) health step, all", health._compute_health, company, as_of
        )
        cr.commit()
        cr.execute(
            "SELECT partner_id FROM zhongzheng_health_signal ORDER BY id LIMIT 1"
        )
        one = [row[0] for row in cr.fetchall()]
        _r, single = timed(
            "(c) health step, 1 customer", health._compute_health, company, as_of, one
        )
        cr.execute(
            "SELECT health_status, count(*) FROM zhongzheng_partner_figures"
            " WHERE company_id = %s AND zz_keys & %s <> 0 GROUP BY 1 ORDER BY 1",
            [company.id, env["zhongzheng.value.writer"]._stage_bits()["health_status"]],
        )
        statuses = dict(cr.fetchall())
        backtest = env["zhongzheng.health.backtest"].create(
            {"company_id": company.id, "as_of_date": as_of - timedelta(days=365)}
        )
        _r, bt_time = timed("(d) backtest a year ago", backtest.action_run)
        cr.commit()
        print("\n==== summary " + "=" * 60)
        print(
            f"customers={counts['customers']} lines={counts['lines']}"
            f" full_recompute={full:.1f}s health_all={alone:.1f}s"
            f" health_one={single:.2f}s backtest={bt_time:.1f}s"
            f" peak_rss={peak_rss_mb():.0f}MB"
        )
        print(
            f"health={alone:.1f}s floor={floor:.1f}s ratio={alone / floor:.2f}x"
            f" (budget 1x floor) load={os.getloadavg()[0]:.1f}"
        )
        print("health: " + ", ".join(f"{k}={v}" for k, v in statuses.items()))
        print(
            f"backtest as of {backtest.as_of_date}: {backtest.customer_count}"
            f" customers, {backtest.churned_count} churned;"
            f" health flagged {backtest.flagged_count}: recall {backtest.recall}%,"
            f" precision {backtest.precision}%, {backtest.warning_days:.0f} days of"
            f" warning; baseline (no order > 90 days) flagged"
            f" {backtest.baseline_flagged_count}: recall {backtest.baseline_recall}%,"
            f" precision {backtest.baseline_precision}%,"
            f" {backtest.baseline_warning_days:.0f} days"
        )
        print("=" * 73)
    if args.keep:
        print(f"kept database {args.db}")
    harness.unload_odoo(odoo, registry, args.db, keep=args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
