from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.safe_eval import safe_eval


class CustomerSegment(models.Model):
    """A saved multi-criteria segment of customers (客户细分): a domain over
    partners (industry, region, tags, RFM segment, ABC class, tier ...)."""

    _name = "zhongzheng.customer.segment"
    _description = "Customer Segment"
    _order = "sequence, name"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    domain = fields.Char(
        default="[]",
        required=True,
        help="Which customers belong to the segment (commercial partners only).",
    )
    member_count = fields.Integer(string="Customers", compute="_compute_figures")
    revenue = fields.Float(compute="_compute_figures", digits="Account")
    margin = fields.Float(
        compute="_compute_figures",
        digits="Account",
        groups="crm_zhongzheng.group_crm_manager",
    )

    @api.constrains("domain")
    def _check_domain(self):
        for segment in self:
            try:
                self.env["res.partner"].search_count(segment._partner_domain())
            except Exception as error:
                raise ValidationError(
                    self.env._(
                        "The domain of segment %(name)s is not valid: %(error)s",
                        name=segment.name,
                        error=error,
                    )
                ) from error

    def _partner_domain(self):
        self.ensure_one()
        domain = safe_eval(self.domain or "[]", {"uid": self.env.uid})
        return [("parent_id", "=", False), *domain]

    @api.depends("domain")
    @api.depends_context("company")
    def _compute_figures(self):
        Partner = self.env["res.partner"]
        with_margin = self.env.user.has_group("crm_zhongzheng.group_crm_manager")
        aggregates = ["__count", "revenue_window:sum"]
        if with_margin:
            aggregates.append("margin_window:sum")
        for segment in self:
            result = Partner._read_group(segment._partner_domain(), [], aggregates)
            count, revenue, *margin = result[0]
            segment.member_count = count
            segment.revenue = revenue or 0.0
            if with_margin:
                segment.margin = margin[0] or 0.0

    def action_open_customers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_zhongzheng.res_partner_action_customer"
        )
        action.update(
            name=self.name,
            domain=self._partner_domain(),
            context={"search_default_customer": 0},
        )
        return action
