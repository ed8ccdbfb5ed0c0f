"""Lifetime value (BG/NBD + Gamma-Gamma): a step of the customer value
pipeline. A full run fits the models (`_fit`), an incremental one applies
the last successful fit (`_apply_last`); either writes the customers'
probability alive, expected purchases and lifetime value via the writer."""

import logging
import math
from typing import NamedTuple

import numpy as np
import psycopg2

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from . import clv_math, clv_math_backtest, clv_math_models, value_sql

_logger = logging.getLogger(__name__)
CRM_MANAGER = "crm_zhongzheng.group_crm_manager"
# the figures this step writes
# what a user chooses of a fit; the rest is the fit's output
FIT_INPUTS = frozenset({"company_id", "as_of_date", "holdout_end_date", "model"})
CLV_FIELDS = ("clv_prob_alive", "clv_expected_purchases", "clv_value")
CLV_PREDICTION_DAYS = 90
MODEL_CHOICES = [("bgnbd", "BG/NBD"), ("pareto", "Pareto/NBD"), ("mbgnbd", "MBG/NBD")]


class ClvInputs(NamedTuple):
    """Per customer (arrays in the order of ids), from the distinct days with
    a confirmed order: x = days - 1, t_x = first to last day, T = first day
    to the as-of date, and the mean order value of the repeat days."""

    ids: list
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    monetary: np.ndarray


