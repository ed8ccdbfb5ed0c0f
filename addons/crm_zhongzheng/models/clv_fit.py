from datetime import timedelta

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from . import clv_math


class ClvFit(models.Model):
    """A BG/NBD + Gamma-Gamma fit over a company's customers as of a date.

    A fit as of a past date is a backtest: it compares the repeat purchases
    it predicts for the period after that date with those that happened."""

    _name = "zhongzheng.clv.fit"
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
        [("draft", "Draft"), ("done", "Fitted"), ("failed", "Not Enough Data")],
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
            fit._run()
        return True

    @api.model
    def _fit(self, company, as_of=None, apply=False):
        """Fit (and apply) as of a date; nothing for a company without any
        customer, where a fit could only fail."""
        as_of = as_of or fields.Date.context_today(self)
        inputs = self.env["zhongzheng.value.engine"]._clv_inputs(company, as_of)
        if not inputs[0]:
            return self.browse()
        fit = self.create({"company_id": company.id, "as_of_date": as_of})
        fit._run(inputs)
        if apply and fit.state == "done":
            fit._apply(inputs=inputs)  # the same customers, as of the same day
        return fit

    def _run(self, inputs=None):
        self.ensure_one()
        engine = self.env["zhongzheng.value.engine"]
        ids, x, t_x, T, monetary = inputs or engine._clv_inputs(
            self.company_id, self.as_of_date
        )
        vals = {
            "run_date": fields.Datetime.now(),
            "customer_count": len(ids),
            "repeat_customer_count": int((x > 0).sum()),
            "line_ids": [fields.Command.clear()],
        }
        try:
            bg = clv_math.fit_bgnbd(x, t_x, T)
            gg = clv_math.fit_gamma_gamma(x, monetary)
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
        vals.update(
            state="done",
            message=False,
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
