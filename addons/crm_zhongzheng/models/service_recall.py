from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError

from .company_sequence_mixin import next_company_number
from .field_kinds import CRM_USER
from .service_claim_mixin import SERVICE_MANAGER
from .service_device_mixin import SEVERITY_PRIORITY

SEVERITIES = [
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
    ("critical", "Critical"),
]
LINE_STATES = [
    ("notified", "Notified"),
    ("acknowledged", "Acknowledged"),
    ("returned", "Returned"),
    ("fixed", "Fixed"),
]


class DeviceRecall(models.Model):
    """A recall (召回) of lots or serial numbers of a product, by its
    manufacturer or by us. Launching it finds every customer who holds an
    affected lot now, per the installed base (a lot returned and delivered
    again is at its new holder's), and opens one ticket per customer
    listing its devices, the customers of the top tier first; each
    customer's line then moves from notified to acknowledged, returned or
    fixed. While it runs, its lots show a warning and their delivery is
    refused unless a manager overrides it (stock_picking_recall.py).

    Service managers create and launch recalls; service users read them
    and move their customers' lines on."""

    _name = "zhongzheng.device.recall"
    _description = "Device Recall"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(
        string="Reference", required=True, copy=False, readonly=True, default="/"
    )
    product_id = fields.Many2one(
        "product.product",
        required=True,
        tracking=True,
        domain=[("tracking", "!=", "none")],
    )
    lot_ids = fields.Many2many(
        "stock.lot",
        "zhongzheng_device_recall_stock_lot_rel",
        "recall_id",
        "lot_id",
        string="Lots/Serial Numbers",
        required=True,
        domain="[('product_id', '=', product_id)]",
    )
    reason = fields.Text(required=True, translate=True)
    severity = fields.Selection(
        SEVERITIES, required=True, default="high", tracking=True
    )
    state = fields.Selection(
        [("draft", "Draft"), ("running", "Running"), ("done", "Closed")],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
    )
    date_launched = fields.Datetime(readonly=True, copy=False)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    line_ids = fields.One2many(
        "zhongzheng.device.recall.line", "recall_id", string="Customers", readonly=True
    )
    customer_count = fields.Integer(compute="_compute_progress")
    acknowledged_count = fields.Integer(compute="_compute_progress")
    open_count = fields.Integer(string="Not Yet Settled", compute="_compute_progress")

    @api.depends("line_ids.state")
    def _compute_progress(self):
        for recall in self:
            states = recall.line_ids.mapped("state")
            recall.customer_count = len(states)
            recall.acknowledged_count = states.count("acknowledged")
            recall.open_count = sum(
                1 for state in states if state in ("notified", "acknowledged")
            )

    @api.constrains("product_id", "lot_ids")
    def _check_lots(self):
        for recall in self:
            wrong = recall.lot_ids.filtered(
                lambda lot, r=recall: lot.product_id != r.product_id
            )
            if wrong:
                raise UserError(
                    self.env._(
                        "Recall %(recall)s is about %(product)s: %(lots)s are "
                        "lots of another product.",
                        recall=recall.name,
                        product=recall.product_id.display_name,
                        lots=", ".join(wrong.mapped("name")),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = next_company_number(
                    self.env, vals, "zhongzheng.device.recall"
                )
        return super().create(vals_list)

    def write(self, vals):
        started = self.filtered(lambda r: r.state != "draft")
        if started and {"product_id", "lot_ids", "company_id"} & set(vals):
            raise UserError(
                self.env._(
                    "Recall %(recall)s is launched: its product and lots no "
                    "longer change (start another recall for more lots).",
                    recall=started[0].name,
                )
            )
        result = super().write(vals)
        if {"state", "lot_ids", "company_id"} & set(vals):
            self._invalidate_recalled()
        return result

    def _invalidate_recalled(self):
        """What shows a recall's lots as recalled is computed on read: drop
        what the transaction has read before the recall started or ended."""
        self.env["zhongzheng.installed.device"].invalidate_model(["recalled"])
        self.env["stock.lot"].invalidate_model(["zz_recall_ids", "zz_recall_warning"])
        self.env["stock.picking"].invalidate_model(["zz_recall_warning"])

    def _check_manager(self):
        if not self.env.user.has_group(SERVICE_MANAGER):
            raise AccessError(
                self.env._("Only a service manager launches or closes a recall.")
            )

    def action_launch(self):
        """Open the tickets: one per customer holding affected lots."""
        self._check_manager()
        for recall in self:
            if recall.state != "draft":
                raise UserError(
                    self.env._(
                        "Recall %(recall)s is already launched.", recall=recall.name
                    )
                )
            recall.sudo()._open_customer_tickets()
            recall.write({"state": "running", "date_launched": fields.Datetime.now()})
        return True

    def action_close(self):
        self._check_manager()
        self.write({"state": "done"})
        return True

    def action_print_notices(self):
        """The recall notice of every customer, each in its language."""
        self.ensure_one()
        return self.env.ref("crm_zhongzheng.recall_notice_report_action").report_action(
            self.line_ids
        )

    def action_view_tickets(self):
        """The recall's tickets as a list in the order it opened them, the
        top tier's customer first (ticket lists show the newest first)."""
        self.ensure_one()
        action = self.env["zhongzheng.service.ticket"]._tickets_action(
            [("recall_id", "=", self.id)], {}
        )
        in_order = self.env.ref("crm_zhongzheng.service_ticket_view_list_recall")
        action["views"] = [(in_order.id, "list")] + [
            view for view in action["views"] if view[1] != "list"
        ]
        return action

    def _holders(self):
        """[(customer, its installed devices of the recall)], customers of
        the top tier first (then by name)."""
        devices = self.env["zhongzheng.installed.device"].search(
            [
                ("lot_id", "in", self.lot_ids.ids),
                ("company_id", "=", self.company_id.id),
            ]
        )
        customers = devices.partner_id.with_company(self.company_id)
        order = {
            partner.id: (
                partner.tier_id.sequence if partner.tier_id else 10**6,
                partner.name or "",
                partner.id,
            )
            for partner in customers
        }
        return [
            (partner, devices.filtered(lambda d, p=partner: d.partner_id == p))
            for partner in customers.sorted(lambda p: order[p.id])
        ]

    def _open_customer_tickets(self):
        self.ensure_one()
        recall_type = self.env.ref("crm_zhongzheng.service_ticket_type_recall")
        team = self.company_id._device_team()
        holders = self._holders()
        tiers = {partner.id: partner.tier_id for partner, _devices in holders}
        tickets = self.env["zhongzheng.service.ticket"].create(
            [
                {
                    "name": self.env._(
                        "Recall %(recall)s: %(product)s",
                        recall=self.name,
                        product=self.product_id.display_name,
                    ),
                    "type_id": recall_type.id,
                    "partner_id": partner.id,
                    "company_id": self.company_id.id,
                    "team_id": team.id,
                    "priority": SEVERITY_PRIORITY[self.severity],
                    "channel": "phone",
                    "recall_id": self.id,
                    "lot_ids": [Command.set(devices.lot_id.ids)],
                    "product_ids": [Command.set(self.product_id.ids)],
                    "description": self._ticket_description(devices),
                }
                for partner, devices in holders
            ]
        )
        # sudo: the lines' tiers are written by the recall, for a service
        # manager who may not read tiers
        self.env["zhongzheng.device.recall.line"].sudo().create(
            [
                {
                    "recall_id": self.id,
                    "partner_id": ticket.partner_id.id,
                    "ticket_id": ticket.id,
                    "lot_ids": [Command.set(ticket.lot_ids.ids)],
                    "tier_id": tiers[ticket.partner_id.id].id,
                    "tier_sequence": tiers[ticket.partner_id.id].sequence or 10**6,
                }
                for ticket in tickets
            ]
        )
        return tickets

    def _ticket_description(self, devices):
        items = Markup("").join(
            Markup("<li>%s</li>")
            % self.env._(
                "%(serial)s (delivered %(date)s to %(address)s)",
                serial=device.lot_id.name,
                date=device.delivery_date,
                address=device.address_id.display_name or "",
            )
            for device in devices
        )
        return Markup("<p>%s</p><p>%s</p><ul>%s</ul>") % (
            self.reason,
            self.env._("Affected devices of this customer:"),
            items,
        )


class DeviceRecallLine(models.Model):
    """A customer of a recall: its affected devices, its ticket and how far
    it has got. Service users move it on; nobody changes what was found."""

    _name = "zhongzheng.device.recall.line"
    _description = "Device Recall Customer"
    _order = "recall_id desc, tier_sequence, id"
    _rec_name = "partner_id"

    recall_id = fields.Many2one(
        "zhongzheng.device.recall", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True
    )
    lot_ids = fields.Many2many("stock.lot", string="Affected Devices")
    device_count = fields.Integer(
        string="Devices", compute="_compute_device_count", store=True, aggregator="sum"
    )
    ticket_id = fields.Many2one("zhongzheng.service.ticket")
    # the tier is a CRM figure (the rights matrix): a service user who is no
    # CRM user sees the order of the lines, not the tiers
    tier_id = fields.Many2one("zhongzheng.customer.tier", groups=CRM_USER)
    tier_sequence = fields.Integer()
    state = fields.Selection(LINE_STATES, default="notified", required=True)
    product_id = fields.Many2one(related="recall_id.product_id", store=True)
    severity = fields.Selection(related="recall_id.severity", store=True)
    company_id = fields.Many2one(related="recall_id.company_id", store=True, index=True)

    @api.depends("lot_ids")
    def _compute_device_count(self):
        for line in self:
            line.device_count = len(line.lot_ids)

    def write(self, vals):
        if not self.env.su and set(vals) - {"state"}:
            raise AccessError(
                self.env._(
                    "A recall's customers and their devices are what the "
                    "recall found: only their progress changes."
                )
            )
        return super().write(vals)

    def _set_state(self, state):
        self.write({"state": state})
        return True

    def action_acknowledged(self):
        return self._set_state("acknowledged")

    def action_returned(self):
        return self._set_state("returned")

    def action_fixed(self):
        return self._set_state("fixed")
