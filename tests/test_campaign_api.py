"""End-to-end (issue 17, point 6): a BI tool reads a campaign, its target,
its control group and its result over XML-RPC as a marketing user, on the
demo's finished campaign; a salesperson reads none of it and nobody types
a result. Needs the campaign bridge (crm_zhongzheng_mass_mailing), which
the test command installs beside the addon."""

import xmlrpc.client

import pytest

from harness.users import Caller, served_copy

DENIED = 4  # faultCode of AccessError

SETUP = """
mailing = env.ref(
    "crm_zhongzheng_mass_mailing.mailing_mailing_campaign_demo",
    raise_if_not_found=False,
)
users = {
    "marketing": make("camp_marketing", [
        "base.group_user", "mass_mailing.group_mass_mailing_user",
    ]),
    "sales": make("camp_sales", [
        "base.group_user", "sales_team.group_sale_salesman_all_leads",
    ]),
}
env.cr.commit()
print("CAMP=" + json.dumps({"users": users, "mailing": mailing.id if mailing else 0}))
"""


@pytest.fixture(scope="module")
def campaign(odoo_db):
    with served_copy(odoo_db, f"{odoo_db}_campaign", SETUP, "CAMP") as served:
        server, setup = served
        if not setup["mailing"]:
            pytest.skip("the campaign bridge is not installed in the test database")
        yield Caller(server, setup["users"], setup)


def test_bi_tool_reads_target_control_group_and_uplift(campaign):
    mailing = campaign.refs["mailing"]
    [row] = campaign.execute(
        "marketing",
        "mailing.mailing",
        "read",
        [mailing],
        ["customer_tier_ids", "holdout_percent", "holdout_seed", "attribution_days"],
    )
    assert row["customer_tier_ids"] and row["holdout_percent"] == 30.0
    members = campaign.execute(
        "marketing",
        "zhongzheng.campaign.member",
        "search_read",
        [("mailing_id", "=", mailing)],
        ["partner_id", "is_control"],
    )
    control = [m for m in members if m["is_control"]]
    mailed = [m for m in members if not m["is_control"]]
    assert control and mailed
    assert not {m["partner_id"][0] for m in control} & {
        m["partner_id"][0] for m in mailed
    }, "no customer is in both groups"
    results = campaign.execute(
        "marketing",
        "zhongzheng.campaign.result",
        "search_read",
        [("mailing_id", "=", mailing)],
        ["metric", "targeted_count", "control_count", "uplift", "ci_low", "ci_high"],
    )
    by_metric = {r["metric"]: r for r in results}
    assert {"buyers", "orders", "revenue"} <= set(by_metric)
    assert "margin" not in by_metric, "margins are for CRM administrators"
    revenue = by_metric["revenue"]
    assert (revenue["targeted_count"], revenue["control_count"]) == (
        len(mailed),
        len(control),
    )
    assert revenue["ci_low"] <= revenue["uplift"] <= revenue["ci_high"]


def test_salesperson_reads_no_campaign_and_nobody_types_a_result(campaign):
    mailing = campaign.refs["mailing"]
    for model in ("zhongzheng.campaign.member", "zhongzheng.campaign.result"):
        with pytest.raises(xmlrpc.client.Fault) as fault:
            campaign.execute(
                "sales", model, "search_read", [("mailing_id", "=", mailing)], ["id"]
            )
        assert fault.value.faultCode == DENIED, fault.value.faultString
    [member] = campaign.execute(
        "marketing",
        "zhongzheng.campaign.member",
        "search",
        [("mailing_id", "=", mailing), ("is_control", "=", True)],
        limit=1,
    )
    with pytest.raises(xmlrpc.client.Fault) as fault:
        campaign.execute(
            "marketing",
            "zhongzheng.campaign.member",
            "write",
            [member],
            {"is_control": False},
        )
    assert fault.value.faultCode == DENIED, fault.value.faultString
