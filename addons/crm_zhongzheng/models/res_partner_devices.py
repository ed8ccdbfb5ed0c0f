from odoo import fields, models

from .installed_device import SERVICE_USER


class DeviceHolderMixin(models.AbstractModel):
    """The customer's installed base on the partner (a room of res.partner,
    see res_partner.py): the smart button and its list."""

    _name = "zhongzheng.device.holder.mixin"
    _description = "Customer with Installed Devices"

    zz_device_count = fields.Integer(
        string="Devices",
        compute="_compute_zz_device_count",
        groups=SERVICE_USER,
    )

    def _compute_zz_device_count(self):
        customers = self.commercial_partner_id
        counts = dict(
            self.env["zhongzheng.installed.device"]._read_group(
                [("partner_id", "in", customers.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.zz_device_count = counts.get(partner.commercial_partner_id, 0)

    def action_view_zz_devices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_zhongzheng.installed_device_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {"search_default_group_product": 1}
        return action
