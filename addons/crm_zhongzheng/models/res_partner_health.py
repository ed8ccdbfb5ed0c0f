"""Customer health (客户健康度) on the partner: the figures the health step
writes (customer_health.py) and the reasons read from its signals."""

from odoo import api, fields, models

from .health_states import HEALTH_STATES
from .res_partner import CRM_USER, _figure


class ResPartner(models.Model):
    _inherit = "res.partner"

    health_status = _figure("Health", fields.Selection, selection=HEALTH_STATES)
    health_score = _figure(
        "Health Score",
        digits=(16, 1),
        help="100 minus the points each warning signal takes off.",
    )
    health_since = _figure("In Health Status Since", fields.Date)
    # what the signals compare against, kept from the pass before
    clv_prob_alive_prev = _figure(
        "Previous Probability Alive",
        digits=(16, 4),
        help="The probability alive before its last change (the previous fit).",
    )
    rfm_segment_prev_id = _figure(
        "Previous RFM Segment",
        fields.Many2one,
        comodel_name="zhongzheng.rfm.segment",
        help="The RFM segment before its last change.",
    )
    health_signal_ids = fields.One2many(
        "zhongzheng.health.signal",
        "partner_id",
        string="Health Signals",
        domain=lambda self: [("company_id", "=", self.env.company.id)],
        groups=CRM_USER,
    )
    health_reasons = fields.Text(
        compute="_compute_health_reasons",
        groups=CRM_USER,
        help="Why the customer's health is what it is, one signal a line.",
    )

    @api.depends_context("company", "lang")
    def _compute_health_reasons(self):
        for partner in self:
            partner.health_reasons = "\n".join(
                partner.health_signal_ids.sorted("points", reverse=True).mapped(
                    "reason"
                )
            )
