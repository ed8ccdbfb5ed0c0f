from odoo import fields, models


class CompanySequenceMixin(models.AbstractModel):
    """A named, archivable record of one company, ordered by sequence:
    where several SLA policies or follow-up rules match, the first wins;
    service teams are listed in that order."""

    _name = "zhongzheng.company.sequence.mixin"
    _description = "Ordered Company Record"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
