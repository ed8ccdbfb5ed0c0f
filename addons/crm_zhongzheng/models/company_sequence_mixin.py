from odoo import fields, models


def next_company_number(env, vals, code):
    """The next number of the sequence `code` for the company of a record
    about to be created from `vals` (the current company by default)."""
    company = env["res.company"].browse(vals.get("company_id") or env.company.id)
    return env["ir.sequence"].with_company(company).next_by_code(code) or "/"


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
