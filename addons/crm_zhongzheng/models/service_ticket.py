from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

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
        required=True,
        tracking=True,
        default=lambda self: self.env.ref(
            "crm_zhongzheng.service_ticket_type_inquiry", raise_if_not_found=False
        ),
    )
    is_claim = fields.Boolean(related="type_id.is_claim")
    type_code = fields.Char(related="type_id.code")
    stage_id = fields.Many2one(
        "zhongzheng.service.ticket.stage",
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
    team_id = fields.Many2one("zhongzheng.service.team", tracking=True)
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
    sale_order_id = fields.Many2one("sale.order", index=True)
    purchase_order_id = fields.Many2one("purchase.order", index=True)
    picking_id = fields.Many2one(
        "stock.picking", string="Delivery or Receipt", index=True
    )
    product_ids = fields.Many2many("product.product", string="Products")
    lot_ids = fields.Many2many("stock.lot", string="Lots/Serial Numbers")
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    date_closed = fields.Datetime(readonly=True, copy=False)
    # service level agreement: clocks in the team's working hours
    sla_id = fields.Many2one(
        "zhongzheng.service.sla", string="SLA Policy", readonly=True, tracking=True
    )
    sla_start = fields.Datetime(
        string="SLA Clock Start", readonly=True, copy=False, default=fields.Datetime.now
    )
    date_first_response = fields.Datetime(readonly=True, copy=False)
    sla_paused_since = fields.Datetime(readonly=True, copy=False)
    sla_paused_hours = fields.Float(
        string="Paused (working hours)", readonly=True, copy=False, digits=(16, 2)
    )
    sla_response_deadline = fields.Datetime(
        string="First Response Deadline", readonly=True, copy=False
    )
    sla_resolution_deadline = fields.Datetime(
        string="Resolution Deadline", readonly=True, copy=False
    )
    sla_status = fields.Selection(
        [
            ("on_track", "On Track"),
            ("at_risk", "At Risk"),
            ("breached", "Breached"),
            ("met", "Met"),
        ],
        string="SLA Status",
        readonly=True,
        copy=False,
        index=True,
    )
    sla_alerted = fields.Selection(
        [("at_risk", "At Risk"), ("breached", "Breached")], readonly=True, copy=False
    )
    # claims and compensation (理赔 / 赔偿)
    claim_amount = fields.Float(
        string="Claimed Amount", digits="Account", tracking=True
    )
    claim_approved_amount = fields.Float(
        string="Approved Compensation", digits="Account", tracking=True, copy=False
    )
    claim_cause = fields.Selection(
        [
            ("carrier_damage", "Carrier Damage"),
            ("packaging", "Damaged Packaging"),
            ("wrong_item", "Wrong Item"),
            ("loss", "Loss"),
            ("delay", "Delay"),
            ("other", "Other"),
        ],
        string="Cause",
        tracking=True,
    )
    responsible_party = fields.Selection(
        [("us", "Us"), ("carrier", "Carrier"), ("supplier", "Supplier")],
        tracking=True,
    )
    supplier_id = fields.Many2one(
        "res.partner",
        string="Responsible Supplier",
        compute="_compute_supplier_id",
        store=True,
        readonly=False,
        help="The supplier whose quality incident this is.",
    )
    claim_state = fields.Selection(
        [
            ("draft", "To Approve"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
        ],
        string="Claim Status",
        compute="_compute_claim_state",
        store=True,
        readonly=True,
        copy=False,
        tracking=True,
    )
    claim_approved_by = fields.Many2one("res.users", readonly=True, copy=False)
    claim_approved_date = fields.Date(readonly=True, copy=False)
    refund_id = fields.Many2one(
        "account.move", string="Credit Note", readonly=True, copy=False
    )
    return_picking_id = fields.Many2one(
        "stock.picking", string="Return", readonly=True, copy=False
    )
    # satisfaction, follow-up visits and evaluation measures
    questionnaire_score = fields.Float(
        string="Visit Score",
        digits=(16, 1),
        help="Score of the follow-up visit questionnaire, 0 to 100.",
    )
    reopen_count = fields.Integer(readonly=True, copy=False)
    sla_compliance = fields.Float(
        string="SLA Compliance (%)",
        compute="_compute_sla_compliance",
        store=True,
        aggregator="avg",
        help="100 when the SLA was met, 0 when breached: averaged, the "
        "compliance rate.",
    )
    first_response_hours = fields.Float(
        string="First Response Time (h)", readonly=True, copy=False, digits=(16, 2)
    )
    resolution_hours = fields.Float(
        string="Resolution Time (h)", readonly=True, copy=False, digits=(16, 2)
    )
    handling_cost = fields.Float(
        digits="Account",
        groups=SERVICE_MANAGER,
        help="What handling the ticket cost us; part of the customer's cost-to-serve.",
    )

    @api.depends("sla_status")
    def _compute_sla_compliance(self):
        for ticket in self:
            ticket.sla_compliance = {"met": 100.0, "breached": 0.0}.get(
                ticket.sla_status, False
            )

    @api.constrains("questionnaire_score")
    def _check_questionnaire_score(self):
        for ticket in self:
            if not 0 <= ticket.questionnaire_score <= 100:
                raise ValidationError(self.env._("A visit score runs from 0 to 100."))

    @api.depends("type_id")
    def _compute_claim_state(self):
        for ticket in self:
            if not ticket.is_claim:
                ticket.claim_state = False
            elif not ticket.claim_state:
                ticket.claim_state = "draft"

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

    @api.constrains("claim_amount", "claim_approved_amount", "handling_cost")
    def _check_amounts(self):
        for ticket in self.sudo():
            if (
                min(
                    ticket.claim_amount,
                    ticket.claim_approved_amount,
                    ticket.handling_cost,
                )
                < 0
            ):
                raise ValidationError(
                    self.env._(
                        "Ticket %(number)s: amounts cannot be negative.",
                        number=ticket.number,
                    )
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

    @api.model
    def _picking_link_values(self, picking):
        """What a ticket about a shipment links to: the shipment, its sales
        order and its products."""
        return {
            "picking_id": picking.id,
            "sale_order_id": picking.sale_id.id,
            "product_ids": [Command.set(picking.move_ids.product_id.ids)],
        }

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
        tickets._sla_assign()
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

    # ------------------------------------------------------------------
    # SLA
    def _calendar(self):
        self.ensure_one()
        return self.team_id.resource_calendar_id or self.company_id.resource_calendar_id

    def _work_hours(self, start, end):
        if not start or not end or end <= start:
            return 0.0
        return self._calendar().get_work_hours_count(start, end, compute_leaves=False)

    def _sla_assign(self):
        """Pick the policy for the ticket's type and customer tier, then its
        deadlines; closed tickets keep what they had."""
        Sla = self.env["zhongzheng.service.sla"].sudo()
        for ticket in self.filtered(lambda t: not t.is_closed):
            tier = ticket.commercial_partner_id.with_company(ticket.company_id).tier_id
            sla = Sla._find(ticket.company_id, ticket.type_id, tier)
            if sla != ticket.sla_id:
                ticket.sudo().sla_id = sla
        self._sla_refresh()

    def _sla_deadlines(self):
        self.ensure_one()
        sla, calendar = self.sla_id, self._calendar()
        if not sla or not calendar or not self.sla_start:
            return False, False
        paused = self.sla_paused_hours
        return (
            calendar.plan_hours(sla.response_hours + paused, self.sla_start),
            calendar.plan_hours(sla.resolution_hours + paused, self.sla_start),
        )

    def _sla_compute_status(self, now):
        """on_track / at_risk / breached for open tickets (frozen while
        paused), met / breached for closed ones."""
        self.ensure_one()
        if not self.sla_id or not self.sla_resolution_deadline:
            return False
        response_deadline = self.sla_response_deadline
        resolution_deadline = self.sla_resolution_deadline
        if self.is_closed:
            if self.stage_id.is_cancelled:
                return False
            responded = self.date_first_response or self.date_closed
            on_time = self.date_closed <= resolution_deadline and (
                responded <= response_deadline
            )
            return "met" if on_time else "breached"
        if self.sla_paused_since:
            return self.sla_status or "on_track"
        if now > resolution_deadline or (
            not self.date_first_response and now > response_deadline
        ):
            return "breached"
        used = self._work_hours(self.sla_start, now) - self.sla_paused_hours
        shares = [used / self.sla_id.resolution_hours]
        if not self.date_first_response:
            shares.append(used / self.sla_id.response_hours)
        return (
            "at_risk"
            if max(shares) * 100 >= self.sla_id.at_risk_percent
            else "on_track"
        )

    def _sla_refresh(self, now=None):
        now = now or fields.Datetime.now()
        for ticket in self:
            response, resolution = ticket._sla_deadlines()
            values = {
                "sla_response_deadline": response,
                "sla_resolution_deadline": resolution,
            }
            ticket.sudo().write(values)
            status = ticket._sla_compute_status(now)
            if status != ticket.sla_status:
                ticket.sudo().sla_status = status

    def _sla_before_stage_change(self, stage_id):
        """Pause the clock when entering a waiting stage, resume (adding the
        working hours spent waiting) when leaving it; leaving the first stage
        or closing counts as the first response."""
        stage = self.env["zhongzheng.service.ticket.stage"].browse(stage_id)
        now = fields.Datetime.now()
        for ticket in self:
            values = {}
            if stage.is_paused and not ticket.sla_paused_since:
                values["sla_paused_since"] = now
            elif not stage.is_paused and ticket.sla_paused_since:
                values["sla_paused_since"] = False
                values["sla_paused_hours"] = ticket.sla_paused_hours + (
                    ticket._work_hours(ticket.sla_paused_since, now)
                )
            if not ticket.date_first_response and stage != ticket.stage_id:
                values.update(ticket._first_response_values(now))
            if stage.is_closed and not ticket.is_closed:
                paused = values.get("sla_paused_hours", ticket.sla_paused_hours)
                values["resolution_hours"] = max(
                    0.0, ticket._work_hours(ticket.sla_start, now) - paused
                )
            if values:
                ticket.sudo().write(values)

    def _first_response_values(self, now):
        return {
            "date_first_response": now,
            "first_response_hours": self._work_hours(self.sla_start, now),
        }

    def _message_post_after_hook(self, message, msg_vals):
        """An employee's reply to the customer is the first response."""
        result = super()._message_post_after_hook(message, msg_vals)
        comment = self.env.ref("mail.mt_comment", raise_if_not_found=False)
        if (
            not self.date_first_response
            and message.message_type == "comment"
            and message.subtype_id == comment
            and message.author_id.user_ids
            and not message.author_id.user_ids[0].share
        ):
            now = fields.Datetime.now()
            self.sudo().write(self._first_response_values(now))
            self._sla_refresh(now)
        return result

    # ------------------------------------------------------------------
    # claims
    def _check_service_manager(self, what):
        if not self.env.user.has_group(SERVICE_MANAGER):
            raise AccessError(
                self.env._("Only a service manager can %(what)s.", what=what)
            )

    def action_approve_claim(self):
        """Approve the claim (the approved amount defaults to the claimed
        one); traced in the chatter."""
        self._check_service_manager(self.env._("approve a claim"))
        for ticket in self:
            if not ticket.is_claim:
                raise UserError(
                    self.env._("%(number)s is not a claim.", number=ticket.number)
                )
            amount = ticket.claim_approved_amount or ticket.claim_amount
            if amount <= 0:
                raise UserError(
                    self.env._(
                        "Claim %(number)s: set the claimed or approved amount first.",
                        number=ticket.number,
                    )
                )
            ticket.sudo().write(
                {
                    "claim_state": "approved",
                    "claim_approved_amount": amount,
                    "claim_approved_by": self.env.uid,
                    "claim_approved_date": fields.Date.context_today(ticket),
                }
            )
            ticket.message_post(
                body=self.env._(
                    "Claim approved by %(user)s: %(amount)s.",
                    user=self.env.user.name,
                    amount=ticket.company_id.currency_id.format(amount),
                )
            )
        self._queue_cost_to_serve()
        return True

    def action_reject_claim(self):
        self._check_service_manager(self.env._("reject a claim"))
        self.sudo().write({"claim_state": "rejected", "claim_approved_amount": 0.0})
        for ticket in self:
            ticket.message_post(
                body=self.env._("Claim rejected by %(user)s.", user=self.env.user.name)
            )
        return True

    def _check_approved(self):
        for ticket in self:
            if ticket.claim_state != "approved":
                raise UserError(
                    self.env._(
                        "Claim %(number)s must be approved first.", number=ticket.number
                    )
                )

    def action_create_credit_note(self):
        """A draft customer credit note for the approved compensation, made
        on the service manager's behalf; finance reviews and posts it."""
        self._check_service_manager(self.env._("create a credit note for a claim"))
        self._check_approved()
        for ticket in self.filtered(lambda t: not t.refund_id):
            refund = (
                self.env["account.move"]
                .sudo()
                .with_company(ticket.company_id)
                .create(
                    {
                        "move_type": "out_refund",
                        "partner_id": ticket.commercial_partner_id.id,
                        "invoice_origin": ticket.number,
                        "ref": self.env._(
                            "Compensation for claim %(number)s", number=ticket.number
                        ),
                        "invoice_line_ids": [
                            Command.create(
                                {
                                    "name": self.env._(
                                        "Compensation: %(subject)s", subject=ticket.name
                                    ),
                                    "quantity": 1,
                                    "price_unit": ticket.claim_approved_amount,
                                    "tax_ids": [Command.clear()],
                                }
                            )
                        ],
                    }
                )
            )
            ticket.sudo().refund_id = refund
            ticket.message_post(
                body=self.env._(
                    "Credit note %(name)s created.", name=refund.display_name
                )
            )
        return self._open(self.sudo().refund_id)

    def action_create_return(self):
        """A return of the whole delivery, linked to the claim."""
        self._check_service_manager(self.env._("create a return for a claim"))
        self._check_approved()
        for ticket in self.filtered(lambda t: not t.return_picking_id):
            if not ticket.picking_id or ticket.picking_id.state != "done":
                raise UserError(
                    self.env._(
                        "Claim %(number)s has no done delivery to return.",
                        number=ticket.number,
                    )
                )
            wizard = (
                self.env["stock.return.picking"]
                .sudo()
                .with_context(
                    active_id=ticket.picking_id.id, active_model="stock.picking"
                )
                .create({})
            )
            for line in wizard.product_return_moves:
                line.quantity = line.move_id.quantity
            returned = wizard._create_return()
            ticket.sudo().return_picking_id = returned
            ticket.message_post(
                body=self.env._("Return %(name)s created.", name=returned.name)
            )
        return self._open(self.return_picking_id)

    def _send_rating_request(self):
        """Ask the customer to rate a solved ticket (1-5, e-mail link and
        portal); cancelled tickets and customers without e-mail are skipped."""
        template = self.env.ref(
            "crm_zhongzheng.service_ticket_rating_request", raise_if_not_found=False
        )
        for ticket in self:
            partner = ticket._rating_get_partner()
            if template and partner.email and not ticket.stage_id.is_cancelled:
                ticket.sudo().rating_send_request(template, force_send=False)

    def action_record_rating(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Record Customer Rating"),
            "res_model": "zhongzheng.ticket.rating",
            "view_mode": "form",
            "target": "new",
            "context": {"default_ticket_id": self.id},
        }

    def _record_rating(self, score, feedback=None):
        """Staff record the customer's rating, e.g. from a follow-up call."""
        self.ensure_one()
        if score not in (1, 2, 3, 4, 5):
            raise UserError(self.env._("A rating runs from 1 to 5."))
        token = self.sudo()._rating_get_access_token()
        return self.rating_apply(score, token=token, feedback=feedback)

    @api.model
    def _cron_schedule_followups(self):
        """Follow-up visits (客户回访): a ticket for each delivery done the
        configured number of days ago to a customer of the chosen tiers."""
        followup = self.env.ref("crm_zhongzheng.service_ticket_type_followup")
        created = self.browse()
        for company in self.env["res.company"].search(
            [("followup_tier_ids", "!=", False)]
        ):
            cutoff = fields.Datetime.now() - timedelta(days=company.followup_days)
            pickings = self.env["stock.picking"].search(
                [
                    ("company_id", "=", company.id),
                    ("picking_type_code", "=", "outgoing"),
                    ("state", "=", "done"),
                    ("date_done", "<=", cutoff),
                    ("date_done", ">", cutoff - timedelta(days=7)),
                ]
            )
            done = set(
                self.search(
                    [("type_id", "=", followup.id), ("picking_id", "in", pickings.ids)]
                ).mapped("picking_id.id")
            )
            for picking in pickings:
                customer = picking.partner_id.commercial_partner_id.with_company(
                    company
                )
                if (
                    picking.id in done
                    or customer.tier_id not in company.followup_tier_ids
                ):
                    continue
                created |= self.create(
                    {
                        "name": self.env._(
                            "Follow-up visit after %(picking)s", picking=picking.name
                        ),
                        "type_id": followup.id,
                        "partner_id": picking.partner_id.id,
                        "picking_id": picking.id,
                        "sale_order_id": picking.sale_id.id,
                        "user_id": picking.sale_id.user_id.id,
                        "company_id": company.id,
                        "channel": "phone",
                    }
                )
        return created

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

    def _open(self, records):
        action = {
            "type": "ir.actions.act_window",
            "res_model": records._name,
            "view_mode": "form",
        }
        if len(records) == 1:
            action["res_id"] = records.id
        else:
            action.update(view_mode="list,form", domain=[("id", "in", records.ids)])
        return action

    def _queue_cost_to_serve(self):
        queue = self.env["zhongzheng.value.queue"].sudo()
        for company in self.company_id:
            tickets = self.filtered(lambda t, c=company: t.company_id == c)
            queue._enqueue(tickets.commercial_partner_id | tickets.supplier_id, company)

    @api.model
    def _cron_sla_check(self):
        """Refresh the SLA status of open tickets; when one turns at risk or
        breached, give its assignee and its team manager an activity."""
        now = fields.Datetime.now()
        tickets = self.search([("is_closed", "=", False), ("sla_id", "!=", False)])
        todo = self.env.ref("mail.mail_activity_data_todo")
        for ticket in tickets:
            status = ticket._sla_compute_status(now)
            if status != ticket.sla_status:
                ticket.sla_status = status
            if status in ("at_risk", "breached") and ticket.sla_alerted != status:
                summary = (
                    self.env._("SLA breached: %(number)s", number=ticket.number)
                    if status == "breached"
                    else self.env._("SLA at risk: %(number)s", number=ticket.number)
                )
                for user in ticket.user_id | ticket.team_id.manager_id:
                    ticket.activity_schedule(
                        activity_type_id=todo.id,
                        summary=summary,
                        user_id=user.id,
                        date_deadline=fields.Date.context_today(ticket),
                    )
                ticket.sla_alerted = status
        return len(tickets)

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

