from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError

from .company_sequence_mixin import next_company_number
from .field_kinds import internal, measured
from .service_claim_mixin import SERVICE_MANAGER

# what the SLA clock and the stage flow compute (service_sla_clock_mixin.py,
# write() below): written by the addon with sudo, never by a user
COMPUTED_FIELDS = {
    "number",
    "sla_id",
    "sla_start",
    "date_first_response",
    "sla_paused_since",
    "sla_paused_hours",
    "sla_response_deadline",
    "sla_resolution_deadline",
    "sla_status",
    "sla_alerted",
    "sla_compliance",
    "first_response_hours",
    "resolution_hours",
    "reopen_count",
    "date_closed",
}


class ServiceTicket(models.Model):
    """A service contact around an order or a shipment (服务工单): an
    inquiry, a tracking request, a delivery exception, a complaint, a claim,
    a follow-up visit or a return.

    This file holds the ticket itself: what it is about, its stages and who
    may change it. Its other concerns are rooms of their own: the SLA clock
    (``service_sla_clock_mixin.py``), claims (``service_claim_mixin.py``), the
    customer's rating (``service_rating_mixin.py``), follow-up visits
    (``service_visit_mixin.py``), the mail gateway
    (``service_mail_gateway_mixin.py``) and the customer's badges
    (``customer_badge_mixin.py``)."""

    _name = "zhongzheng.service.ticket"
    _description = "Service Ticket"
    # the ticket's rooms first: their overrides of the mail, portal and
    # rating mixins run before those mixins
    _inherit = [
        "zhongzheng.service.sla.clock.mixin",
        "zhongzheng.service.claim.mixin",
        "zhongzheng.service.rating.mixin",
        "zhongzheng.service.visit.mixin",
        "zhongzheng.service.device.mixin",
        "zhongzheng.service.mail.gateway.mixin",
        "zhongzheng.customer.badge.mixin",
        "portal.mixin",
        "mail.thread.cc",
        "mail.activity.mixin",
        "rating.mixin",
    ]
    _order = "priority desc, id desc"
    _rec_names_search = ["number", "name", "partner_id.name"]
    _mail_post_access = "read"
    _primary_email = "email_from"

    def _default_type_id(self):
        return self.env.ref(
            "crm_zhongzheng.service_ticket_type_inquiry", raise_if_not_found=False
        )

    def _default_stage_id(self):
        return self.env["zhongzheng.service.ticket.stage"].search([], limit=1)

    number = fields.Char(
        string="Ticket Number", readonly=True, copy=False, default="/", index=True
    )
    name = fields.Char(string="Subject", required=True, tracking=True)
    description = fields.Html()
    type_id = fields.Many2one(
        "zhongzheng.service.ticket.type",
        required=True,
        tracking=True,
        default=_default_type_id,
    )
    type_code = fields.Char(related="type_id.code")
    is_claim = fields.Boolean(related="type_id.is_claim")
    stage_id = fields.Many2one(
        "zhongzheng.service.ticket.stage",
        tracking=True,
        index=True,
        copy=False,
        group_expand="_read_group_expand_stages",
        default=_default_stage_id,
    )
    is_closed = fields.Boolean(related="stage_id.is_closed", store=True)
    priority = fields.Selection(
        [("0", "Low"), ("1", "Normal"), ("2", "High"), ("3", "Urgent")],
        default="1",
        tracking=True,
    )
    team_id = fields.Many2one(
        "zhongzheng.service.team", tracking=True, groups="base.group_user"
    )
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
    root_cause = fields.Text(groups="base.group_user")
    sale_order_id = fields.Many2one("sale.order", index=True)
    purchase_order_id = fields.Many2one(
        "purchase.order", index=True, groups="base.group_user"
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
    # who caused it: a supplier's fault is a quality incident of that supplier
    responsible_party = fields.Selection(
        [("us", "Us"), ("carrier", "Carrier"), ("supplier", "Supplier")],
        tracking=True,
        groups="base.group_user",
    )
    supplier_id = internal(
        fields.Many2one,
        "res.partner",
        string="Responsible Supplier",
        compute="_compute_supplier_id",
        store=True,
        readonly=False,
        help="The supplier whose quality incident this is.",
    )
    reopen_count = measured(fields.Integer)
    handling_cost = fields.Float(
        digits="Account",
        tracking=True,
        groups=SERVICE_MANAGER,
        help="What handling the ticket cost us; part of the customer's cost-to-serve.",
    )

    @api.depends("number", "name")
    def _compute_display_name(self):
        for ticket in self:
            ticket.display_name = f"{ticket.number} {ticket.name or ''}".strip()

    @api.depends("responsible_party", "purchase_order_id", "picking_id")
    def _compute_supplier_id(self):
        for ticket in self:
            if ticket.responsible_party != "supplier":
                ticket.supplier_id = False
            elif not ticket.supplier_id:
                supplier = ticket.purchase_order_id.partner_id
                if not supplier and ticket.picking_id.picking_type_code == "incoming":
                    supplier = ticket.picking_id.partner_id
                ticket.supplier_id = supplier.commercial_partner_id

    def _compute_access_url(self):
        for ticket in self:
            ticket.access_url = f"/my/tickets/{ticket.id}"

    @api.model
    def _read_group_expand_stages(self, stages, domain):
        return stages.search([], order=stages._order)

    @api.constrains("handling_cost")
    def _check_handling_cost(self):
        # sudo: a service manager's field, yet nobody may make it negative
        self.sudo()._check_not_negative(["handling_cost"])

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

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                self._check_computed_not_given(vals)
                self._check_claim_create(vals)
        for vals in vals_list:
            if vals.get("number", "/") == "/":
                vals["number"] = next_company_number(
                    self.env, vals, "zhongzheng.service.ticket"
                )
            if vals.get("partner_id") and not vals.get("email_from"):
                vals["email_from"] = (
                    self.env["res.partner"].browse(vals["partner_id"]).email
                )
        tickets = super().create(vals_list)
        tickets._stamp_stage_dates()
        tickets._sla_assign()
        return tickets

    def write(self, vals):
        if not self.env.su:
            self._check_computed_unchanged(vals)
            self._check_closed_write(vals)
            self._check_claim_write(vals)
        if "stage_id" in vals:
            self._sla_before_stage_change(vals["stage_id"])
        result = super().write(vals)
        if "stage_id" in vals:
            reopened = self.filtered(lambda t: not t.is_closed and t.date_closed)
            for ticket in reopened:
                ticket.sudo().reopen_count += 1
            newly_closed = self.filtered(lambda t: t.is_closed and not t.date_closed)
            self._stamp_stage_dates()
            self.filtered("is_closed")._queue_cost_to_serve()
            newly_closed._send_rating_request()
        if {"type_id", "partner_id", "team_id", "company_id"} & set(vals):
            self._sla_assign()
        elif "stage_id" in vals:
            self._sla_refresh()
        return result

    def action_reopen(self):
        if not self.env.user.has_group(SERVICE_MANAGER):
            self._raise_reopen_denied()
        stage = self.env["zhongzheng.service.ticket.stage"].search(
            [("is_closed", "=", False), ("is_paused", "=", False)], offset=1, limit=1
        ) or self.env["zhongzheng.service.ticket.stage"].search(
            [("is_closed", "=", False)], limit=1
        )
        self.write({"stage_id": stage.id})
        return True

    def _fields_changing(self, vals):
        """The fields of ``vals`` whose value differs from what one of the
        records holds (sending a field's current value along changes
        nothing, as the web client and imports do)."""
        changing = set()
        records = self.sudo()
        for name, value in vals.items():
            field = self._fields.get(name)
            if field is None:
                continue  # the ORM refuses unknown fields itself
            if field.type in ("one2many", "many2many"):
                changing.add(name)
                continue
            for record in records:
                new = field.convert_to_record(
                    field.convert_to_cache(value, record), record
                )
                if new != record[name]:
                    changing.add(name)
                    break
        return changing

    def _check_computed_not_given(self, vals):
        given = {
            name
            for name in COMPUTED_FIELDS & set(vals)
            if vals[name] and not (name == "number" and vals[name] == "/")
        }
        if given:
            self._raise_computed(given)

    def _check_computed_unchanged(self, vals):
        changing = COMPUTED_FIELDS & set(vals)
        if changing and self:
            changing = self._fields_changing({k: vals[k] for k in changing})
        if changing:
            self._raise_computed(changing)

    def _raise_computed(self, names):
        raise AccessError(
            self.env._(
                "%(fields)s of a service ticket are computed (SLA clock, "
                "stage flow): nobody writes them.",
                fields=", ".join(
                    sorted(
                        self._fields[name].get_description(self.env)["string"]
                        for name in names
                    )
                ),
            )
        )

    def _check_closed_write(self, vals):
        """A closed ticket is the record of what was done: it changes only by
        being reopened, which only a service manager may do, and the reopening
        write carries nothing else, whatever fields come with it (the
        chatter's attachment and the rating may change, and it may move on
        to another closed stage)."""
        closed = self.filtered("is_closed")
        if not closed:
            return
        stage = self.env["zhongzheng.service.ticket.stage"].browse(vals.get("stage_id"))
        reopening = "stage_id" in vals and stage and not stage.is_closed
        if reopening and not self.env.user.has_group(SERVICE_MANAGER):
            self._raise_reopen_denied()
        # moving on between closed stages (resolved, then closed) is the
        # flow itself, and so is reopening; nothing else changes along
        allowed = {"message_main_attachment_id", "rating_last_value", "stage_id"}
        changed = closed._fields_changing(vals) - allowed
        if changed:
            raise UserError(
                self.env._(
                    "Ticket %(number)s is closed: a service manager reopens it "
                    "first, then it can be changed.",
                    number=closed[0].number,
                )
            )

    def _raise_reopen_denied(self):
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

    def _queue_cost_to_serve(self):
        self.env["zhongzheng.value.queue"].sudo()._enqueue_records(
            self, lambda ticket: ticket.commercial_partner_id | ticket.supplier_id
        )

    @api.model
    def _picking_link_values(self, picking):
        """What a ticket about a shipment links to: the shipment, its sales
        order and its products."""
        return {
            "picking_id": picking.id,
            "sale_order_id": picking.sale_id.id,
            "product_ids": [Command.set(picking.move_ids.product_id.ids)],
        }

    @api.model
    def _new_ticket_action(self, context):
        """The ticket form, prefilled, from a partner, an order or a shipment."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Service Ticket"),
            "res_model": self._name,
            "view_mode": "form",
            "target": "current",
            "context": {k: v for k, v in context.items() if v},
        }

    @api.model
    def _tickets_action(self, domain, context):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_zhongzheng.service_ticket_action"
        )
        action.update(
            domain=domain,
            context={k: v for k, v in context.items() if v},
        )
        return action
