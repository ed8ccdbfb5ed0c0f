from odoo import api, fields, models
from odoo.exceptions import ValidationError


class DeviceSettingsMixin(models.AbstractModel):
    """The company's settings of installed devices: maintenance visits and
    recalls (installed_device.py, service_recall.py); res.company inherits
    it."""

    _name = "zhongzheng.device.settings.mixin"
    _description = "Device Settings of a Company"

    device_maintenance_days = fields.Integer(
        string="Maintenance Visits ahead (days)",
        default=30,
        help="A maintenance visit ticket is opened for each device whose "
        "maintenance falls due within this many days.",
    )
    device_team_id = fields.Many2one(
        "zhongzheng.service.team",
        string="Device Service Team",
        groups="base.group_user",
        help="The team that gets maintenance visits and recall tickets; "
        "empty: the company's first service team.",
    )

    def _device_team(self):
        """The team of maintenance visits and recall tickets."""
        self.ensure_one()
        return self.sudo().device_team_id or self.env[
            "zhongzheng.service.team"
        ].sudo().search([("company_id", "in", [self.id, False])], limit=1)

    @api.constrains("device_maintenance_days", "device_team_id")
    def _check_device_settings(self):
        for company in self:
            if not 0 <= company.device_maintenance_days <= 366:
                raise ValidationError(
                    self.env._("Maintenance visits open 0 to 366 days ahead.")
                )
            team = company.sudo().device_team_id
            if team.company_id and team.company_id != company:
                raise ValidationError(
                    self.env._(
                        "The device service team must be one of %(company)s.",
                        company=company.name,
                    )
                )
