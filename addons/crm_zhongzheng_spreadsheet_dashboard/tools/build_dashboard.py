"""Build the Customer Relations dashboard:
data/files/customer_relations_dashboard.json.

Odoo Community has no spreadsheet editor, so the dashboard is written here
as data and dumped to the JSON file Odoo's Dashboards app loads (the format
of spreadsheet_dashboard_sale's files: o-spreadsheet data version 21).
Run after editing, from the repository root:

    python3 addons/crm_zhongzheng_spreadsheet_dashboard/tools/build_dashboard.py

`--check` exits non-zero when the committed file differs from this output
(the addon's tests check the same). Plain Python: no Odoo import.

Every text is a `_t("...")` formula, a chart title or a filter label, which
Odoo's translation export extracts from `*_dashboard.json` files. Figures
come from the analysis models of crm_zhongzheng; the models, fields,
measures and group-bys named here are checked against the server by
tests/test_dashboard.py.
"""

import json
import sys
from pathlib import Path

OUTPUT = (
    Path(__file__).resolve().parent.parent
    / "data"
    / "files"
    / "customer_relations_dashboard.json"
)

# fixed ids: the output is the same on every run
PERIOD_FILTER = "8d3c6b0e-2b1f-4c55-9d6a-0a1f5e7c2d01"
VALUE = "zhongzheng.customer.value.store"  # the rows stored nightly
KPI = "zhongzheng.crm.kpi.report"
MIGRATION = "zhongzheng.relationship.migration.report"
FORECAST = "zhongzheng.pyramid.forecast"
PARTNER = "res.partner"
MENU = "odoo://ir_menu_xml_id/crm_zhongzheng."
TIERS = 4  # platinum, gold, iron, lead
TOP_CUSTOMERS = 10
HEALTH = ["healthy", "watch", "at_risk", "critical"]
CLASSES = ["potential", "marginal", "loyal", "lost", "non_customer"]
# the forecast's columns: measure, label, format
FORECAST_MEASURES = [
    ("customers", "Customers Now", 1),
    ("forecast_quarter", "Next Quarter", 4),
    ("forecast_year", "In a Year", 4),
    ("revenue_year", "Revenue Next Year", 2),
    ("backtest_customers", "Forecast a Year Ago", 4),
    ("actual_revenue", "Revenue of the Past Year", 2),
    ("backtest_revenue", "Revenue Forecast a Year Ago", 2),
]
FLAGGED = ["at_risk", "critical"]

STYLES = {
    "1": {"textColor": "#01666b", "bold": True, "fontSize": 16},
    "2": {"bold": True, "fontSize": 11, "textColor": "#434343"},
    "3": {"textColor": "#434343", "verticalAlign": "middle"},
    "4": {"bold": True, "fontSize": 11, "textColor": "#434343", "align": "right"},
    "5": {"italic": True, "textColor": "#7f7f7f"},
}
FORMATS = {"1": "#,##0", "2": "#,##0.00", "3": "0.0%", "4": "0.0"}
BORDERS = {"1": {"bottom": {"style": "thin", "color": "#CCCCCC"}}}


def t(text):
    """A translatable text cell."""
    return f'=_t("{text}")'


def link(text, menu):
    """A heading opening the analysis behind the section (its menu)."""
    return f"[{text}]({MENU}{menu})"


def matching(chain="date", offset=0):
    """The period filter applied to a data source's date field."""
    return {PERIOD_FILTER: {"chain": chain, "type": "date", "offset": offset}}


