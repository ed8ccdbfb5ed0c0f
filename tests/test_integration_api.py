"""End-to-end: the integrator API (``zhongzheng.api``) over XML-RPC and, with
odoorpc, JSON-RPC, against the real server on a copy of the test database.

Users and API keys are made once with ``odoo-bin shell``: an integrator
(Inventory, CRM and Customer Service user), a CRM manager and an employee
without the addon's groups. Every README example runs as a test, every
method is called with both clients, refused inputs (a few here, the whole
table in the addon's test_api_refusals.py) leave the database unchanged,
and parallel copies of tracking events are recorded once."""

import json
import os
import random
import re
import subprocess
import sys
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import odoorpc
import pytest

from harness import query
from harness.users import Caller, served_copy

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
# the table of bad inputs the addon's in-process tests run in full
ADDON_TESTS = ROOT / "addons" / "crm_zhongzheng" / "tests"

SETUP_USERS = """
users = {
    "integrator": make("integrator", key=True, groups=[
        "base.group_user", "stock.group_stock_user",
        "crm_zhongzheng.group_crm_user", "crm_zhongzheng.group_service_user",
    ]),
    "manager": make("bi_manager", key=True, groups=[
        "base.group_user", "crm_zhongzheng.group_crm_manager",
        "crm_zhongzheng.group_service_manager",
    ]),
    "plain": make("plain_employee", ["base.group_user"], key=True),
}
env.cr.commit()
print("USERS=" + json.dumps(users))
"""

# The bad inputs (the addon's in-process tests run them all) and what a
# refused call must leave untouched: every row of the "watched" tables.
BAD_INPUT_TABLE = json.loads(
    (ADDON_TESTS / "data" / "api_bad_inputs.json").read_text(encoding="utf-8")
)


def snapshot(db):
    """Row count and a digest of every row of the watched tables."""
    return {
        table: query(
            db,
            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.id),"
            f" '')) FROM {table} t",
        )[0]
        for table in BAD_INPUT_TABLE["watched"]
    }


class Api(Caller):
    """The test database, its server and one XML-RPC caller per user."""

    def call(self, user, method, *args, **kwargs):
        return self.execute(user, "zhongzheng.api", method, *args, **kwargs)

    def odoorpc(self, user):
        host, port = self.server.url.rsplit("//", 1)[1].split(":")
        odoo = odoorpc.ODOO(host, protocol="jsonrpc", port=int(port), timeout=120)
        who = self.users[user]
        # a web session logs in with the password: API keys are for RPC
        odoo.login(self.db, who["login"], who["password"])
        return odoo


def _references(db):
    """Names the tests use, read from the demo data."""

    def one(sql, *params):
        rows = query(db, sql, params)
        assert rows, sql
        return rows[0][0]

    delivery_of = (
        "SELECT p.name FROM stock_picking p JOIN res_partner c ON c.id = p.partner_id"
        " JOIN stock_picking_type t ON t.id = p.picking_type_id"
        " WHERE t.code = 'outgoing' AND c.commercial_partner_id = ("
        "   SELECT id FROM res_partner WHERE ref = %s AND parent_id IS NULL)"
        " ORDER BY p.id LIMIT 1"
    )
    return {
        "picking": one(delivery_of, "C-0001"),
        "picking2": one(delivery_of, "C-0005"),
        "concurrent_picking": one(delivery_of, "C-0006"),
        "odoorpc_picking": one(delivery_of, "C-0007"),
        "customer": "C-0001",
        "order_of_other": one(
            "SELECT so.name FROM sale_order so JOIN res_partner c"
            " ON c.id = so.partner_id WHERE c.ref = 'C-0002' ORDER BY so.id LIMIT 1"
        ),
    }


@pytest.fixture(scope="module")
def api(odoo_db):
    with served_copy(odoo_db, f"{odoo_db}_api", SETUP_USERS, "USERS") as served:
        server, users = served
        client = Api(server, users, _references(server.db))
        # an event the "reused id" refusal needs
        client.call(
            "integrator",
            "register_tracking_event",
            {
                "event_id": "KNOWN-1",
                "picking": client.refs["picking"],
                "kind": "in_transit",
                "time": "2026-06-01T10:00:00Z",
            },
        )
        yield client


