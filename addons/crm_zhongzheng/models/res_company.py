from odoo import api, fields, models
from odoo.exceptions import ValidationError

# The value score's and the health score's weights: {name: (label, default)},
# the settings value_weight_<name> and health_weight_<name>.
VALUE_WEIGHTS = {
    "current": ("Weight: Current Value", 35.0),
    "potential": ("Weight: Potential", 25.0),
    "loyalty": ("Weight: Loyalty", 20.0),
    "payment": ("Weight: Payment Behaviour", 10.0),
    "cost": ("Weight: Cost-to-Serve", 10.0),
}
HEALTH_WEIGHTS = {
    "rhythm": ("Health: Order Rhythm", 40.0),
    "alive": ("Health: Probability Alive", 10.0),
    "trend": ("Health: Revenue Trend", 25.0),
    "segment": ("Health: RFM Segment Down", 5.0),
    "service": ("Health: Service", 15.0),
    "payment": ("Health: Payment", 5.0),
}


def weight_settings(prefix, weights):
    """The settings table's rows of `weights`, named `prefix`<name>."""
    return {
        prefix + name: (fields.Float, label, default)
        for name, (label, default) in weights.items()
    }


# The plain company settings, declared once: name: (field type, label,
# default[, help]), made fields of the company below (declare_settings).
VALUE_SETTING_FIELDS = {
    "value_window_days": (
        fields.Integer,
        "Analysis Window (days)",
        365,
        (
            "Revenue, margin, RFM and ABC are measured over this many days "
            "up to the analysis date."
        ),
    ),
    "abc_a_share": (
        fields.Float,
        "ABC: A up to (%)",
        80.0,
        "Customers making the first part of cumulative revenue are A.",
    ),
    "abc_b_share": (
        fields.Float,
        "ABC: B up to (%)",
        95.0,
        (
            "Customers after A, up to this share of cumulative revenue, are B; "
            "the rest are C."
        ),
    ),
    "clv_horizon_months": (fields.Integer, "CLV Horizon (months)", 12),
    "clv_monthly_discount_rate": (fields.Float, "CLV Monthly Discount Rate (%)", 1.0),
    **weight_settings("value_weight_", VALUE_WEIGHTS),
    # customer pyramid; the floor of the loss-making tier (code "lead", 铅层)
    "tier_lead_floor": (
        fields.Float,
        "Lead Floor",
        0.0,
        (
            "Customers whose net contribution (margin minus cost-to-serve) "
            "over the window is below this amount are in the lead tier."
        ),
    ),
    "tier_min_history_days": (
        fields.Integer,
        "Minimum History (days)",
        90,
        "Customers whose first order is more recent get no tier yet.",
    ),
    "tier_min_stay_days": (fields.Integer, "Minimum Stay in a Tier (days)", 90),
    "tier_hysteresis": (
        fields.Float,
        "Hysteresis Band (%)",
        5.0,
        (
            "A customer leaves its tier only once its cumulative share is "
            "this many points past the boundary."
        ),
    ),
    # relationship classes
    "class_loyal_min_orders": (fields.Integer, "Loyal: Minimum Orders in Window", 4),
    "class_loyal_max_gap_days": (fields.Integer, "Loyal: Longest Gap (days)", 120),
    "class_lost_after_days": (fields.Integer, "Lost after (days)", 180),
}
# customer health (客户健康度): signal weights, status thresholds, alerts
HEALTH_SETTING_FIELDS = {
    # each signal's weight (normalised to 100 points)
    **weight_settings("health_weight_", HEALTH_WEIGHTS),
    # status thresholds, alerts
    "health_trend_months": (
        fields.Integer,
        "Health: Trend Months",
        3,
        (
            "Revenue of the last this many months against the average of as "
            "many months in the year before them."
        ),
    ),
    "health_rhythm_start": (
        fields.Float,
        "Rhythm: Points from (gaps)",
        1.0,
        (
            "The order rhythm starts taking points off once this many of the "
            "customer's typical gaps have passed since its last order (1: its "
            "next order is overdue)."
        ),
    ),
    "health_rhythm_full": (
        fields.Float,
        "Rhythm: All Points at (gaps)",
        2.5,
        "The order rhythm takes its whole weight at this many typical gaps.",
    ),
    "health_watch_below": (
        fields.Float,
        "Watch below",
        80.0,
        "A health score below this is Watch (at or above: Healthy).",
    ),
    "health_at_risk_below": (fields.Float, "At Risk below", 70.0),
    "health_critical_below": (fields.Float, "Critical below", 40.0),
    "health_episode_days": (
        fields.Integer,
        "Episode Ends after (days)",
        30,
        (
            "A health alert's episode ends once the customer has been healthy "
            "or on watch this many days: only then can it be alerted again."
        ),
    ),
    "activity_cap_days": (
        fields.Integer,
        "One Automatic Activity per (days)",
        7,
        (
            "Follow-up rules give a customer at most one automatic activity "
            "in this many days, whichever rules match it."
        ),
    ),
}
HEALTH_SETTINGS = tuple(HEALTH_SETTING_FIELDS)
# cross-sell and up-sell recommendations (recommendation.py)
RECOMMENDATION_SETTING_FIELDS = {
    "recommendation_min_support": (
        fields.Float,
        "Recommendations: Minimum Support (%)",
        1.0,
        (
            "Two products go together once at least this share of the customers "
            "(and at least two of them) bought both."
        ),
    ),
    "recommendation_min_confidence": (
        fields.Float,
        "Recommendations: Minimum Confidence (%)",
        10.0,
        (
            "Product B is recommended to buyers of A once at least this share of "
            "A's buyers also bought B."
        ),
    ),
    "recommendation_count": (
        fields.Integer,
        "Recommendations per Customer",
        5,
    ),
    "recommendation_dismiss_days": (
        fields.Integer,
        "Recommendations: Dismissed for (days)",
        180,
        (
            "A product a salesperson dismisses for a customer is not "
            "recommended to it again for this many days."
        ),
    ),
}
RECOMMENDATION_SETTINGS = tuple(RECOMMENDATION_SETTING_FIELDS)
# The customer value settings: as fields of the company below. The CRM
# managers' settings wizard (wizards/value_settings.py) and Odoo's settings
# page (res_config_settings.py) derive theirs from these lists with
# setting_fields().
VALUE_SETTINGS = (
    *VALUE_SETTING_FIELDS,
    "tier_basis",
    "clv_model",
    "clv_value_basis",
    "clv_nonpositive_spend",
    "sale_block_risky",
    *HEALTH_SETTINGS,
    *RECOMMENDATION_SETTINGS,
)
# only on Odoo's settings page (administrators)
ADMIN_SETTINGS = ("followup_days", "followup_tier_ids", "pyramid_report_user_ids")


