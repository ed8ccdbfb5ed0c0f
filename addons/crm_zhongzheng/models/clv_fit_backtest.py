"""The backtest of a fit as of a past date: every purchase model's
prediction for the holdout (the day after the as-of date up to the holdout
end) against the repeat purchase days that happened, in total, per
calibration-frequency group, per customer and by week, with a naive
baseline beside it; the best model by mean absolute error is stored on
the company for its "best by backtest" setting."""

import time
from datetime import timedelta

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from . import clv_math_backtest, clv_math_models, value_sql
from .clv_fit import MODEL_CHOICES

SERIES = [("actual", "Actual"), ("predicted", "Predicted"), ("naive", "Naive")]


class ClvFitGroup(models.Model):
    _name = "zhongzheng.clv.fit.group"
    _description = "Customer Lifetime Value Backtest: Frequency Group"
    _order = "fit_id, frequency"

    fit_id = fields.Many2one(
        "zhongzheng.clv.fit", required=True, ondelete="cascade", index=True
    )
    frequency = fields.Integer(
        string="Repeat Purchases in Calibration", help="7 stands for 7 or more."
    )
    customers = fields.Integer()
    actual = fields.Float(digits=(16, 1))
    predicted = fields.Float(digits=(16, 1))
    predicted_bgnbd = fields.Float(string="BG/NBD", digits=(16, 1))
    predicted_pareto = fields.Float(string="Pareto/NBD", digits=(16, 1))
    predicted_mbgnbd = fields.Float(string="MBG/NBD", digits=(16, 1))
    naive = fields.Float(digits=(16, 1))


class ClvFitWeek(models.Model):
    _name = "zhongzheng.clv.fit.week"
    _description = "Customer Lifetime Value Backtest: Cumulative Purchases"
    _order = "fit_id, date, series"

    fit_id = fields.Many2one(
        "zhongzheng.clv.fit", required=True, ondelete="cascade", index=True
    )
    date = fields.Date(required=True)
    series = fields.Selection(SERIES, required=True)
    purchases = fields.Float(
        string="Cumulative Repeat Purchases", digits=(16, 1), aggregator="sum"
    )


