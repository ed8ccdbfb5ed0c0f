"""End-to-end (issue 14, service side): what the ticket screens promise, the
real server enforces over XML-RPC with ordinary logins: a service user, a
service manager, a portal user and an integrator.

Claims are decided by managers only (1), the SLA clock and a closed ticket
cannot be typed over (2), a portal user reads customer-facing ticket fields
only (5), an integrator's text stays text (7) and ``create_ticket`` links
only the named customer's own documents (8)."""

import xmlrpc.client

import pytest

from harness import query
from harness.users import Caller, served_copy

REFUSED = 2  # faultCode of UserError / ValidationError on /xmlrpc/2
DENIED = 4  # faultCode of AccessError

SETUP = """
customer = customer("C-0001")
buyer = env["res.partner"].create(
    {"name": "Trust Buyer", "parent_id": customer.id, "email": "trust@example.com"}
)
users = {
    "service": make("trust_service", [
        "base.group_user", "crm_zhongzheng.group_service_user",
    ]),
    "manager": make("trust_service_manager", [
        "base.group_user", "crm_zhongzheng.group_service_manager",
    ]),
    "integrator": make("trust_integrator", [
        "base.group_user", "stock.group_stock_user",
        "crm_zhongzheng.group_service_user",
    ]),
    "portal": make("trust_portal", ["base.group_portal"], partner_id=buyer.id),
}
Ticket = env["zhongzheng.service.ticket"]
claim = Ticket.create({
    "name": "Trust: cracked housings",
    "type_id": env.ref("crm_zhongzheng.service_ticket_type_claim").id,
    "partner_id": buyer.id,
    "claim_amount": 500.0,
    "root_cause": "Trust: our picker swapped labels",
    "responsible_party": "us",
})
closed = Ticket.create({"name": "Trust: closed one", "partner_id": buyer.id})
closed.stage_id = env.ref("crm_zhongzheng.service_ticket_stage_in_progress")
closed.stage_id = env.ref("crm_zhongzheng.service_ticket_stage_closed")
env.cr.commit()
print("TRUST=" + json.dumps({"users": users, "claim": claim.id, "closed": closed.id}))
"""

TICKET = "zhongzheng.service.ticket"


class TrustCaller(Caller):
    def ticket(self, ticket_id, *names):
        return self.execute("manager", TICKET, "read", [ticket_id], list(names))[0]


def _delivery_of(db, ref):
    rows = query(
        db,
        "SELECT p.name FROM stock_picking p JOIN res_partner c ON c.id = p.partner_id"
        " JOIN stock_picking_type t ON t.id = p.picking_type_id"
        " WHERE t.code = 'outgoing' AND c.commercial_partner_id = ("
        "   SELECT id FROM res_partner WHERE ref = %s AND parent_id IS NULL)"
        " ORDER BY p.id LIMIT 1",
        (ref,),
    )
    assert rows, ref
    return rows[0][0]


@pytest.fixture(scope="module")
def trust(odoo_db):
    with served_copy(odoo_db, f"{odoo_db}_trust", SETUP, "TRUST") as served:
        server, setup = served
        refs = {
            "claim": setup["claim"],
            "closed": setup["closed"],
            "own_picking": _delivery_of(server.db, "C-0001"),
            "other_picking": _delivery_of(server.db, "C-0002"),
        }
        yield TrustCaller(server, setup["users"], refs)


def _refused(call, code=None):
    with pytest.raises(xmlrpc.client.Fault) as fault:
        call()
    if code is not None:
        assert fault.value.faultCode == code, fault.value.faultString
    return fault.value


# 1. claims
@pytest.mark.parametrize(
    "values",
    [
        {"claim_state": "approved"},
        {"claim_approved_amount": 450.0},
        {"claim_approved_date": "2026-06-30"},
    ],
    ids=["state", "amount", "date"],
)
def test_service_user_cannot_decide_a_claim(trust, values):
    claim = trust.refs["claim"]
    fields = ["claim_state", "claim_approved_amount", "claim_approved_date"]
    before = trust.ticket(claim, *fields)
    _refused(lambda: trust.execute("service", TICKET, "write", [claim], values), DENIED)
    assert trust.ticket(claim, *fields) == before