def pivot(
    pid,
    name,
    model,
    measures,
    rows=(),
    columns=(),
    domain=(),
    sort=None,
    dated=True,
    offset=0,
    context=None,
):
    """An Odoo pivot data source: read_group calls over `model`."""
    definition = {
        "type": "ODOO",
        "id": pid,
        "formulaId": pid,
        "name": name,
        "model": model,
        "domain": list(domain),
        "context": dict(context or {}),
        "measures": [{"id": m, "fieldName": m} for m in measures],
        "rows": [dict(r) for r in rows],
        "columns": [dict(c) for c in columns],
        "fieldMatching": matching(offset=offset) if dated else {},
    }
    if sort:
        definition["sortedColumn"] = {
            "groupId": [[], []],
            "measure": sort,
            "order": "desc",
        }
    return definition


# Key figures, from the monthly rows of the key figures analysis: pivot 2 per
# month (its table) and in total (the scorecards: sums, monthly averages),
# pivot 3 in total for the period before. The analysis is the slowest source
# (it computes every period of the history): three read_group calls in all.
KEY_MEASURES = [
    "new_customers",
    "lost_customers",
    "retention_rate",
    "top20_revenue_share",
    "revenue",
    "sla_compliance",
    "satisfaction",
    "claims_paid",
]
MONTHLY = [["period", "=", "month"]]

PIVOTS = [
    pivot(
        "1",
        "Customer Pyramid",
        VALUE,
        ["partner_id", "revenue", "margin"],
        rows=[{"fieldName": "tier_id"}],
        domain=[["tier_id", "!=", False]],
    ),
    pivot(
        "2",
        "Key Figures per Month",
        KPI,
        ["customers_start", *KEY_MEASURES[:3], "churn_rate", *KEY_MEASURES[3:]],
        rows=[{"fieldName": "date", "granularity": "month", "order": "asc"}],
        domain=MONTHLY,
    ),
    pivot(
        "3",
        "Key Figures (previous period)",
        KPI,
        KEY_MEASURES,
        domain=MONTHLY,
        offset=-1,
    ),
    pivot(
        "4",
        "Customer Health",
        PARTNER,
        ["__count", "revenue_window"],
        rows=[{"fieldName": "health_status"}],
        domain=[["health_status", "!=", False]],
        dated=False,
    ),
    pivot(
        "5",
        "Top Customers",
        VALUE,
        ["revenue", "margin", "order_count"],
        rows=[{"fieldName": "partner_id"}],
        sort="revenue",
        # the server returns the ten biggest buyers, not all customers
        context={"zz_top_customers": TOP_CUSTOMERS},
    ),
    pivot(
        "6",
        "Tier Migration",
        MIGRATION,
        ["move_count"],
        rows=[{"fieldName": "tier_from_id"}],
        columns=[{"fieldName": "tier_to_id"}],
        domain=[["kind", "=", "tier"]],
    ),
    pivot(
        "7",
        "Class Migration",
        MIGRATION,
        ["move_count"],
        rows=[{"fieldName": "class_from"}],
        columns=[{"fieldName": "class_to"}],
        domain=[["kind", "=", "class"]],
    ),
    # the pyramid's forecast (as of its last nightly computation): one row
    # per tier and per class; not matched to the period
    *(
        pivot(
            pid,
            name,
            FORECAST,
            [m for m, _label, _fmt in FORECAST_MEASURES],
            rows=[{"fieldName": row}],
            domain=domain,
            dated=False,
        )
        for pid, name, row, domain in (
            (
                "8",
                "Pyramid Forecast per Tier",
                "tier_id",
                [["kind", "=", "tier"], ["tier_id", "!=", False]],
            ),
            (
                "9",
                "Pyramid Forecast per Class",
                "relationship_class",
                [["kind", "=", "class"]],
            ),
        )
    ),
]


