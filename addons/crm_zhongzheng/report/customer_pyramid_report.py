import logging
from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from . import report_charts
from .stored_figures import LOUD, QUIET

_logger = logging.getLogger(__name__)
MANAGER = "crm_zhongzheng.group_crm_manager"
LIVE = "zhongzheng.customer.value.report"
# what the pyramid reads of the customer value rows
SALES = ("partner_id", "revenue", "margin")
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
    def _figures_at(self, Value, company, start, end):
        """The pyramid's figures in one statement: per tier as the tier
        history stood at the end of the period (last change before `end`),
        its customers, their average current lifetime value, their revenue
        and margin over [start, end) from the customer value rows `Value`
        (with its record rules); the period's totals; the top customers.
        Rows (kind, id, tier id, customers, lifetime value, revenue, margin)
        of kind "tier" (id: the tier), "total" and "top" (id: the customer)."""
        History = self.env["zhongzheng.relationship.history"]
        History.check_access("read")
        Partner = self.env["res.partner"]
        Partner.check_access("read")
        Partner.check_field_access_rights("read", ["clv_value"])
        Value.check_field_access_rights("read", ["partner_id", "revenue", "margin"])
        History.flush_model()
        rows = Value._search(
            [("company_id", "=", company.id), ("date", ">=", start), ("date", "<", end)]
        ).select(*(SQL.identifier(Value._table, name) for name in SALES))
        self.env.cr.execute(QUIET)
        self.env.cr.execute(
            SQL(
                """
                WITH sales AS (
                    SELECT partner_id, SUM(revenue) AS revenue,
                           SUM(margin) AS margin
                      FROM (%(rows)s) r GROUP BY partner_id
                ), tiers AS (
                    SELECT partner_id, tier_id FROM (
                        SELECT DISTINCT ON (partner_id) partner_id,
                               tier_to_id AS tier_id
                          FROM zhongzheng_relationship_history
                         WHERE company_id = %(company)s AND kind = 'tier'
                           AND date < %(end)s
                         ORDER BY partner_id, date DESC, id DESC) last
                     WHERE tier_id IS NOT NULL
                )
                SELECT 'tier', m.tier_id, m.tier_id, m.customers, m.clv,
                       COALESCE(s.revenue, 0), COALESCE(s.margin, 0)
                  FROM (SELECT t.tier_id, count(*) AS customers,
                               AVG(COALESCE(f.clv_value, 0)) AS clv
                          FROM tiers t %(figures)s
                         GROUP BY t.tier_id) m
                  LEFT JOIN (SELECT t.tier_id, SUM(s.revenue) AS revenue,
                                    SUM(s.margin) AS margin
                               FROM sales s JOIN tiers t USING (partner_id)
                              GROUP BY t.tier_id) s USING (tier_id)
                UNION ALL
                SELECT 'total', NULL, NULL, NULL, NULL,
                       COALESCE(SUM(revenue), 0), COALESCE(SUM(margin), 0)
                  FROM sales
                UNION ALL
                (SELECT 'top', s.partner_id, t.tier_id, NULL, NULL,
                        s.revenue, s.margin
                   FROM sales s LEFT JOIN tiers t USING (partner_id)
                  ORDER BY s.revenue DESC, s.partner_id LIMIT %(top)s)
                """,
                rows=rows,
                company=company.id,
                end=end,
                figures=self.env["zhongzheng.value.writer"]._figures_join(
                    "f", ("t", "partner_id"), company.id
                ),
                top=TOP_CUSTOMERS,
            )
        )
        figures = self.env.cr.fetchall()
        self.env.cr.execute(LOUD)
        return figures

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
        lifetime value included). The figures per tier come out of one
        statement (_figures_at): no per-customer rows in Python."""
        # the customer value rows the nightly pass stored, if they stand for
        # the period, else the live analysis of this company and period only
        # (not all its rows computed, then filtered)
        Store = self.env["zhongzheng.customer.value.store"]
        stored_at = Store._stored_at(company, end)
        Value = (Store if stored_at else self.env[LIVE]).with_context(
            zz_value_scope={"company_id": company.id, "start": start, "end": end}
        )
        figures = defaultdict(list)
        for kind, *row in self._figures_at(Value, company, start, end):
            figures[kind].append(row)
        [(_id, _tier, _count, _clv, total_revenue, total_margin)] = figures["total"]
        per_tier = {row[0]: row for row in figures["tier"]}
        tiers = (
            self.env["zhongzheng.customer.tier"]
            .search([])
            .sorted(lambda t: (t.is_lead, t.sequence, t.id))
        )
        levels = []
        for tier in tiers:
            _id, _tier, count, clv, revenue, margin = per_tier.get(
                tier.id, (tier.id, tier.id, 0, 0.0, 0.0, 0.0)
            )
            levels.append(
                {
                    "tier": tier,
                    "count": count,
                    "revenue": revenue,
                    "revenue_share": _share(revenue, total_revenue),
                    "margin": margin,
                    "margin_share": _share(margin, total_margin),
                    "clv_avg": clv,
                    "color": report_charts.color(tier.color or tier.sequence),
                }
            )
        shares = report_charts.bars([lv["revenue_share"] for lv in levels])
        margin_bars = report_charts.bars([lv["margin_share"] for lv in levels])
        for level, bar, margin_bar in zip(levels, shares, margin_bars, strict=True):
            level["bar"], level["margin_bar"] = bar, margin_bar
        top = figures["top"]
        partners = self.env["res.partner"].browse([row[0] for row in top])
        top_customers = [
            {
                "partner": partners.browse(partner_id),
                "tier": tiers.browse(tier_id) if tier_id else None,
                "revenue": revenue,
                "revenue_share": _share(revenue, total_revenue),
                "margin": margin,
            }
            for partner_id, tier_id, _count, _clv, revenue, margin in top
        ]
        kpi = self.env["zhongzheng.crm.kpi.report"]._for_period(company, period, start)
        stored = [stored_at] if stored_at else []
        if kpi and kpi.env.context.get("zz_kpi_stored"):
            stored.append(kpi.refreshed_at)
        return {
            # when the oldest stored figures shown were computed (None: now)
            "computed_on": min(stored) if stored else None,
            "levels": report_charts.pyramid(levels),
            "total_count": sum(level["count"] for level in levels),
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
