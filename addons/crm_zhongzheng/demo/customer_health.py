# Copyright 2026 Zhongzheng
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Demo customer health: after the tickets, what the background jobs would
do within minutes and overnight: the queued customers recomputed (so open
complaints and breaches count in their health), the follow-up rules run
(the at-risk key customer's salesperson gets a call listing the reasons),
the key figures and customer value rows stored,
a health backtest as of half a year ago and a recommendation backtest as
of 91 days ago (its winner becomes the company's method) to show on their
screens."""

import logging
from datetime import timedelta

from odoo import fields

_logger = logging.getLogger(__name__)
MAX_BATCHES = 20


def generate_health(env):
    queue = env["zhongzheng.value.queue"]
    for _batch in range(MAX_BATCHES):
        _done, remaining = queue._process()
        if not remaining:
            break
    env["zhongzheng.activity.rule"]._cron_apply()
    company = env.company
    # what the nightly pass stores for the key figures view, the dashboard
    # and the pyramid PDF
    env["zhongzheng.crm.kpi.report"]._refresh_figures(company)
    env["zhongzheng.customer.value.store"]._refresh_figures(company)
    backtest = env["zhongzheng.health.backtest"].create(
        {
            "company_id": company.id,
            "as_of_date": fields.Date.context_today(queue) - timedelta(days=180),
        }
    )
    backtest.write(backtest._run())
    _logger.info(
        "demo health backtest: recall %s%% (baseline %s%%), precision %s%% "
        "(baseline %s%%)",
        backtest.recall,
        backtest.baseline_recall,
        backtest.precision,
        backtest.baseline_precision,
    )
    reco = env["zhongzheng.recommendation.backtest"].create({"company_id": company.id})
    reco._store_run()
    _logger.info(
        "demo recommendation backtest: %s customers, precision@%s %s%% (best "
        "sellers %s%%), recall %s%% (%s%%), hit rate %s%% (%s%%), winner %s",
        reco.customer_count,
        reco.top_count,
        reco.precision,
        reco.baseline_precision,
        reco.recall,
        reco.baseline_recall,
        reco.hit_rate,
        reco.baseline_hit_rate,
        reco.winner,
    )
    return True
