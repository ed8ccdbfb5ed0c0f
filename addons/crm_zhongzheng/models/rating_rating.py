from odoo import api, fields, models
from odoo.exceptions import AccessError

RATING_CHANNELS = [
    ("portal", "Customer: Portal"),
    ("email", "Customer: E-mail Link"),
    ("phone", "Staff: Phone Call"),
    ("api", "Staff: API"),
]
STAFF_CHANNELS = ("phone", "api")
RECORDING_FIELDS = {"recorded_by_id", "rating_channel"}
TICKET = "zhongzheng.service.ticket"
# what a ticket's rating says: given by its customer's token or recorded by
# staff through the addon, never typed in over RPC (employees may write
# rating.rating in Odoo's own rights)
TICKET_RATING_FIELDS = {
    "rating",
    "feedback",
    "consumed",
    "partner_id",
    "rated_partner_id",
    "res_model_id",
    "res_model",
    "res_id",
    "message_id",
    "access_token",
}


class RatingRating(models.Model):
    """Who gave a rating: the customer (portal, e-mail link) or a member of
    staff who recorded it for them (from a call, through the API). Odoo's
    rating has no such field, and a staff-recorded rating must never pass
    for the customer's own."""

    _inherit = "rating.rating"

    recorded_by_id = fields.Many2one(
        "res.users",
        string="Recorded by",
        readonly=True,
        help="The member of staff who recorded this rating for the customer; "
        "empty when the customer gave it.",
    )
    rating_channel = fields.Selection(RATING_CHANNELS, readonly=True)
    is_staff_recorded = fields.Boolean(compute="_compute_is_staff_recorded", store=True)

    @api.depends("recorded_by_id", "rating_channel")
    def _compute_is_staff_recorded(self):
        for rating in self:
            rating.is_staff_recorded = bool(rating.recorded_by_id) or (
                rating.rating_channel in STAFF_CHANNELS
            )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            ticket_model = self.env["ir.model"]._get_id(TICKET)
            for vals in vals_list:
                if RECORDING_FIELDS & set(vals) or (
                    vals.get("res_model_id") == ticket_model
                    or vals.get("res_model") == TICKET
                ):
                    self._raise_recording_denied()
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and RECORDING_FIELDS & set(vals):
            self._raise_recording_denied()
        if (
            not self.env.su
            and TICKET_RATING_FIELDS & set(vals)
            and any(rating.res_model == TICKET for rating in self.sudo())
        ):
            self._raise_recording_denied()
        return super().write(vals)

    def _raise_recording_denied(self):
        raise AccessError(
            self.env._(
                "A service ticket's rating is given by its customer or "
                "recorded by staff through the ticket; it is not written "
                "directly."
            )
        )
