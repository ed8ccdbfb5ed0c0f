from odoo import api, models

from ..models import clv_math_backtest
from ..models.clv_fit import CLV_PREDICTION_DAYS

# the heat maps show a customer of this age (days since the first purchase)
HEAT_AGE_DAYS = 365
CHART_WIDTH, CHART_HEIGHT = 640.0, 200.0
SERIES_COLOURS = {"actual": "#2c8397", "predicted": "#f06050", "naive": "#8c8c8c"}


def heat_colour(value, top):
    """White to Odoo green as value goes from 0 to top."""
    share = 0.0 if top <= 0 else max(0.0, min(1.0, value / top))
    low, high = (255, 255, 255), (48, 195, 129)
    rgb = (round(a + (b - a) * share) for a, b in zip(low, high, strict=True))
    return "#%02x%02x%02x" % tuple(rgb)


class ClvFitReport(models.AbstractModel):
    """A lifetime value fit on paper (CRM managers): parameters with their
    standard errors, every model's log-likelihood and convergence, the
    calibration vs holdout table, the cumulative chart and the frequency /
    recency heat maps of expected purchases and probability alive."""

    _name = "report.crm_zhongzheng.report_clv_fit"
    _description = "Lifetime Value Fit Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        fits = self.env["zhongzheng.clv.fit"].browse(docids)
        # groups on the report and the fit's ACL: a CRM user gets an error
        fits.check_access("read")
        return {
            "doc_ids": fits.ids,
            "doc_model": "zhongzheng.clv.fit",
            "docs": fits,
            "heat": {fit.id: self._heat(fit) for fit in fits},
            "chart": {fit.id: self._chart(fit) for fit in fits},
            "heat_age": HEAT_AGE_DAYS,
            "heat_days": CLV_PREDICTION_DAYS,
        }

    @api.model
    def _heat(self, fit):
        if fit.state != "done":
            return None
        recencies, expected, alive = clv_math_backtest.heat_matrix(
            fit.model, fit._purchase_fit(), CLV_PREDICTION_DAYS, HEAT_AGE_DAYS
        )
        top = float(expected.max()) or 1.0
        return {
            "recencies": [round(r) for r in recencies],
            "rows": [
                {
                    "frequency": frequency,
                    "expected": [
                        (float(value), heat_colour(value, top)) for value in expected[i]
                    ],
                    "alive": [
                        (float(value), heat_colour(value, 1.0)) for value in alive[i]
                    ],
                }
                for i, frequency in enumerate(range(expected.shape[0]))
            ],
        }

    @api.model
    def _chart(self, fit):
        """SVG polylines of the cumulative series, scaled to the chart."""
        weeks = fit.week_ids
        if not weeks:
            return None
        start, top = fit.as_of_date, max(max(weeks.mapped("purchases")), 1.0)
        span = max((max(weeks.mapped("date")) - start).days, 1)
        lines = []
        for series, colour in SERIES_COLOURS.items():
            points = " ".join(
                "%.1f,%.1f"
                % (
                    (w.date - start).days / span * CHART_WIDTH,
                    CHART_HEIGHT - w.purchases / top * CHART_HEIGHT,
                )
                for w in weeks.filtered(lambda w, s=series: w.series == s)
            )
            label = dict(weeks._fields["series"]._description_selection(self.env))
            lines.append(
                {
                    "points": f"0,{CHART_HEIGHT} {points}",
                    "colour": colour,
                    "label": label[series],
                }
            )
        return {
            "lines": lines,
            "top": top,
            "width": CHART_WIDTH,
            "height": CHART_HEIGHT,
        }
