"""Campaigns by customer selection: mass_mailing's statistics (sent, opened,
replied) beside the window result of campaign_result.py (orders, revenue
attributed to the mailed group, uplift against the control group)."""

from odoo import fields, models
from odoo.tools import SQL

from .campaign_result import CampaignResult, uplift_rows_sql


class CampaignReport(models.Model):
    _name = "zhongzheng.campaign.report"
    _description = "Campaign Analysis"
    _auto = False
    _order = "sent_date desc"
    _rec_name = "mailing_id"
    _depends = {
        **CampaignResult._depends,
        "mailing.mailing": [
            "sent_date",
            "attribution_days",
            "campaign_id",
            "company_id",
            "customer_selection_label",
        ],
        "mailing.trace": ["mass_mailing_id", "sent_datetime", "trace_status"],
    }

    mailing_id = fields.Many2one("mailing.mailing", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    customer_selection_label = fields.Char(string="Customer Selection", readonly=True)
    sent_date = fields.Datetime(readonly=True)
    sent = fields.Integer(readonly=True)
    opened = fields.Integer(readonly=True)
    replied = fields.Integer(readonly=True)
    targeted_count = fields.Integer(string="Customers Mailed", readonly=True)
    control_count = fields.Integer(string="Control Customers", readonly=True)
    orders = fields.Integer(string="Orders (mailed group)", readonly=True)
    revenue = fields.Float(
        string="Revenue (mailed group)", digits="Account", readonly=True
    )
    revenue_uplift = fields.Float(
        string="Revenue Uplift per Customer",
        digits="Account",
        aggregator="avg",
        readonly=True,
    )
    incremental_revenue = fields.Float(
        digits="Account",
        readonly=True,
        help="The revenue uplift per customer times the customers mailed.",
    )
    buyer_uplift = fields.Float(
        string="Uplift of Customers Who Ordered (points)",
        digits=(16, 1),
        aggregator="avg",
        readonly=True,
        help="Percentage points more of the mailed customers ordered than of "
        "the control customers.",
    )
    margin_uplift = fields.Float(
        string="Margin Uplift per Customer",
        digits="Account",
        aggregator="avg",
        readonly=True,
        groups="crm_zhongzheng.group_crm_manager",
    )
    significant = fields.Boolean(
        string="Revenue Uplift Significant",
        readonly=True,
        help="The 95% interval of the revenue uplift per customer excludes 0.",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT mm.id, mm.id AS mailing_id, mm.campaign_id, mm.company_id,
                   mm.customer_selection_label, mm.sent_date,
                   COALESCE(tr.sent, 0) AS sent, COALESCE(tr.opened, 0) AS opened,
                   COALESCE(tr.replied, 0) AS replied,
                   u.targeted_count, u.control_count, u.orders, u.revenue,
                   u.revenue_uplift, u.revenue_uplift * u.targeted_count
                       AS incremental_revenue,
                   u.buyer_uplift * 100 AS buyer_uplift, u.margin_uplift,
                   COALESCE(u.significant, FALSE) AS significant
              FROM mailing_mailing mm
              LEFT JOIN (
                  SELECT mass_mailing_id,
                         COUNT(*) FILTER (WHERE sent_datetime IS NOT NULL) AS sent,
                         COUNT(*) FILTER (WHERE trace_status IN ('open', 'reply'))
                             AS opened,
                         COUNT(*) FILTER (WHERE trace_status = 'reply') AS replied
                    FROM mailing_trace
                   GROUP BY mass_mailing_id
              ) tr ON tr.mass_mailing_id = mm.id
              LEFT JOIN (
                  SELECT mailing_id,
                         MAX(targeted_count) AS targeted_count,
                         MAX(control_count) AS control_count,
                         MAX(targeted_total) FILTER (WHERE metric = 'orders') AS orders,
                         MAX(targeted_total) FILTER (WHERE metric = 'revenue')
                             AS revenue,
                         MAX(uplift) FILTER (WHERE metric = 'revenue')
                             AS revenue_uplift,
                         MAX(uplift) FILTER (WHERE metric = 'buyers') AS buyer_uplift,
                         MAX(uplift) FILTER (WHERE metric = 'margin') AS margin_uplift,
                         BOOL_OR(significant) FILTER (WHERE metric = 'revenue')
                             AS significant
                    FROM (%s) r
                   GROUP BY mailing_id
              ) u ON u.mailing_id = mm.id
             WHERE mm.sent_date IS NOT NULL
            """,
            uplift_rows_sql(self.env),
        )
