"""What the web client asks the server for when it opens the dashboard: per
data source, the read_group calls of Odoo 18's spreadsheet pivot and graph
models (spreadsheet/static/src/pivot/pivot_model.js, web's PivotModel
`_loadData`, GraphModel), with the period filter's default value applied
as the client computes it (spreadsheet/static/src/global_filters/helpers.js)."""

import time
from collections import defaultdict
from datetime import timedelta

# the relative periods the dashboard's filter may default to, in days
RELATIVE_DAYS = {
    "last_week": 7,
    "last_month": 30,
    "last_three_months": 90,
    "last_six_months": 180,
    "last_year": 365,
    "last_three_years": 3 * 365,
}


def period_bounds(data, today, offset=0):
    """First and last day of the dashboard's default period (shifted by
    `offset` periods, as a data source's field matching says)."""
    (period,) = [f for f in data["globalFilters"] if f["type"] == "date"]
    days = RELATIVE_DAYS[period["defaultValue"]]
    end = today + timedelta(days=days * offset)
    return end + timedelta(days=1 - days), end


def period_domain(data, matching, today):
    """The domain the period filter adds to a data source."""
    (period,) = [f for f in data["globalFilters"] if f["type"] == "date"]
    match = matching.get(period["id"])
    if not match or not match.get("chain"):
        return []
    start, end = period_bounds(data, today, match.get("offset", 0))
    return [(match["chain"], ">=", start), (match["chain"], "<=", end)]


def measure_spec(fields, measure):
    """A pivot measure as read_group takes it."""
    if measure == "__count":
        return "__count"
    field = fields[measure]
    aggregator = (
        "count_distinct" if field["type"] == "many2one" else field.get("aggregator")
    )
    return f"{measure}:{aggregator}"


def dimension(dim):
    """A pivot row or column as a read_group group-by."""
    granularity = dim.get("granularity")
    return f"{dim['fieldName']}:{granularity}" if granularity else dim["fieldName"]


def sections(items):
    """Every prefix of `items`, the empty one first."""
    return [items[:i] for i in range(len(items) + 1)]


def source_calls(env, data, today):
    """(data source name, model, domain, fields, groupby, orderby, context)
    of every
    read_group the dashboard's data sources make when it opens."""
    calls = []
    fields_of = {}

    def fields(model):
        if model not in fields_of:
            fields_of[model] = env[model].fields_get(
                attributes=["type", "aggregator", "groupable"]
            )
        return fields_of[model]

    for source in data["pivots"].values():
        model = source["model"]
        domain = list(source["domain"]) + period_domain(
            data, source["fieldMatching"], today
        )
        measures = [
            measure_spec(fields(model), m["fieldName"]) for m in source["measures"]
        ]
        rows = [dimension(d) for d in source["rows"]]
        columns = [dimension(d) for d in source["columns"]]
        ordered = {
            dimension(d): d["order"]
            for d in source["columns"] + source["rows"]
            if d.get("order")
        }
        for row_part in sections(rows):
            for column_part in sections(columns):
                groupby = row_part + column_part
                orderby = ",".join(f"{g} {ordered[g]}" for g in groupby if g in ordered)
                calls.append(
                    (
                        source["name"],
                        model,
                        domain,
                        measures,
                        groupby,
                        orderby,
                        source.get("context") or {},
                    )
                )
    for sheet in data["sheets"]:
        for figure in sheet["figures"]:
            chart = figure["data"]
            if not chart["type"].startswith("odoo_"):
                continue
            meta, search = chart["metaData"], chart["searchParams"]
            model = meta["resModel"]
            domain = list(search["domain"]) + period_domain(
                data, chart["fieldMatching"], today
            )
            measure = measure_spec(fields(model), meta["measure"])
            calls.append(
                (
                    chart["title"]["text"],
                    model,
                    domain,
                    [measure],
                    meta["groupBy"],
                    "",
                    search.get("context") or {},
                )
            )
    return calls


def run_calls(env, calls):
    """Each call's read_group result (lazy=False, as the client asks, in
    the data source's context)."""
    return [
        env[model]
        .with_context(**context)
        .read_group(domain, measures, groupby, orderby=orderby or None, lazy=False)
        for _name, model, domain, measures, groupby, orderby, context in calls
    ]


def time_sources(env, data, today, runs=3):
    """The best of `runs` loads of every data source, as `env`'s user:
    (seconds in all, seconds per data source, number of read_group calls)."""
    best = None
    for _run in range(runs):
        env.invalidate_all()
        started = time.perf_counter()
        calls = source_calls(env, data, today)
        per_source = defaultdict(float)
        for call in calls:
            before = time.perf_counter()
            run_calls(env, [call])
            per_source[call[0]] += time.perf_counter() - before
        total = time.perf_counter() - started
        if best is None or total < best[0]:
            best = (total, dict(per_source), len(calls))
    return best


def describe(timing):
    """One line of figures for a timing of time_sources."""
    total, per_source, calls = timing
    slowest = sorted(per_source.items(), key=lambda item: -item[1])[:3]
    return (
        f"{calls} read_group calls of {len(per_source)} data sources in "
        f"{total * 1000:.0f} ms (slowest: "
        + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in slowest)
        + ")"
    )
