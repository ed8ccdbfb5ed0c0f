from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .company_settings import (
    HEALTH_SETTING_FIELDS,
    HEALTH_SETTINGS,
    HEALTH_WEIGHTS,
    RECOMMENDATION_METHODS,
    RECOMMENDATION_SETTING_FIELDS,
    RECOMMENDATION_SETTINGS,
    VALUE_SETTING_FIELDS,
    VALUE_SETTINGS,
    VALUE_WEIGHTS,
    declare_settings,
)


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
    # installed devices: maintenance visits and recalls
    device_maintenance_days = fields.Integer(
        string="Maintenance Visits ahead (days)",
        default=30,
        help="A maintenance visit ticket is opened for each device whose "
        "maintenance falls due within this many days.",
    )
    device_team_id = fields.Many2one(
        "zhongzheng.service.team",
        string="Device Service Team",
        groups="base.group_user",
        help="The team that gets maintenance visits and recall tickets; "
        "empty: the company's first service team.",
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
    service_portal_hourly_limit = fields.Integer(
        string="Portal Requests per Hour",
        default=5,
        groups="base.group_user",
        help="A customer opens at most this many service tickets from the portal "
        "in an hour (all its contacts together).",
    )
    sale_block_risky = fields.Boolean(
        string="Block Risky Sales",
        help="Refuse to confirm a sale for a lead-tier customer or one whose "
        "overdue receivable exceeds its credit limit (otherwise only warn).",
    )

    # set by the recommendation backtest (recommendation_backtest.py)
    recommendation_method = fields.Selection(
        RECOMMENDATION_METHODS,
        default="co_purchase",
        required=True,
        readonly=True,
        help="How the nightly run recommends: from the products each customer "
        "buys (co-purchase), or everyone the best sellers it has not bought "
        "when co-purchase did not beat them in the last complete backtest.",
    )
    recommendation_backtest_id = fields.Many2one(
        "zhongzheng.recommendation.backtest",
        string="Recommendation Method Chosen by",
        readonly=True,
        ondelete="set null",
        groups="crm_zhongzheng.group_crm_manager",
    )

    def _device_team(self):
        """The team of maintenance visits and recall tickets."""
        self.ensure_one()
        return self.sudo().device_team_id or self.env[
            "zhongzheng.service.team"
        ].sudo().search([("company_id", "in", [self.id, False])], limit=1)

    @api.constrains("device_maintenance_days", "device_team_id")
    def _check_device_settings(self):
        for company in self:
            if not 0 <= company.device_maintenance_days <= 366:
                raise ValidationError(
                    self.env._("Maintenance visits open 0 to 366 days ahead.")
                )
            team = company.sudo().device_team_id
            if team.company_id and team.company_id != company:
                raise ValidationError(
                    self.env._(
                        "The device service team must be one of %(company)s.",
                        company=company.name,
                    )
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

    @api.constrains("service_portal_hourly_limit")
    def _check_service_portal_hourly_limit(self):
        if any(company.service_portal_hourly_limit < 1 for company in self):
            raise ValidationError(
                self.env._(
                    "Customers must be able to open at least one request an hour."
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
                and company.recommendation_backtest_min_customers >= 1
            ):
                raise ValidationError(
                    self.env._(
                        "Recommendation support and confidence must be from 0 to "
                        "100%, customers get from 1 to 50 recommendations, a "
                        "dismissed one stays away from 1 to 3650 days, and a "
                        "backtest decides from one customer or more."
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
