from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.osv import expression

from .field_kinds import notification
from .relationship_history import CLASSES

CRM_USER = "crm_zhongzheng.group_crm_user"
MANAGER = "crm_zhongzheng.group_crm_manager"
# customers "Recompute now" recomputes in the click (more are queued)
INLINE_RECOMPUTE = 20


def _figure(string, kind=fields.Float, groups=CRM_USER, **kwargs):
    """A customer value figure: per company (each company sees its own),
    written only through the value writer (value_writer.py), which finds the
    figures by `value_figure` and their SQL types by their field type, and
    keeps them in a table of their own (one row per partner and company),
    not in res_partner: a full pass rewrote 100,000 wide partner rows. To
    the ORM they are as stored: searched (`_search_figure`), sorted, grouped
    and aggregated in SQL (`_field_to_sql`); reading one reads them all (one
    query per batch of partners, `_compute_figures`); reading a partner's
    name (an order's confirmation, a delivery, a mail) reads none of them.

    Readable by Customer Relations users only (money in margins and value:
    administrators): not by other employees, nor by the customer itself,
    and so left out of a `read()` without a field list for them."""

    def search(records, operator, value):
        return records._search_figure(field.name, operator, value)

    field = kind(
        string=string,
        compute="_compute_figures",
        search=search,
        readonly=True,
        copy=False,
        value_figure=True,
        groups=groups,
        **kwargs,
    )
    return field


