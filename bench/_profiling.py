"""Measuring the value engine benchmark's phases (bench/value_engine.py):
time, CPU and memory of this process and of its PostgreSQL backend, and
where the time went (the engine's methods and their SQL statements)."""

import os
import re
import resource
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import psutil

import harness

ADDON = harness.ADDON


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
        # every statement of the process comes here: off, it costs nothing
        # (the label of an update's statements is tens of kilobytes of text)
        if not self.enabled:
            return
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
        if profiler.enabled:
            profiler.writes.append((kind, len(rows), changed))
        return changed

    counted.__dict__.update(getattr(func, "__dict__", {}))
    return counted


def count_flush(func, profiler):
    """The one write of the figures' table that ends a recompute."""

    def counted(self, company, *args, **kwargs):
        changed = func(self, company, *args, **kwargs)
        if profiler.enabled:
            profiler.writes.append(("figures", "staged", changed))
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
        self.floors = []  # seconds of each floor measurement
        self.floor_cpus = []  # and the PostgreSQL backend's CPU seconds
        self.rewrite = float("nan")  # seconds of the no-op partner rewrite
        self.from_scratch_differ = None
        self.steps = {}  # timed steps (value_engine.TIMED_STEPS) since a clear
        self.step_backend = False  # and their backend CPU (full passes only)

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
# the floor: the bare SQL any engine must run over the same data
# ----------------------------------------------------------------------
FLOOR_FACTS = """
CREATE UNLOGGED TABLE zz_floor_facts AS
WITH so AS (
    SELECT so.id, p.commercial_partner_id AS cp, so.date_order,
           so.amount_untaxed AS amount
      FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
     WHERE so.company_id = %(company)s AND so.state = 'sale'
       AND so.date_order < %(end)s
),
margins AS (
    SELECT sol.order_id AS id,
           SUM(sol.price_subtotal - COALESCE((pp.standard_price->>%(key)s)::float8, 0)
               * sol.product_uom_qty) AS margin
      FROM sale_order_line sol JOIN product_product pp ON pp.id = sol.product_id
     WHERE sol.display_type IS NULL
     GROUP BY sol.order_id
),
sales AS (
    SELECT so.cp, MIN(so.date_order) AS first_sale, MAX(so.date_order) AS last_sale,
           COUNT(*) AS n, COUNT(*) FILTER (WHERE so.date_order >= %(start)s) AS n_w,
           SUM(so.amount) AS revenue,
           SUM(so.amount) FILTER (WHERE so.date_order >= %(start)s) AS revenue_w,
           SUM(m.margin) AS margin,
           SUM(m.margin) FILTER (WHERE so.date_order >= %(start)s) AS margin_w
      FROM so JOIN margins m ON m.id = so.id GROUP BY so.cp
),
invoices AS (
    SELECT m.commercial_partner_id AS cp, SUM(m.amount_untaxed_signed) AS invoiced,
           SUM(m.amount_residual_signed) FILTER (
               WHERE m.invoice_date_due < %(as_of)s) AS overdue
      FROM account_move m
     WHERE m.company_id = %(company)s AND m.state = 'posted'
       AND m.move_type IN ('out_invoice', 'out_refund')
     GROUP BY 1
),
paid AS (
    SELECT m.commercial_partner_id AS cp, AVG(apr.max_date - m.invoice_date) AS days
      FROM account_move m
      JOIN account_move_line l ON l.move_id = m.id AND l.display_type = 'payment_term'
      JOIN account_partial_reconcile apr ON apr.debit_move_id = l.id
     WHERE m.company_id = %(company)s AND m.state = 'posted'
       AND m.move_type = 'out_invoice'
     GROUP BY 1
),
deliveries AS (
    SELECT p.commercial_partner_id AS cp, COUNT(*) AS n,
           COUNT(*) FILTER (WHERE sp.date_done <= sp.scheduled_date) AS on_time
      FROM stock_picking sp JOIN res_partner p ON p.id = sp.partner_id
     WHERE sp.company_id = %(company)s AND sp.state = 'done'
     GROUP BY 1
)
SELECT s.*, i.invoiced, i.overdue, pa.days, d.n AS deliveries, d.on_time
  FROM sales s
  LEFT JOIN invoices i ON i.cp = s.cp
  LEFT JOIN paid pa ON pa.cp = s.cp
  LEFT JOIN deliveries d ON d.cp = s.cp
"""
FLOOR_RANKS = """
CREATE UNLOGGED TABLE zz_floor_ranks AS
SELECT cp,
       NTILE(5) OVER (ORDER BY last_sale) AS r,
       NTILE(5) OVER (ORDER BY n_w) AS f,
       NTILE(5) OVER (ORDER BY revenue_w) AS m,
       SUM(revenue_w) OVER (ORDER BY revenue_w DESC, cp) AS abc_cumulative,
       SUM(margin_w) OVER (ORDER BY margin_w DESC, cp) AS tier_cumulative,
       CUME_DIST() OVER (ORDER BY margin_w) AS score_current,
       CUME_DIST() OVER (ORDER BY first_sale DESC) AS score_loyalty
  FROM zz_floor_facts
"""


def measure_floor(cr, company_id, start, end, as_of):
    """Seconds of the bare SQL of a recompute over this data: the facts
    aggregated per customer (sales and margins over every order line,
    invoices, payments, deliveries) and the RFM/ABC/tier/score ranking
    windows over them; results materialised in unlogged tables (not
    temporary ones: the engine sizes its session's temporary buffers
    first) and dropped. Returns (facts, ranks) seconds."""
    params = {
        "company": company_id,
        "start": start,
        "end": end,
        "as_of": as_of,
        "key": str(company_id),
    }
    cr.execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")
    begin = time.perf_counter()
    cr.execute(FLOOR_FACTS, params)
    facts = time.perf_counter() - begin
    begin = time.perf_counter()
    cr.execute(FLOOR_RANKS)
    ranks = time.perf_counter() - begin
    cr.execute("DROP TABLE zz_floor_facts; DROP TABLE zz_floor_ranks")
    return facts, ranks


def measure_rewrite(cr, company_id):
    """Seconds of rewriting every customer's res_partner row once, the rows
    unchanged: a no-op UPDATE of the partners with a confirmed order of the
    company, rolled back. Not part of the floor: the least a pass paid to
    write its figures when they were Odoo company-dependent fields, kept in
    res_partner (each updated row a new version of a wide row and, its page
    being full, an entry in each of res_partner's indexes), before they had
    a table of their own."""
    cr.execute("SAVEPOINT zz_rewrite")
    begin = time.perf_counter()
    cr.execute(
        "UPDATE res_partner SET ref = ref"
        " WHERE id IN (SELECT p.commercial_partner_id FROM sale_order so"
        "  JOIN res_partner p ON p.id = so.partner_id"
        "  WHERE so.company_id = %s AND so.state = 'sale')",
        [company_id],
    )
    seconds, rows = time.perf_counter() - begin, cr.rowcount
    cr.execute("ROLLBACK TO SAVEPOINT zz_rewrite")
    return seconds, rows


def percentile(values, share):
    """The value below which `share` (0-1) of the values fall (nearest rank)."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]