class ClvFitBacktest(models.Model):
    # a room of its own: the model's files stay under 500 lines
    _inherit = "zhongzheng.clv.fit"  # pylint: disable=consider-merging-classes-inherited

    group_ids = fields.One2many("zhongzheng.clv.fit.group", "fit_id", readonly=True)
    week_ids = fields.One2many("zhongzheng.clv.fit.week", "fit_id", readonly=True)
    backtest_end_date = fields.Date(string="Holdout Ends", readonly=True)
    backtest_naive_predicted = fields.Float(
        string="Naive Prediction",
        digits=(16, 2),
        readonly=True,
        help="Each customer repeating its past rate of repeat purchases.",
    )
    backtest_mae = fields.Float(
        string="Mean Absolute Error", digits=(16, 4), readonly=True
    )
    backtest_naive_mae = fields.Float(
        string="Naive Mean Absolute Error", digits=(16, 4), readonly=True
    )
    best_model = fields.Selection(
        MODEL_CHOICES,
        string="Best Model by Backtest",
        readonly=True,
        help="The purchase model with the lowest mean absolute error per "
        "customer over this holdout.",
    )

    @api.constrains("as_of_date", "holdout_end_date")
    def _check_holdout_end_date(self):
        for fit in self:
            end = fit.holdout_end_date
            if end and (end <= fit.as_of_date or end > fields.Date.context_today(fit)):
                raise ValidationError(
                    self.env._(
                        "The holdout must end after the as-of date (%(date)s) "
                        "and not after today.",
                        date=fit.as_of_date,
                    )
                )

    def action_view_weeks(self):
        """The cumulative predicted, naive and actual repeat purchases of the
        holdout by week, as a line chart."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Cumulative Repeat Purchases"),
            "res_model": "zhongzheng.clv.fit.week",
            "view_mode": "graph,list",
            "domain": [("fit_id", "=", self.id)],
            "context": {"graph_groupbys": ["date:week", "series"]},
        }

    def _backtest(self, inputs, purchases, diagnostics):
        """Predicted vs actual repeat purchase days in (as_of, holdout end]
        for every purchase model, the applied one's per customer."""
        ids, x, t_x, T, _monetary = inputs
        end = self.holdout_end_date or fields.Date.context_today(self)
        days = (end - self.as_of_date).days
        offsets = self._holdout_days(ids, end)
        actual_by_id = dict(
            zip(*np.unique(offsets[0], return_counts=True), strict=True)
        )
        actual = np.array([actual_by_id.get(pid, 0) for pid in ids], dtype=float)
        naive = clv_math_backtest.naive_prediction(x, T, days)
        predicted = {self.model: None}
        model_vals = []
        for model in clv_math_models.MODELS:
            if model == self.model:
                fit, vals = self._purchase_fit(), dict(diagnostics)
            else:
                fit, vals = self._backtest_fit(model, x, t_x, T, purchases)
            if fit is None:
                model_vals.append(vals)
                continue
            prediction = np.where(
                purchases,
                clv_math_models.expected_purchases(model, fit, days, x, t_x, T),
                0.0,
            )
            predicted[model] = prediction
            vals.update(
                predicted=float(np.nansum(prediction)),
                mae=clv_math_backtest.mean_absolute_error(prediction, actual),
            )
            model_vals.append(vals)
        scored = [v for v in model_vals if "mae" in v]
        best = min(scored, key=lambda v: v["mae"])["model"]
        applied = predicted[self.model]
        self._write_result(
            {
                "backtest_days": days,
                "backtest_end_date": end,
                "backtest_predicted": float(np.nansum(applied)),
                "backtest_actual": int(actual.sum()),
                "backtest_naive_predicted": float(naive.sum()),
                "backtest_mae": clv_math_backtest.mean_absolute_error(applied, actual),
                "backtest_naive_mae": clv_math_backtest.mean_absolute_error(
                    naive, actual
                ),
                "best_model": best,
                "model_line_ids": [fields.Command.clear()]
                + [fields.Command.create(v) for v in model_vals],
                "group_ids": self._group_commands(x, predicted, naive, actual),
                "week_ids": self._week_commands(
                    x, t_x, T, purchases, naive, offsets[1], days
                ),
            }
        )
        self.company_id.sudo().clv_best_model = best
        self._backtest_lines(ids, inputs, applied, naive, actual)

    def _backtest_fit(self, model, x, t_x, T, purchases):
        """Another model's fit and values; (None, values with the reason)
        for a model that cannot be fitted on these customers."""
        start = time.monotonic()
        try:
            fit, vals = self._fit_model(model, x, t_x, T, purchases)
        except ValueError as error:
            return None, {
                "model": model,
                "converged": False,
                "seconds": time.monotonic() - start,
                "message": str(error),
            }
        return fit, vals

    def _holdout_days(self, ids, end):
        """(partner ids, day offsets after the as-of date) of each repeat
        purchase day in the holdout of the customers fitted."""
        start = fields.Datetime.to_datetime(self.as_of_date) + timedelta(days=1)
        self.env.cr.execute(
            SQL(
                """
            SELECT DISTINCT p.commercial_partner_id,
                   so.date_order::date - %s::date
              FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
             WHERE so.company_id = %s AND so.state = 'sale'
               AND so.date_order >= %s AND so.date_order < %s
               AND p.commercial_partner_id = ANY(%s)
            """,
                self.as_of_date,
                self.company_id.id,
                start,
                fields.Datetime.to_datetime(end) + timedelta(days=1),
                value_sql.array(ids),
            )
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return np.array([], dtype=int), np.array([], dtype=float)
        data = np.array(rows)
        return data[:, 0].astype(int), data[:, 1].astype(float)

    def _group_commands(self, x, predicted, naive, actual):
        applied = predicted[self.model]
        rows = clv_math_backtest.frequency_groups(x, applied, naive, actual)
        group = np.minimum(x.astype(int), clv_math_backtest.TOP_GROUP)
        commands = [fields.Command.clear()]
        for frequency, customers, pred, naive_sum, actual_sum in rows:
            mask = group == frequency
            vals = {
                "frequency": frequency,
                "customers": customers,
                "predicted": pred,
                "naive": naive_sum,
                "actual": actual_sum,
            }
            for model, prediction in predicted.items():
                if prediction is not None:
                    vals[f"predicted_{model}"] = float(prediction[mask].sum())
            commands.append(fields.Command.create(vals))
        return commands

    def _week_commands(self, x, t_x, T, purchases, naive, offsets, days):
        points = clv_math_backtest.chart_days(days)
        fit = self._purchase_fit()
        rows = {
            "predicted": clv_math_backtest.cumulative_predicted(
                self.model, fit, x[purchases], t_x[purchases], T[purchases], points
            ),
            "actual": clv_math_backtest.cumulative_actual(offsets, points),
            "naive": [float(naive.sum()) * d / days for d in points],
        }
        commands = [fields.Command.clear()]
        for series, values in rows.items():
            for day, value in zip(points, values, strict=True):
                commands.append(
                    fields.Command.create(
                        {
                            "date": self.as_of_date + timedelta(days=day),
                            "series": series,
                            "purchases": value,
                        }
                    )
                )
        return commands

    def _backtest_lines(self, ids, inputs, predicted, naive, actual):
        _ids, x, t_x, T, monetary = inputs
        lines = [
            {
                "fit_id": self.id,
                "partner_id": pid,
                "frequency": int(x[i]),
                "recency": int(t_x[i]),
                "age": int(T[i]),
                "monetary": float(monetary[i]),
                "predicted": float(predicted[i]),
                "naive": float(naive[i]),
                "actual": int(actual[i]),
            }
            for i, pid in enumerate(ids)
        ]
        # the lines are the fit's output, never typed: nobody may create
        # them (ACL), the fit writes them once its own write was allowed
        self.check_access("write")
        self.env["zhongzheng.clv.fit.line"].sudo().create(lines)
