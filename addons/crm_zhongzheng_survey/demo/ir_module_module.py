# Copyright 2026 Zhongzheng
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, models

# the customer's answers, question by question (1 to 5): on-time delivery,
# packaging, staff attitude, device training, overall; the score is
# (4 + 3 + 3 + 2 + 4) / 4 / 5 * 100 = 80
DEMO_ANSWERS = (5, 4, 4, 3, 5)


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    @api.model
    def _load_zhongzheng_survey_demo(self):
        """The demo's follow-up visits answered by their customer through
        the questionnaire link, once: their score comes from the survey."""
        survey = self.env.ref("crm_zhongzheng_survey.survey_followup_visit").sudo()
        visit_type = self.env.ref("crm_zhongzheng.service_ticket_type_followup")
        visits = (
            self.env["zhongzheng.service.ticket"]
            .sudo()
            .search(
                [
                    ("type_id", "=", visit_type.id),
                    ("partner_id", "!=", False),
                    ("survey_answer_ids", "=", False),
                ]
            )
        )
        questions = survey.question_ids.sorted("sequence")
        for visit in visits:
            answer = survey._create_answer(
                partner=visit.partner_id, check_attempts=False, zz_ticket_id=visit.id
            )
            for question, value in zip(questions, DEMO_ANSWERS, strict=True):
                answer._save_lines(question, str(value))
            answer._mark_done()
        return visits
