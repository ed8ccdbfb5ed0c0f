from odoo import api, fields, models
from odoo.exceptions import AccessError

from odoo.addons.crm_zhongzheng.models.field_kinds import ticket_link

# set by the ticket's buttons only (with sudo, after their checks)
TICKET_LINK_FIELDS = {"zz_ticket_id", "zz_entered_by_id"}


class SurveyUserInput(models.Model):
    """An answer to a follow-up visit's questionnaire, linked to its ticket;
    answered by the customer through its token, or with staff at the visit
    (``zz_entered_by_id``). When it is completed, its scale answers give the
    ticket's visit score."""

    _inherit = "survey.user_input"

    zz_ticket_id = ticket_link()
    zz_entered_by_id = fields.Many2one(
        "res.users",
        string="Answered with Staff",
        readonly=True,
        copy=False,
        help="The member of staff who opened this answer at the visit; empty "
        "when the customer answers through their link.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(TICKET_LINK_FIELDS & set(v) for v in vals_list):
            self._raise_link_denied()
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su and TICKET_LINK_FIELDS & set(vals):
            self._raise_link_denied()
        return super().write(vals)

    def _raise_link_denied(self):
        raise AccessError(
            self.env._(
                "A survey answer is linked to a service ticket by the ticket's "
                "Send Questionnaire and Answer at the Visit buttons only."
            )
        )

    def _mark_done(self):
        result = super()._mark_done()
        for answer in self.filtered(lambda a: a.zz_ticket_id and not a.test_entry):
            answer.zz_ticket_id.sudo()._apply_survey_answer(answer)
        return result

    def _zz_scale_score(self):
        """The answer's score from 0 to 100: the mean of its scale answers,
        each as (value - min) / (max - min) * 100; None without any."""
        self.ensure_one()
        scores = [
            (line.value_scale - question.scale_min)
            / (question.scale_max - question.scale_min)
            * 100
            for line in self.user_input_line_ids
            for question in line.question_id
            if line.answer_type == "scale" and not line.skipped
        ]
        return sum(scores) / len(scores) if scores else None
