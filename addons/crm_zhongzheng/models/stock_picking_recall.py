from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .service_claim_mixin import SERVICE_MANAGER

STOCK_MANAGER = "stock.group_stock_manager"
OVERRIDERS = f"{STOCK_MANAGER},{SERVICE_MANAGER}"


class StockPicking(models.Model):
    """A delivery of a lot under a running recall is refused, unless an
    inventory or service manager overrides it on that delivery (who did
    is recorded). The warning shows on the delivery beforehand."""

    _inherit = "stock.picking"

    zz_recall_warning = fields.Char(
        string="Recall Warning", compute="_compute_zz_recall_warning", compute_sudo=True
    )
    zz_recall_override = fields.Boolean(
        string="Deliver Recalled Lots",
        copy=False,
        tracking=True,
        groups=OVERRIDERS,
        help="An inventory or service manager lets this delivery go out "
        "although some of its lots are under a running recall.",
    )
    zz_recall_override_uid = fields.Many2one(
        "res.users",
        string="Recall Overridden by",
        readonly=True,
        copy=False,
        groups=OVERRIDERS,
    )

    @api.depends("move_line_ids.lot_id", "location_dest_id")
    def _compute_zz_recall_warning(self):
        recalls = self.env["zhongzheng.device.recall"].search(
            [
                ("state", "=", "running"),
                ("lot_ids", "in", self.move_line_ids.lot_id.ids),
            ]
        )
        for picking in self:
            picking.zz_recall_warning = picking._zz_recall_message(recalls)

    def _zz_recalled_lines(self, recalls):
        return self.move_line_ids.filtered(
            lambda line: (
                line.location_dest_id.usage == "customer"
                and line.lot_id in recalls.lot_ids
            )
        )

    def _zz_recall_message(self, recalls):
        lines = self._zz_recalled_lines(recalls)
        if not lines:
            return False
        return self.env._(
            "Recalled lots: %(lots)s (%(recalls)s). They are not delivered "
            "unless a manager overrides the recall on this delivery.",
            lots=", ".join(lines.lot_id.mapped("name")),
            recalls=", ".join(
                recalls.filtered(lambda r: r.lot_ids & lines.lot_id).mapped("name")
            ),
        )

    @api.model_create_multi
    def create(self, vals_list):
        self._zz_check_override(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._zz_check_override([vals])
        return super().write(vals)

    def _zz_check_override(self, vals_list):
        for vals in vals_list:
            if vals.get("zz_recall_override"):
                if not self.env.su and not (
                    self.env.user.has_group(STOCK_MANAGER)
                    or self.env.user.has_group(SERVICE_MANAGER)
                ):
                    raise AccessError(
                        self.env._(
                            "Only an inventory or service manager delivers "
                            "recalled lots."
                        )
                    )
                vals["zz_recall_override_uid"] = self.env.uid

    def _action_done(self):
        self._zz_check_recalls()
        result = super()._action_done()
        self.env["zhongzheng.installed.device"].invalidate_model()
        return result

    def _zz_check_recalls(self):
        pickings = self.sudo()
        recalls = (
            self.env["zhongzheng.device.recall"]
            .sudo()
            .search(
                [
                    ("state", "=", "running"),
                    ("lot_ids", "in", pickings.move_line_ids.lot_id.ids),
                ]
            )
        )
        if not recalls:
            return
        for picking in pickings.filtered(lambda p: not p.zz_recall_override):
            message = picking._zz_recall_message(recalls)
            if message:
                raise UserError(
                    self.env._(
                        "%(picking)s: %(message)s",
                        picking=picking.name,
                        message=message,
                    )
                )
