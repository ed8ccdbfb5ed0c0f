"""Server-side chart geometry for the PDF reports: the templates draw inline
SVG from these numbers, so nothing is fetched when wkhtmltopdf prints."""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError

# Odoo's colour picker palette (index 0 is "no colour")
PALETTE = [
    "#8c8c8c",
    "#f06050",
    "#f4a460",
    "#f7cd1f",
    "#6cc1ed",
    "#814968",
    "#eb7e7f",
    "#2c8397",
    "#475577",
    "#d6145f",
    "#30c381",
    "#9365b8",
]
STEPS = {"month": 1, "quarter": 3, "year": 12}

# What the analysis views read of confirmed sales (their _depends entries)
SALE_ORDER_DEPENDS = {
    "sale.order": [
        "state",
        "date_order",
        "amount_untaxed",
        "currency_rate",
        "partner_id",
        "company_id",
        "user_id",
    ]
}
SALE_LINE_DEPENDS = {
    "sale.order.line": [
        "order_id",
        "product_id",
        "price_subtotal",
        "product_uom_qty",
        "product_uom",
        "display_type",
        "is_downpayment",
    ]
}


def check_companies(env, companies, group, message):
    """A period PDF is printed by the managers of `group` for the companies
    they work in: the report URL must not show more than the menu."""
    if not env.user.has_group(group):
        raise AccessError(message)
    if companies - env.companies:
        raise AccessError(
            env._(
                "You can print this report only for the companies you are working in."
            )
        )


def period_report_values(report, key, docids, data):
    """The values of a period PDF's template (`report`: its report model,
    `key`: its key in PERIOD_REPORTS): the period `data` asks for
    (`period`: month, quarter or year, `date`: a day in it; by default the
    last complete month) and the companies `docids`, checked for the
    report's managers, then what `report._period_values(companies, period,
    start, end, data)` adds for [start, end)."""
    env = report.env
    data = data or {}
    period = data.get("period") or "month"
    start, end = period_bounds(period, data.get("date"))
    companies = env["res.company"].browse(docids)
    if key == "pyramid":
        denied = env._("Only CRM managers can print the customer pyramid.")
    else:
        denied = env._("Only service managers can print the service quality report.")
    check_companies(env, companies, PERIOD_REPORT_GROUPS[key], denied)
    return {
        "doc_ids": docids,
        "doc_model": "res.company",
        "docs": companies,
        "period": period,
        "date_from": start,
        "date_to": end - timedelta(days=1),
        **report._period_values(companies, period, start, end, data),
    }


class PeriodReport(models.AbstractModel):
    """What every period PDF's report model shares: its values are
    period_report_values()'s, under its key in PERIOD_REPORTS
    (`_period_report`), with what its `_period_values()` adds."""

    _name = "zhongzheng.period.report"
    _description = "Period PDF Report"
    _period_report = None

    @api.model
    def _get_report_values(self, docids, data=None):
        return period_report_values(self, self._period_report, docids, data)


def color(index):
    return PALETTE[(index or 0) % len(PALETTE)]


def period_bounds(period, day=None):
    """[start, end) of the month, quarter or year holding `day`; by default
    the last complete month before today."""
    if period not in STEPS:
        period = "month"
    if not day:
        day = date.today().replace(day=1) - timedelta(days=1)
    day = fields.Date.to_date(day)
    if period == "month":
        start = day.replace(day=1)
    elif period == "quarter":
        start = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    else:
        start = day.replace(month=1, day=1)
    return start, start + relativedelta(months=STEPS[period])


def pyramid(levels, width=300.0, level_height=50.0):
    """Trapezoids stacking the levels from the apex (first) to the base:
    [{'points': 'x,y ...', 'x': label x, 'y': label y, ...level}]."""
    count = len(levels) or 1
    shapes = []
    for i, level in enumerate(levels):
        top, bottom = width * i / count, width * (i + 1) / count
        y0, y1 = i * level_height, (i + 1) * level_height
        center = width / 2
        points = [
            (center - top / 2, y0),
            (center + top / 2, y0),
            (center + bottom / 2, y1),
            (center - bottom / 2, y1),
        ]
        shapes.append(
            dict(
                level,
                points=" ".join(f"{x:.1f},{y:.1f}" for x, y in points),
                x=center,
                y=y0 + level_height * 0.65,
            )
        )
    return shapes


def bars(values, width=200.0):
    """Bar lengths proportional to the values, the largest filling `width`."""
    top = max([abs(v) for v in values] or [0]) or 1.0
    return [round(width * max(v, 0) / top, 1) for v in values]


# the period reports the manager's print wizard offers
PERIOD_REPORTS = {
    "pyramid": "crm_zhongzheng.customer_pyramid_report_action",
    "service": "crm_zhongzheng.service_quality_pdf_action",
}
# who may print them
PERIOD_REPORT_GROUPS = {
    "pyramid": "crm_zhongzheng.group_crm_manager",
    "service": "crm_zhongzheng.group_service_manager",
}