class ClvFit(models.Model):
    """A purchase model (BG/NBD, Pareto/NBD or MBG/NBD) + Gamma-Gamma fit
    over a company's customers as of a date.

    A fit as of a past date is a backtest: it compares the repeat purchases
    it predicts for the period after that date with those that happened."""

    _name = "zhongzheng.clv.fit"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Customer Lifetime Value Fit"
    _order = "as_of_date desc, id desc"

    name = fields.Char(compute="_compute_name")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    as_of_date = fields.Date(
        string="As of",
        required=True,
        default=fields.Date.context_today,
        help="Only orders up to this date count; customer age is measured to it.",
    )
    holdout_end_date = fields.Date(
        string="Holdout End",
        help="A fit as of a past date is compared with what happened from "
        "the day after it up to this date (default: today).",
    )
    model = fields.Selection(
        MODEL_CHOICES,
        string="Purchase Model",
        required=True,
        default=lambda self: self.env.company._clv_applied_model(),
    )
    run_date = fields.Datetime(readonly=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("done", "Fitted"),
            ("failed", "Not Enough Data"),
            ("error", "Failed"),
        ],
        default="draft",
        required=True,
        readonly=True,
    )
    message = fields.Text(readonly=True)
    applied = fields.Boolean(
        readonly=True, help="Its predictions were written to the customers."
    )
    customer_count = fields.Integer(string="Customers Used", readonly=True)
    repeat_customer_count = fields.Integer(string="Repeat Buyers", readonly=True)
    bgnbd_excluded_count = fields.Integer(
        string="Left Out of Both Models",
        readonly=True,
        help="Customers whose purchase summary the models cannot take "
        "(not finite, or last purchase after the as-of date).",
    )
    gamma_gamma_excluded_count = fields.Integer(
        string="Left Out of the Spend Model",
        readonly=True,
        help="Repeat buyers whose average repeat order is zero or negative "
        "(free replacements, samples, credits): they count in the purchase "
        "model and get the population's average spend.",
    )
    r = fields.Float(digits=(16, 6), readonly=True)
    alpha = fields.Float(digits=(16, 6), readonly=True)
    a = fields.Float(digits=(16, 6), readonly=True)
    b = fields.Float(digits=(16, 6), readonly=True)
    s = fields.Float(digits=(16, 6), readonly=True)
    beta = fields.Float(digits=(16, 6), readonly=True)
    bgnbd_log_likelihood = fields.Float(
        string="Purchase Model Log-Likelihood", digits=(16, 4), readonly=True
    )
    value_basis = fields.Selection(
        [
            ("revenue", "Revenue"),
            ("margin", "Margin"),
            ("profit", "Margin minus Cost-to-Serve"),
        ],
        string="Lifetime Value of",
        readonly=True,
    )
    spend_shift = fields.Float(
        digits=(16, 2),
        readonly=True,
        help="Added to every repeat buyer's average value for the spend "
        "model (Shift setting), and taken off its answers again.",
    )
    spend_correlation = fields.Float(
        string="Frequency-Spend Correlation",
        digits=(16, 3),
        readonly=True,
        help="Correlation of repeat purchases and average repeat value among "
        "the repeat buyers of the spend model; Gamma-Gamma assumes it is "
        "near 0 (beyond about +-0.3 its spend forecasts lean on a wrong "
        "assumption).",
    )
    p = fields.Float(digits=(16, 6), readonly=True)
    q = fields.Float(digits=(16, 6), readonly=True)
    v = fields.Float(digits=(16, 6), readonly=True)
    gamma_gamma_log_likelihood = fields.Float(
        string="Gamma-Gamma Log-Likelihood", digits=(16, 4), readonly=True
    )
    converged = fields.Boolean(readonly=True)
    backtest_days = fields.Integer(
        readonly=True, help="Length of the period after the as-of date compared."
    )
    backtest_predicted = fields.Float(
        string="Predicted Repeat Purchases", digits=(16, 2), readonly=True
    )
    backtest_actual = fields.Integer(string="Actual Repeat Purchases", readonly=True)
    line_ids = fields.One2many("zhongzheng.clv.fit.line", "fit_id", readonly=True)
    inputs_digest = fields.Char(readonly=True, help="Of the summaries fitted.")

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                # a form sends the outputs' defaults along (empty, draft)
                defaults = self.default_get(list(vals))
                self._check_only_inputs(
                    {k: v for k, v in vals.items() if v and v != defaults.get(k)}
                )
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._check_only_inputs(vals)
            if self.filtered(lambda fit: fit.state != "draft"):
                raise UserError(
                    self.env._(
                        "A fit that has run is a record of its date: create a "
                        "new fit instead of changing it."
                    )
                )
        return super().write(vals)

    def _check_only_inputs(self, vals):
        """Users choose a fit's company and date; its parameters, state,
        lines and whether it is applied are the fit's own output."""
        typed = set(vals) - FIT_INPUTS
        if typed:
            raise AccessError(
                self.env._(
                    "These are computed by the fit and cannot be written: %(fields)s",
                    fields=", ".join(sorted(typed)),
                )
            )

    def _write_result(self, vals):
        # the check above is for users; the fit writes its own output
        return self.sudo().write(vals)

    @api.depends("as_of_date", "company_id")
    def _compute_name(self):
        for fit in self:
            fit.name = self.env._(
                "CLV fit as of %(date)s (%(company)s)",
                date=fit.as_of_date,
                company=fit.company_id.name,
            )

    def action_run(self):
        """Fit (again) as of the record's date; a past date adds a backtest.
        Does not change the customers' figures: the nightly recompute does.
        :raises AccessError: unless the user may write the fits (CRM managers)
        :raises UserError: the models could not be fitted"""
        self.check_access("write")
        for fit in self:
            try:
                fit._run()
            except ValueError as error:
                raise UserError(str(error)) from error
        return True

    @api.model
    def _fit(self, company, as_of=None, apply=False):
        """Fit (and apply) as of a date; nothing for a company without any
        customer, where a fit could only fail; the last applied fit again
        when its inputs are the same. Never raises for the data's sake: a
        failed fit is kept in state Failed with the reason, logged, and given
        to the company's CRM managers as an activity (once until a fit
        succeeds again); applying, the customers keep the last successful
        fit, applied as of this date. The rest of a recompute goes on."""
        as_of = as_of or fields.Date.context_today(self)
        inputs = self._inputs(company, as_of)
        if not inputs.ids:
            return self.browse()
        digest = clv_math.digest(
            inputs,
            company.clv_horizon_months,
            company.clv_monthly_discount_rate,
            company._clv_applied_model(),
            company.clv_value_basis,
            company.clv_nonpositive_spend,
        )
        last, writer = self._last_applied(company), self.env["zhongzheng.value.writer"]
        if last.as_of_date == as_of and last.inputs_digest == digest:
            # the same purchase summaries as of the same day: the same fit,
            # already applied unless a customer lacks its figures
            if apply and not writer._hold_all(company, inputs.ids, CLV_FIELDS):
                last._apply(inputs=inputs)
            return last
        fit = self.create(
            {
                "company_id": company.id,
                "as_of_date": as_of,
                "model": company._clv_applied_model(),
            }
        )
        fit._write_result({"inputs_digest": digest})
        try:
            with self.env.cr.savepoint():
                fit._run(inputs)
                if apply and fit.state == "done":
                    fit._apply(inputs=inputs)  # the same customers, same day
        except psycopg2.OperationalError:
            raise  # concurrency: the whole transaction is retried
        except Exception as error:  # noqa: BLE001 (recorded, not raised)
            fit._record_error(error)
        if fit.state == "done":
            fit._close_failure_activities()
        elif apply:
            fit._apply_previous(as_of)
        return fit

    @api.model
    def _last_applied(self, company):
        # fetched with what applying it reads (not the fit's forty fields:
        # the incremental path runs per confirmed order)
        return self.search_fetch(
            [
                ("company_id", "=", company.id),
                ("state", "=", "done"),
                ("applied", "=", True),
            ],
            self._apply_fields(),
            order="as_of_date desc, id desc",
            limit=1,
        )

    @api.model
    def _apply_last(self, company, as_of, partner_ids=None):
        """The incremental step: the last successful applied fit, applied to
        these customers (all if None) as of this date."""
        fit = self._last_applied(company)
        if fit:
            fit._apply(as_of=as_of, partner_ids=partner_ids)
        return fit

    def _apply_previous(self, as_of):
        """The last successful applied fit, applied again as of this date, so
        that the customers' figures age as usual while the new fit fails."""
        previous = self._last_applied(self.company_id)
        if not previous:
            return
        try:
            with self.env.cr.savepoint():
                previous._apply(as_of=as_of)
        except psycopg2.OperationalError:
            raise
        except Exception as error:  # noqa: BLE001 (figures stay as they are)
            _logger.warning(
                "applying lifetime value fit %s again failed: %r", previous.id, error
            )

    def _run(self, inputs=None):
        self.ensure_one()
        inputs = inputs or self._inputs(self.company_id, self.as_of_date)
        ids, x, t_x, T, monetary = inputs
        purchases, spend = clv_math.usable_rows(x, t_x, T, monetary)
        shift = 0.0
        if self.company_id.clv_nonpositive_spend == "shift":
            shift = clv_math_models.spend_shift(x[purchases], monetary[purchases])
            spend = clv_math.usable_rows(x, t_x, T, monetary + shift)[1]
        vals = {
            "run_date": fields.Datetime.now(),
            "customer_count": len(ids),
            "repeat_customer_count": int((x > 0).sum()),
            "bgnbd_excluded_count": int((~purchases).sum()),
            "gamma_gamma_excluded_count": int((purchases & (x > 0) & ~spend).sum()),
            "value_basis": self.company_id.clv_value_basis,
            "spend_shift": shift,
            "spend_correlation": clv_math_backtest.correlation(
                x[spend], monetary[spend]
            ),
            "line_ids": [fields.Command.clear()],
        }
        if not math.isfinite(vals["spend_correlation"]):
            vals["spend_correlation"] = 0.0
        try:
            bg, diagnostics = self._fit_model(self.model, x, t_x, T, purchases)
            gg = clv_math.fit_gamma_gamma(x[spend], monetary[spend] + shift)
        except clv_math.NotEnoughData as error:
            vals.update(
                state="failed",
                converged=False,
                message=self.env._(
                    "Not enough data to fit lifetime value as of %(date)s: "
                    "%(count)s customers bought again, at least %(min)s are "
                    "needed. (%(detail)s)",
                    date=self.as_of_date,
                    count=vals["repeat_customer_count"],
                    min=clv_math.MIN_REPEAT_CUSTOMERS,
                    detail=str(error),
                ),
            )
            self._write_result(vals)
            return
        params = (*bg[:4], gg.p, gg.q, gg.v)
        if not all(math.isfinite(value) and value > 0 for value in params):
            raise ValueError(
                self.env._(
                    "the models gave parameters that are not positive numbers "
                    "(%(params)s)",
                    params=", ".join(f"{value:g}" for value in params),
                )
            )
        vals.update(
            self._parameter_vals(self.model, bg),
            state="done",
            message="\n".join(self._notes(vals)) or False,
            bgnbd_log_likelihood=bg.log_likelihood,
            p=gg.p,
            q=gg.q,
            v=gg.v,
            gamma_gamma_log_likelihood=gg.log_likelihood,
            converged=bool(bg.converged and gg.converged),
            model_line_ids=[fields.Command.clear(), fields.Command.create(diagnostics)],
        )
        self._write_result(vals)
        if self.as_of_date < fields.Date.context_today(self):
            self._backtest(inputs, purchases, diagnostics)

    def _notes(self, vals):
        notes = []
        if vals["gamma_gamma_excluded_count"]:
            notes.append(
                self.env._(
                    "%(count)s repeat buyer(s) whose average repeat order is zero "
                    "or negative (free replacements, samples, credits or a "
                    "loss) were left out of the spend model; they count in "
                    "the purchase model, and their lifetime value uses the "
                    "population's average spend (revenue) or their own "
                    "average (margin, profit).",
                    count=vals["gamma_gamma_excluded_count"],
                )
            )
        if vals["spend_shift"]:
            notes.append(
                self.env._(
                    "Every repeat buyer's average value was raised by "
                    "%(shift).2f for the spend model, and its answers lowered "
                    "by as much again.",
                    shift=vals["spend_shift"],
                )
            )
        if vals["bgnbd_excluded_count"]:
            notes.append(
                self.env._(
                    "%(count)s customer(s) whose purchase summary the models "
                    "cannot take were left out of both; their lifetime value "
                    "is 0.",
                    count=vals["bgnbd_excluded_count"],
                )
            )
        return notes

    def _apply(self, as_of=None, partner_ids=None, inputs=None):
        """Write probability alive, expected purchases and CLV of the
        customers (all, or partner_ids; or those of `inputs`)."""
        self.ensure_one()
        if self.state != "done":
            raise UserError(self.env._("Only a successful fit can be applied."))
        company = self.company_id
        inputs = inputs or self._inputs(company, as_of or self.as_of_date, partner_ids)
        if inputs.ids:
            alive, expected, value = self._predict(inputs)
            query = SQL(  # arrays, not a dict per customer
                "SELECT * FROM unnest(%s::integer[], %s::float8[], %s::float8[],"
                " %s::float8[]) AS v(partner_id, %s)",
                value_sql.array(inputs.ids),
                value_sql.array(round(a, 4) for a in alive.tolist()),
                value_sql.array(round(e, 4) for e in expected.tolist()),
                value_sql.array(round(v, 2) for v in value.tolist()),
                SQL(", ").join(SQL.identifier(name) for name in CLV_FIELDS),
            )
            self.env["zhongzheng.value.writer"]._write_query(company, query, CLV_FIELDS)
        if not self.applied:  # the incremental path applies an applied fit
            self._write_result({"applied": True})
        return self

    def _predict(self, inputs):
        """(probability alive, expected purchases in CLV_PREDICTION_DAYS,
        lifetime value over the company's horizon) per customer."""
        return clv_math_models.predict(
            self.model,
            self._purchase_fit(),
            clv_math.GammaGammaFit(self.p, self.q, self.v, 0.0, True, 0),
            inputs[1:],
            days=CLV_PREDICTION_DAYS,
            months=self.company_id.clv_horizon_months,
            monthly_discount_rate=self.company_id.clv_monthly_discount_rate / 100.0,
            shift=self.spend_shift,
            keep_own=self.value_basis not in (False, "revenue"),
        )
