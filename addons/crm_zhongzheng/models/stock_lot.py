from odoo import api, fields, models
from odoo.exceptions import AccessError

from .installed_device import SERVICE_USER

# what a service user (not an inventory user) may change on a lot
SERVICE_LOT_FIELDS = {"zz_installation_date"}


class StockLot(models.Model):
    """Who holds a lot or serial number now, and its warranty, from the
    installed base (``zhongzheng.installed.device``). For a lot split among
    several customers, the holder is the one delivered last; all of them
    are in ``zz_device_ids``. Service data: Customer Service users only."""

    _inherit = "stock.lot"

    zz_installation_date = fields.Date(
        string="Installation Date",
        groups=SERVICE_USER,
        tracking=True,
        help="When the device was installed at the customer's: the warranty "
        "and maintenance count from it instead of the delivery.",
    )
    zz_last_maintenance_date = fields.Date(
        string="Last Maintenance",
        readonly=True,
        copy=False,
        groups=SERVICE_USER,
        help="When the last maintenance visit ticket of this device was done.",
    )
    zz_device_ids = fields.One2many(
        "zhongzheng.installed.device",
        "lot_id",
        string="Installed at",
        groups=SERVICE_USER,
    )
    zz_partner_id = fields.Many2one(
        "res.partner",
        string="Held by",
        compute="_compute_zz_device",
        search="_search_zz_partner_id",
        compute_sudo=True,
        groups=SERVICE_USER,
        help="The customer who holds the lot now (its last delivery not "
        "returned), per the installed base.",
    )
    zz_warranty_end = fields.Date(
        string="Warranty End",
        compute="_compute_zz_device",
        compute_sudo=True,
        groups=SERVICE_USER,
    )
    zz_under_warranty = fields.Boolean(
        string="Under Warranty",
        compute="_compute_zz_device",
        search="_search_zz_under_warranty",
        compute_sudo=True,
        groups=SERVICE_USER,
    )

    # a safety warning: whoever reads the lot sees it (warehouse included)
    zz_recall_ids = fields.Many2many(
        "zhongzheng.device.recall",
        string="Running Recalls",
        compute="_compute_zz_recall",
        search="_search_zz_recall_ids",
        compute_sudo=True,
    )
    zz_recall_warning = fields.Char(
        string="Recall Warning", compute="_compute_zz_recall", compute_sudo=True
    )

    def _compute_zz_recall(self):
        recalls = self.env["zhongzheng.device.recall"].search(
            [("state", "=", "running"), ("lot_ids", "in", self.ids)]
        )
        for lot in self:
            mine = recalls.filtered(lambda r, lot=lot: lot in r.lot_ids)
            lot.zz_recall_ids = mine
            lot.zz_recall_warning = (
                self.env._(
                    "Recalled (%(recalls)s): %(reasons)s",
                    recalls=", ".join(mine.mapped("name")),
                    reasons="; ".join(mine.mapped("reason")),
                )
                if mine
                else False
            )

    def _search_zz_recall_ids(self, operator, value):
        if operator not in ("=", "!=") or value:
            return NotImplemented
        recalls = (
            self.env["zhongzheng.device.recall"]
            .sudo()
            .search([("state", "=", "running")])
        )
        domain = [("id", "in", recalls.lot_ids.ids)]
        return domain if operator == "!=" else ["!", *domain]

    def _zz_current_devices(self):
        """{lot id: its installed-base row delivered last}."""
        Device = self.env["zhongzheng.installed.device"]
        # a view: what the cache holds may predate the moves just done
        Device.invalidate_model()
        devices = Device.search(
            [("lot_id", "in", self.ids)], order="delivery_date desc, id desc"
        )
        current = {}
        for device in devices:
            current.setdefault(device.lot_id.id, device)
        return current

    @api.depends("zz_installation_date", "zz_last_maintenance_date")
    @api.depends_context("company")
    def _compute_zz_device(self):
        current = self._zz_current_devices()
        none = self.env["zhongzheng.installed.device"]
        for lot in self:
            device = current.get(lot.id, none)
            lot.zz_partner_id = device.partner_id
            lot.zz_warranty_end = device.warranty_end
            lot.zz_under_warranty = device.under_warranty

    def _zz_search_devices(self, domain):
        devices = self.env["zhongzheng.installed.device"].sudo().search(domain)
        return [("id", "in", devices.lot_id.ids)]

    def _search_zz_partner_id(self, operator, value):
        if operator in ("=", "!=") and not value:
            # held by nobody / by somebody
            held = self._zz_search_devices([])
            return held if operator == "!=" else ["!", *held]
        return self._zz_search_devices([("partner_id", operator, value)])

    def _search_zz_under_warranty(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        wanted = bool(value) == (operator == "=")
        covered = self._zz_search_devices([("under_warranty", "=", True)])
        return covered if wanted else ["!", *covered]

    def write(self, vals):
        if not self.env.su:
            if "zz_last_maintenance_date" in vals:
                raise AccessError(
                    self.env._(
                        "The last maintenance date follows the device's done "
                        "maintenance visits: nobody writes it."
                    )
                )
            if not self.env.user.has_group("stock.group_stock_user") and (
                set(vals) - SERVICE_LOT_FIELDS
            ):
                raise AccessError(
                    self.env._(
                        "Only inventory users change lots; customer service "
                        "records the installation date only."
                    )
                )
        result = super().write(vals)
        self.env["zhongzheng.installed.device"].invalidate_model()
        return result