def chart(fid, x, y, width, height, title, model, measure, groupby, mode, **extra):
    """An Odoo graph data source drawn as a chart (one read_group)."""
    return {
        "id": fid,
        "x": x,
        "y": y,
        "width": width,
        "height": height,
        "tag": "chart",
        "data": {
            "title": {"text": title, "bold": True, "color": "#434343"},
            "background": "#FFFFFF",
            "legendPosition": "top" if mode == "pie" else "none",
            "metaData": {
                "groupBy": [groupby],
                "measure": measure,
                "order": None,
                "resModel": model,
                "mode": mode,
            },
            "searchParams": {
                "comparison": None,
                "context": {},
                "domain": extra.pop("domain", []),
                "groupBy": [groupby],
                "orderBy": [],
            },
            "type": f"odoo_{mode}",
            "fieldMatching": matching(),
            **extra,
        },
    }


# (title, row of sheet Data, against the period before: "up" when more is
# better, "down" when less is (shown green), None: not compared)
SCORECARDS = [
    ("New Customers", 2, "up"),
    ("Lost Customers", 3, "down"),
    ("Retention Rate (%)", 4, "up"),
    ("Top 20% Share (%)", 5, "up"),
    ("SLA Compliance (%)", 7, "up"),
    ("Average Satisfaction", 8, "up"),
    ("Compensation Paid", 9, "down"),
    ("Revenue at Stake", 10, None),
]
GREEN, RED = "#00A04A", "#DC6965"
# sheet Data: label, measure of pivots 2 (the period) and 3 (the one before),
# shown as: a large number (counts, money) or a rate/rating with its decimals
DATA_ROWS = [
    ("New customers", "new_customers", None),
    ("Lost customers", "lost_customers", None),
    ("Retention rate (%), monthly average", "retention_rate", 1),
    ("Top 20% revenue share (%), monthly average", "top20_revenue_share", 1),
    ("Revenue", "revenue", None),
    ("SLA compliance (%), monthly average", "sla_compliance", 1),
    ("Average satisfaction (1 to 5)", "satisfaction", 2),
    ("Compensation paid", "claims_paid", None),
]


def data_sheet():
    cells = {
        "A1": {"content": t("Key figure")},
        "B1": {"content": t("Current")},
        "C1": {"content": t("Previous")},
        "D1": {"content": t("Current")},
        "E1": {"content": t("Previous")},
    }
    for row, (label, measure, digits) in enumerate(DATA_ROWS, start=2):
        cells[f"A{row}"] = {"content": t(label)}
        cells[f"B{row}"] = {"content": f'=PIVOT.VALUE(2,"{measure}")'}
        cells[f"C{row}"] = {"content": f'=PIVOT.VALUE(3,"{measure}")'}
        for col, src in (("D", "B"), ("E", "C")):
            shown = (
                f"FORMAT.LARGE.NUMBER({src}{row})"
                if digits is None
                else f"ROUND({src}{row},{digits})"
            )
            cells[f"{col}{row}"] = {"content": f"={shown}"}
    stake = "+".join(
        f'PIVOT.VALUE(4,"revenue_window","health_status","{s}")' for s in FLAGGED
    )
    cells["A10"] = {"content": t("Revenue at stake (at risk and critical)")}
    cells["B10"] = {"content": f"={stake}"}
    cells["D10"] = {"content": "=FORMAT.LARGE.NUMBER(B10)"}
    return sheet("sheet2", "Data", 5, 12, cells, cols={0: 280}, styles={"A1:E1": 2})


