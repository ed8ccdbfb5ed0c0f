import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from . import report_charts

_logger = logging.getLogger(__name__)
MANAGER = "crm_zhongzheng.group_crm_manager"
LIVE = "zhongzheng.customer.value.report"
TOP_CUSTOMERS = 10


class CustomerPyramidReport(models.AbstractModel):
    """The customer pyramid of a period (PDF): tiers as of the period's end
    with their customers, revenue and margin shares, the migration matrix,
    the top customers and the period's key figures. Printed per company;
    `data` may give `period` (month, quarter, year) and `date` (a day in it),
    by default the last complete month."""

    _name = "report.crm_zhongzheng.report_customer_pyramid"
    _description = "Customer Pyramid Report"
    _inherit = "zhongzheng.period.report"
    _period_report = "pyramid"

    @api.model
    def _tiers_at(self, company, day):
        """{partner id: tier id} as the tier history stood at the end of
        `day` (last change on or before it)."""
        History = self.env["zhongzheng.relationship.history"]
        History.check_access("read")
        History.flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (partner_id) partner_id, tier_to_id
                  FROM zhongzheng_relationship_history
                 WHERE company_id = %s AND kind = 'tier' AND date <= %s
                 ORDER BY partner_id, date DESC, id DESC
                """,
                company.id,
                day,
            )
        )
        return {pid: tier for pid, tier in self.env.cr.fetchall() if tier}

    @api.model
    def _period_values(self, companies, period, start, end, data):
        # only CRM managers of the companies get here: the tier history is
        # read in SQL and the print menu's groups only hide it,
        # /report/pdf/... must not show margins or other companies
        return {
            "pyramids": {
                company.id: self._pyramid(company, period, start, end)
                for company in companies
            }
        }

    @api.model
    def _pyramid(self, company, period, start, end):
        """One company's pyramid; only CRM managers get here (margins and
        lifetime value included). Each customer is looked up once, by id:
        the figures per tier are sums over dicts, not list scans."""
        tier_of = self._tiers_at(company, end - timedelta(days=1))
        # the customer value rows the nightly pass stored, if they stand for
        # the period, else the live analysis of this company and period only
        # (not all its rows computed, then filtered); with their access rules
        Store = self.env["zhongzheng.customer.value.store"]
        stored_at = Store._stored_at(company, end)
        Value = (Store if stored_at else self.env[LIVE]).with_context(
            zz_value_scope={"company_id": company.id, "start": start, "end": end}
        )
        sales = {
            partner: (revenue, margin)
            for partner, revenue, margin in Value._read_group(
                [
                    ("company_id", "=", company.id),
                    ("date", ">=", start),
                    ("date", "<", end),
                ],
                ["partner_id"],
                ["revenue:sum", "margin:sum"],
            )
        }
        total_revenue = sum(revenue for revenue, _margin in sales.values())
        total_margin = sum(margin for _revenue, margin in sales.values())
        tiers = (
            self.env["zhongzheng.customer.tier"]
            .search([])
            .sorted(lambda t: (t.is_lead, t.sequence, t.id))
        )
        partners = self.env["res.partner"].browse(list(tier_of)).with_company(company)
        # the one figure needed, in one query (not every partner field for
        # each thousand customers of the pyramid)
        partners.fetch(["clv_value"])
        clv = dict(zip(partners.ids, partners.mapped("clv_value"), strict=True))
        members = defaultdict(list)
        for partner_id, tier_id in tier_of.items():
            members[tier_id].append(partner_id)
        revenue_of, margin_of = defaultdict(float), defaultdict(float)
        for partner, (revenue, margin) in sales.items():
            tier_id = tier_of.get(partner.id)
            revenue_of[tier_id] += revenue
            margin_of[tier_id] += margin
        levels = []
        for tier in tiers:
            ids = members[tier.id]
            levels.append(
                {
                    "tier": tier,
                    "count": len(ids),
                    "revenue": revenue_of[tier.id],
                    "revenue_share": _share(revenue_of[tier.id], total_revenue),
                    "margin": margin_of[tier.id],
                    "margin_share": _share(margin_of[tier.id], total_margin),
                    "clv_avg": (
                        sum(clv.get(pid, 0.0) for pid in ids) / len(ids) if ids else 0.0
                    ),
                    "color": report_charts.color(tier.color or tier.sequence),
                }
            )
        shares = report_charts.bars([lv["revenue_share"] for lv in levels])
        margin_bars = report_charts.bars([lv["margin_share"] for lv in levels])
        for level, bar, margin_bar in zip(levels, shares, margin_bars, strict=True):
            level["bar"], level["margin_bar"] = bar, margin_bar
        top = sorted(sales.items(), key=lambda item: -item[1][0])[:TOP_CUSTOMERS]
        tier_by_id = {t.id: t for t in tiers}
        top_customers = [
            {
                "partner": partner,
                "tier": tier_by_id.get(tier_of.get(partner.id)),
                "revenue": revenue,
                "revenue_share": _share(revenue, total_revenue),
                "margin": margin,
            }
            for partner, (revenue, margin) in top
        ]
        kpi = self.env["zhongzheng.crm.kpi.report"]._for_period(company, period, start)
        stored = [stored_at] if stored_at else []
        if kpi and kpi.env.context.get("zz_kpi_stored"):
            stored.append(kpi.refreshed_at)
        return {
            # when the oldest stored figures shown were computed (None: now)
            "computed_on": min(stored) if stored else None,
            "levels": report_charts.pyramid(levels),
            "total_count": len(tier_of),
            "total_revenue": total_revenue,
            "total_margin": total_margin,
            "matrix": self._migration_matrix(company, tiers, start, end),
            "top_customers": top_customers,
            "kpi": kpi,
            "forecast": self._forecast(company, tiers, end - timedelta(days=1)),
            "currency": company.currency_id,
        }

    @api.model
    def _migration_matrix(self, company, tiers, start, end):
        """Tier moves in the period: rows from (None: new), columns to
        (None: out of the pyramid), with totals."""
        moves = {
            (tier_from.id, tier_to.id): count
            for tier_from, tier_to, count in self.env[
                "zhongzheng.relationship.migration.report"
            ]._read_group(
                [
                    ("company_id", "=", company.id),
                    ("kind", "=", "tier"),
                    ("date", ">=", start),
                    ("date", "<", end),
                ],
                ["tier_from_id", "tier_to_id"],
                ["move_count:sum"],
            )
        }
        keys = [*tiers.ids, False]
        return {
            "tiers": tiers,
            "rows": [
                {
                    "tier": tiers.browse(source) if source else False,
                    "cells": [moves.get((source, target), 0) for target in keys],
                    "total": sum(moves.get((source, target), 0) for target in keys),
                }
                for source in keys
            ],
            "total": sum(moves.values()),
        }

    @api.model
    def _forecast(self, company, tiers, as_of):
        """The forecast's rows as of the period's last day (today for the
        current period): each tier, out of the pyramid, then each class,
        with its label; the one stored that day if there is one."""
        Forecast = self.env["zhongzheng.pyramid.forecast"]
        classes = dict(
            Forecast._fields["relationship_class"]._description_selection(self.env)
        )
        tier_names = {str(tier.id): tier.name for tier in tiers}
        as_of = min(as_of, fields.Date.context_today(self))
        stored = Forecast.search(
            [("company_id", "=", company.id), ("date", "=", as_of)]
        )
        rows = []
        for kind in ("tier", "class"):
            mine = stored.filtered(lambda row, kind=kind: row.kind == kind)
            if mine:
                names = mine.mapped("state")
                figures = {row.state: _figures(row) for row in mine}
            else:
                names, figures = Forecast._forecast(company, kind, as_of)
            for name in names:
                if kind == "class":
                    label = classes[name]
                else:
                    label = tier_names.get(name) or self.env._("Left the pyramid")
                rows.append({"kind": kind, "label": label, **figures[name]})
        return rows

    # ------------------------------------------------------------------
    @api.model
    def _cron_send_pyramid(self):
        """Monthly: e-mail last month's pyramid PDF to each company's
        recipients, in each recipient's language."""
        sent = self.env["mail.mail"]
        for company in self.env["res.company"].search(
            [("pyramid_report_user_ids", "!=", False)]
        ):
            # one company's failure (a recipient who lost access, wkhtmltopdf)
            # must not keep the others' reports from going out
            try:
                with self.env.cr.savepoint():
                    sent |= self._send_pyramid(company)
            except Exception:
                _logger.exception(
                    "customer pyramid: mail for company %s failed", company.id
                )
        return sent

    @api.model
    def _send_pyramid(self, company, period="month", day=None):
        report = self.env.ref(report_charts.PERIOD_REPORTS["pyramid"])
        start, _end = report_charts.period_bounds(period, day)
        # rendered once per language and access level, as one of the
        # recipients sharing them: each sees what their groups allow
        groups = {}
        for user in company.pyramid_report_user_ids:
            key = (user.lang or "en_US", user.has_group(MANAGER))
            groups[key] = groups.get(key, self.env["res.users"]) | user
        mails = self.env["mail.mail"]
        for (lang, _is_manager), users in groups.items():
            env = self.with_context(lang=lang).with_company(company).env
            content, _type = (
                env["ir.actions.report"]
                .with_user(users[0])
                .with_context(allowed_company_ids=[company.id])
                ._render_qweb_pdf(
                    report, company.ids, data={"period": period, "date": str(start)}
                )
            )
            title = env._(
                "Customer Pyramid %(company)s %(period)s",
                company=company.name,
                period=start.strftime("%Y-%m"),
            )
            mail = (
                env["mail.mail"]
                .sudo()
                .create(
                    {
                        "subject": title,
                        "body_html": env._(
                            "<p>The customer pyramid of %(period)s is attached: tiers, "
                            "migration matrix, top customers and key figures.</p>",
                            period=start.strftime("%Y-%m"),
                        ),
                        "email_from": company.email_formatted
                        or self.env.ref("base.user_root").email_formatted,
                        "recipient_ids": [fields.Command.set(users.partner_id.ids)],
                        "auto_delete": False,
                    }
                )
            )
            # linked to its mail's message, not to the company: every
            # employee may read a company's attachments, margins are not
            # for them
            mail.attachment_ids = (
                env["ir.attachment"]
                .sudo()
                .create(
                    {
                        "name": f"{title}.pdf",
                        "raw": content,
                        "mimetype": "application/pdf",
                        "res_model": "mail.message",
                        "res_id": mail.mail_message_id.id,
                    }
                )
            )
            mails |= mail
        _logger.info("customer pyramid: company %s, %s mails", company.id, len(mails))
        return mails


def _figures(forecast):
    """A stored forecast row's figures, as _forecast computes them."""
    return {
        name: forecast[name]
        for name in (
            "customers",
            "forecast_quarter",
            "forecast_year",
            "revenue_quarter",
            "revenue_year",
            "backtest_customers",
            "backtest_revenue",
            "actual_revenue",
        )
    }


def _share(part, total):
    return round(100.0 * part / total, 1) if total else 0.0
