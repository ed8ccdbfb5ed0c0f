from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from .field_kinds import EMPLOYEES, internal, measured

SERVICE_MANAGER = "crm_zhongzheng.group_service_manager"

# a service manager's decision on a claim and what settles it
CLAIM_DECISION_FIELDS = {
    "claim_state",
    "claim_approved_amount",
    "claim_approved_by",
    "claim_approved_date",
    "refund_id",
    "return_picking_id",
    "exchange_picking_id",
}
# what the claimant's side states: editable until the claim is decided
CLAIM_REQUEST_FIELDS = {"claim_amount", "claim_cause", "claim_remedy", "type_id"}


class ServiceClaimMixin(models.AbstractModel):
    """Claims and compensation (理赔 / 赔偿) on a service ticket of a claim
    type: the claimed amount, a service manager's approval or rejection,
    and what settles it, each traced in the chatter: a credit note of the
    compensation, a return of the delivery, or for a replacement Odoo's
    return for exchange (the goods come back, the same go out again).

    The ticket using it has ``type_id``, ``is_claim``, ``number``, ``name``,
    ``company_id``, ``commercial_partner_id``, ``picking_id`` and
    ``_queue_cost_to_serve`` (an approved claim is a cost to serve), and
    ``_fields_changing`` (which fields of a write change a value); the
    ticket calls ``_check_claim_create`` and ``_check_claim_write`` before
    a user's create or write."""

    _name = "zhongzheng.service.claim.mixin"
    _description = "Service Claim"
    _inherit = ["mail.thread"]

    claim_amount = fields.Float(
        string="Claimed Amount", digits="Account", tracking=True
    )
    claim_approved_amount = internal(
        fields.Float, string="Approved Compensation", digits="Account", tracking=True
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
        groups=EMPLOYEES,
    )
    claim_remedy = fields.Selection(
        [("compensation", "Compensation"), ("replace", "Replacement")],
        string="Settlement",
        default="compensation",
        tracking=True,
        groups=EMPLOYEES,
        help="Compensation: a credit note of the approved amount (and a return "
        "if the goods come back). Replacement: the delivered goods come back "
        "and the same are delivered again.",
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
        groups=EMPLOYEES,
    )
    claim_approved_by = measured(fields.Many2one, "res.users", tracking=True)
    claim_approved_date = measured(fields.Date, tracking=True)
    refund_id = measured(
        fields.Many2one, "account.move", string="Credit Note", tracking=True
    )
    return_picking_id = measured(
        fields.Many2one, "stock.picking", string="Return", tracking=True
    )
    exchange_picking_id = measured(
        fields.Many2one, "stock.picking", string="Replacement Delivery", tracking=True
    )

    @api.depends("type_id")
    def _compute_claim_state(self):
        for ticket in self:
            if not ticket.is_claim:
                ticket.claim_state = False
            elif not ticket.claim_state:
                ticket.claim_state = "draft"

    @api.constrains("claim_amount", "claim_approved_amount")
    def _check_claim_amounts(self):
        self._check_not_negative(["claim_amount", "claim_approved_amount"])

    def _check_claim_create(self, vals):
        """Only a service manager creates a ticket with a claim decision
        (e.g. an import of approved claims)."""
        decided = {
            name
            for name in CLAIM_DECISION_FIELDS & set(vals)
            if vals[name] and not (name == "claim_state" and vals[name] == "draft")
        }
        if decided:
            self._check_service_manager(self.env._("decide a claim"))

    def _check_claim_write(self, vals):
        """A claim's decision is a service manager's; an approved amount is
        only ever lowered; what was claimed stays as it was once decided."""
        changing = self._fields_changing(
            {
                k: v
                for k, v in vals.items()
                if k in CLAIM_DECISION_FIELDS or k in CLAIM_REQUEST_FIELDS
            }
        )
        if changing & CLAIM_DECISION_FIELDS:
            self._check_service_manager(self.env._("decide a claim"))
        if "claim_approved_amount" in changing:
            for ticket in self.sudo().filtered(lambda t: t.claim_state == "approved"):
                if (vals["claim_approved_amount"] or 0.0) > (
                    ticket.claim_approved_amount
                ):
                    raise UserError(
                        self.env._(
                            "Claim %(number)s is approved: its approved amount "
                            "can only be lowered.",
                            number=ticket.number,
                        )
                    )
        if changing & CLAIM_REQUEST_FIELDS and not self.env.user.has_group(
            SERVICE_MANAGER
        ):
            decided = self.sudo().filtered(
                lambda t: t.claim_state in ("approved", "rejected")
            )
            if decided:
                raise UserError(
                    self.env._(
                        "Claim %(number)s is decided: only a service manager "
                        "can change it.",
                        number=decided[0].number,
                    )
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
            replace = ticket.claim_remedy == "replace"
            if amount <= 0 and not replace:
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
                    "Claim approved by %(user)s: replacement of the goods.",
                    user=self.env.user.name,
                )
                if replace
                else self.env._(
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

    def action_create_credit_note(self):
        """A draft customer credit note for the approved compensation, made
        on the service manager's behalf; finance reviews and posts it."""
        self._check_service_manager(self.env._("create a credit note for a claim"))
        self._check_approved()
        for ticket in self.filtered(lambda t: not t.refund_id):
            if ticket.claim_approved_amount <= 0:
                raise UserError(
                    self.env._(
                        "Claim %(number)s has no approved compensation to credit.",
                        number=ticket.number,
                    )
                )
            refund = (
                self.env["account.move"]
                .sudo()
                .with_company(ticket.company_id)
                .create(ticket._credit_note_values())
            )
            ticket.sudo().refund_id = refund
            ticket.message_post(
                body=self.env._(
                    "Credit note %(name)s created.", name=refund.display_name
                )
            )
        return self._open(self.sudo().refund_id)

    def action_create_return(self):
        """A return of the whole delivery, linked to the claim; for a
        replacement, Odoo's return for exchange: the same goods are
        delivered again (the replacement delivery)."""
        self._check_service_manager(self.env._("create a return for a claim"))
        self._check_approved()
        for ticket in self.filtered(lambda t: not t.return_picking_id):
            # sudo: a service manager settles the claim without Inventory
            # rights; what is returned is the ticket's own delivery
            picking = ticket.sudo().picking_id
            if not picking or picking.state != "done":
                raise UserError(
                    self.env._(
                        "Claim %(number)s has no done delivery to return.",
                        number=ticket.number,
                    )
                )
            wizard = (
                self.env["stock.return.picking"]
                .sudo()
                .with_context(active_id=picking.id, active_model="stock.picking")
                .create({})
            )
            for line in wizard.product_return_moves:
                line.quantity = line.move_id.quantity
            if ticket.claim_remedy == "replace":
                ticket._create_exchange(wizard)
            else:
                returned = wizard._create_return()
                ticket.sudo().return_picking_id = returned
                ticket.message_post(
                    body=self.env._("Return %(name)s created.", name=returned.name)
                )
        return self._open(self.return_picking_id)

    def _create_exchange(self, wizard):
        """Odoo's return for exchange (``action_create_exchanges``): the
        return, and the moves it procures to deliver the goods again."""
        self.ensure_one()
        Move = self.env["stock.move"].sudo()
        last_move = Move.search([], order="id desc", limit=1).id
        action = wizard.action_create_exchanges()
        returned = self.env["stock.picking"].sudo().browse(action["res_id"])
        exchange = Move.search(
            [
                ("id", ">", last_move),
                ("picking_id", "not in", [False, returned.id]),
                ("picking_code", "=", "outgoing"),
            ]
        ).picking_id
        self.sudo().write(
            {"return_picking_id": returned.id, "exchange_picking_id": exchange[:1].id}
        )
        self.message_post(
            body=self.env._(
                "Return %(name)s and replacement delivery %(exchange)s created.",
                name=returned.name,
                exchange=exchange[:1].name or self.env._("(none)"),
            )
        )

    def _check_not_negative(self, field_names):
        for ticket in self:
            if min(ticket[name] for name in field_names) < 0:
                raise ValidationError(
                    self.env._(
                        "Ticket %(number)s: amounts cannot be negative.",
                        number=ticket.number,
                    )
                )

    def _check_service_manager(self, what):
        if not self.env.user.has_group(SERVICE_MANAGER):
            raise AccessError(
                self.env._("Only a service manager can %(what)s.", what=what)
            )

    def _check_approved(self):
        for ticket in self:
            if ticket.claim_state != "approved":
                raise UserError(
                    self.env._(
                        "Claim %(number)s must be approved first.", number=ticket.number
                    )
                )

    def _credit_note_values(self):
        """A customer credit note of the approved compensation, untaxed."""
        self.ensure_one()
        return {
            "move_type": "out_refund",
            "partner_id": self.commercial_partner_id.id,
            "invoice_origin": self.number,
            "ref": self.env._("Compensation for claim %(number)s", number=self.number),
            "invoice_line_ids": [
                Command.create(
                    {
                        "name": self.env._(
                            "Compensation: %(subject)s", subject=self.name
                        ),
                        "quantity": 1,
                        "price_unit": self.claim_approved_amount,
                        "tax_ids": [Command.clear()],
                    }
                )
            ],
        }

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
