"""The company's settings as tables: {name: (field type, label, default[,
help])}, declared on res.company (res_company.py) and shown on Odoo's settings
page and the CRM managers' wizard."""

from odoo import fields

# The value score's and the health score's weights: {name: (label, default)},
# the settings value_weight_<name> and health_weight_<name>.
VALUE_WEIGHTS = {
    "current": ("Weight: Current Value", 35.0),
    "potential": ("Weight: Potential", 25.0),
    "loyalty": ("Weight: Loyalty", 20.0),
    "payment": ("Weight: Payment Behaviour", 10.0),
    "cost": ("Weight: Cost-to-Serve", 10.0),
}
# how the nightly run recommends (the recommendation backtest chooses)
RECOMMENDATION_METHODS = [
    ("co_purchase", "Co-purchase"),
    ("popularity", "Best Sellers"),
]
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
    "recommendation_backtest_min_customers": (
        fields.Integer,
        "Recommendations: Backtest Decides from (customers)",
        30,
        (
            "A recommendation backtest chooses the nightly method only when at "
            "least this many customers bought something new in the 90 days "
            "after its date."
        ),
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
ADMIN_SETTINGS = (
    "followup_days",
    "followup_tier_ids",
    "service_portal_hourly_limit",
    "pyramid_report_user_ids",
    "device_maintenance_days",
    "device_team_id",
)


def declare_settings(table):
    """{name: field} of a table of settings {name: (field type, label,
    default[, help])}."""
    result = {}
    for name, (kind, string, default, *help_text) in table.items():
        extra = {"help": help_text[0]} if help_text else {}
        result[name] = kind(string=string, default=default, **extra)
    return result
