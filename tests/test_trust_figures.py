"""End-to-end (issue 14, point 4): customer figures are for Customer
Relations users, over XML-RPC with ordinary logins. A plain employee, a
salesperson without the CRM group and a portal user of the customer itself
read none of the classification, neither on the customer nor through the
badges on its orders; a CRM user reads it and still cannot type it."""

import xmlrpc.client

import pytest

from harness.users import Caller, served_copy

DENIED = 4  # faultCode of AccessError
FIGURES = ("tier_id", "relationship_class", "value_score", "rfm_segment_id")

SETUP = """
customer = customer("C-0001")
buyer = env["res.partner"].create(
    {"name": "Figures Buyer", "parent_id": customer.id, "email": "fig@example.com"}
)
order = env["sale.order"].search([("partner_id", "child_of", customer.id)], limit=1)
users = {
    "plain": make("fig_plain", ["base.group_user"]),
    "sales": make("fig_sales", [
        "base.group_user", "sales_team.group_sale_salesman_all_leads",
    ]),
    "crm": make("fig_crm", [
        "base.group_user", "sales_team.group_sale_salesman_all_leads",
        "crm_zhongzheng.group_crm_user",
    ]),
    "portal": make("fig_portal", ["base.group_portal"], partner_id=buyer.id),
}
env.cr.commit()
print("FIG=" + json.dumps({
    "users": users, "customer": customer.id, "order": order.id,
    "tier": customer.tier_id.id,
}))
"""


@pytest.fixture(scope="module")
def figures(odoo_db):
    with served_copy(odoo_db, f"{odoo_db}_figures", SETUP, "FIG") as served:
        server, setup = served
        assert setup["tier"] and setup["order"], setup
        yield Caller(server, setup["users"], setup)


def _denied(call):
    with pytest.raises(xmlrpc.client.Fault) as fault:
        call()
    assert fault.value.faultCode == DENIED, fault.value.faultString


@pytest.mark.parametrize("user", ["plain", "sales", "portal"])
def test_no_classification_for_others(figures, user):
    customer = figures.refs["customer"]
    described = figures.execute(user, "res.partner", "fields_get", attributes=["type"])
    for name in FIGURES:
        assert name not in described, name
    for name in FIGURES:
        _denied(
            lambda name=name: figures.execute(
                user, "res.partner", "read", [customer], [name]
            )
        )
    # what the customer's form reads: name, address and contacts, no figure
    [row] = figures.execute(
        user, "res.partner", "read", [customer], ["name", "child_ids"]
    )
    assert row["name"] and not set(FIGURES) & set(row)


@pytest.mark.parametrize("user", ["plain", "sales"])
def test_no_tier_badge_on_the_order(figures, user):
    order = figures.refs["order"]
    if user == "plain":  # no Sales rights: no order at all
        _denied(lambda: figures.execute(user, "sale.order", "read", [order], ["name"]))
        return
    [row] = figures.execute(user, "sale.order", "read", [order])
    assert "partner_tier_id" not in row and "partner_relationship_class" not in row
    _denied(
        lambda: figures.execute(
            user, "sale.order", "read", [order], ["partner_tier_id"]
        )
    )


def test_crm_user_reads_but_cannot_type_the_figures(figures):
    customer, order = figures.refs["customer"], figures.refs["order"]
    [row] = figures.execute("crm", "res.partner", "read", [customer], list(FIGURES))
    assert row["tier_id"][0] == figures.refs["tier"]
    [badge] = figures.execute("crm", "sale.order", "read", [order], ["partner_tier_id"])
    assert badge["partner_tier_id"][0] == figures.refs["tier"]
    with pytest.raises(xmlrpc.client.Fault):
        figures.execute(
            "crm", "res.partner", "write", [customer], {"value_score": 99.0}
        )
    [after] = figures.execute("crm", "res.partner", "read", [customer], ["value_score"])
    assert after["value_score"] == row["value_score"]
