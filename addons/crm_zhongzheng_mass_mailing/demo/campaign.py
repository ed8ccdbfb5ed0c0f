"""A finished campaign for the demo company: a mailing to its ranked tiers
sent 40 days ago with a 30% control group, so that its 30-day window is
over and the result screen compares real orders of the demo history."""

import random
from datetime import timedelta

from odoo import Command, fields

XMLID = "mailing_mailing_campaign_demo"
SEED = 2026


def generate_campaign(env):
    """Create and 'send' the demo campaign once (demo data is reloaded on
    every update). The mailing's statistics are written as traces: the demo
    has no mail server to send through."""
    module = "crm_zhongzheng_mass_mailing"
    if env.ref(f"{module}.{XMLID}", raise_if_not_found=False):
        return
    tiers = env["zhongzheng.customer.tier"].search([("is_lead", "=", False)])
    sent = fields.Datetime.now().replace(microsecond=0) - timedelta(days=40)
    mailing = env["mailing.mailing"].create(
        {
            "subject": env._("Service contract renewal: calibration at 10% off"),
            "body_html": env._(
                "<p>Renew your service contract this month: calibration of "
                "every device at 10% off.</p>"
            ),
            "customer_target": True,
            "mailing_model_id": env["ir.model"]._get_id("res.partner"),
            "customer_tier_ids": [Command.set(tiers.ids)],
            "holdout_percent": 30.0,
            "holdout_seed": SEED,
            "user_id": env.ref("base.user_admin").id,
            "company_id": env.company.id,
        }
    )
    env["ir.model.data"].create(
        {
            "module": module,
            "name": XMLID,
            "model": "mailing.mailing",
            "res_id": mailing.id,
            "noupdate": True,
        }
    )
    members = mailing._draw_campaign_members()
    mailed = set(members.filtered(lambda m: not m.is_control).partner_id.ids)
    rng = random.Random(SEED)
    partners = env["res.partner"].browse(
        [r for r, customer in mailing._customer_recipients() if customer in mailed]
    )
    traces = []
    for partner in partners:
        status = rng.choices(["sent", "open", "reply"], weights=[5, 4, 1])[0]
        traces.append(
            {
                "mass_mailing_id": mailing.id,
                "model": "res.partner",
                "res_id": partner.id,
                "email": partner.email_normalized,
                "trace_status": status,
                "sent_datetime": sent,
                "open_datetime": sent + timedelta(hours=3)
                if status != "sent"
                else False,
                "reply_datetime": sent + timedelta(hours=5)
                if status == "reply"
                else False,
            }
        )
    env["mailing.trace"].create(traces)
    mailing.write({"state": "done", "sent_date": sent})
    return mailing
