from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

DEVICE = "zhongzheng.installed.device"


class DevicePortal(CustomerPortal):
    """The customer's installed base on the portal: its devices and their
    warranty. The search runs as the portal user (the record rule keeps it
    to its own company's devices) and on its own commercial partner (so an
    employee sees only their own too); what is shown of the lot and the
    product is read with sudo from those rows only."""

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "device_count" in counters:
            Device = request.env[DEVICE]
            values["device_count"] = (
                Device.search_count(self._device_domain())
                if Device.has_access("read")
                else 0
            )
        return values

    def _device_domain(self):
        return [
            ("partner_id", "=", request.env.user.partner_id.commercial_partner_id.id)
        ]

    @http.route(
        ["/my/devices", "/my/devices/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_devices(self, page=1, **kw):
        Device = request.env[DEVICE]
        if not Device.has_access("read"):
            raise NotFound()
        values = self._prepare_portal_layout_values()
        domain = self._device_domain()
        pager = portal_pager(
            url="/my/devices",
            total=Device.search_count(domain),
            page=page,
            step=self._items_per_page,
        )
        devices = Device.search(
            domain, limit=self._items_per_page, offset=pager["offset"]
        )
        values.update(
            {
                "devices": devices.sudo(),
                "page_name": "device",
                "pager": pager,
                "default_url": "/my/devices",
            }
        )
        return request.render("crm_zhongzheng.portal_my_devices", values)

    @http.route(["/my/devices/<int:device_id>"], type="http", auth="user", website=True)
    def portal_my_device(self, device_id, **kw):
        Device = request.env[DEVICE]
        device = (
            Device.search(self._device_domain() + [("id", "=", device_id)])
            if Device.has_access("read")
            else Device
        )
        if not device:
            raise NotFound()
        values = self._prepare_portal_layout_values()
        device = device.sudo()
        # the customer's own tickets about the device (sudo: the portal user
        # cannot read lots to search on them; the domain keeps it to its own)
        tickets = (
            request.env["zhongzheng.service.ticket"]
            .sudo()
            .search(
                [
                    ("commercial_partner_id", "=", device.partner_id.id),
                    ("lot_ids", "in", device.lot_id.ids),
                ]
            )
        )
        values.update({"device": device, "tickets": tickets, "page_name": "device"})
        return request.render("crm_zhongzheng.portal_my_device", values)