def test_manager_approves_and_cannot_raise_the_approved_amount(trust):
    claim = trust.refs["claim"]
    trust.execute("manager", TICKET, "action_approve_claim", [claim])
    assert trust.ticket(claim, "claim_state")["claim_state"] == "approved"
    fault = _refused(
        lambda: trust.execute(
            "manager", TICKET, "write", [claim], {"claim_approved_amount": 9000.0}
        ),
        REFUSED,
    )
    assert "only be lowered" in fault.faultString
    assert trust.ticket(claim, "claim_approved_amount")["claim_approved_amount"] == 500


# 2. the SLA clock and the closed-ticket lock
def test_service_user_cannot_type_the_sla_clock(trust):
    claim = trust.refs["claim"]
    fields = ["sla_status", "reopen_count", "sla_start", "stage_id"]
    before = trust.ticket(claim, *fields)
    for values in (
        {"sla_status": "met"},
        {"reopen_count": 7},
        {"sla_start": "2020-01-01 00:00:00"},
        {"stage_id": before["stage_id"][0], "sla_status": "met"},
    ):
        _refused(
            lambda v=values: trust.execute("service", TICKET, "write", [claim], v),
            DENIED,
        )
    assert trust.ticket(claim, *fields) == before


def test_closed_ticket_cannot_be_changed_by_sending_its_stage(trust):
    closed = trust.refs["closed"]
    stage = trust.ticket(closed, "stage_id")["stage_id"][0]
    fault = _refused(
        lambda: trust.execute(
            "service", TICKET, "write", [closed], {"stage_id": stage, "name": "Hacked"}
        ),
        REFUSED,
    )
    assert "is closed" in fault.faultString
    assert trust.ticket(closed, "name")["name"] == "Trust: closed one"


# 5. the portal user reads customer-facing fields only
def test_portal_user_reads_customer_facing_fields_only(trust):
    claim = trust.refs["claim"]
    described = trust.execute("portal", TICKET, "fields_get", attributes=["type"])
    for name in (
        "root_cause",
        "responsible_party",
        "supplier_id",
        "claim_approved_amount",
        "sla_status",
        "sla_id",
        "purchase_order_id",
        "refund_id",
    ):
        assert name not in described, name
    [row] = trust.execute("portal", TICKET, "read", [claim])
    assert row["number"] and "root_cause" not in row
    assert "picker swapped" not in str(row)
    fault = _refused(
        lambda: trust.execute("portal", TICKET, "read", [claim], ["root_cause"]),
        DENIED,
    )
    assert "root_cause" in fault.faultString or "Root Cause" in fault.faultString
    _refused(
        lambda: trust.execute(
            "portal", TICKET, "search_read", [("sla_status", "!=", False)], ["number"]
        ),
        DENIED,
    )


# 7. an integrator's text is text
def test_tracking_note_is_text_in_the_ticket(trust):
    answer = trust.execute(
        "integrator",
        "zhongzheng.api",
        "register_tracking_event",
        {
            "event_id": "TRUST-HTML-1",
            "picking": trust.refs["own_picking"],
            "kind": "exception",
            "note": '<a href="https://evil.example/">pay</a><img src="x">',
        },
    )
    [ticket] = trust.execute(
        "manager",
        TICKET,
        "search_read",
        [("number", "=", answer["ticket"])],
        ["description", "message_ids"],
    )
    messages = trust.execute(
        "manager", "mail.message", "read", ticket["message_ids"], ["body"]
    )
    for html in [ticket["description"] or ""] + [m["body"] for m in messages]:
        assert "<a href" not in html and "<img" not in html, html
    assert "&lt;a href=" in (ticket["description"] or "") + "".join(
        m["body"] for m in messages
    )


# 8. create_ticket links only the customer's own documents
def test_create_ticket_refuses_another_customers_delivery(trust):
    def count():
        return query(trust.db, "SELECT count(*) FROM zhongzheng_service_ticket")[0][0]

    before = count()
    fault = _refused(
        lambda: trust.execute(
            "integrator",
            "zhongzheng.api",
            "create_ticket",
            {
                "subject": "Not my delivery",
                "customer": "C-0001",
                "picking": trust.refs["other_picking"],
            },
        ),
        REFUSED,
    )
    assert trust.refs["other_picking"] in fault.faultString
    assert "belongs to another customer" in fault.faultString
    assert count() == before
