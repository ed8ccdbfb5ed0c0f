from odoo import api, fields, models
from odoo.exceptions import ValidationError

# customer health (客户健康度): signal weights, status thresholds, alerts
HEALTH_SETTINGS = (
    "health_weight_rhythm",
    "health_weight_alive",
    "health_weight_trend",
    "health_weight_segment",
    "health_weight_service",
    "health_weight_payment",
    "health_trend_months",
    "health_watch_below",
    "health_at_risk_below",
    "health_critical_below",
    "health_episode_days",
    "activity_cap_days",
)
# The customer value settings, declared once: as fields of the company
# below. The CRM managers' settings wizard (wizards/value_settings.py) and
# Odoo's settings page (res_config_settings.py) derive theirs from these
# lists with setting_fields().
VALUE_SETTINGS = (
    "value_window_days",
    "abc_a_share",
    "abc_b_share",
    "clv_horizon_months",
    "clv_monthly_discount_rate",
    "value_weight_current",
    "value_weight_potential",
    "value_weight_loyalty",
    "value_weight_payment",
    "value_weight_cost",
    "tier_basis",
    "tier_lead_floor",
    "tier_min_history_days",
    "tier_min_stay_days",
    "tier_hysteresis",
    "class_loyal_min_orders",
    "class_loyal_max_gap_days",
    "class_lost_after_days",
    "sale_block_risky",
    *HEALTH_SETTINGS,
)
# only on Odoo's settings page (administrators)
ADMIN_SETTINGS = ("followup_days", "followup_tier_ids", "pyramid_report_user_ids")


class ResCompany(models.Model):
    _inherit = "res.company"

    value_window_days = fields.Integer(
        string="Analysis Window (days)",
        default=365,
        help="Revenue, margin, RFM and ABC are measured over this many days "
        "up to the analysis date.",
    )
    abc_a_share = fields.Float(
        string="ABC: A up to (%)",
        default=80.0,
        help="Customers making the first part of cumulative revenue are A.",
    )
    abc_b_share = fields.Float(
        string="ABC: B up to (%)",
        default=95.0,
        help="Customers after A, up to this share of cumulative revenue, are B; "
        "the rest are C.",
    )
    clv_horizon_months = fields.Integer(string="CLV Horizon (months)", default=12)
    clv_monthly_discount_rate = fields.Float(
        string="CLV Monthly Discount Rate (%)", default=1.0
    )
    value_weight_current = fields.Float(string="Weight: Current Value", default=35.0)
    value_weight_potential = fields.Float(string="Weight: Potential", default=25.0)
    value_weight_loyalty = fields.Float(string="Weight: Loyalty", default=20.0)
    value_weight_payment = fields.Float(
        string="Weight: Payment Behaviour", default=10.0
    )
    value_weight_cost = fields.Float(string="Weight: Cost-to-Serve", default=10.0)
    # customer pyramid
    tier_basis = fields.Selection(
        [("margin", "Margin"), ("revenue", "Revenue"), ("score", "Value Score")],
        default="margin",
        required=True,
        help="What ranks customers into platinum, gold and iron.",
    )
    # the floor of the loss-making tier (code "lead", 铅层)
    tier_lead_floor = fields.Float(
        string="Lead Floor",
        default=0.0,
        help="Customers whose net contribution (margin minus cost-to-serve) "
        "over the window is below this amount are in the lead tier.",
    )
    tier_min_history_days = fields.Integer(
        string="Minimum History (days)",
        default=90,
        help="Customers whose first order is more recent get no tier yet.",
    )
    tier_min_stay_days = fields.Integer(
        string="Minimum Stay in a Tier (days)", default=90
    )
    tier_hysteresis = fields.Float(
        string="Hysteresis Band (%)",
        default=5.0,
        help="A customer leaves its tier only once its cumulative share is "
        "this many points past the boundary.",
    )
    # relationship classes
    class_loyal_min_orders = fields.Integer(
        string="Loyal: Minimum Orders in Window", default=4
    )
    class_loyal_max_gap_days = fields.Integer(
        string="Loyal: Longest Gap (days)", default=120
    )
    class_lost_after_days = fields.Integer(string="Lost after (days)", default=180)
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

    # customer health: each signal's weight (normalised to 100 points)
    health_weight_rhythm = fields.Float(string="Health: Order Rhythm", default=40.0)
    health_weight_alive = fields.Float(string="Health: Probability Alive", default=10.0)
    health_weight_trend = fields.Float(string="Health: Revenue Trend", default=25.0)
    health_weight_segment = fields.Float(string="Health: RFM Segment Down", default=5.0)
    health_weight_service = fields.Float(string="Health: Service", default=15.0)
    health_weight_payment = fields.Float(string="Health: Payment", default=5.0)
    health_trend_months = fields.Integer(
        string="Health: Trend Months",
        default=3,
        help="Revenue of the last this many months against the average of as "
        "many months in the year before them.",
    )
    health_watch_below = fields.Float(
        string="Watch below",
        default=80.0,
        help="A health score below this is Watch (at or above: Healthy).",
    )
    health_at_risk_below = fields.Float(string="At Risk below", default=60.0)
    health_critical_below = fields.Float(string="Critical below", default=40.0)
    health_episode_days = fields.Integer(
        string="Episode Ends after (days)",
        default=30,
        help="A health alert's episode ends once the customer has been healthy "
        "or on watch this many days: only then can it be alerted again.",
    )
    activity_cap_days = fields.Integer(
        string="One Automatic Activity per (days)",
        default=7,
        help="Follow-up rules give a customer at most one automatic activity "
        "in this many days, whichever rules match it.",
    )

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

    def _health_weights(self):
        """{signal group: weight in points, the weights normalised to 100}."""
        self.ensure_one()
        weights = {
            name: self[f"health_weight_{name}"]
            for name in ("rhythm", "alive", "trend", "segment", "service", "payment")
        }
        total = sum(weights.values()) or 1.0
        return {name: 100.0 * weight / total for name, weight in weights.items()}

    def _value_weights(self):
        self.ensure_one()
        return {
            "current": self.value_weight_current,
            "potential": self.value_weight_potential,
            "loyalty": self.value_weight_loyalty,
            "payment": self.value_weight_payment,
            "cost": self.value_weight_cost,
        }


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
