"""Customer care on the calendar (客户关怀): follow-up rules that fire on a
date that matters to a customer rather than on its tier, class or health:
a contact's birthday, the anniversary of the first order, a date field of
the customer's the company chooses (e.g. its registration certificate's
expiry), or its expected next order. The rules share the engine of
activity_rule.py and its per-customer cap; each customer gets one activity
per rule and date, due on the date itself."""

from calendar import isleap
from datetime import date, timedelta

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import ValidationError

CARE_DATES = [
    ("birthday", "A Contact's Birthday"),
    ("first_order", "Anniversary of the First Order"),
    ("field", "A Date of the Customer's"),
    ("next_order", "Expected Next Order"),
]


def next_anniversary(day, today):
    """The first anniversary of `day` on or after `today` (29 February
    falls on the 28th in other years)."""
    for year in (today.year, today.year + 1):
        month_day = (day.month, day.day)
        if month_day == (2, 29) and not isleap(year):
            month_day = (2, 28)
        candidate = date(year, *month_day)
        if candidate >= today:
            return candidate
    return None


class ActivityRule(models.Model):
    _inherit = "zhongzheng.activity.rule"

    care_date = fields.Selection(
        CARE_DATES,
        help="Set: the rule fires on this date of each customer of its tiers "
        "(and other criteria), Days Before it, and the activity is due on the "
        "date. Empty: the rule fires on tier, class, health or segment.",
    )
    days_before = fields.Integer(
        default=7,
        help="How many days ahead of the date the activity is scheduled.",
    )
    date_field_id = fields.Many2one(
        "ir.model.fields",
        string="Customer Date",
        ondelete="cascade",
        domain=[("model", "=", "res.partner"), ("ttype", "=", "date")],
        help="The customer's date the rule watches, e.g. Registration "
        "Certificate Expiry.",
    )

    @api.constrains("care_date", "days_before", "date_field_id", "health_trigger")
    def _check_care_date(self):
        for rule in self.filtered("care_date"):
            if not 0 <= rule.days_before <= 366:
                raise ValidationError(
                    self.env._("Days Before must be between 0 and 366.")
                )
            if rule.health_trigger:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s fires on a date: leave its Health empty "
                        "(health alerts have rules of their own).",
                        rule=rule.name,
                    )
                )
            field = rule.date_field_id
            if rule.care_date == "field" and not (
                field
                and field.model == "res.partner"
                and field.ttype == "date"
                and field.store
            ):
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s: choose a stored date field of the "
                        "customer (e.g. Registration Certificate Expiry).",
                        rule=rule.name,
                    )
                )

    # ------------------------------------------------------------------
    # the dates
    # ------------------------------------------------------------------
    def _care_dates(self, partners, today):
        """(customer id, date, what) of every care date of `partners`
        (commercial partners, in the rule's company) from today to Days
        Before ahead."""
        self.ensure_one()
        horizon = today + timedelta(days=self.days_before)
        found = []
        if self.care_date == "birthday":
            contacts = (
                self.env["res.partner"]
                .sudo()
                .search(
                    [
                        ("commercial_partner_id", "in", partners.ids),
                        ("birthday", "!=", False),
                    ]
                )
            )
            for contact in contacts:
                day = next_anniversary(contact.birthday, today)
                what = self.env._("Birthday of %(name)s", name=contact.name)
                found.append((contact.commercial_partner_id.id, day, what))
        elif self.care_date == "first_order":
            for partner in partners.filtered("first_sale_date"):
                day = next_anniversary(partner.first_sale_date, today)
                years = day.year - partner.first_sale_date.year
                if years >= 1:
                    what = self.env._(
                        "%(years)s years since the first order", years=years
                    )
                    found.append((partner.id, day, what))
        elif self.care_date == "field":
            name = self.date_field_id.name
            label = self.date_field_id.field_description
            for partner in partners.filtered(name):
                found.append((partner.id, partner[name], label))
        elif self.care_date == "next_order":
            gaps = self.env["zhongzheng.customer.health"]._expected_gaps(
                self.company_id, partners, today
            )
            for partner_id, (last_day, gap) in gaps.items():
                what = self.env._(
                    "Expected next order (orders every %(gap)s days)", gap=round(gap)
                )
                found.append((partner_id, last_day + timedelta(days=round(gap)), what))
        return [row for row in found if row[1] and today <= row[1] <= horizon]

    def _apply_care(self):
        """One activity per customer and date, due on the date, unless the
        customer had an automatic activity in the cap days (it gets it on a
        later night while the date is still ahead) or already got this
        rule's activity for this date; returns the activities made."""
        self.ensure_one()
        Alert = self.env["zhongzheng.customer.alert"].sudo()
        company = self.company_id
        today = fields.Date.context_today(self)
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_company(company)
            .search(self._partner_domain())
        )
        done = {
            (alert.partner_id.id, alert.care_date)
            for alert in Alert.search(
                [("rule_id", "=", self.id), ("care_date", ">=", today)]
            )
        }
        busy = Alert._busy_partner_ids(company)
        by_id = {p.id: p for p in partners}
        partner_model_id = self.env["ir.model"]._get_id("res.partner")
        values, dates = [], []
        for partner_id, day, what in sorted(self._care_dates(partners, today)):
            if partner_id in busy or (partner_id, day) in done:
                continue
            busy.add(partner_id)  # the cap holds within the run too
            partner = by_id[partner_id]
            values.append(
                {
                    "res_model_id": partner_model_id,
                    "res_id": partner_id,
                    "activity_type_id": self.activity_type_id.id,
                    "summary": self.summary,
                    "note": Markup("<p>%s: %s</p>")
                    % (escape(what), escape(fields.Date.to_string(day))),
                    "date_deadline": day,
                    "user_id": (self.user_id or partner.user_id or self.create_uid).id,
                }
            )
            dates.append(day)
        activities = self.env["mail.activity"].sudo().create(values)
        Alert._log(self, activities, care_dates=dates)
        return activities


class CustomerAlert(models.Model):
    _inherit = "zhongzheng.customer.alert"

    care_date = fields.Date(
        help="For a care rule: the date the activity is for (one per "
        "customer, rule and date)."
    )
