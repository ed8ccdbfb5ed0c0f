from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    def _default_followup_survey(self):
        return self.env.ref(
            "crm_zhongzheng_survey.survey_followup_visit", raise_if_not_found=False
        )

    # internal settings: portal and public users read the company too
    followup_survey_id = fields.Many2one(
        "survey.survey",
        string="Follow-up Visit Questionnaire",
        default=_default_followup_survey,
        groups="base.group_user",
        help="The survey that the follow-up visits send to the customer or "
        "answer with them at the visit; its scale questions give the visit "
        "score.",
    )

    @api.model
    def _set_default_followup_survey(self):
        """The default questionnaire for every company without one."""
        survey = self._default_followup_survey()
        companies = self.sudo().search([("followup_survey_id", "=", False)])
        companies.followup_survey_id = survey
        return companies
