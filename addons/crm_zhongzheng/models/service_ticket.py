from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

SERVICE_MANAGER = "crm_zhongzheng.group_service_manager"


class ServiceTicket(models.Model):
    """A service contact around an order or a shipment (服务工单): an
    inquiry, a tracking request, a delivery exception, a complaint, a claim,
    a follow-up visit or a return."""

    _name = "zhongzheng.service.ticket"
    _description = "Service Ticket"
    _inherit = [
        "portal.mixin",
        "mail.thread.cc",
        "mail.activity.mixin",
        "rating.mixin",
    ]
    _order = "priority desc, id desc"
    _rec_names_search = ["number", "name", "partner_id.name"]
    _mail_post_access = "read"
    _primary_email = "email_from"

    number = fields.Char(
        string="Ticket Number", readonly=True, copy=False, default="/", index=True
    )
    name = fields.Char(string="Subject", required=True, tracking=True)
    description = fields.Html()
    type_id = fields.Many2one(
        "zhongzheng.service.ticket.type",
        string="Type",
        required=True,
        tracking=True,
        default=lambda self: self.env.ref(
            "crm_zhongzheng.service_ticket_type_inquiry", raise_if_not_found=False
        ),
    )
    is_claim = fields.Boolean(related="type_id.is_claim")
    stage_id = fields.Many2one(
        "zhongzheng.service.ticket.stage",
        string="Stage",
        tracking=True,
        index=True,
        copy=False,
        group_expand="_read_group_expand_stages",
        default=lambda self: self.env["zhongzheng.service.ticket.stage"].search(
            [], limit=1
        ),
    )
    is_closed = fields.Boolean(related="stage_id.is_closed", store=True)
    priority = fields.Selection(
        [("0", "Low"), ("1", "Normal"), ("2", "High"), ("3", "Urgent")],
        default="1",
        tracking=True,
    )
    team_id = fields.Many2one("zhongzheng.service.team", string="Team", tracking=True)
    user_id = fields.Many2one(
        "res.users",
        string="Assigned to",
        tracking=True,
        domain=[("share", "=", False)],
    )
    partner_id = fields.Many2one(
        "res.partner", string="Contact", tracking=True, index=True
    )
    commercial_partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        related="partner_id.commercial_partner_id",
        store=True,
        index=True,
    )
    partner_tier_id = fields.Many2one(
        related="commercial_partner_id.tier_id", string="Customer Tier"
    )
    email_from = fields.Char(string="Email")
    channel = fields.Selection(
        [
            ("phone", "Phone"),
            ("email", "E-mail"),
            ("web", "Web"),
            ("onsite", "On-site"),
            ("wechat", "WeChat"),
        ],
        default="phone",
    )
    resolution = fields.Html()
    root_cause = fields.Text()
    sale_order_id = fields.Many2one("sale.order", string="Sale Order", index=True)
    purchase_order_id = fields.Many2one(
        "purchase.order", string="Purchase Order", index=True
    )
    picking_id = fields.Many2one(
        "stock.picking", string="Delivery or Receipt", index=True
    )
    product_ids = fields.Many2many("product.product", string="Products")
    lot_ids = fields.Many2many("stock.lot", string="Lots/Serial Numbers")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    date_closed = fields.Datetime(readonly=True, copy=False)
    handling_cost = fields.Float(
        digits="Account",
        groups=SERVICE_MANAGER,
        help="What handling the ticket cost us; part of the customer's cost-to-serve.",
    )

    @api.model
    def _read_group_expand_stages(self, stages, domain):
        return stages.search([], order=stages._order)

    @api.onchange("partner_id")
    def _onchange_partner_id(self):
        if self.partner_id.email:
            self.email_from = self.partner_id.email

    @api.onchange("picking_id")
    def _onchange_picking_id(self):
        picking = self.picking_id
        if picking:
            self.partner_id = self.partner_id or picking.partner_id
            self.sale_order_id = self.sale_order_id or picking.sale_id
            self.purchase_order_id = self.purchase_order_id or picking.purchase_id
            self.product_ids = picking.move_ids.product_id

    @api.onchange("sale_order_id")
    def _onchange_sale_order_id(self):
        if self.sale_order_id and not self.partner_id:
            self.partner_id = self.sale_order_id.partner_id

    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("number", "/") == "/":
                company = self.env["res.company"].browse(
                    vals.get("company_id") or self.env.company.id
                )
                vals["number"] = (
                    self.env["ir.sequence"]
                    .with_company(company)
                    .next_by_code("zhongzheng.service.ticket")
                    or "/"
                )
            if vals.get("partner_id") and not vals.get("email_from"):
                vals["email_from"] = (
                    self.env["res.partner"].browse(vals["partner_id"]).email
                )
        tickets = super().create(vals_list)
        tickets._stamp_stage_dates()
        return tickets

    def write(self, vals):
        if "stage_id" not in vals and not self.env.su:
            closed = self.filtered("is_closed")
            if closed and not self.env.user.has_group(SERVICE_MANAGER):
                tracked = set(vals) - {
                    "message_main_attachment_id",
                    "rating_last_value",
                }
                if tracked:
                    raise UserError(
                        self.env._(
                            "Ticket %(number)s is closed: only a service manager "
                            "can change it, or reopen it.",
                            number=closed[0].number,
                        )
                    )
        if "stage_id" in vals:
            self._check_reopen(vals["stage_id"])
        result = super().write(vals)
        if "stage_id" in vals:
            self._stamp_stage_dates()
        return result

    def _check_reopen(self, stage_id):
        stage = self.env["zhongzheng.service.ticket.stage"].browse(stage_id)
        reopening = self.filtered(lambda t: t.is_closed and not stage.is_closed)
        if (
            reopening
            and not self.env.su
            and not self.env.user.has_group(SERVICE_MANAGER)
        ):
            raise AccessError(
                self.env._("Only a service manager can reopen a closed ticket.")
            )

    def _stamp_stage_dates(self):
        now = fields.Datetime.now()
        for ticket in self:
            if ticket.is_closed and not ticket.date_closed:
                ticket.sudo().date_closed = now
            elif not ticket.is_closed and ticket.date_closed:
                ticket.sudo().date_closed = False

    @api.depends("number", "name")
    def _compute_display_name(self):
        for ticket in self:
            ticket.display_name = f"{ticket.number} {ticket.name or ''}".strip()

    def _compute_access_url(self):
        super()._compute_access_url()
        for ticket in self:
            ticket.access_url = f"/my/tickets/{ticket.id}"

    # ------------------------------------------------------------------
    # mail gateway: e-mail to a team's alias opens a ticket; replies thread
    @api.model
    def message_new(self, msg_dict, custom_values=None):
        values = dict(custom_values or {})
        values.setdefault("name", msg_dict.get("subject") or self.env._("No subject"))
        values.setdefault("email_from", msg_dict.get("email_from"))
        values.setdefault("description", msg_dict.get("body"))
        values.setdefault("channel", "email")
        partners = [
            partner
            for partner in self._mail_find_partner_from_emails(
                [msg_dict.get("email_from")], force_create=False
            )
            if partner
        ]
        if partners and "partner_id" not in values:
            values["partner_id"] = partners[0].id
        return super().message_new(msg_dict, custom_values=values)

    def _message_get_suggested_recipients(self):
        recipients = super()._message_get_suggested_recipients()
        if self.partner_id:
            self._message_add_suggested_recipient(
                recipients, partner=self.partner_id, reason=self.env._("Customer")
            )
        return recipients

    def _rating_get_partner(self):
        return self.partner_id or super()._rating_get_partner()

    # ------------------------------------------------------------------
    def action_reopen(self):
        if not self.env.user.has_group(SERVICE_MANAGER):
            raise AccessError(
                self.env._("Only a service manager can reopen a closed ticket.")
            )
        stage = self.env["zhongzheng.service.ticket.stage"].search(
            [("is_closed", "=", False), ("is_paused", "=", False)], offset=1, limit=1
        ) or self.env["zhongzheng.service.ticket.stage"].search(
            [("is_closed", "=", False)], limit=1
        )
        self.write({"stage_id": stage.id})
        return True