# ----------------------------------------------------------------------
# the README's examples
# ----------------------------------------------------------------------
def readme_examples():
    text = README.read_text()
    section = text.split("\n## Integration\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_readme_has_an_example_for_every_public_method():
    examples = "\n".join(readme_examples())
    for method in (
        "customer_profile",
        "recompute_scores",
        "register_tracking_event",
        "create_ticket",
        "rate_ticket",
        "ticket_changes",
    ):
        assert f'"{method}"' in examples, method


def run_example(api, code):
    """Run a README example as an integrator would: a separate Python
    process, told where the server is and which keys to use."""
    integrator, manager = api.users["integrator"], api.users["manager"]
    env = dict(
        os.environ,
        ODOO_URL=api.server.url,
        ODOO_DB=api.db,
        ODOO_USER=integrator["login"],
        ODOO_API_KEY=integrator["key"],
        ODOO_MANAGER_USER=manager["login"],
        ODOO_MANAGER_API_KEY=manager["key"],
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("number", range(len(readme_examples())))
def test_readme_example_runs(api, number):
    done = run_example(api, readme_examples()[number])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_readme_example_refusal_names_the_problem(api):
    [example] = [e for e in readme_examples() if "teleported" in e]
    out = run_example(api, example).stdout
    assert out.startswith("2 kind: unknown value 'teleported'")


# ----------------------------------------------------------------------
# each method over XML-RPC
# ----------------------------------------------------------------------
def test_profile_by_id_reference_vat_and_email(api):
    by_ref = api.call("integrator", "customer_profile", "C-0001")
    assert by_ref["name"] == "上海瑞金医疗用品有限公司"
    assert by_ref["tier"]["code"] and by_ref["relationship_class"]
    assert 0 < by_ref["score"]["total"] <= 100
    assert by_ref["rfm"]["r_score"] in range(1, 6)
    assert by_ref["facts"]["sale_count_total"] > 0
    assert by_ref["history"] and len(by_ref["history"]) <= 10
    # the CRM user does not see what only managers see
    assert "margin_total" not in by_ref["facts"] and "value" not in by_ref["clv"]
    for key in (
        by_ref["id"],
        "91310101MA1FP3RJ2K",
        "91310101 ma1fp3rj2k",
        "Purchasing@Ruijin-Supply.example.com",
    ):
        other = api.call("integrator", "customer_profile", key, history_limit=2)
        assert other["id"] == by_ref["id"] and len(other["history"]) <= 2
        assert other["score"] == by_ref["score"]
    managed = api.call("manager", "customer_profile", "C-0001")
    assert managed["facts"]["margin_total"] > 0 and managed["clv"]["value"] > 0


def test_a_contact_resolves_to_its_company(api):
    profile = api.call(
        "integrator", "customer_profile", "wang.lei@ruijin-supply.example.com"
    )
    assert profile["ref"] == "C-0001"
    # a ticket keeps the contact who wrote, under the contact's company
    ticket = api.call(
        "integrator",
        "create_ticket",
        {"subject": "From Wang Lei", "customer": "WANG.LEI@ruijin-supply.example.com"},
    )
    [row] = api.execute(
        "manager",
        "zhongzheng.service.ticket",
        "read",
        [ticket["id"]],
        ["partner_id", "commercial_partner_id", "email_from"],
    )
    assert row["partner_id"][1].endswith("王磊")
    assert row["commercial_partner_id"][0] == profile["id"] == ticket["customer_id"]
    assert row["email_from"] == "wang.lei@ruijin-supply.example.com"


def test_recompute_scores_answers_the_figures_the_profile_shows(api):
    result = api.call("manager", "recompute_scores", ["C-0001", "C-0002", "C-0001"])
    assert [r["name"] for r in result] == [
        "上海瑞金医疗用品有限公司",
        "北京协和医院设备中心",
    ]
    profile = api.call("manager", "customer_profile", "C-0002")
    assert result[1]["score"] == profile["score"]["total"]
    assert result[1]["tier"] == profile["tier"]["code"]


def test_tracking_event_is_recorded_once_and_answered_the_same(api):
    event = {
        "event_id": "ONCE-1",
        "picking": api.refs["picking2"],
        "kind": "out_for_delivery",
        "time": "2026-07-03T09:30:00+08:00",
        "location": "Hangzhou",
    }
    first = api.call("integrator", "register_tracking_event", event)
    second = api.call("integrator", "register_tracking_event", event)
    assert first == second
    assert first["time"] == "2026-07-03T01:30:00Z" and first["ticket"] is False
    rows = query(
        api.db,
        "SELECT count(*) FROM zhongzheng_tracking_event WHERE external_id = 'ONCE-1'",
    )
    assert rows == [(1,)]
    [picking] = api.execute(
        "integrator",
        "stock.picking",
        "search_read",
        [("name", "=", api.refs["picking2"])],
        fields=["tracking_status"],
    )
    assert picking["tracking_status"] == "out_for_delivery"


def test_exception_events_open_one_ticket_then_add_to_it(api):
    picking = api.refs["picking2"]
    first = api.call(
        "integrator",
        "register_tracking_event",
        {"event_id": "EXC-1", "picking": picking, "kind": "exception", "note": "wet"},
    )
    second = api.call(
        "integrator",
        "register_tracking_event",
        {"event_id": "EXC-2", "picking": picking, "kind": "exception"},
    )
    assert first["ticket"] and second["ticket"] == first["ticket"]
    [ticket] = api.execute(
        "manager",
        "zhongzheng.service.ticket",
        "search_read",
        [("number", "=", first["ticket"])],
        fields=["picking_id", "type_code", "message_ids"],
    )
    assert ticket["picking_id"][1] == picking and ticket["type_code"] == "exception"


def test_event_by_carrier_tracking_number(api):
    [picking_id] = api.execute(
        "integrator", "stock.picking", "search", [("name", "=", api.refs["picking2"])]
    )
    api.execute(
        "integrator",
        "stock.picking",
        "write",
        [picking_id],
        {"carrier_tracking_ref": "YT998877"},
    )
    answer = api.call(
        "integrator",
        "register_tracking_event",
        {"event_id": "YT-1", "tracking_ref": "YT998877", "kind": "delivered"},
    )
    assert answer["picking"] == api.refs["picking2"]


def test_create_ticket_and_rate_it(api):
    ticket = api.call(
        "integrator",
        "create_ticket",
        {
            "subject": "Damaged carton",
            "customer": "C-0001",
            "type": "claim",
            "picking": api.refs["picking"],
            "claim_amount": 1250.5,
            "priority": 2,
            "description": "Two cartons <crushed>\nphotos follow",
        },
    )
    assert ticket["number"] and ticket["stage"] and ticket["sla_status"]
    [row] = api.execute(
        "manager",
        "zhongzheng.service.ticket",
        "search_read",
        [("id", "=", ticket["id"])],
        fields=["claim_amount", "priority", "description", "commercial_partner_id"],
    )
    assert row["claim_amount"] == 1250.5 and row["priority"] == "2"
    assert "&lt;crushed&gt;" in row["description"]
    rated = api.call("integrator", "rate_ticket", ticket["number"], 4, feedback="ok")
    assert rated == {"number": ticket["number"], "rating": 4}
    [row] = api.execute(
        "manager",
        "zhongzheng.service.ticket",
        "search_read",
        [("id", "=", ticket["id"])],
        fields=["rating_last_value"],
    )
    assert row["rating_last_value"] == 4


def test_polling_sees_new_tickets_and_breaches(api):
    start = query(
        api.db, "SELECT to_char(now() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
    )
    since = start[0][0]
    ticket = api.call(
        "integrator", "create_ticket", {"subject": "Polled", "customer": "C-0003"}
    )
    # nobody types an SLA status, not even a manager (issue 14): the SLA job
    # writes it, as this statement does in its place
    with pytest.raises(xmlrpc.client.Fault):
        api.execute(
            "manager",
            "zhongzheng.service.ticket",
            "write",
            [ticket["id"]],
            {"sla_status": "breached"},
        )
    query(
        api.db,
        "UPDATE zhongzheng_service_ticket SET sla_status = 'breached',"
        " write_date = now() at time zone 'UTC' WHERE id = %s RETURNING id",
        (ticket["id"],),
    )
    page = api.call("integrator", "ticket_changes", since)
    numbers = [change["number"] for change in page["changes"]]
    assert ticket["number"] in numbers and ticket["number"] in page["breaches"]
    assert page["more"] is False and page["next_since"]
    small = api.call("integrator", "ticket_changes", "2000-01-01T00:00:00Z", limit=1)
    assert len(small["changes"]) == 1 and small["more"] is True
    assert small["next_since"] == small["changes"][0]["changed_at"]


def test_polling_pages_through_one_transaction_with_the_cursor(api):
    """Tickets written in one transaction share their write date: paging
    with the cursor still sees each of them once and comes to an end."""
    since = query(
        api.db,
        "SELECT to_char(now() at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
    )[0][0]
    ids = api.execute(
        "manager",
        "zhongzheng.service.ticket",
        "create",
        [{"name": f"Batch {n}"} for n in range(7)],
    )
    batch = set(ids)
    [(shared,)] = query(
        api.db,
        "SELECT count(DISTINCT write_date) FROM zhongzheng_service_ticket"
        " WHERE id = ANY(%s)",
        (ids,),
    )
    assert shared == 1
    position, seen, pages = since, [], 0
    while True:
        page = api.call("integrator", "ticket_changes", position, limit=3)
        seen += [change["id"] for change in page["changes"]]
        position, pages = page["cursor"], pages + 1
        assert pages <= 10, "paging does not end"
        if not page["more"]:
            break
    batch_seen = [ticket_id for ticket_id in seen if ticket_id in batch]
    assert sorted(batch_seen) == sorted(ids) and len(set(seen)) == len(seen)
    # the next poll starts a little back in time: the batch comes again,
    # each ticket once, so that callers dedupe by (id, changed_at)
    again = api.call("integrator", "ticket_changes", position, limit=500)
    assert not again["more"]
    assert sorted(c["id"] for c in again["changes"] if c["id"] in batch) == sorted(ids)


def test_polling_reads_dates_with_z_and_offsets_alike(api):
    utc = api.call("integrator", "ticket_changes", "2026-01-01T00:00:00Z", limit=1)
    east = api.call(
        "integrator", "ticket_changes", "2026-01-01T08:00:00+08:00", limit=1
    )
    assert utc["changes"] == east["changes"] and utc["cursor"] == east["cursor"]


# ----------------------------------------------------------------------
# the same with odoorpc (JSON-RPC), a client nobody here wrote
# ----------------------------------------------------------------------
def test_every_method_with_odoorpc(api):
    odoo = api.odoorpc("integrator")
    Api = odoo.env["zhongzheng.api"]
    assert Api.customer_profile("C-0001")["ref"] == "C-0001"
    event = {
        "event_id": "RPC-1",
        "picking": api.refs["odoorpc_picking"],
        "kind": "exception",
        "time": "2026-07-04T12:00:00Z",
    }
    first = Api.register_tracking_event(event)
    assert Api.register_tracking_event(event) == first and first["ticket"]
    ticket = Api.create_ticket({"subject": "via odoorpc", "customer": "C-0007"})
    assert Api.rate_ticket(ticket["number"], 5)["rating"] == 5
    numbers = [
        c["number"] for c in Api.ticket_changes("2000-01-01T00:00:00Z", 500)["changes"]
    ]
    assert ticket["number"] in numbers and first["ticket"] in numbers
    manager = api.odoorpc("manager").env["zhongzheng.api"]
    assert manager.recompute_scores(["C-0007"])[0]["name"]


def test_odoorpc_refusals_say_why_and_write_nothing(api):
    Api = api.odoorpc("integrator").env["zhongzheng.api"]
    before = snapshot(api.db)
    with pytest.raises(odoorpc.error.RPCError, match="between 1 and 5"):
        Api.rate_ticket("ST/2026/00001", 9)
    with pytest.raises(odoorpc.error.RPCError, match="Only CRM managers"):
        Api.recompute_scores(["C-0001"])
    with pytest.raises(odoorpc.error.RPCError, match="unknown value 'lost'"):
        Api.register_tracking_event(
            {"event_id": "RPC-2", "picking": api.refs["picking"], "kind": "lost"}
        )
    assert snapshot(api.db) == before


# ----------------------------------------------------------------------
# refusals: the fault says what is wrong, and nothing is written. The full
# table of bad inputs runs in process (the addon's test_api_refusals.py);
# here a few of them cross the wire: each kind of fault, the types XML-RPC
# carries, and refusals that depend on the database.
# ----------------------------------------------------------------------
REFUSED = 2  # faultCode of UserError / ValidationError on /xmlrpc/2
DENIED = 4  # faultCode of AccessError
FAULT_CODES = {"refused": REFUSED, "denied": DENIED}
BAD_INPUTS = BAD_INPUT_TABLE["cases"]
OVER_THE_WIRE = [
    "event-unknown-kind",
    "event-id-int",
    "event-id-reused",
    "profile-unknown-ref",
    "profile-wrong-type",
    "recompute-not-manager",
    "ticket-order-of-other",
    "ticket-no-rights",
    "rating-float",
]


def _fill(value, refs):
    """The value with each "{name}" string replaced by refs[name]."""
    text = json.dumps(value)
    for name, ref in refs.items():
        text = text.replace(json.dumps(f"{{{name}}}"), json.dumps(ref))
    return json.loads(text)


def test_the_wire_cases_are_in_the_table():
    assert set(OVER_THE_WIRE) <= {case["id"] for case in BAD_INPUTS}


@pytest.mark.parametrize(
    "case",
    [case for case in BAD_INPUTS if case["id"] in OVER_THE_WIRE],
    ids=lambda case: case["id"],
)
def test_bad_input_is_refused_and_writes_nothing(api, case):
    before = snapshot(api.db)
    args = _fill(case["args"], api.refs)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        api.call(case["user"], case["method"], *args, **case["kwargs"])
    fault = refused.value
    assert fault.faultCode == FAULT_CODES[case["refusal"]], fault.faultString
    assert case["message"] in fault.faultString
    assert snapshot(api.db) == before


@pytest.mark.parametrize(
    "user,model,method,args,kwargs,message",
    [
        (
            "integrator",
            "res.partner",
            "search_read",
            [[("ref", "=", "C-0001")]],
            {"fields": ["name", "margin_total"]},
            "margin_total",
        ),
        ("integrator", "res.partner", "read", [[1], ["clv_value"]], {}, "clv_value"),
        # the engine's recompute is private: no as_of from outside, even for
        # a CRM manager (recompute_scores is their way, as of today)
        (
            "plain",
            "zhongzheng.value.engine",
            "_recompute",
            [],
            {},
            "cannot be called remotely",
        ),
        (
            "manager",
            "zhongzheng.value.engine",
            "_recompute",
            [],
            {"as_of": "2020-01-31"},
            "cannot be called remotely",
        ),
    ],
    ids=["margin-field", "clv-field", "engine-plain", "engine-manager"],
)
def test_restricted_fields_and_methods_over_rpc(
    api, user, model, method, args, kwargs, message
):
    before = snapshot(api.db)
    with pytest.raises(xmlrpc.client.Fault) as denied:
        api.execute(user, model, method, *args, **kwargs)
    assert denied.value.faultCode == DENIED and message in denied.value.faultString
    assert snapshot(api.db) == before


def test_engine_has_no_public_recompute(api):
    """No public entry takes an as-of date from outside (issue 14, point 12)."""
    before = snapshot(api.db)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        api.execute(
            "manager", "zhongzheng.value.engine", "recompute", as_of="2020-01-31"
        )
    assert "does not exist" in refused.value.faultString
    assert snapshot(api.db) == before


# ----------------------------------------------------------------------
# concurrency: parallel clients, duplicates included
# ----------------------------------------------------------------------
def test_parallel_clients_record_each_event_once(api):
    picking = api.refs["concurrent_picking"]
    kinds = ["intake", "picked_up", "in_transit", "exception", "hub", "exception"]
    events = [
        {
            "event_id": f"PAR-{i}",
            "picking": picking,
            "kind": kind,
            "time": f"2026-07-05T{8 + i:02d}:00:00Z",
        }
        for i, kind in enumerate(kinds)
    ]
    sends = events * 3
    random.Random(7).shuffle(sends)
    who = api.users["integrator"]

    def send(event):
        # one connection per call: a ServerProxy is not thread-safe
        models = api.server.proxy("object")
        return models.execute_kw(
            api.db,
            who["uid"],
            who["key"],
            "zhongzheng.api",
            "register_tracking_event",
            [event],
        )

    log_before = api.server.log_path.read_text()
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(send, sends, timeout=300))
    log = api.server.log_path.read_text()[len(log_before) :]

    by_event = {}
    for event, answer in zip(sends, answers, strict=True):
        by_event.setdefault(event["event_id"], []).append(answer)
    assert len(by_event) == len(events)
    for answers_of_one in by_event.values():
        assert all(a == answers_of_one[0] for a in answers_of_one)
    recorded = query(
        api.db,
        "SELECT e.external_id, count(*) FROM zhongzheng_tracking_event e"
        " JOIN stock_picking p ON p.id = e.picking_id"
        " WHERE p.name = %s GROUP BY 1 ORDER BY 1",
        (picking,),
    )
    assert recorded == [(f"PAR-{i}", 1) for i in range(len(events))]
    tickets = {by_event["PAR-3"][0]["ticket"], by_event["PAR-5"][0]["ticket"]}
    assert len(tickets) == 1 and None not in tickets and False not in tickets
    opened = query(
        api.db,
        "SELECT count(*) FROM zhongzheng_service_ticket t"
        " JOIN stock_picking p ON p.id = t.picking_id WHERE p.name = %s",
        (picking,),
    )
    assert opened == [(1,)]
    # the delivery shows the newest event, as the events computed by hand
    [picking_row] = api.execute(
        "integrator",
        "stock.picking",
        "search_read",
        [("name", "=", picking)],
        fields=["tracking_status"],
    )
    assert picking_row["tracking_status"] == kinds[-1]
    # a parallel event of the same delivery was recorded at once, not
    # retried by Odoo after a pause of up to 2 s (the events all raced for
    # one delivery's row)
    assert "SERIALIZATION_FAILURE" not in log
