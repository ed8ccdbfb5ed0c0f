from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RfmSegment(models.Model):
    """One cell group of the RFM segment map: a customer whose recency score
    and combined frequency-monetary score fall in the ranges belongs to the
    first segment (by sequence) that matches."""

    _name = "zhongzheng.rfm.segment"
    _description = "RFM Segment"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    description = fields.Text(translate=True)
    r_min = fields.Integer(string="Recency Score From", default=1, required=True)
    r_max = fields.Integer(string="Recency Score To", default=5, required=True)
    fm_min = fields.Integer(
        string="Frequency-Monetary Score From", default=1, required=True
    )
    fm_max = fields.Integer(
        string="Frequency-Monetary Score To", default=5, required=True
    )

    @api.constrains("r_min", "r_max", "fm_min", "fm_max")
    def _check_ranges(self):
        for segment in self:
            if not (
                1 <= segment.r_min <= segment.r_max <= 5
                and 1 <= segment.fm_min <= segment.fm_max <= 5
            ):
                raise ValidationError(
                    self.env._(
                        "Segment %(name)s: scores run from 1 to 5 and each range "
                        "must start at or below its end.",
                        name=segment.name,
                    )
                )