def _points_max(string):
    """The most points a part of the value score can give: its share of the
    company's weights, out of 100 (the bar of the part on the form)."""
    return fields.Float(
        string=string, compute="_compute_value_points_max", groups=CRM_USER
    )


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = [
        "res.partner",
        "zhongzheng.service.ticket.linked",
        "zhongzheng.device.holder.mixin",
    ]

    # dates customer care rules watch (activity_rule_care.py)
    birthday = fields.Date(help="A contact's birthday, for customer care rules.")
    registration_expiry_date = fields.Date(
        string="Registration Certificate Expiry",
        help="When the customer's medical device registration or business "
        "licence expires (a date care rules can watch).",
    )
    _ticket_link_field = "commercial_partner_id"
    _ticket_default_field = "partner_id"

    # transaction facts (commercial partners; contacts roll up to them)
    first_sale_date = _figure("First Sale", fields.Date)
    last_sale_date = _figure("Last Sale", fields.Date)
    sale_count_total = _figure("Confirmed Orders (all time)", fields.Integer)
    sale_count_window = _figure("Confirmed Orders", fields.Integer)
    revenue_total = _figure("Revenue (all time)", digits="Account")
    revenue_window = _figure("Revenue", digits="Account")
    margin_total = _figure("Margin (all time)", digits="Account", groups=MANAGER)
    margin_window = _figure("Margin", digits="Account", groups=MANAGER)
    average_order_value = _figure("Average Order Value", digits="Account")
    purchase_amount_window = _figure("Purchases", digits="Account")
    purchase_count_window = _figure("Purchase Orders", fields.Integer)
    invoiced_window = _figure("Invoiced", digits="Account")
    receivable_open = _figure("Open Receivable", digits="Account")
    receivable_overdue = _figure("Overdue Receivable", digits="Account")
    average_days_to_pay = _figure("Average Days to Pay", digits=(16, 1))
    # the invoices of the window paid in the last 90 days, and the others
    # (the health's days to pay signal)
    days_to_pay_recent = _figure("Days to Pay (last 90 days)", digits=(16, 1))
    days_to_pay_before = _figure("Days to Pay (before)", digits=(16, 1))
    delivery_count_window = _figure("Deliveries", fields.Integer)
    delivery_on_time_rate = _figure("On-Time Delivery (%)", digits=(16, 1))
    cost_to_serve = _figure("Cost-to-Serve", digits="Account", groups=MANAGER)
    # RFM and ABC
    rfm_recency = _figure("Recency (days)", fields.Integer)
    rfm_frequency = _figure("Frequency", fields.Integer)
    rfm_monetary = _figure("Monetary", digits="Account")
    rfm_r_score = _figure("R Score", fields.Integer)
    rfm_f_score = _figure("F Score", fields.Integer)
    rfm_m_score = _figure("M Score", fields.Integer)
    rfm_segment_id = _figure(
        "RFM Segment", fields.Many2one, comodel_name="zhongzheng.rfm.segment"
    )
    abc_class = _figure(
        "ABC Class", fields.Selection, selection=[("a", "A"), ("b", "B"), ("c", "C")]
    )
    # lifetime value (BG/NBD + Gamma-Gamma)
    clv_prob_alive = _figure("Probability Alive", digits=(16, 4))
    clv_expected_purchases = _figure("Expected Purchases (90 days)", digits=(16, 2))
    clv_value = _figure("Lifetime Value", digits="Account", groups=MANAGER)
    # value score and its breakdown, in points out of 100
    value_score = _figure("Value Score", digits=(16, 1))
    value_points_current = _figure("Current Value (points)", digits=(16, 1))
    value_points_potential = _figure("Potential (points)", digits=(16, 1))
    value_points_loyalty = _figure("Loyalty (points)", digits=(16, 1))
    value_points_payment = _figure("Payment Behaviour (points)", digits=(16, 1))
    value_points_cost = _figure("Cost-to-Serve (points)", digits=(16, 1))
    # the most points each part can give, its share of the company's weights
    # (the breakdown's bars)
    value_points_current_max = _points_max("Current Value (most points)")
    value_points_potential_max = _points_max("Potential (most points)")
    value_points_loyalty_max = _points_max("Loyalty (most points)")
    value_points_payment_max = _points_max("Payment Behaviour (most points)")
    value_points_cost_max = _points_max("Cost-to-Serve (most points)")

    # customer pyramid and relationship class
    tier_id = _figure("Tier", fields.Many2one, comodel_name="zhongzheng.customer.tier")
    tier_computed_id = _figure(
        "Computed Tier", fields.Many2one, comodel_name="zhongzheng.customer.tier"
    )
    tier_since = _figure("In Tier Since", fields.Date)
    relationship_class = _figure(
        "Relationship Class", fields.Selection, selection=CLASSES
    )
    relationship_since = _figure("In Class Since", fields.Date)
    tier_override_id = fields.Many2one(
        "zhongzheng.tier.override",
        compute="_compute_tier_override_id",
        groups=CRM_USER,
    )
    tier_pending = fields.Boolean(
        string="No Tier Yet",
        compute="_compute_tier_pending",
        compute_sudo=True,
        groups=CRM_USER,
        help="A customer whose history is still too short for a tier.",
    )
    relationship_history_ids = fields.One2many(
        "zhongzheng.relationship.history",
        "partner_id",
        string="Tier and Class History",
        domain=lambda self: [("company_id", "=", self.env.company.id)],
        groups=CRM_USER,
    )
    # what to offer next (recommendation.py writes them)
    recommendation_ids = fields.One2many(
        "zhongzheng.customer.recommendation",
        "partner_id",
        string="Recommended Products",
        domain=lambda self: [("company_id", "=", self.env.company.id)],
        groups=CRM_USER,
    )
    # supplier rating (purchase data; quality incidents from service tickets)
    supplier_receipt_count = _figure("Receipts", fields.Integer)
    supplier_on_time_rate = _figure("On-Time Receipts (%)", digits=(16, 1))
    supplier_qty_accuracy = _figure("Quantity Accuracy (%)", digits=(16, 1))
    supplier_incident_count = _figure("Quality Incidents", fields.Integer)
    supplier_rating = _figure("Supplier Rating", digits=(16, 1))
    logistics_dependency = fields.Selection(
        [
            ("full", "Full Outsourcing"),
            ("partial", "Partial Outsourcing"),
            ("own", "Own Logistics"),
        ],
        help="How much the customer depends on us for its logistics "
        "(客户依赖程度), set by hand.",
    )

    customer_segment_id = fields.Many2one(
        "zhongzheng.customer.segment",
        string="Saved Segment",
        compute="_compute_customer_segment_id",
        search="_search_customer_segment_id",
        groups=CRM_USER,
        help="Filter customers by a saved segment.",
    )

    @api.depends_context("company")
    def _compute_value_points_max(self):
        weights = self.env.company._value_weights()
        total = sum(weights.values()) or 1.0
        values = {
            f"value_points_{name}_max": 100.0 * weight / total
            for name, weight in weights.items()
        }
        for partner in self:
            partner.update(values)

    def _compute_tier_override_id(self):
        overrides = (
            self.env["zhongzheng.tier.override"]
            .sudo()
            .search(
                [
                    ("partner_id", "in", self.ids),
                    ("company_id", "=", self.env.company.id),
                ]
            )
        )
        by_partner = {o.partner_id.id: o for o in overrides}
        for partner in self:
            partner.tier_override_id = by_partner.get(partner.id, False)

    @api.depends_context("company")
    def _compute_tier_pending(self):
        for partner in self:
            partner.tier_pending = bool(
                partner.sale_count_total and not partner.tier_id
            )

    def _valid_field_parameter(self, field, name):
        return name == "value_figure" or super()._valid_field_parameter(field, name)

    def _ticket_link_keys(self):
        return self.commercial_partner_id

    def action_new_service_ticket(self):
        self.ensure_one()
        return self.env["zhongzheng.service.ticket"]._new_ticket_action(
            {"default_partner_id": self.id}
        )

    def _compute_customer_segment_id(self):
        self.customer_segment_id = False

    def _search_customer_segment_id(self, operator, value):
        if operator not in ("=", "in", "ilike"):
            return [("id", "=", 0)]
        Segment = self.env["zhongzheng.customer.segment"]
        if operator == "ilike":
            segments = Segment.search([("name", "ilike", value)])
        else:
            segments = Segment.browse(value if operator == "in" else [value])
        domains = [segment._partner_domain() for segment in segments.exists()]
        return expression.OR(domains) if domains else [("id", "=", 0)]

    def _overdue_receivable(self, company):
        """Live overdue receivable of this commercial partner in a company,
        as of today: the value facts' one definition."""
        self.ensure_one()
        return (
            self.env["zhongzheng.value.facts"]
            ._overdue_receivables(company, self.ids, fields.Date.context_today(self))
            .get(self.id, 0.0)
        )

    @api.model
    def _tier_class_domain(self, tiers, relationship_class, tiered_only=False):
        """Commercial partners in these tiers (any, if none) and this
        relationship class (any, if none); only tiered ones if asked."""
        domain = [("parent_id", "=", False)]
        if tiers:
            domain.append(("tier_id", "in", tiers.ids))
        elif tiered_only:
            domain.append(("tier_id", "!=", False))
        if relationship_class:
            domain.append(("relationship_class", "=", relationship_class))
        return domain

    def _schedule_followups(self, activity_type, summary, deadline, user=None):
        """One activity per customer, unless it already has an open one of
        that type and summary; assigned to `user`, else the salesperson, else
        the current user. Returns the new activities."""
        existing = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", self.ids),
                ("activity_type_id", "=", activity_type.id),
                ("summary", "=", summary),
            ]
        )
        busy = set(existing.mapped("res_id"))
        model_id = self.env["ir.model"]._get_id("res.partner")
        return (
            self.env["mail.activity"]
            .sudo()
            .create(
                [
                    {
                        "res_model_id": model_id,
                        "res_id": partner.id,
                        "activity_type_id": activity_type.id,
                        "summary": summary,
                        "date_deadline": deadline,
                        "user_id": (user or partner.user_id or self.env.user).id,
                    }
                    for partner in self
                    if partner.id not in busy
                ]
            )
        )

    def action_override_tier(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Override Tier"),
            "res_model": "zhongzheng.tier.override",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_partner_id": self.commercial_partner_id.id,
                "default_tier_id": self.tier_id.id,
            },
        }

    def action_recompute_value(self):
        """Manager's "Recompute now": the customers clicked (up to
        INLINE_RECOMPUTE of them) are recomputed at once, so the form that
        reloads after the click shows their new figures (read on the primary:
        controllers/dataset.py); more, or all when called on none, are queued
        for the recompute job and the click returns at once."""
        if not self.env.user.has_group(MANAGER):
            raise AccessError(
                self.env._("Only CRM managers can recompute customer value.")
            )
        queue = self.env["zhongzheng.value.queue"]
        customers = self.commercial_partner_id
        if customers and len(customers) <= INLINE_RECOMPUTE:
            engine = self.env["zhongzheng.value.engine"].sudo()
            for company in self.env.companies:
                engine._recompute_partners(company, customers.ids)
            self.env["res.partner"].invalidate_model()
            message = self.env._(
                "Figures of %(count)s customers recomputed.", count=len(customers)
            )
        else:
            if customers:
                count = queue._enqueue(customers, self.env.companies)
            else:
                count = queue._enqueue_all(self.env.companies)
            message = self.env._(
                "%(count)s customers queued; their figures are recomputed "
                "in the background within a few minutes.",
                count=count,
            )
        return notification(message)
