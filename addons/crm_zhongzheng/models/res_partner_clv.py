"""How sure a customer's lifetime value is: the 80% range of its purchases
in the next 90 days and of its lifetime value, from the predictive
distribution of the last applied fit's purchase model (CRM managers only:
lifetime value is money). Computed when read, for the customers read: the
nightly recompute does not pay for it."""

import numpy as np

from odoo import fields, models

from . import clv_math_models, clv_math_uncertainty
from .clv_fit import CLV_PREDICTION_DAYS
from .res_partner import MANAGER

COVERAGE = 0.8
DAYS_PER_MONTH = 30.0


class ResPartnerClv(models.Model):
    # a room of its own: the model's files stay under 500 lines
    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    clv_purchases_low = fields.Integer(
        string="Purchases (90 days) from",
        compute="_compute_clv_range",
        groups=MANAGER,
        help="With 80% probability the customer buys on at least this many "
        "and at most 'to' days in the next 90 days, by the purchase model.",
    )
    clv_purchases_high = fields.Integer(
        string="Purchases (90 days) to", compute="_compute_clv_range", groups=MANAGER
    )
    clv_value_low = fields.Float(
        string="Lifetime Value from",
        digits="Account",
        compute="_compute_clv_range",
        groups=MANAGER,
        help="The lifetime value if the customer bought as few times over "
        "the horizon as the low end of its 80% range (spend as expected).",
    )
    clv_value_high = fields.Float(
        string="Lifetime Value to",
        digits="Account",
        compute="_compute_clv_range",
        groups=MANAGER,
    )

    def _compute_clv_range(self):
        self.update(
            {
                "clv_purchases_low": 0,
                "clv_purchases_high": 0,
                "clv_value_low": 0.0,
                "clv_value_high": 0.0,
            }
        )
        company = self.env.company
        fit = self.env["zhongzheng.clv.fit"]._last_applied(company)
        commercial = self.commercial_partner_id
        if not fit or not commercial:
            return
        today = fields.Date.context_today(self)
        inputs = fit._inputs(company, max(today, fit.as_of_date), commercial.ids)
        if not inputs.ids:
            return
        ranges = self._clv_ranges(fit, inputs)
        for partner in self:
            found = ranges.get(partner.commercial_partner_id.id)
            if found:
                partner.update(found)

    def _clv_ranges(self, fit, inputs):
        """{commercial partner id: range values} of the customers of inputs."""
        ids, x, t_x, T, _monetary = inputs
        purchase_fit = fit._purchase_fit()
        low, high = clv_math_uncertainty.purchase_range(
            fit.model, purchase_fit, CLV_PREDICTION_DAYS, x, t_x, T, COVERAGE
        )
        horizon = fit.company_id.clv_horizon_months * DAYS_PER_MONTH
        low_h, high_h = clv_math_uncertainty.purchase_range(
            fit.model, purchase_fit, horizon, x, t_x, T, COVERAGE
        )
        mean_h = clv_math_models.expected_purchases(
            fit.model, purchase_fit, horizon, x, t_x, T
        )
        value = fit._predict(inputs)[2]
        # the value scales with the number of purchases at the expected spend
        # and the average discount of the horizon
        per_purchase = np.where(
            mean_h > 0, value / np.where(mean_h > 0, mean_h, 1), 0.0
        )
        return {
            pid: {
                "clv_purchases_low": int(low[i]),
                "clv_purchases_high": int(high[i]),
                "clv_value_low": float(per_purchase[i] * low_h[i]),
                "clv_value_high": float(per_purchase[i] * high_h[i]),
            }
            for i, pid in enumerate(ids)
        }
