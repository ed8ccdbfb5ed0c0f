import logging
import math
from datetime import timedelta

import numpy as np
import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from . import clv_math

_logger = logging.getLogger(__name__)
CRM_MANAGER = "crm_zhongzheng.group_crm_manager"


class ClvFit(models.Model):
    """A BG/NBD + Gamma-Gamma fit over a company's customers as of a date.

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
    bgnbd_log_likelihood = fields.Float(
        string="BG/NBD Log-Likelihood", digits=(16, 4), readonly=True
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
        Does not change the customers' figures: the nightly recompute does."""
        for fit in self:
            try:
                fit._run()
            except ValueError as error:
                raise UserError(str(error)) from error
        return True

    @api.model
    def _fit(self, company, as_of=None, apply=False):
        """Fit (and apply) as of a date; nothing for a company without any
        customer, where a fit could only fail.

        Never raises for the data's sake: a fit that fails is kept as a fit
        in state Failed with the reason, logged, and given to the company's
        CRM managers as an activity (once until a fit succeeds again); when
        applying, the customers then keep the last successful fit, applied as
        of this date. The rest of a recompute goes on either way."""
        as_of = as_of or fields.Date.context_today(self)
        inputs = self.env["zhongzheng.value.engine"]._clv_inputs(company, as_of)
        if not inputs[0]:
            return self.browse()
        fit = self.create({"company_id": company.id, "as_of_date": as_of})
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

    def _record_error(self, error):
        self.ensure_one()
        self.write(
            {
                "state": "error",
                "run_date": fields.Datetime.now(),
                "converged": False,
                "applied": False,
                "message": self.env._(
                    "The lifetime value fit as of %(date)s failed: %(error)s. "
                    "The customers keep the lifetime value of the last "
                    "successful fit; their facts, ranks, tiers and classes "
                    "are recomputed as usual.",
                    date=self.as_of_date,
                    error=str(error) or type(error).__name__,
                ),
            }
        )
        _logger.warning(
            "lifetime value fit %s of company %s as of %s failed: %r",
            self.id,
            self.company_id.id,
            self.as_of_date,
            error,
        )
        self._notify_failure()

    def _company_managers(self):
        return self.env["res.users"].search(
            [
                ("share", "=", False),
                ("groups_id", "in", self.env.ref(CRM_MANAGER).ids),
                ("company_ids", "in", self.company_id.ids),
            ]
        )

    def _failure_activities(self):
        failed = self.search(
            [("company_id", "=", self.company_id.id), ("state", "=", "error")]
        )
        return (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", failed.ids),
                    (
                        "activity_type_id",
                        "=",
                        self.env.ref("mail.mail_activity_data_todo").id,
                    ),
                ]
            )
        )

    def _notify_failure(self):
        """A to-do for each CRM manager of the company who has none open for
        a failed fit yet: once, not every night."""
        self.ensure_one()
        notified = self._failure_activities().user_id
        for user in self._company_managers() - notified:
            self.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=user.id,
                summary=self.env._("Lifetime value fit failed"),
                note=self.message,
            )

    def _close_failure_activities(self):
        self.ensure_one()
        activities = self._failure_activities()
        if activities:
            activities.action_feedback(
                feedback=self.env._(
                    "The fit as of %(date)s succeeded.", date=self.as_of_date
                )
            )

    def _apply_previous(self, as_of):
        """The last successful applied fit, applied again as of this date, so
        that the customers' figures age as usual while the new fit fails."""
        previous = self.search(
            [
                ("company_id", "=", self.company_id.id),
                ("state", "=", "done"),
                ("applied", "=", True),
            ],
            order="as_of_date desc, id desc",
            limit=1,
        )
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
        engine = self.env["zhongzheng.value.engine"]
        ids, x, t_x, T, monetary = inputs or engine._clv_inputs(
            self.company_id, self.as_of_date
        )
        purchases, spend = clv_math.usable_rows(x, t_x, T, monetary)
        vals = {
            "run_date": fields.Datetime.now(),
            "customer_count": len(ids),
            "repeat_customer_count": int((x > 0).sum()),
            "bgnbd_excluded_count": int((~purchases).sum()),
            "gamma_gamma_excluded_count": int((purchases & (x > 0) & ~spend).sum()),
            "line_ids": [fields.Command.clear()],
        }
        try:
            bg = clv_math.fit_bgnbd(x[purchases], t_x[purchases], T[purchases])
            gg = clv_math.fit_gamma_gamma(x[spend], monetary[spend])
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
            self.write(vals)
            return
        params = (bg.r, bg.alpha, bg.a, bg.b, gg.p, gg.q, gg.v)
        if not all(math.isfinite(value) and value > 0 for value in params):
            raise ValueError(
                self.env._(
                    "the models gave parameters that are not positive numbers "
                    "(%(params)s)",
                    params=", ".join(f"{value:g}" for value in params),
                )
            )
        notes = []
        if vals["gamma_gamma_excluded_count"]:
            notes.append(
                self.env._(
                    "%(count)s repeat buyer(s) whose average repeat order is zero "
                    "or negative (free replacements, samples or credits) were "
                    "left out of the spend model; they count in the purchase "
                    "model, and their lifetime value uses the population's "
                    "average spend.",
                    count=vals["gamma_gamma_excluded_count"],
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
        vals.update(
            state="done",
            message="\n".join(notes) or False,
            r=bg.r,
            alpha=bg.alpha,
            a=bg.a,
            b=bg.b,
            bgnbd_log_likelihood=bg.log_likelihood,
            p=gg.p,
            q=gg.q,
            v=gg.v,
            gamma_gamma_log_likelihood=gg.log_likelihood,
            converged=bool(bg.converged and gg.converged),
        )
        self.write(vals)
        today = fields.Date.context_today(self)
        if self.as_of_date < today:
            self._backtest(ids, x, t_x, T, monetary, (today - self.as_of_date).days)

    def _backtest(self, ids, x, t_x, T, monetary, days):
        """Predicted vs actual repeat purchase days in (as_of, as_of + days]."""
        start = fields.Datetime.to_datetime(self.as_of_date) + timedelta(days=1)
        self.env.cr.execute(
            SQL(
                """
            SELECT p.commercial_partner_id, COUNT(DISTINCT so.date_order::date)
              FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
             WHERE so.company_id = %s AND so.state = 'sale'
               AND so.date_order >= %s AND so.date_order < %s
             GROUP BY 1
            """,
                self.company_id.id,
                start,
                start + timedelta(days=days),
            )
        )
        actual = dict(self.env.cr.fetchall())
        bg = clv_math.BGNBDFit(self.r, self.alpha, self.a, self.b, 0.0, True, 0)
        predicted = clv_math.bgnbd_expected_purchases(bg, days, x, t_x, T)
        lines = [
            {
                "fit_id": self.id,
                "partner_id": pid,
                "frequency": int(x[i]),
                "recency": int(t_x[i]),
                "age": int(T[i]),
                "monetary": float(monetary[i]),
                "predicted": float(predicted[i]),
                "actual": actual.get(pid, 0),
            }
            for i, pid in enumerate(ids)
        ]
        self.env["zhongzheng.clv.fit.line"].create(lines)
        self.write(
            {
                "backtest_days": days,
                "backtest_predicted": float(np.nansum(predicted)),
                "backtest_actual": sum(actual.get(pid, 0) for pid in ids),
            }
        )

    def _apply(self, as_of=None, partner_ids=None, inputs=None):
        """Write probability alive, expected purchases and CLV of the
        customers (all, or partner_ids) from this fit's parameters; inputs
        are the engine's _clv_inputs when the caller has them already."""
        self.ensure_one()
        if self.state != "done":
            raise UserError(self.env._("Only a successful fit can be applied."))
        company = self.company_id
        as_of = as_of or self.as_of_date
        engine = self.env["zhongzheng.value.engine"]
        ids, x, t_x, T, monetary = inputs or engine._clv_inputs(
            company, as_of, partner_ids
        )
        if ids:
            alive, expected, value = engine._clv_predict(
                self,
                x,
                t_x,
                T,
                monetary,
                company.clv_horizon_months,
                company.clv_monthly_discount_rate / 100.0,
            )
            engine._write_clv(company, ids, alive, expected, value)
        self.applied = True


class ClvFitLine(models.Model):
    _name = "zhongzheng.clv.fit.line"
    _description = "Customer Lifetime Value Backtest Line"
    _order = "predicted desc, id"

    fit_id = fields.Many2one(
        "zhongzheng.clv.fit", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    frequency = fields.Integer(help="Repeat purchase days up to the as-of date.")
    recency = fields.Integer(help="Days from the first to the last purchase day.")
    age = fields.Integer(help="Days from the first purchase day to the as-of date.")
    monetary = fields.Float(string="Average Repeat Order Value", digits=(16, 2))
    predicted = fields.Float(string="Predicted Repeat Purchases", digits=(16, 3))
    actual = fields.Integer(string="Actual Repeat Purchases")
