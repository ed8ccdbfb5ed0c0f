# Copyright 2026 Zhongzheng
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The demo company's books: a chart of accounts, exchange rates for the
currencies it trades in, and Chinese for its staff.

l10n_cn's chart when l10n_cn is installed beside the addon (bin/run and the
Compose file install it; the addon does not depend on it), else Odoo's
generic chart, loaded the way Odoo's localisations load theirs for their
demo companies."""

from datetime import timedelta

from odoo import fields

MODULE = "crm_zhongzheng"
# Units of each currency per yuan, the company's currency.
RATES = {"base.USD": 0.138, "base.EUR": 0.128}
RATE_DAYS_AGO = 600


def setup_company(env):
    company = env.ref(f"{MODULE}.res_company_zhongzheng_demo")
    if not company.chart_template:
        l10n_cn = env["ir.module.module"].search_count(
            [("name", "=", "l10n_cn"), ("state", "in", ("installed", "to upgrade"))]
        )
        env["account.chart.template"].try_loading(
            "cn" if l10n_cn else "generic_coa", company, install_demo=False
        )
        # the generic chart brings US dollars: the company keeps its yuan
        # (nothing is posted yet, so Odoo lets it change back)
        company.currency_id = env.ref("base.CNY")
    Rate = env["res.currency.rate"]
    day = fields.Date.context_today(company) - timedelta(days=RATE_DAYS_AGO)
    for xmlid, rate in RATES.items():
        currency = env.ref(xmlid)
        if not Rate.search_count(
            [("currency_id", "=", currency.id), ("company_id", "=", company.id)]
        ):
            Rate.create(
                {
                    "currency_id": currency.id,
                    "company_id": company.id,
                    "name": day,
                    "rate": rate,
                }
            )
    # the service level agreements the addon installs (in the first
    # company), the demo company's too: its tickets run on the same clocks
    SLA = env["zhongzheng.service.sla"]
    if not SLA.search_count([("company_id", "=", company.id)]):
        for sla in SLA.search([("company_id", "!=", company.id)]).filtered(
            lambda s: s.get_external_id().get(s.id, "").startswith(f"{MODULE}.")
        ):
            sla.copy({"company_id": company.id})
    # the Chinese staff work in Chinese (bin/run loads its translations)
    env["res.lang"]._activate_lang("zh_CN")
    return True