def declare_settings(table):
    """{name: field} of a table of settings {name: (field type, label,
    default[, help])}."""
    result = {}
    for name, (kind, string, default, *help_text) in table.items():
        extra = {"help": help_text[0]} if help_text else {}
        result[name] = kind(string=string, default=default, **extra)
    return result


class ResCompany(models.Model):
    _inherit = "res.company"

    locals().update(
        declare_settings(
            VALUE_SETTING_FIELDS | HEALTH_SETTING_FIELDS | RECOMMENDATION_SETTING_FIELDS
        )
    )

    tier_basis = fields.Selection(
        [("margin", "Margin"), ("revenue", "Revenue"), ("score", "Value Score")],
        default="margin",
        required=True,
        help="What ranks customers into platinum, gold and iron.",
    )
    clv_model = fields.Selection(
        [
            ("bgnbd", "BG/NBD"),
            ("pareto", "Pareto/NBD"),
            ("mbgnbd", "MBG/NBD"),
            ("best", "Best by Backtest"),
        ],
        string="Lifetime Value Model",
        default="bgnbd",
        required=True,
        help="The purchase model of the nightly lifetime value fit. Best by "
        "Backtest: the one that predicted the holdout of the last backtest "
        "best (BG/NBD until a backtest has run).",
    )
    clv_best_model = fields.Selection(
        [("bgnbd", "BG/NBD"), ("pareto", "Pareto/NBD"), ("mbgnbd", "MBG/NBD")],
        string="Best Model by Backtest",
        readonly=True,
        groups="crm_zhongzheng.group_crm_manager",
    )
    clv_value_basis = fields.Selection(
        [
            ("revenue", "Revenue"),
            ("margin", "Margin"),
            ("profit", "Margin minus Cost-to-Serve"),
        ],
        string="Lifetime Value of",
        default="revenue",
        required=True,
        help="What a purchase is worth in the lifetime value: its revenue, "
        "its margin, or its margin minus the customer's cost-to-serve per "
        "order so far (service and claims), carried forward.",
    )
    clv_nonpositive_spend = fields.Selection(
        [("exclude", "Leave Out"), ("shift", "Shift")],
        string="Zero or Negative Spend",
        default="exclude",
        required=True,
        help="The spend model takes positive values only. Leave Out: repeat "
        "buyers whose average is zero or negative are left out of it (and "
        "counted on the fit); Shift: every average is raised by one amount "
        "for the fit, and the answers lowered by it again.",
    )
    followup_days = fields.Integer(
        string="Follow-up Visit after (days)",
        default=7,
        help="Days after a delivery when a follow-up visit is scheduled.",
    )
    # internal settings: portal and public users read the company too
    followup_tier_ids = fields.Many2many(
        "zhongzheng.customer.tier",
        string="Follow-up Visits for Tiers",
        groups="base.group_user",
        help="Customers of these tiers get a follow-up visit after each delivery.",
    )
    # manager reports
    pyramid_report_user_ids = fields.Many2many(
        "res.users",
        "res_company_pyramid_report_user_rel",
        "company_id",
        "user_id",
        string="Pyramid Report Recipients",
        groups="base.group_user",
        # a list, so that the settings' related field gets it too; the
        # company is checked by the constraint
        domain=lambda self: [
            ("share", "=", False),
            ("groups_id", "in", self.env.ref("crm_zhongzheng.group_crm_manager").ids),
        ],
        help="CRM managers of the company who receive the customer pyramid PDF "
        "by e-mail each month.",
    )
    sale_block_risky = fields.Boolean(
        string="Block Risky Sales",
        help="Refuse to confirm a sale for a lead-tier customer or one whose "
        "overdue receivable exceeds its credit limit (otherwise only warn).",
    )

    def _clv_applied_model(self):
        """The purchase model of the nightly fit: the setting's, or the one
        the last backtest found best (BG/NBD before any backtest)."""
        self.ensure_one()
        if self.clv_model != "best":
            return self.clv_model
        return self.sudo().clv_best_model or "bgnbd"

    @api.constrains("pyramid_report_user_ids")
    def _check_pyramid_report_users(self):
        for company in self:
            wrong = company.pyramid_report_user_ids.filtered(
                lambda user, company=company: (
                    user.share
                    or company not in user.company_ids
                    or not user.has_group("crm_zhongzheng.group_crm_manager")
                )
            )
            if wrong:
                raise ValidationError(
                    self.env._(
                        "The customer pyramid shows margins and customer values: "
                        "only CRM managers of %(company)s can receive it (not "
                        "%(users)s).",
                        company=company.name,
                        users=", ".join(wrong.mapped("name")),
                    )
                )

    @api.constrains(*VALUE_SETTINGS)
    def _check_value_settings(self):
        for company in self:
            if company.value_window_days < 1:
                raise ValidationError(
                    self.env._("The analysis window must be at least one day.")
                )
            if not 0 < company.abc_a_share <= company.abc_b_share <= 100:
                raise ValidationError(
                    self.env._(
                        "ABC cut points must satisfy 0 < A <= B <= 100 (percent "
                        "of cumulative revenue)."
                    )
                )
            if company.clv_horizon_months < 1:
                raise ValidationError(
                    self.env._("The CLV horizon must be at least one month.")
                )
            if not 0 <= company.clv_monthly_discount_rate < 100:
                raise ValidationError(
                    self.env._("The monthly discount rate must be from 0 to 100%.")
                )
            if (
                min(
                    company.tier_min_history_days,
                    company.tier_min_stay_days,
                    company.class_loyal_min_orders,
                    company.class_loyal_max_gap_days,
                    company.class_lost_after_days,
                )
                < 0
                or not 0 <= company.tier_hysteresis < 100
            ):
                raise ValidationError(
                    self.env._(
                        "Tier and class settings must not be negative, and the "
                        "hysteresis band must be below 100%."
                    )
                )
            weights = company._value_weights()
            if min(weights.values()) < 0 or not sum(weights.values()):
                raise ValidationError(
                    self.env._(
                        "Value score weights must not be negative and must not "
                        "all be zero."
                    )
                )

    @api.constrains(*HEALTH_SETTINGS)
    def _check_health_settings(self):
        for company in self:
            weights = company._health_weights()
            if min(weights.values()) < 0 or not sum(weights.values()):
                raise ValidationError(
                    self.env._(
                        "Health signal weights must not be negative and must not "
                        "all be zero."
                    )
                )
            if not (
                0
                <= company.health_critical_below
                <= company.health_at_risk_below
                <= company.health_watch_below
                <= 100
            ):
                raise ValidationError(
                    self.env._(
                        "Health thresholds must satisfy 0 <= critical <= at risk "
                        "<= watch <= 100."
                    )
                )
            if not 0 <= company.health_rhythm_start < company.health_rhythm_full:
                raise ValidationError(
                    self.env._(
                        "The order rhythm's points must start at 0 gaps or more "
                        "and reach their whole weight later."
                    )
                )
            if (
                min(
                    company.health_trend_months,
                    company.health_episode_days,
                    company.activity_cap_days,
                )
                < 1
            ):
                raise ValidationError(
                    self.env._(
                        "The trend months, the episode days and the activity cap "
                        "days must be at least 1."
                    )
                )

    @api.constrains(*RECOMMENDATION_SETTINGS)
    def _check_recommendation_settings(self):
        for company in self:
            if not (
                0 <= company.recommendation_min_support <= 100
                and 0 <= company.recommendation_min_confidence <= 100
                and 1 <= company.recommendation_count <= 50
                and 1 <= company.recommendation_dismiss_days <= 3650
            ):
                raise ValidationError(
                    self.env._(
                        "Recommendation support and confidence must be from 0 to "
                        "100%, customers get from 1 to 50 recommendations, and a "
                        "dismissed one stays away from 1 to 3650 days."
                    )
                )

    def _weights(self, prefix, weights):
        """{name: weight} of the company's weight settings `prefix`<name>."""
        self.ensure_one()
        return {name: self[prefix + name] for name in weights}

    def _health_weights(self):
        """{signal group: weight in points, the weights normalised to 100}."""
        weights = self._weights("health_weight_", HEALTH_WEIGHTS)
        total = sum(weights.values()) or 1.0
        return {name: 100.0 * weight / total for name, weight in weights.items()}

    def _value_weights(self):
        return self._weights("value_weight_", VALUE_WEIGHTS)


def setting_fields(names, related):
    """{name: field} for a settings screen with a `company_id`, one per
    company setting, of the type the company declares: related to the
    company (Odoo's settings page writes through them), or with the
    company's label, help and choices but a value of its own until saved
    (the CRM managers' wizard)."""
    result = {}
    for name in names:
        declared = getattr(ResCompany, name)
        if related:
            result[name] = type(declared)(related=f"company_id.{name}", readonly=False)
        else:
            # the form's defaults are the company's values (default_get)
            args = {
                k: v
                for k, v in declared.args.items()
                if k not in ("default", "required")
            }
            result[name] = type(declared)(**args)
    return result
