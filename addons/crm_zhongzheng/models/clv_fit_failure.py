import logging

from odoo import fields, models

from .clv_fit import CRM_MANAGER

_logger = logging.getLogger(__name__)


class ClvFitFailure(models.Model):
    """A fit that failed: recorded with its reason, logged, and given to the
    company's CRM managers as a to-do, once until a fit succeeds again."""

    _inherit = "zhongzheng.clv.fit"

    def _record_error(self, error):
        self.ensure_one()
        self._write_result(
            {
                "state": "error",
                "run_date": fields.Datetime.now(),
                "converged": False,
                "applied": False,
                "message": self.env._(
                    "The lifetime value fit as of %(date)s failed: %(error)s. "
                    "The customers keep the lifetime value of the last "
                    "successful fit; their facts, ranks, tiers and classes "
                    "are recomputed as usual.",
                    date=self.as_of_date,
                    error=str(error) or type(error).__name__,
                ),
            }
        )
        _logger.warning(
            "lifetime value fit %s of company %s as of %s failed: %r",
            self.id,
            self.company_id.id,
            self.as_of_date,
            error,
        )
        self._notify_failure()

    def _company_managers(self):
        return self.env["res.users"].search(
            [
                ("share", "=", False),
                ("groups_id", "in", self.env.ref(CRM_MANAGER).ids),
                ("company_ids", "in", self.company_id.ids),
            ]
        )

    def _failure_activities(self):
        failed = self.search(
            [("company_id", "=", self.company_id.id), ("state", "=", "error")]
        )
        return (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", failed.ids),
                    (
                        "activity_type_id",
                        "=",
                        self.env.ref("mail.mail_activity_data_todo").id,
                    ),
                ]
            )
        )

    def _notify_failure(self):
        """A to-do for each CRM manager of the company who has none open for
        a failed fit yet: once, not every night."""
        self.ensure_one()
        notified = self._failure_activities().user_id
        for user in self._company_managers() - notified:
            self.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=user.id,
                summary=self.env._("Lifetime value fit failed"),
                note=self.message,
            )

    def _close_failure_activities(self):
        self.ensure_one()
        activities = self._failure_activities()
        if activities:
            activities.action_feedback(
                feedback=self.env._(
                    "The fit as of %(date)s succeeded.", date=self.as_of_date
                )
            )
