from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.crm_zhongzheng.models.field_kinds import notification

SERVICE_MANAGER = "crm_zhongzheng.group_service_manager"
SERVICE_USER = "crm_zhongzheng.group_service_user"
STOCK_USER = "stock.group_stock_user"


class ServiceTicket(models.Model):
    """Repairs from a service ticket about a device (维修单): *Create
    Repair* opens an Odoo repair order for each of the ticket's serial
    numbers or lots, for the ticket's customer, under warranty when the
    installed base says so; the ticket shows its repairs' states."""

    _inherit = "zhongzheng.service.ticket"

    # the repairs themselves are Inventory's (Odoo's repair rights)
    repair_ids = fields.One2many("repair.order", "zz_ticket_id", groups=STOCK_USER)
    # what the team sees without Inventory rights: computed as superuser
    repair_count = fields.Integer(
        compute="_compute_repair_status", compute_sudo=True, groups=SERVICE_USER
    )
    repair_status = fields.Char(
        compute="_compute_repair_status",
        compute_sudo=True,
        groups=SERVICE_USER,
        help="Each repair of the ticket with its state.",
    )

    @api.depends("repair_ids.state", "repair_ids.name")
    def _compute_repair_status(self):
        for ticket in self:
            repairs = ticket.repair_ids.sorted("id")
            ticket.repair_count = len(repairs)
            ticket.repair_status = ", ".join(
                f"{repair.name} ({repair._zz_state_label()})" for repair in repairs
            )

    def _portal_repairs(self):
        """The ticket's repairs the customer may see on the portal: those
        for its own company (sudo; customer-facing fields only are shown)."""
        self.ensure_one()
        return (
            self.sudo()
            .repair_ids.filtered(
                lambda r: (
                    r.partner_id.commercial_partner_id == self.commercial_partner_id
                )
            )
            .sorted("id")
        )

    def action_create_repair(self):
        """Open a repair order for each of the ticket's lots or serial
        numbers that has no repair from it yet (not cancelled): its product,
        the ticket's customer, under warranty when the installed base says
        so, linked to the ticket.

        :returns: the repair's form for Inventory users, else a notification.
        :raises AccessError: the user is neither in the ticket's team nor a
            service manager.
        :raises UserError: the ticket is closed, names no device, or each of
            its devices already has a repair.
        """
        self.ensure_one()
        self._check_repair_rights()
        if self.is_closed:
            raise UserError(
                self.env._(
                    "Ticket %(number)s is closed: reopen it to create a repair.",
                    number=self.number,
                )
            )
        # sudo: after the rights check; the team need no Inventory rights
        ticket = self.sudo()
        lots = ticket.lot_ids
        if not lots:
            raise UserError(
                self.env._(
                    "Ticket %(number)s names no device: add its serial or lot "
                    "number first.",
                    number=self.number,
                )
            )
        repaired = ticket.repair_ids.filtered(lambda r: r.state != "cancel").lot_id
        todo = lots - repaired
        if not todo:
            raise UserError(
                self.env._(
                    "Each device of ticket %(number)s already has a repair.",
                    number=self.number,
                )
            )
        repairs = (
            self.env["repair.order"]
            .sudo()
            .with_company(ticket.company_id)
            .create([ticket._repair_values(lot) for lot in todo])
        )
        for repair in repairs:
            warranty = (
                self.env._("under warranty")
                if repair.under_warranty
                else self.env._("not under warranty")
            )
            self.message_post(
                body=self.env._(
                    "Repair %(name)s created for %(lot)s, %(warranty)s.",
                    name=repair.name,
                    lot=repair.lot_id.name,
                    warranty=warranty,
                ),
                subtype_xmlid="mail.mt_note",
            )
            repair.message_post(
                body=self.env._(
                    "Created from service ticket %(number)s.", number=self.number
                ),
                subtype_xmlid="mail.mt_note",
            )
        if not self.env.user.has_group(STOCK_USER):
            return notification(
                self.env._(
                    "Repair %(names)s created.",
                    names=", ".join(repairs.mapped("name")),
                ),
                kind="success",
            )
        return self.action_view_repairs()

    def action_view_repairs(self):
        self.ensure_one()
        repairs = self.repair_ids
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "repair.action_repair_order_tree"
        )
        if len(repairs) == 1:
            action.update(views=[(False, "form")], res_id=repairs.id)
        else:
            action["domain"] = [("id", "in", repairs.ids)]
        return action

    def _check_repair_rights(self):
        """Service users of the ticket's team (members, its manager) and
        service managers create repairs from it."""
        user = self.env.user
        team = self.sudo().team_id
        if not user.has_group(SERVICE_MANAGER) and (
            user not in team.member_ids | team.manager_id
        ):
            raise AccessError(
                self.env._(
                    "Only the team of ticket %(number)s or a service manager "
                    "can create a repair from it.",
                    number=self.number,
                )
            )

    def _repair_values(self, lot):
        """A repair order of ``lot`` for the ticket's customer; under
        warranty per the installed base (``stock.lot.zz_under_warranty``)
        when the customer is the one who holds it."""
        self.ensure_one()
        customer = self.commercial_partner_id
        note = Markup("<p>%s</p>") % self.env._(
            "Service ticket %(number)s: %(subject)s",
            number=self.number,
            subject=self.name,
        )
        return {
            "product_id": lot.product_id.id,
            "lot_id": lot.id,
            "partner_id": customer.id,
            "under_warranty": lot.zz_under_warranty and lot.zz_partner_id == customer,
            "company_id": self.company_id.id,
            "internal_notes": note + (self.description or ""),
            "zz_ticket_id": self.id,
        }
