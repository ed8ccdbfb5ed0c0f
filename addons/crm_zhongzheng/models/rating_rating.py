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
        if not self.env.su and any(RECORDING_FIELDS & set(v) for v in vals_list):
            self._raise_recording_denied()
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and RECORDING_FIELDS & set(vals):
            self._raise_recording_denied()
        return super().write(vals)

    def _raise_recording_denied(self):
        raise AccessError(
            self.env._("Who recorded a rating and how is set by the addon only.")
        )
