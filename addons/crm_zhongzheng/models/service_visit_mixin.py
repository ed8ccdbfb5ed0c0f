from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from .field_kinds import measured

# who entered a visit's score, and how: set by the server only (a typed
# score by the user typing it, a bridge's score with sudo)
VISIT_STAMP_FIELDS = {
    "questionnaire_channel",
    "questionnaire_entered_by_id",
    "questionnaire_date",
}


class ServiceVisitMixin(models.AbstractModel):
    """Follow-up visits (客户回访): a service ticket of the follow-up type
    that the daily job opens some days after a delivery to a customer of
    the chosen tiers, and the score of its questionnaire.

    In code a *visit* is always such a ticket; a scheduled mail activity
    (to-do, call) is an *activity*."""

    _name = "zhongzheng.service.visit.mixin"
    _description = "Service Follow-up Visit"

    questionnaire_score = fields.Float(
        string="Visit Score",
        digits=(16, 1),
        help="Score of the follow-up visit questionnaire, 0 to 100.",
        groups="base.group_user",
    )
    questionnaire_channel = measured(
        fields.Selection,
        [("typed", "Staff: Typed In")],
        string="Visit Score Channel",
        help="How the visit score was entered; set by the server.",
    )
    questionnaire_entered_by_id = measured(
        fields.Many2one,
        "res.users",
        string="Visit Score Entered by",
        help="The member of staff who entered the visit score; empty when "
        "the customer answered the questionnaire themselves.",
    )
    questionnaire_date = measured(fields.Datetime, string="Visit Score Date")

    @api.constrains("questionnaire_score")
    def _check_questionnaire_score(self):
        for ticket in self:
            if not 0 <= ticket.questionnaire_score <= 100:
                raise ValidationError(self.env._("A visit score runs from 0 to 100."))

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                self._check_visit_stamp_not_written(vals)
                if "questionnaire_score" in vals:
                    vals.update(self._visit_typed_stamp())
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self._check_visit_stamp_not_written(vals)
            if "questionnaire_score" in vals and self._fields_changing(
                {"questionnaire_score": vals["questionnaire_score"]}
            ):
                self._check_visit_score_typeable()
                vals = {**vals, **self._visit_typed_stamp()}
        return super().write(vals)

    def _visit_typed_stamp(self):
        """A score typed in by the current user."""
        return {
            "questionnaire_channel": "typed",
            "questionnaire_entered_by_id": self.env.uid,
            "questionnaire_date": fields.Datetime.now(),
        }

    @api.model
    def _questionnaire_customer_channels(self):
        """Hook: the questionnaire channels through which the customer
        answered themselves (a bridge's survey link); every other channel is
        staff entering the score."""
        return []

    def _check_visit_score_typeable(self):
        """Hook: a bridge whose questionnaire gives the score refuses a typed
        one here (UserError)."""

    def _check_visit_stamp_not_written(self, vals):
        if VISIT_STAMP_FIELDS & set(vals):
            raise AccessError(
                self.env._(
                    "Who entered a visit score, and how, is recorded by the "
                    "server when the score is entered; it is not written "
                    "directly."
                )
            )

    @api.model
    def _cron_schedule_visits(self):
        """A visit for each delivery done the configured number of days ago
        to a customer of the chosen tiers; once per delivery. Returns the
        new visits."""
        visit_type = self.env.ref("crm_zhongzheng.service_ticket_type_followup")
        visits = self.browse()
        for company in self.env["res.company"].search(
            [("followup_tier_ids", "!=", False)]
        ):
            pickings = self._visit_due_deliveries(company)
            visited = set(
                self.search(
                    [
                        ("type_id", "=", visit_type.id),
                        ("picking_id", "in", pickings.ids),
                    ]
                ).mapped("picking_id.id")
            )
            for picking in pickings:
                customer = picking.partner_id.commercial_partner_id.with_company(
                    company
                )
                if (
                    picking.id in visited
                    or customer.tier_id not in company.followup_tier_ids
                ):
                    continue
                visits |= self.create(
                    {
                        "name": self.env._(
                            "Follow-up visit after %(picking)s", picking=picking.name
                        ),
                        "type_id": visit_type.id,
                        "partner_id": picking.partner_id.id,
                        "picking_id": picking.id,
                        "sale_order_id": picking.sale_id.id,
                        "user_id": picking.sale_id.user_id.id,
                        "company_id": company.id,
                        "channel": "phone",
                    }
                )
        return visits

    @api.model
    def _cron_schedule_followups(self):
        # The visits job's former name: its cron record is noupdate, so a
        # database installed before the rename still calls it.
        return self._cron_schedule_visits()

    @api.model
    def _visit_due_deliveries(self, company):
        """The company's deliveries done `followup_days` ago, give or take
        a week: a day the job did not run is caught up."""
        cutoff = fields.Datetime.now() - timedelta(days=company.followup_days)
        return self.env["stock.picking"].search(
            [
                ("company_id", "=", company.id),
                ("picking_type_code", "=", "outgoing"),
                ("state", "=", "done"),
                ("date_done", "<=", cutoff),
                ("date_done", ">", cutoff - timedelta(days=7)),
            ]
        )
