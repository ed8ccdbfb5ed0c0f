"""One reason of a customer's health: a warning signal and the points it
takes off the health score, with what it measured and compared against."""

from odoo import api, fields, models

from .field_kinds import customer_of_company

SIGNALS = [
    ("rhythm", "Order Rhythm"),
    ("alive", "Probability Alive"),
    ("trend", "Revenue Trend"),
    ("segment", "RFM Segment Down"),
    ("service_sla", "SLA Breaches"),
    ("service_claims", "Open Complaints and Claims"),
    ("service_ratings", "Low Ratings"),
    ("service_exceptions", "Delivery Exceptions"),
    ("payment_overdue", "Overdue Receivables"),
    ("payment_days", "Days to Pay"),
]
# the columns of a signal row, as the health step's query gives them
SIGNAL_COLUMNS = (
    "partner_id",
    "signal",
    "points",
    "value",
    "reference",
    "segment_from_id",
    "segment_to_id",
)


class HealthSignal(models.Model):
    """Written by the health step (customer_health.py) in SQL, one row per
    customer and signal that takes points off; read by CRM users."""

    _name = "zhongzheng.health.signal"
    _description = "Customer Health Reason"
    _order = "points desc, id"
    _rec_name = "signal"

    partner_id, company_id = customer_of_company()
    signal = fields.Selection(SIGNALS, required=True)
    points = fields.Float(digits=(16, 1), help="Points off the health score.")
    value = fields.Float(string="Measured", digits=(16, 2))
    reference = fields.Float(string="Compared with", digits=(16, 2))
    segment_from_id = fields.Many2one("zhongzheng.rfm.segment", string="From Segment")
    segment_to_id = fields.Many2one("zhongzheng.rfm.segment", string="To Segment")
    reason = fields.Char(compute="_compute_reason")

    @api.depends_context("lang")
    def _compute_reason(self):
        for line in self:
            line.reason = self.env._(
                "%(signal)s (-%(points).1f): %(detail)s",
                signal=dict(line._fields["signal"]._description_selection(self.env))[
                    line.signal
                ],
                points=line.points,
                detail=line._detail(),
            )

    def _detail(self):
        """What the signal saw, in words."""
        self.ensure_one()
        _ = self.env._
        value, ref = self.value, self.reference
        texts = {
            "rhythm": lambda: _(
                "%(days)d days since the last order; it usually orders every "
                "%(gap)d days",
                days=value,
                gap=ref,
            ),
            "alive": lambda: _(
                "probability alive %(now).0f%% (was %(before).0f%%)",
                now=100 * value,
                before=100 * ref,
            ),
            "trend": lambda: _(
                "revenue %(recent).2f in the last months, against %(before).2f "
                "on average over as many months of the year before",
                recent=value,
                before=ref,
            ),
            "segment": lambda: _(
                "moved from %(old)s to %(new)s",
                old=self.segment_from_id.name or "-",
                new=self.segment_to_id.name or "-",
            ),
            "service_sla": lambda: _(
                "%(count)d tickets breached their SLA in 90 days", count=value
            ),
            "service_claims": lambda: _(
                "%(count)d complaints or claims open", count=value
            ),
            "service_ratings": lambda: _(
                "%(count)d ratings of 1 or 2 in 90 days", count=value
            ),
            "service_exceptions": lambda: _(
                "%(count)d delivery exceptions in 90 days", count=value
            ),
            "payment_overdue": lambda: _(
                "%(amount).2f overdue, against %(invoiced).2f invoiced a quarter",
                amount=value,
                invoiced=ref,
            ),
            "payment_days": lambda: _(
                "pays in %(now).0f days, %(before).0f before", now=value, before=ref
            ),
        }
        return texts[self.signal]()
