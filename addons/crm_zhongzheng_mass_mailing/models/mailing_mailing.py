"""A mailing aimed at a customer selection of the addon (tier, class, RFM
segment, ABC class, health, a product recommended to them, saved segment,
chosen customers), with a holdout
control group drawn when it is sent and the attribution window its result
is measured over (report/campaign_result.py)."""

import random
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from odoo.addons.crm_zhongzheng.models.health_states import HEALTH_STATES
from odoo.addons.crm_zhongzheng.models.relationship_history import CLASSES

from .campaign_member import control_size

MARKETING_USER = "mass_mailing.group_mass_mailing_user"
# below this many customers in a group, no difference is conclusive
MIN_GROUP = 30
SELECTION_FIELDS = (
    "customer_tier_ids",
    "customer_relationship_class",
    "customer_rfm_segment_ids",
    "customer_abc_class",
    "customer_health_status",
    "customer_recommended_product_id",
    "customer_segment_id",
    "customer_partner_ids",
)
# what the draw at send time fixed: it changes for nobody afterwards
DRAWN_FIELDS = {
    "customer_target",
    "customer_recipients",
    "holdout_percent",
    "holdout_seed",
    "company_id",
    *SELECTION_FIELDS,
}


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        help="Whose customer figures (tiers, classes, health) select the "
        "customers, and whose orders measure the result.",
    )
    customer_target = fields.Boolean(
        string="Target Customers",
        help="Send to the customers of a tier, class, RFM segment, ABC class, "
        "health status or saved segment, as they stand when the mailing is sent.",
    )
    customer_tier_ids = fields.Many2many("zhongzheng.customer.tier", string="Tiers")
    customer_relationship_class = fields.Selection(CLASSES, string="Relationship Class")
    customer_rfm_segment_ids = fields.Many2many(
        "zhongzheng.rfm.segment", string="RFM Segments"
    )
    customer_abc_class = fields.Selection(
        [("a", "A"), ("b", "B"), ("c", "C")], string="ABC Class"
    )
    customer_health_status = fields.Selection(HEALTH_STATES, string="Health")
    customer_recommended_product_id = fields.Many2one(
        "product.product",
        string="Recommended Product",
        help="The customers to whom this product is recommended (cross-sell, "
        "up-sell, consumables, best sellers) when the mailing is sent.",
    )
    customer_segment_id = fields.Many2one(
        "zhongzheng.customer.segment", string="Saved Segment"
    )
    customer_partner_ids = fields.Many2many(
        "res.partner",
        "mailing_mailing_customer_partner_rel",
        string="Chosen Customers",
        help="Only these customers (their companies), if any are chosen.",
    )
    customer_recipients = fields.Selection(
        [
            ("customer", "The Customer's Address"),
            ("contacts", "Contacts Receiving Campaigns"),
        ],
        string="Send To",
        default="customer",
        required=True,
        help="The customer's own e-mail address, or those of its contacts "
        "marked as receiving campaigns.",
    )
    customer_selection_label = fields.Char(
        string="Customer Selection",
        compute="_compute_customer_selection_label",
        store=True,
    )
    holdout_percent = fields.Float(
        string="Control Group (%)",
        digits=(5, 1),
        help="Share of the customers kept out of the mailing, drawn at random "
        "(seeded) when it is sent, to measure what the mailing changed.",
    )
    holdout_seed = fields.Integer(
        string="Draw Seed",
        default=lambda self: random.SystemRandom().randint(1, 2**31 - 1),
        copy=False,
        help="The same seed draws the same control group from the same customers.",
    )
    attribution_days = fields.Integer(
        string="Attribution Window (days)",
        default=30,
        help="Confirmed orders of both groups from the sending to this many "
        "days later count in the result.",
    )
    attribution_end = fields.Datetime(
        string="Result Final On", compute="_compute_attribution_end"
    )
    campaign_member_ids = fields.One2many(
        "zhongzheng.campaign.member", "mailing_id", string="Campaign Members"
    )
    targeted_count = fields.Integer(
        string="Customers Mailed", compute="_compute_group_counts"
    )
    control_count = fields.Integer(
        string="Control Customers", compute="_compute_group_counts"
    )
    campaign_result_ids = fields.One2many(
        "zhongzheng.campaign.result", "mailing_id", string="Uplift"
    )

    @api.depends(*SELECTION_FIELDS, "customer_target")
    def _compute_customer_selection_label(self):
        for mailing in self:
            mailing.customer_selection_label = (
                mailing._selection_label() if mailing.customer_target else False
            )

    @api.depends("sent_date", "attribution_days")
    def _compute_attribution_end(self):
        for mailing in self:
            mailing.attribution_end = mailing.sent_date and (
                mailing.sent_date + timedelta(days=mailing.attribution_days)
            )

    @api.depends(*SELECTION_FIELDS, "customer_target", "holdout_percent")
    def _compute_group_counts(self):
        Member = self.env["zhongzheng.campaign.member"].sudo()
        drawn = {
            (mailing.id, is_control): count
            for mailing, is_control, count in Member._read_group(
                [("mailing_id", "in", self.ids)],
                ["mailing_id", "is_control"],
                ["__count"],
            )
        }
        for mailing in self:
            if not mailing.customer_target or not mailing._may_target_customers():
                mailing.targeted_count = mailing.control_count = 0
            elif any(key[0] == mailing.id for key in drawn):
                mailing.targeted_count = drawn.get((mailing.id, False), 0)
                mailing.control_count = drawn.get((mailing.id, True), 0)
            else:
                mailing.targeted_count, mailing.control_count = mailing._group_sizes()

    @api.depends(
        "email_from",
        "mail_server_id",
        "customer_target",
        "holdout_percent",
        *SELECTION_FIELDS,
    )
    def _compute_warning_message(self):
        res = super()._compute_warning_message()
        for mailing in self.filtered(
            lambda m: (
                m.customer_target
                and m.holdout_percent
                and m.state == "draft"
                and m._may_target_customers()
            )
        ):
            targeted, control = mailing._group_sizes()
            if min(targeted, control) < MIN_GROUP:
                warning = self.env._(
                    "The control group would hold %(control)s customers and the "
                    "mailed group %(targeted)s: with fewer than %(minimum)s in a "
                    "group, no difference between them will be conclusive.",
                    control=control,
                    targeted=targeted,
                    minimum=MIN_GROUP,
                )
                mailing.warning_message = "\n".join(
                    filter(None, [mailing.warning_message, warning])
                )
        return res

    @api.constrains("holdout_percent", "attribution_days")
    def _check_campaign_figures(self):
        for mailing in self:
            if not 0 <= mailing.holdout_percent < 100:
                raise ValidationError(
                    self.env._(
                        "The control group is a share of the customers from 0 to "
                        "below 100%% (%(value)s%% given).",
                        value=mailing.holdout_percent,
                    )
                )
            if not 1 <= mailing.attribution_days <= 730:
                raise ValidationError(
                    self.env._(
                        "The attribution window runs from 1 to 730 days "
                        "(%(value)s given).",
                        value=mailing.attribution_days,
                    )
                )

    @api.constrains(
        "customer_target", "mailing_model_id", "ab_testing_enabled", *SELECTION_FIELDS
    )
    def _check_customer_target(self):
        for mailing in self.filtered("customer_target"):
            if mailing.ab_testing_enabled:
                raise ValidationError(
                    self.env._(
                        "A mailing to customers compares them with its control "
                        "group, not with A/B tests: turn A/B testing off."
                    )
                )
            if mailing.mailing_model_real != "res.partner":
                raise ValidationError(
                    self.env._("A mailing to customers is sent to contacts.")
                )
            if not any(mailing[name] for name in SELECTION_FIELDS):
                raise ValidationError(
                    self.env._(
                        "Choose the customers: a tier, a relationship class, an "
                        "RFM segment, an ABC class, a health status, a recommended "
                        "product, a saved segment or chosen customers."
                    )
                )

    @api.onchange("customer_target")
    def _onchange_customer_target(self):
        if self.customer_target:
            self.mailing_model_id = self.env["ir.model"]._get("res.partner")

    def write(self, vals):
        if DRAWN_FIELDS & set(vals):
            drawn = self.filtered(lambda m: m.sudo().campaign_member_ids)
            if drawn:
                raise UserError(
                    self.env._(
                        "The customers and control group of %(mailing)s were "
                        "drawn when it was sent; they no longer change.",
                        mailing=drawn[0].subject,
                    )
                )
        return super().write(vals)

    # ------------------------------------------------------------------
    # who the mailing reaches
    # ------------------------------------------------------------------

    def _may_target_customers(self):
        """Whether the sender is an e-mail marketing user: then the selection
        is resolved as superuser, so that they need not read each customer's
        tier, class or health. The sending job runs as superuser for the
        mailing's responsible."""
        sender = (self.user_id or self.write_uid) if self.env.su else self.env.user
        return not sender or (
            sender.has_group(MARKETING_USER) and self.company_id in sender.company_ids
        )

    def _check_customer_target_rights(self):
        sender = (self.user_id or self.write_uid) if self.env.su else self.env.user
        if not self._may_target_customers():
            raise AccessError(
                self.env._(
                    "Only e-mail marketing users of %(company)s send mailings to "
                    "its customer selections (%(user)s is not one).",
                    company=self.company_id.name,
                    user=sender.name,
                )
            )

    def _customer_domain(self):
        """The selection as a domain over commercial partners, to be read
        in the mailing's company."""
        self.ensure_one()
        domain = self.env["res.partner"]._tier_class_domain(
            self.customer_tier_ids, self.customer_relationship_class
        )
        domain.append(("company_id", "in", [False, self.company_id.id]))
        if self.customer_rfm_segment_ids:
            domain.append(("rfm_segment_id", "in", self.customer_rfm_segment_ids.ids))
        if self.customer_abc_class:
            domain.append(("abc_class", "=", self.customer_abc_class))
        if self.customer_health_status:
            domain.append(("health_status", "=", self.customer_health_status))
        if self.customer_recommended_product_id:
            domain.append(
                (
                    "recommendation_ids",
                    "any",
                    [
                        ("company_id", "=", self.company_id.id),
                        ("product_id", "=", self.customer_recommended_product_id.id),
                    ],
                )
            )
        if self.customer_partner_ids:
            domain.append(
                ("id", "in", self.customer_partner_ids.commercial_partner_id.ids)
            )
        if self.customer_segment_id:
            domain += self.customer_segment_id.sudo()._partner_domain()
        return domain

    def _customer_recipients(self):
        """(recipient, customer) id pairs: the e-mail addresses the mailing
        reaches for each customer of the selection, now, in the mailing's
        company; contacts without an address or on the blacklist (the
        opt-out of partner mailings) are left out, and so is a customer
        with no address left. Checks the sender's rights first."""
        self.ensure_one()
        self._check_customer_target_rights()
        Partner = self.env["res.partner"].sudo().with_company(self.company_id)
        customers = Partner._search(self._customer_domain())
        Partner.flush_model(
            ["email_normalized", "commercial_partner_id", "campaign_contact"]
        )
        self.env["mail.blacklist"].flush_model(["email", "active"])
        # execute_query flushes what the selection's domain reads
        return self.env.execute_query(
            SQL(
                """
                SELECT r.id, r.commercial_partner_id
                  FROM res_partner r
                 WHERE r.commercial_partner_id IN %(customers)s
                   AND r.active AND r.email_normalized IS NOT NULL
                   AND CASE WHEN %(own)s THEN r.id = r.commercial_partner_id
                            ELSE r.campaign_contact IS TRUE END
                   AND NOT EXISTS (
                       SELECT 1 FROM mail_blacklist b
                        WHERE b.active AND b.email = r.email_normalized)
                 ORDER BY r.commercial_partner_id, r.id
                """,
                customers=customers.subselect(),
                own=self.customer_recipients == "customer",
            )
        )

    def _group_sizes(self):
        """(mailed, control) customers if the mailing were sent now."""
        customers = len({customer for _r, customer in self._customer_recipients()})
        control = control_size(customers, self.holdout_percent)
        return customers - control, control

    def _get_recipients_domain(self):
        if not self.customer_target:
            return super()._get_recipients_domain()
        if not self._may_target_customers():
            return [("id", "in", [])]
        rows = self._customer_recipients()
        members = self.env["zhongzheng.campaign.member"].sudo()
        drawn = members.search([("mailing_id", "=", self.id)])
        if drawn:
            mailed = set(drawn.filtered(lambda m: not m.is_control).partner_id.ids)
            rows = [row for row in rows if row[1] in mailed]
        return [("id", "in", [recipient for recipient, _c in rows])]

    def _action_send_mail(self, res_ids=None):
        for mailing in self.filtered("customer_target"):
            mailing._check_customer_target_rights()
            if not mailing.sudo().campaign_member_ids:
                mailing._draw_campaign_members()
        return super()._action_send_mail(res_ids)

    def _draw_campaign_members(self):
        """Fix who is targeted: the customers reachable now, with the
        control group drawn among them; the mailing gets a UTM campaign."""
        self.ensure_one()
        customers = sorted({c for _r, c in self._customer_recipients()})
        if not customers:
            raise UserError(
                self.env._(
                    "No customer of %(selection)s can be reached by e-mail.",
                    selection=self.customer_selection_label,
                )
            )
        if not self.campaign_id:
            self.campaign_id = self.env["utm.campaign"].create({"title": self.subject})
        return self.env["zhongzheng.campaign.member"].sudo()._draw(self, customers)

    def _selection_label(self):
        self.ensure_one()
        labels = []
        for name in SELECTION_FIELDS:
            field, value = self._fields[name], self[name]
            if not value:
                continue
            if field.type == "selection":
                value = dict(field._description_selection(self.env))[value]
            else:
                names = value.sudo().mapped("display_name")
                value = ", ".join(names[:3])
                if len(names) > 3:
                    value = self.env._(
                        "%(names)s and %(count)s more",
                        names=value,
                        count=len(names) - 3,
                    )
            labels.append(f"{field._description_string(self.env)}: {value}")
        return "; ".join(labels)

    @api.model
    def _customer_mailing_action(self, defaults):
        """A new mailing to customers, with `defaults` (field: value) set."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mass_mailing.mailing_mailing_action_mail"
        )
        context = {f"default_{name}": value for name, value in defaults.items()}
        context.update(
            default_customer_target=True,
            default_mailing_model_id=self.env["ir.model"]._get_id("res.partner"),
            default_mailing_type="mail",
        )
        action.update(
            views=[(False, "form")],
            view_mode="form",
            target="current",
            context=context,
        )
        return action
