from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_round

from odoo.addons.crm_zhongzheng.models.field_kinds import notification

SURVEY_CHANNELS = [
    ("survey_customer", "Customer: Survey Link"),
    ("survey_staff", "Staff: Survey at the Visit"),
]


class ServiceTicket(models.Model):
    """A follow-up visit's questionnaire as an Odoo survey: sent to the
    ticket's contact (Odoo's invitation, their token link) or answered with
    staff at the visit; the completed answer's score is the visit score."""

    _inherit = "zhongzheng.service.ticket"

    questionnaire_channel = fields.Selection(
        selection_add=SURVEY_CHANNELS,
        ondelete={key: "set null" for key, _label in SURVEY_CHANNELS},
    )
    survey_answer_ids = fields.One2many(
        "survey.user_input",
        "zz_ticket_id",
        string="Questionnaire Answers",
        groups="base.group_user",
    )
    survey_answer_id = fields.Many2one(
        "survey.user_input",
        string="Questionnaire Answer",
        compute="_compute_survey_answer",
        compute_sudo=True,
        groups="base.group_user",
        help="The completed answer whose score is the visit score, else the "
        "latest one sent or opened.",
    )
    survey_answer_state = fields.Selection(
        selection=lambda self: (
            self.env["survey.user_input"]
            ._fields["state"]
            ._description_selection(self.env)
        ),
        string="Questionnaire Status",
        compute="_compute_survey_answer",
        compute_sudo=True,
        groups="base.group_user",
    )

    @api.depends("survey_answer_ids.state")
    def _compute_survey_answer(self):
        for ticket in self:
            answers = ticket.survey_answer_ids.sorted("id", reverse=True)
            answer = answers.filtered(lambda a: a.state == "done")[:1] or answers[:1]
            ticket.survey_answer_id = answer
            ticket.survey_answer_state = answer.state

    @api.model
    def _questionnaire_customer_channels(self):
        return super()._questionnaire_customer_channels() + ["survey_customer"]

    def _check_visit_score_typeable(self):
        answered = self.sudo().filtered(
            lambda t: "done" in t.survey_answer_ids.mapped("state")
        )
        if answered:
            raise UserError(
                self.env._(
                    "The visit score of %(ticket)s comes from its completed "
                    "questionnaire; it is not typed in.",
                    ticket=answered[0].number,
                )
            )
        return super()._check_visit_score_typeable()

    def action_send_questionnaire(self):
        """Send the ticket's contact the questionnaire with Odoo's survey
        invitation: an answer of their own, linked to the ticket, reached by
        the token link in the mail (no login)."""
        survey, partner = self._questionnaire_for()
        if not partner.email:
            raise UserError(
                self.env._(
                    "%(contact)s has no e-mail address to send the questionnaire to.",
                    contact=partner.display_name,
                )
            )
        # sudo: service users have no survey rights; checked above
        template = self.env.ref("survey.mail_template_user_input_invite")
        invite = (
            self.env["survey.invite"]
            .sudo()
            .with_context(default_email_layout_xmlid="mail.mail_notification_light")
            .create(
                {
                    "survey_id": survey.id,
                    "partner_ids": [fields.Command.set(partner.ids)],
                    "template_id": template.id,
                    "existing_mode": "new",
                    "zz_ticket_id": self.id,
                }
            )
        )
        pending = self.sudo().survey_answer_ids.filtered(
            lambda a: a.state != "done" and not a.zz_entered_by_id
        )[:1]
        if pending:
            invite._send_mail(pending)
        else:
            invite.action_invite()
        self._message_log(
            body=self.env._(
                "Questionnaire %(survey)s sent to %(contact)s.",
                survey=survey.title,
                contact=partner.display_name,
            ),
        )
        return notification(
            self.env._("The questionnaire was sent to %(email)s.", email=partner.email),
            kind="success",
        )

    def action_answer_questionnaire(self):
        """Open the questionnaire in the browser to answer it with the
        customer at the visit: an answer of the current user's, marked as
        entered by them (reused while it is not completed)."""
        survey, _partner = self._questionnaire_for()
        answer = self.sudo().survey_answer_ids.filtered(
            lambda a: a.state != "done" and a.zz_entered_by_id == self.env.user
        )[:1]
        if not answer:
            # the staff user's own answer (Odoo's survey lets a logged-in
            # user answer only their own), for the ticket's customer
            answer = survey._create_answer(
                user=self.env.user,
                check_attempts=False,
                zz_ticket_id=self.id,
                zz_entered_by_id=self.env.uid,
            )
        return survey.action_start_survey(answer=answer)

    def _questionnaire_for(self):
        """The company's survey and the ticket's contact, after checking the
        user may change this follow-up visit."""
        self.ensure_one()
        self.check_access("write")
        if self.type_code != "followup":
            raise UserError(
                self.env._("Only a follow-up visit has a visit questionnaire.")
            )
        if self.is_closed:
            raise UserError(
                self.env._("Ticket %(number)s is closed.", number=self.number)
            )
        survey = self.company_id.sudo().followup_survey_id
        if not survey:
            raise UserError(
                self.env._(
                    "Choose the follow-up visit questionnaire in the settings first."
                )
            )
        if not self.partner_id:
            raise UserError(self.env._("The ticket has no contact to answer it."))
        return survey.sudo(), self.partner_id

    def _apply_survey_answer(self, answer):
        """A completed answer's score becomes the visit score, marked as the
        customer's (their link) or as entered by the member of staff who
        answered it with them."""
        self.ensure_one()
        score = answer._zz_scale_score()
        if score is None:
            return
        staff = answer.zz_entered_by_id
        self.sudo().write(
            {
                "questionnaire_score": float_round(score, precision_digits=1),
                "questionnaire_channel": "survey_staff" if staff else "survey_customer",
                "questionnaire_entered_by_id": staff.id,
                "questionnaire_date": fields.Datetime.now(),
            }
        )
        self._message_log(
            body=self.env._(
                "Visit questionnaire completed (%(who)s): score %(score)s / 100.",
                who=staff.name if staff else self.env._("by the customer"),
                score=f"{score:.1f}",
            ),
        )
