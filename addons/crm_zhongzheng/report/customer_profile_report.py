from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

from . import report_charts

MANAGER = "crm_zhongzheng.group_crm_manager"
TOP_PRODUCTS = 10
TOP_LEADS = 10
TOP_ACTIVITIES = 10
TOP_HISTORY = 12


class CustomerProfileReport(models.AbstractModel):
    """The customer profile (PDF) of one or many customers in the 7P view:
    profile, persistency (class and tier history), profitability,
    performance and payment, prospects and lifetime value, products bought,
    opportunities and promotions; figures of the current company.

    Set-based: each section is one query for all the customers printed
    (grouped or ranked per customer), so printing a hundred customers costs
    about as many queries as printing one."""

    _name = "report.crm_zhongzheng.report_customer_profile"
    _description = "Customer Profile Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        company = self.env.company
        partners = (
            self.env["res.partner"]
            .browse(docids)
            .with_company(company)
            .commercial_partner_id
        )
        return {
            "doc_ids": partners.ids,
            "doc_model": "res.partner",
            "docs": partners,
            "company": company,
            "currency": company.currency_id,
            "is_manager": self.env.user.has_group(MANAGER),
            "profiles": self._profiles(partners, company),
        }

    @api.model
    def _profiles(self, partners, company):
        """{partner id: the sections of its profile} for all `partners`."""
        today = fields.Date.context_today(self)
        first_month = today.replace(day=1) - relativedelta(months=11)
        months = [first_month + relativedelta(months=i) for i in range(12)]
        monthly = self._monthly_revenue(partners, company, first_month)
        products = self._top_products(partners, company)
        leads = self._opportunities(partners, company)
        activities = self._follow_ups(partners, today - timedelta(days=30))
        history = self._history(partners, company)
        tickets = self._ticket_counts(partners, company)
        profiles = {}
        for partner in partners:
            revenues = [monthly.get((partner.id, m), 0.0) for m in months]
            profiles[partner.id] = {
                "months": [
                    {"label": m.strftime("%Y-%m"), "revenue": r, "bar": b}
                    for m, r, b in zip(
                        months,
                        revenues,
                        report_charts.bars(revenues, 120.0),
                        strict=True,
                    )
                ],
                "products": [
                    {"product": p, "qty": q, "amount": a, "last": d}
                    for p, q, a, d in products.get(partner.id, [])
                ],
                "leads": leads[partner.id],
                "activities": activities[partner.id],
                "history": history[partner.id],
                "tickets": tickets.get(partner.id, 0),
            }
        return profiles

    @api.model
    def _monthly_revenue(self, partners, company, first_month):
        """{(partner id, first day of month): revenue} since `first_month`."""
        # the analysis' rows of these customers only, with its access rules
        Value = self.env["zhongzheng.customer.value.report"].with_context(
            zz_value_scope={
                "company_id": company.id,
                "start": first_month,
                "partner_ids": partners.ids,
            }
        )
        return {
            (partner.id, month): revenue
            for partner, month, revenue in Value._read_group(
                [
                    ("company_id", "=", company.id),
                    ("partner_id", "in", partners.ids),
                    ("date", ">=", first_month),
                ],
                ["partner_id", "date:month"],
                ["revenue:sum"],
            )
        }

    @api.model
    def _top_products(self, partners, company):
        """{partner id: [(product, qty, amount, last day)]}: the products each
        bought for the most, at most TOP_PRODUCTS."""
        per_partner = defaultdict(list)
        for partner, *row in self.env["zhongzheng.trade.daily.report"]._read_group(
            [
                ("company_id", "=", company.id),
                ("partner_id", "in", partners.ids),
                ("kind", "=", "sale"),
            ],
            ["partner_id", "product_id"],
            ["sale_qty:sum", "sale_amount:sum", "date:max"],
            order="sale_amount:sum desc",
        ):
            if len(per_partner[partner.id]) < TOP_PRODUCTS:
                per_partner[partner.id].append(tuple(row))
        return per_partner

    @api.model
    def _opportunities(self, partners, company):
        """{partner id: its and its contacts' opportunities}, at most
        TOP_LEADS each; none for a user who may not read leads."""
        Lead = self.env["crm.lead"]
        per_partner = defaultdict(Lead.browse)
        if not Lead.has_access("read"):
            return per_partner
        leads = Lead.search(
            [
                ("partner_id", "child_of", partners.ids),
                ("type", "=", "opportunity"),
                ("company_id", "in", [company.id, False]),
            ],
            order="date_deadline, id desc",
        )
        wanted = set(partners.ids)
        grouped = defaultdict(list)
        # child_of: a lead belongs to every printed partner at or above its
        # customer (the parents are read a level at a time for all leads)
        for lead in leads:
            ancestor = lead.partner_id.sudo()
            while ancestor:
                if ancestor.id in wanted and len(grouped[ancestor.id]) < TOP_LEADS:
                    grouped[ancestor.id].append(lead.id)
                ancestor = ancestor.parent_id
        return _grouped_records(leads, grouped)

    @api.model
    def _follow_ups(self, partners, since):
        """{partner id: its activities due since `since`}, at most
        TOP_ACTIVITIES each, by due date."""
        Activity = self.env["mail.activity"]
        return self._ranked(
            Activity,
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", partners.ids),
                ("date_deadline", ">=", since),
            ],
            "res_id",
            "date_deadline, id",
            TOP_ACTIVITIES,
        )

    @api.model
    def _history(self, partners, company):
        """{partner id: its latest tier and class changes}, at most
        TOP_HISTORY each."""
        return self._ranked(
            self.env["zhongzheng.relationship.history"],
            [("partner_id", "in", partners.ids), ("company_id", "=", company.id)],
            "partner_id",
            "date DESC, id DESC",
            TOP_HISTORY,
        )

    @api.model
    def _ranked(self, model, domain, key, order, limit):
        """{key value: the first `limit` records of `model` matching `domain`
        in `order`, per value of the integer column `key`}: one query,
        the user's access rules applied by `_search`."""
        query = model._search(domain)
        alias = SQL.identifier(query.table)
        self.env.cr.execute(
            SQL(
                "SELECT id, key FROM (%s) ranked WHERE rank <= %s ORDER BY key, rank",
                query.select(
                    SQL(
                        "%s.id, %s.%s AS key, ROW_NUMBER() OVER"
                        " (PARTITION BY %s.%s ORDER BY %s) AS rank",
                        alias,
                        alias,
                        SQL.identifier(key),
                        alias,
                        SQL.identifier(key),
                        model._order_to_sql(order, query),
                    )
                ),
                limit,
            )
        )
        rows = self.env.cr.fetchall()
        grouped = defaultdict(list)
        for rid, key_value in rows:
            grouped[key_value].append(rid)
        return _grouped_records(model.browse([rid for rid, _key in rows]), grouped)

    @api.model
    def _ticket_counts(self, partners, company):
        """{partner id: number of its service tickets in the company}."""
        Ticket = self.env["zhongzheng.service.ticket"]
        if not Ticket.has_access("read"):
            return {}
        return {
            partner.id: count
            for partner, count in Ticket._read_group(
                [
                    ("commercial_partner_id", "in", partners.ids),
                    ("company_id", "=", company.id),
                ],
                ["commercial_partner_id"],
                ["__count"],
            )
        }


def _grouped_records(records, grouped):
    """{key: the records of `records` whose ids `grouped` lists under it},
    empty for other keys. They share the prefetch of all `records`: the
    template reads their fields in one query for all customers."""
    per_key = defaultdict(records.browse)
    for key, ids in grouped.items():
        per_key[key] = records.browse(ids).with_prefetch(records._ids)
    return per_key
