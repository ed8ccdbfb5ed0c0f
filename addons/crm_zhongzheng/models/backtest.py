"""What the health and the recommendation backtests share: a company, a
state, and a Run button for CRM managers on a date in the past."""

from odoo import fields, models
from odoo.exceptions import AccessError, UserError

CRM_MANAGER = "crm_zhongzheng.group_crm_manager"


class Backtest(models.AbstractModel):
    _name = "zhongzheng.backtest"
    _description = "Backtest"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Done")], default="draft", readonly=True
    )

    def action_run(self):
        """Run the backtest (CRM managers); the figures are stored on it."""
        if not self.env.user.has_group(CRM_MANAGER):
            raise AccessError(self.env._("Only CRM managers can run backtests."))
        today = fields.Date.context_today(self)
        for backtest in self:
            if backtest.as_of_date >= today:
                raise UserError(self.env._("A backtest's date must be in the past."))
            backtest.sudo()._store_run()
        return True

    def _store_run(self):
        """Store the figures of _run (each backtest's own)."""
        self.ensure_one()
        return self.write(self._run())
