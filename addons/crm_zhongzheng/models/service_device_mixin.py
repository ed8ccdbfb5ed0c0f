from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models

from .field_kinds import measured

# a maintenance visit's or recall's priority from the customer's tier
# (zhongzheng.customer.tier._service_priorities)
SEVERITY_PRIORITY = {"low": "0", "medium": "1", "high": "2", "critical": "3"}


class ServiceDeviceMixin(models.AbstractModel):
    """Tickets about installed devices (在用设备): the maintenance visit
    (定期维护回访) the nightly job opens for a device coming due, and the
    recall (召回) ticket of a customer. A maintenance visit is a follow-up
    visit ticket naming the device and its due date; closing it (not
    cancelled) records the device's maintenance, which moves its next due
    date on. One visit per device and due date: the job skips those that
    have one and the database refuses a second."""

    _name = "zhongzheng.service.device.mixin"
    _description = "Service Ticket about Devices"

    maintenance_lot_id = measured(
        fields.Many2one,
        "stock.lot",
        string="Device Due for Maintenance",
        index="btree_not_null",
    )
    maintenance_due_date = measured(fields.Date, string="Maintenance Due")
    recall_id = measured(fields.Many2one, "zhongzheng.device.recall", index=True)

    _sql_constraints = [
        (
            "maintenance_once_per_due_date",
            "UNIQUE(maintenance_lot_id, maintenance_due_date)",
            "A device has one maintenance visit per due date.",
        ),
    ]

    def write(self, vals):
        result = super().write(vals)
        if "stage_id" in vals:
            self._record_maintenance_done()
        return result

    def _record_maintenance_done(self):
        done = self.filtered(
            lambda t: (
                t.maintenance_lot_id and t.is_closed and not t.stage_id.is_cancelled
            )
        )
        today = fields.Date.context_today(self)
        for lot in done.maintenance_lot_id:
            lot.sudo().zz_last_maintenance_date = today

    @api.model
    def _cron_schedule_maintenance(self):
        """A maintenance visit ticket for each device whose maintenance
        falls due within the company's ``device_maintenance_days``, once per
        device and due date (reruns open none more). Returns the tickets."""
        tickets = self.browse()
        Device = self.env["zhongzheng.installed.device"].sudo()
        for company in self.env["res.company"].sudo().search([]):
            horizon = fields.Date.context_today(self) + timedelta(
                days=company.device_maintenance_days
            )
            devices = Device.search(
                [
                    ("company_id", "=", company.id),
                    ("maintenance_due_date", "<=", horizon),
                ]
            )
            if devices:
                tickets |= self._open_maintenance_visits(company, devices)
        return tickets

    @api.model
    def _open_maintenance_visits(self, company, devices):
        """One query for the visits already open for these devices, one
        create for the rest."""
        opened = {
            (ticket.maintenance_lot_id.id, ticket.maintenance_due_date)
            for ticket in self.sudo().search_fetch(
                [("maintenance_lot_id", "in", devices.lot_id.ids)],
                ["maintenance_lot_id", "maintenance_due_date"],
            )
        }
        due = devices.filtered(
            lambda d: (d.lot_id.id, d.maintenance_due_date) not in opened
        )
        if not due:
            return self.browse()
        priorities = self.env["zhongzheng.customer.tier"]._service_priorities(
            company, due.partner_id
        )
        visit_type = self.env.ref("crm_zhongzheng.service_ticket_type_followup")
        team = company._device_team()
        return self.sudo().create(
            [
                {
                    "name": self.env._(
                        "Maintenance of %(product)s %(serial)s due %(date)s",
                        product=device.product_id.display_name,
                        serial=device.lot_id.name,
                        date=device.maintenance_due_date,
                    ),
                    "type_id": visit_type.id,
                    "partner_id": device.partner_id.id,
                    "company_id": company.id,
                    "team_id": team.id,
                    "priority": priorities[device.partner_id.id],
                    "channel": "onsite",
                    "lot_ids": [Command.set(device.lot_id.ids)],
                    "product_ids": [Command.set(device.product_id.ids)],
                    "maintenance_lot_id": device.lot_id.id,
                    "maintenance_due_date": device.maintenance_due_date,
                    "description": self._device_description(device),
                }
                for device in due
            ]
        )

    @api.model
    def _device_description(self, device):
        # one escape of the whole sentence, names included
        return Markup("<p>%s</p>") % self.env._(
            "%(serial)s, delivered %(date)s by %(picking)s to %(address)s.",
            serial=device.lot_id.name,
            date=device.delivery_date,
            picking=device.picking_id.name or "",
            address=device.address_id.display_name or "",
        )
