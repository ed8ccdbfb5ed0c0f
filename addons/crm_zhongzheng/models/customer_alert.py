"""Alerts before loss: the log of the follow-up rules' automatic activities
(the per-customer cap across all rules), the episodes of health alerts
(once per episode), and the managers' weekly digest of customers that
turned at risk."""

from datetime import timedelta

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.tools import html2plaintext

from .field_kinds import customer_of_company
from .health_states import FLAGGED, HEALTH_STATES

CRM_MANAGER = "crm_zhongzheng.group_crm_manager"
DIGEST_DAYS = 7


class CustomerAlert(models.Model):
    """One automatic activity a follow-up rule gave a customer. A health
    rule's alert opens an episode: the customer gets no other health alert
    until it has been healthy or on watch for the company's episode days."""

    _name = "zhongzheng.customer.alert"
    _description = "Customer Follow-up Alert"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    partner_id, company_id = customer_of_company()
    rule_id = fields.Many2one("zhongzheng.activity.rule", ondelete="set null")
    activity_id = fields.Many2one("mail.activity", ondelete="set null")
    user_id = fields.Many2one("res.users", string="Assigned to")
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    health_status = fields.Selection(HEALTH_STATES, string="Health")
    episode_open = fields.Boolean(
        string="Open Episode", help="A health alert whose episode has not ended."
    )
    date_recovered = fields.Date(
        string="Healthy Again Since",
        help="Since when the customer is healthy or on watch again; the "
        "episode ends after the company's episode days.",
    )

    # ------------------------------------------------------------------
    # the cap and the episodes
    # ------------------------------------------------------------------
    @api.model
    def _busy_partner_ids(self, company, health=False):
        """Customers that may get no automatic activity now: one in the
        last cap days (any rule), and for a health rule an open episode."""
        today = fields.Date.context_today(self)
        domain = [
            ("company_id", "=", company.id),
            ("date", ">", today - timedelta(days=company.activity_cap_days)),
        ]
        if health:
            domain = ["|", ("episode_open", "=", True), "&", *domain]
            domain = [("company_id", "=", company.id), *domain]
        return set(self.sudo().search(domain).partner_id.ids)

    @api.model
    def _log(self, rule, activities, care_dates=None):
        """One alert per activity a rule made; a health rule's opens an
        episode and its activity lists the reasons. A care rule passes the
        date each activity is for, in the activities' order."""
        if not activities:
            return self
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_company(rule.company_id)
            .browse(activities.mapped("res_id"))
        )
        by_id = {p.id: p for p in partners}
        health = bool(rule.health_trigger)
        if health:
            for activity in activities:
                activity.note = self._reasons_note(by_id[activity.res_id])
        care_dates = care_dates or [False] * len(activities)
        return self.sudo().create(
            [
                {
                    "partner_id": activity.res_id,
                    "company_id": rule.company_id.id,
                    "rule_id": rule.id,
                    "activity_id": activity.id,
                    "user_id": activity.user_id.id,
                    "health_status": by_id[activity.res_id].health_status,
                    "episode_open": health,
                    "care_date": day,
                }
                for activity, day in zip(activities, care_dates, strict=True)
            ]
        )

    @api.model
    def _reasons_note(self, partner):
        """The activity's note: the health and its reasons, as a list."""
        items = Markup("").join(
            Markup("<li>%s</li>") % escape(reason)
            for reason in partner.health_signal_ids.sorted(
                "points", reverse=True
            ).mapped("reason")
        )
        return Markup("<p>%s</p><ul>%s</ul>") % (
            self.env._(
                "Health score %(score).0f: act before the customer is lost.",
                score=partner.health_score,
            ),
            items,
        )

    @api.model
    def _close_episodes(self):
        """Mark open episodes whose customer is healthy or on watch again,
        and end those that have been so for the company's episode days.
        While the customer is still flagged, its open activity's note
        follows the reasons (the episode's one activity, kept up to date)."""
        today = fields.Date.context_today(self)
        episodes = self.sudo().search([("episode_open", "=", True)])
        for company in episodes.company_id:
            mine = episodes.filtered(lambda a, c=company: a.company_id == c)
            status = {
                p.id: p.health_status for p in mine.partner_id.with_company(company)
            }
            flagged = mine.filtered(lambda a, s=status: s[a.partner_id.id] in FLAGGED)
            recovered = mine - flagged
            started = recovered.filtered(lambda a: not a.date_recovered)
            ended = (recovered - started).filtered(
                lambda a, d=company.health_episode_days: (
                    (today - a.date_recovered).days >= d
                )
            )
            flagged.filtered("date_recovered").date_recovered = False
            started.date_recovered = today
            ended.episode_open = False
            for alert in flagged:
                alert._refresh_note(alert.partner_id.with_company(company))

    def _refresh_note(self, partner):
        """The open activity's note lists the reasons of now, if they
        changed (compared as text: the stored note is sanitized HTML)."""
        activity = self.activity_id
        if not activity:
            return
        note = self._reasons_note(partner)
        if html2plaintext(activity.note or "") != html2plaintext(note):
            activity.note = note

    # ------------------------------------------------------------------
    # the managers' weekly digest
    # ------------------------------------------------------------------
    @api.model
    def _cron_health_digest(self):
        """Weekly: each company's CRM managers get the customers that turned
        at risk or critical in the last seven days, with revenue at stake."""
        template = self.env.ref("crm_zhongzheng.mail_template_health_digest")
        sent = 0
        for company in self.env["res.company"].search([]):
            managers = (
                self.env.ref(CRM_MANAGER)
                .users.filtered(lambda u, c=company: c in u.company_ids and not u.share)
                .filtered("email")
            )
            if not managers or not self._health_digest_rows(company):
                continue
            template.with_company(company).send_mail(
                company.id,
                email_values={
                    "recipient_ids": [fields.Command.set(managers.partner_id.ids)]
                },
            )
            sent += 1
        return sent

    @api.model
    def _health_digest_rows(self, company):
        """Customers of the company that turned at risk or critical in the
        last seven days: dicts with name, status, score, tier, salesperson,
        revenue at stake (revenue over the analysis window) and reasons,
        the largest revenue first."""
        since = fields.Date.context_today(self) - timedelta(days=DIGEST_DAYS)
        moves = (
            self.env["zhongzheng.relationship.history"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("kind", "=", "health"),
                    ("date", ">=", since),
                    ("health_to", "in", FLAGGED),
                    ("health_from", "not in", FLAGGED),
                ]
            )
        )
        partners = moves.partner_id.sudo().with_company(company)
        labels = dict(
            partners._fields["health_status"]._description_selection(self.env)
        )
        rows = [
            {
                "name": p.name,
                "status": labels.get(p.health_status, ""),
                "score": p.health_score,
                "tier": p.tier_id.name or "",
                "salesperson": p.user_id.name or "",
                "revenue": p.revenue_window,
                "reasons": "; ".join(
                    p.health_signal_ids.sorted("points", reverse=True)[:3].mapped(
                        "reason"
                    )
                ),
            }
            for p in partners
            if p.health_status in FLAGGED
        ]
        return sorted(rows, key=lambda row: -row["revenue"])
