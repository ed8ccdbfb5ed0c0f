from odoo import api, fields, models

from .field_kinds import EMPLOYEES, measured


class ServiceSlaClockMixin(models.AbstractModel):
    """The SLA clock of a service ticket: the policy for its type and
    customer tier, deadlines planned in the team's working hours, a pause
    while waiting on the customer, the status (on track, at risk, breached,
    met) and the measures it leaves behind (response and resolution times).

    The record using it has the ticket's own fields: ``type_id``,
    ``stage_id`` (a stage with ``is_paused``, ``is_closed``,
    ``is_cancelled``), ``is_closed``, ``date_closed``, ``team_id``,
    ``user_id``, ``company_id``, ``commercial_partner_id`` and ``number``.
    It starts the clock on create (``_sla_assign``), calls
    ``_sla_before_stage_change`` before a stage change and ``_sla_assign``
    or ``_sla_refresh`` after a write."""

    _name = "zhongzheng.service.sla.clock.mixin"
    _description = "Service Level Agreement Clock"
    # an employee's reply in the chatter counts as the first response
    _inherit = ["mail.thread"]

    # service level agreement: clocks in the team's working hours
    sla_id = measured(
        fields.Many2one, "zhongzheng.service.sla", string="SLA Policy", tracking=True
    )
    sla_start = measured(
        fields.Datetime, string="SLA Clock Start", default=fields.Datetime.now
    )
    date_first_response = measured(fields.Datetime)
    sla_paused_since = measured(fields.Datetime)
    sla_paused_hours = measured(
        fields.Float, string="Paused (working hours)", digits=(16, 2)
    )
    sla_response_deadline = measured(fields.Datetime, string="First Response Deadline")
    sla_resolution_deadline = measured(fields.Datetime, string="Resolution Deadline")
    sla_status = measured(
        fields.Selection,
        [
            ("on_track", "On Track"),
            ("at_risk", "At Risk"),
            ("breached", "Breached"),
            ("met", "Met"),
        ],
        string="SLA Status",
        index=True,
    )
    sla_alerted = measured(
        fields.Selection, [("at_risk", "At Risk"), ("breached", "Breached")]
    )
    sla_compliance = fields.Float(
        string="SLA Compliance (%)",
        compute="_compute_sla_compliance",
        store=True,
        aggregator="avg",
        help="100 when the SLA was met, 0 when breached: averaged, the "
        "compliance rate.",
        groups=EMPLOYEES,
    )
    first_response_hours = measured(
        fields.Float, string="First Response Time (h)", digits=(16, 2)
    )
    resolution_hours = measured(
        fields.Float, string="Resolution Time (h)", digits=(16, 2)
    )

    @api.depends("sla_status")
    def _compute_sla_compliance(self):
        for ticket in self:
            ticket.sla_compliance = {"met": 100.0, "breached": 0.0}.get(
                ticket.sla_status, False
            )

    def _message_post_after_hook(self, message, msg_vals):
        """An employee's reply to the customer is the first response."""
        result = super()._message_post_after_hook(message, msg_vals)
        comment = self.env.ref("mail.mt_comment", raise_if_not_found=False)
        # sudo: a customer's post runs as the portal user, who cannot read
        # the clock
        if (
            not self.sudo().date_first_response
            and message.message_type == "comment"
            and message.subtype_id == comment
            and message.author_id.user_ids
            and not message.author_id.user_ids[0].share
        ):
            now = fields.Datetime.now()
            self.sudo().write(self._first_response_values(now))
            self._sla_refresh(now)
        return result

    @api.model
    def _cron_sla_check(self):
        """Refresh the SLA status of open tickets; when one turns at risk or
        breached, give its assignee and its team manager an activity."""
        now = fields.Datetime.now()
        tickets = self.search([("is_closed", "=", False), ("sla_id", "!=", False)])
        todo = self.env.ref("mail.mail_activity_data_todo")
        for ticket in tickets:
            status = ticket._sla_compute_status(now)
            if status != ticket.sla_status:
                ticket.sudo().sla_status = status
            if status in ("at_risk", "breached") and ticket.sla_alerted != status:
                summary = (
                    self.env._("SLA breached: %(number)s", number=ticket.number)
                    if status == "breached"
                    else self.env._("SLA at risk: %(number)s", number=ticket.number)
                )
                for user in ticket.user_id | ticket.team_id.manager_id:
                    ticket.activity_schedule(
                        activity_type_id=todo.id,
                        summary=summary,
                        user_id=user.id,
                        date_deadline=fields.Date.context_today(ticket),
                    )
                ticket.sudo().sla_alerted = status
        return len(tickets)

    def _calendar(self):
        self.ensure_one()
        return self.team_id.resource_calendar_id or self.company_id.resource_calendar_id

    def _work_hours(self, start, end):
        if not start or not end or end <= start:
            return 0.0
        return self._calendar().get_work_hours_count(start, end, compute_leaves=False)

    def _sla_assign(self):
        """Pick the policy for the ticket's type and customer tier, then its
        deadlines; closed tickets keep what they had."""
        Sla = self.env["zhongzheng.service.sla"].sudo()
        for ticket in self.filtered(lambda t: not t.is_closed):
            # the tier is a CRM figure (field groups): read it as the rule does
            tier = (
                ticket.commercial_partner_id.sudo()
                .with_company(ticket.company_id)
                .tier_id
            )
            sla = Sla._find(ticket.company_id, ticket.type_id, tier)
            if sla != ticket.sla_id:
                ticket.sudo().sla_id = sla
        self._sla_refresh()

    def _sla_deadlines(self):
        self.ensure_one()
        sla, calendar = self.sla_id, self._calendar()
        if not sla or not calendar or not self.sla_start:
            return False, False
        paused = self.sla_paused_hours
        return (
            calendar.plan_hours(sla.response_hours + paused, self.sla_start),
            calendar.plan_hours(sla.resolution_hours + paused, self.sla_start),
        )

    def _sla_compute_status(self, now):
        """on_track / at_risk / breached for open tickets (frozen while
        paused), met / breached for closed ones."""
        self.ensure_one()
        if not self.sla_id or not self.sla_resolution_deadline:
            return False
        response_deadline = self.sla_response_deadline
        resolution_deadline = self.sla_resolution_deadline
        if self.is_closed:
            if self.stage_id.is_cancelled:
                return False
            responded = self.date_first_response or self.date_closed
            on_time = self.date_closed <= resolution_deadline and (
                responded <= response_deadline
            )
            return "met" if on_time else "breached"
        if self.sla_paused_since:
            return self.sla_status or "on_track"
        if now > resolution_deadline or (
            not self.date_first_response and now > response_deadline
        ):
            return "breached"
        used = self._work_hours(self.sla_start, now) - self.sla_paused_hours
        shares = [used / self.sla_id.resolution_hours]
        if not self.date_first_response:
            shares.append(used / self.sla_id.response_hours)
        return (
            "at_risk"
            if max(shares) * 100 >= self.sla_id.at_risk_percent
            else "on_track"
        )

    def _sla_refresh(self, now=None):
        now = now or fields.Datetime.now()
        for ticket in self:
            response, resolution = ticket._sla_deadlines()
            values = {
                "sla_response_deadline": response,
                "sla_resolution_deadline": resolution,
            }
            ticket.sudo().write(values)
            status = ticket._sla_compute_status(now)
            if status != ticket.sla_status:
                ticket.sudo().sla_status = status

    def _sla_before_stage_change(self, stage_id):
        """Pause the clock when entering a waiting stage, resume (adding the
        working hours spent waiting) when leaving it; leaving the first stage
        or closing counts as the first response."""
        stage = self.env["zhongzheng.service.ticket.stage"].browse(stage_id)
        now = fields.Datetime.now()
        for ticket in self:
            values = {}
            if stage.is_paused and not ticket.sla_paused_since:
                values["sla_paused_since"] = now
            elif not stage.is_paused and ticket.sla_paused_since:
                values["sla_paused_since"] = False
                values["sla_paused_hours"] = ticket.sla_paused_hours + (
                    ticket._work_hours(ticket.sla_paused_since, now)
                )
            if not ticket.date_first_response and stage != ticket.stage_id:
                values.update(ticket._first_response_values(now))
            if stage.is_closed and not ticket.is_closed:
                paused = values.get("sla_paused_hours", ticket.sla_paused_hours)
                values["resolution_hours"] = max(
                    0.0, ticket._work_hours(ticket.sla_start, now) - paused
                )
            if values:
                ticket.sudo().write(values)

    def _first_response_values(self, now):
        return {
            "date_first_response": now,
            "first_response_hours": self._work_hours(self.sla_start, now),
        }