def scorecards():
    figures = []
    for index, (title, row, baseline) in enumerate(SCORECARDS):
        data = {
            "title": {"text": title, "bold": True, "color": "#434343"},
            "type": "scorecard",
            "background": "#EFF6FF" if index < 4 else "#FFF7ED",
            "keyValue": f"Data!D{row}",
            "baselineMode": "difference",
            "baselineColorUp": GREEN if baseline == "up" else RED,
            "baselineColorDown": RED if baseline == "up" else GREEN,
            "humanize": False,
        }
        if baseline:
            data.update(baseline=f"Data!E{row}", baselineDescr="previous period")
        figures.append(
            {
                "id": f"zz-scorecard-{index + 1}",
                "x": (index % 4) * 240,
                "y": 48 + (index // 4) * 112,
                "width": 230,
                "height": 102,
                "tag": "chart",
                "data": data,
            }
        )
    return figures


def main_sheet():
    cells, styles, formats, borders = {}, {}, {}, {}

    def put(ref, content, style=None, fmt=None):
        cells[ref] = {"content": content}
        if style:
            styles[ref] = style
        if fmt:
            formats[ref] = fmt

    def heading(row, text, menu, note=None):
        put(f"A{row}", link(text, menu), style=1)
        if note:
            put(f"E{row}", t(note), style=5)

    def columns(row, *labels, start="A"):
        for offset, label in enumerate(labels):
            col = chr(ord(start) + offset)
            put(f"{col}{row}", t(label), style=2 if offset == 0 else 4)
            borders[f"{col}{row}"] = 1

    # rows 1-10: key figures of the period, scorecards over rows 2-10
    heading(1, "Key Figures", "crm_kpi_report_menu", "compared with the period before")

    # rows 12-18: the pyramid (left) and health (right)
    heading(12, "Customer Pyramid", "customer_value_report_menu")
    columns(13, "Tier", "Customers", "Revenue", "Margin", "Share")
    for i in range(1, TIERS + 1):
        row = 13 + i
        put(f"A{row}", f'=PIVOT.HEADER(1,"#tier_id",{i})', style=3)
        for col, measure, fmt in (
            ("B", "partner_id", 1),
            ("C", "revenue", 2),
            ("D", "margin", 2),
        ):
            put(f"{col}{row}", f'=PIVOT.VALUE(1,"{measure}","#tier_id",{i})', fmt=fmt)
        put(f"E{row}", f'=IFERROR(C{row}/PIVOT.VALUE(1,"revenue"),"")', fmt=3)
    total = 14 + TIERS
    put(f"A{total}", t("Total"), style=2)
    for col, measure, fmt in (
        ("B", "partner_id", 1),
        ("C", "revenue", 2),
        ("D", "margin", 2),
    ):
        put(f"{col}{total}", f'=PIVOT.VALUE(1,"{measure}")', style=2, fmt=fmt)

    put("G12", link("Customer Health Today", "res_partner_menu_customers"), style=1)
    columns(13, "Health", "Customers", "Revenue", start="G")
    for i, status in enumerate(HEALTH, start=14):
        put(f"G{i}", f'=PIVOT.HEADER(4,"health_status","{status}")', style=3)
        put(f"H{i}", f'=PIVOT.VALUE(4,"__count","health_status","{status}")', fmt=1)
        put(
            f"I{i}",
            f'=PIVOT.VALUE(4,"revenue_window","health_status","{status}")',
            fmt=2,
        )
    put("G18", t("Revenue at stake"), style=2)
    put("I18", "=Data!B10", style=2, fmt=2)

    # rows 20-31: top customers (left) and revenue per tier (chart, right)
    heading(20, "Top Customers", "customer_value_report_menu")
    columns(21, "Customer", "Revenue", "Margin", "Orders")
    for i in range(1, TOP_CUSTOMERS + 1):
        row = 21 + i
        put(f"A{row}", f'=PIVOT.HEADER(5,"#partner_id",{i})', style=3)
        for col, measure, fmt in (
            ("B", "revenue", 2),
            ("C", "margin", 2),
            ("D", "order_count", 1),
        ):
            put(
                f"{col}{row}", f'=PIVOT.VALUE(5,"{measure}","#partner_id",{i})', fmt=fmt
            )

    # rows 33-52: the migration matrices (from: rows, to: columns) of the period
    heading(
        33,
        "Tier Migration",
        "relationship_migration_report_menu",
        "from (rows) to (columns)",
    )
    put("A34", "=PIVOT(6)")
    heading(43, "Class Migration", "relationship_migration_report_menu_class")
    put("A44", "=PIVOT(7)")

    # rows 54-64: the forecast per tier and per class
    heading(
        54,
        "Pyramid Forecast",
        "customer_pyramid_forecast_menu",
        "if customers move as in the past year",
    )
    columns(55, "Tier or Class", *[label for _m, label, _fmt in FORECAST_MEASURES])
    cells_of = [(8, f'"#tier_id",{i}') for i in range(1, TIERS + 1)]
    cells_of += [(9, f'"relationship_class","{code}"') for code in CLASSES]
    for row, (pid, key) in enumerate(cells_of, start=56):
        put(f"A{row}", f"=PIVOT.HEADER({pid},{key})", style=3)
        for col, (measure, _label, fmt) in zip(
            "BCDEFGH", FORECAST_MEASURES, strict=True
        ):
            put(f"{col}{row}", f'=PIVOT.VALUE({pid},"{measure}",{key})', fmt=fmt)

    # rows 67-: key figures per month (spills down as the period grows)
    heading(67, "Key Figures per Month", "crm_kpi_report_menu")
    put("A68", "=PIVOT(2,,FALSE)")

    figures = scorecards() + [
        chart(
            "zz-chart-tier-revenue",
            700,
            515,
            400,
            265,
            "Revenue per Tier",
            VALUE,
            "revenue",
            "tier_id",
            "pie",
            domain=[["tier_id", "!=", False]],
        ),
    ]
    rows = {0: 40, 11: 40, 19: 40, 32: 40, 42: 40, 53: 40, 66: 40}
    return sheet(
        "sheet1",
        "Dashboard",
        12,
        100,
        cells,
        # the monthly table spans A-K; the sections above fit 1,100 pixels
        cols={0: 240, 1: 100, 2: 115, 3: 115, 4: 120, 5: 80, 6: 120, 7: 90, 8: 115},
        rows=rows,
        styles=styles,
        formats=formats,
        borders=borders,
        figures=figures,
    )


def sheet(sid, name, cols_n, rows_n, cells, cols=None, rows=None, **parts):
    return {
        "id": sid,
        "name": name,
        "colNumber": cols_n,
        "rowNumber": rows_n,
        "rows": {str(k): {"size": v} for k, v in (rows or {}).items()},
        "cols": {str(k): {"size": v} for k, v in (cols or {}).items()},
        "merges": [],
        "cells": cells,
        "styles": parts.get("styles", {}),
        "formats": parts.get("formats", {}),
        "borders": parts.get("borders", {}),
        "conditionalFormats": [],
        "figures": parts.get("figures", []),
        "tables": [],
        "areGridLinesVisible": False,
        "isVisible": True,
        "headerGroups": {"ROW": [], "COL": []},
        "dataValidationRules": [],
        "comments": {},
    }


def build():
    """The dashboard's spreadsheet data (a dict)."""
    return {
        "version": 21,
        "sheets": [main_sheet(), data_sheet()],
        "styles": STYLES,
        "formats": FORMATS,
        "borders": BORDERS,
        "revisionId": "START_REVISION",
        "uniqueFigureIds": True,
        "settings": {},
        "pivots": {p["id"]: p for p in PIVOTS},
        "pivotNextId": len(PIVOTS) + 1,
        "customTableStyles": {},
        "odooVersion": 12,
        "globalFilters": [
            {
                "id": PERIOD_FILTER,
                "type": "date",
                "label": "Period",
                "defaultValue": "last_year",
                "rangeType": "relative",
            }
        ],
        "lists": {},
        "listNextId": 1,
        "chartOdooMenusReferences": {
            "zz-chart-tier-revenue": "crm_zhongzheng.customer_value_report_menu"
        },
    }


def dumps():
    """The file's text: stable key order, one trailing newline."""
    return json.dumps(build(), indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv):
    text = dumps()
    if "--check" in argv:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            sys.stderr.write(f"{OUTPUT} is not this script's output: run it again\n")
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
