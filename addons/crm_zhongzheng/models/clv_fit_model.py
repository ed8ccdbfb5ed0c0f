"""Per purchase model of a fit: its parameters with their standard errors,
log-likelihood, convergence and fit time, and (in a backtest) how well it
predicted the holdout."""

import math
import time

from odoo import fields, models

from . import clv_math_models, clv_math_uncertainty
from .clv_fit import MODEL_CHOICES

# the stored parameters of each model, in the order of its fit tuple
PARAMETERS = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "pareto": ("r", "alpha", "s", "beta"),
    "mbgnbd": ("r", "alpha", "a", "b"),
}


def _parameter(name, error=False):
    """A fitted parameter, or its standard error."""
    if error:
        return fields.Float(
            digits=(16, 6), readonly=True, string=f"SE {name}", help="Standard error."
        )
    return fields.Float(digits=(16, 6), readonly=True, string=name)


class ClvFitModel(models.Model):
    _name = "zhongzheng.clv.fit.model"
    _description = "Customer Lifetime Value Fit: Purchase Model"
    _order = "fit_id, mae, id"

    fit_id = fields.Many2one(
        "zhongzheng.clv.fit", required=True, ondelete="cascade", index=True
    )
    model = fields.Selection(MODEL_CHOICES, required=True, readonly=True)
    r = _parameter("r")
    alpha = _parameter("alpha")
    a = _parameter("a")
    b = _parameter("b")
    s = _parameter("s")
    beta = _parameter("beta")
    se_r = _parameter("r", error=True)
    se_alpha = _parameter("alpha", error=True)
    se_a = _parameter("a", error=True)
    se_b = _parameter("b", error=True)
    se_s = _parameter("s", error=True)
    se_beta = _parameter("beta", error=True)
    log_likelihood = fields.Float(digits=(16, 2), readonly=True)
    converged = fields.Boolean(readonly=True)
    seconds = fields.Float(string="Fit Time (s)", digits=(16, 2), readonly=True)
    message = fields.Char(readonly=True)
    predicted = fields.Float(
        string="Predicted Holdout Purchases", digits=(16, 1), readonly=True
    )
    mae = fields.Float(
        string="Mean Absolute Error",
        digits=(16, 6),
        readonly=True,
        help="Average over the customers of |predicted - actual| repeat "
        "purchases in the holdout: the lower, the better.",
    )


class ClvFitModels(models.Model):
    # a room of its own: the model's files stay under 500 lines
    _inherit = "zhongzheng.clv.fit"  # pylint: disable=consider-merging-classes-inherited

    model_line_ids = fields.One2many(
        "zhongzheng.clv.fit.model", "fit_id", string="Models", readonly=True
    )

    def _fit_model(self, model, x, t_x, T, purchases):
        """(fit tuple, zhongzheng.clv.fit.model values) of the purchase model
        on the customers it can take; standard errors from the curvature of
        its log-likelihood (NaN, stored as 0, where it is flat)."""
        start = time.monotonic()
        fit = clv_math_models.fit_purchases(
            model, x[purchases], t_x[purchases], T[purchases]
        )
        seconds = time.monotonic() - start
        errors = clv_math_uncertainty.standard_errors(
            model, fit, x[purchases], t_x[purchases], T[purchases]
        )
        vals = {
            "model": model,
            "log_likelihood": fit.log_likelihood,
            "converged": bool(fit.converged),
            "seconds": seconds,
            **self._parameter_vals(model, fit),
        }
        for name, error in zip(PARAMETERS[model], errors, strict=True):
            vals[f"se_{name}"] = float(error) if math.isfinite(error) else 0.0
        return fit, vals

    def _parameter_vals(self, model, fit):
        return {
            name: float(value)
            for name, value in zip(PARAMETERS[model], fit[:4], strict=True)
        }

    def _apply_fields(self):
        """The fields applying a fit reads (_apply, _predict): its own and
        every purchase model's parameters."""
        names = {name for names in PARAMETERS.values() for name in names}
        return [
            "company_id",
            "as_of_date",
            "state",
            "applied",
            "model",
            "value_basis",
            "spend_shift",
            "p",
            "q",
            "v",
            *sorted(names),
        ]

    def _purchase_fit(self):
        """The fit tuple of the record's purchase model."""
        self.ensure_one()
        return clv_math_models.make_fit(
            self.model, [self[name] for name in PARAMETERS[self.model]]
        )
