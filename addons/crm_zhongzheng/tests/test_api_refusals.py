"""Refusals of the integrator API (``zhongzheng.api``), called in process:
each bad input raises the error the XML-RPC fault carries (a UserError or
ValidationError is fault 2, an AccessError fault 4), its message says what
is wrong, and the refused call has written nothing, not even in its own
transaction. The end-to-end file (top-level ``tests/``) sends a few of
these over the wire."""

import json
from pathlib import Path

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import SQL

# The bad inputs, one dict each: id, user, method, args, kwargs, refusal
# ("refused": a UserError or ValidationError, "denied": an AccessError) and
# a fragment of the message; a "{name}" argument stands for a value the
# fixtures make (refs). "watched": the tables whose every row a refused
# call must leave untouched. The end-to-end tests read the same file.
TABLE = json.loads((Path(__file__).parent / "data" / "api_bad_inputs.json").read_text())
BAD_INPUTS = TABLE["cases"]
DENIED = "denied"


def _fill(value, refs):
    """The value with each "{name}" string replaced by refs[name]."""
    text = json.dumps(value)
    for name, ref in refs.items():
        text = text.replace(json.dumps(f"{{{name}}}"), json.dumps(ref))
    return json.loads(text)


@tagged("post_install", "-at_install")
class TestApiRefusals(TransactionCase):
    """One test per bad input of ``BAD_INPUTS`` (``test_refused_<id>``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {
            "integrator": new_test_user(
                cls.env,
                login="zz_api_integrator",
                groups="base.group_user,stock.group_stock_user,"
                "crm_zhongzheng.group_crm_user,crm_zhongzheng.group_service_user",
            ),
            "manager": new_test_user(
                cls.env,
                login="zz_api_manager",
                groups="base.group_user,crm_zhongzheng.group_crm_manager,"
                "crm_zhongzheng.group_service_manager",
            ),
            "plain": new_test_user(
                cls.env, login="zz_api_plain", groups="base.group_user"
            ),
        }
        Partner = cls.env["res.partner"]
        customer = Partner.create(
            {"name": "API Test Hospital", "is_company": True, "ref": "ZZ-API-0001"}
        )
        other = Partner.create(
            {"name": "API Test Clinic", "is_company": True, "ref": "ZZ-API-0002"}
        )
        warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        picking = cls.env["stock.picking"].create(
            {"picking_type_id": warehouse.out_type_id.id, "partner_id": customer.id}
        )
        order = cls.env["sale.order"].create({"partner_id": other.id})
        cls.refs = {
            "customer": customer.ref,
            "picking": picking.name,
            "order_of_other": order.name,
            "long_text": "x" * 5000,
            "long_key": "E" * 200,
            "too_many_customers": [f"C-{i:04d}" for i in range(101)],
        }
        # an event the "reused id" refusal needs
        cls.env["zhongzheng.api"].with_user(
            cls.users["integrator"]
        ).register_tracking_event(
            {
                "event_id": "KNOWN-1",
                "picking": picking.name,
                "kind": "in_transit",
                "time": "2026-06-01T10:00:00Z",
            }
        )

    def _snapshot(self):
        """Row count and a digest of every row of the watched tables."""
        self.env.flush_all()
        snapshot = {}
        for table in TABLE["watched"]:
            self.env.cr.execute(
                SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, '|'"
                    " ORDER BY t.id), '')) FROM %s t",
                    SQL.identifier(table),
                )
            )
            snapshot[table] = self.env.cr.fetchone()
        return snapshot

    def _assert_refused(self, case):
        api = self.env["zhongzheng.api"].with_user(self.users[case["user"]])
        method, message = case["method"], case["message"]
        before = self._snapshot()
        # not assertRaises: its savepoint would undo what the call wrote
        try:
            getattr(api, method)(
                *_fill(case["args"], self.refs), **_fill(case["kwargs"], self.refs)
            )
        except UserError as error:
            refused = error
        else:
            self.fail(f"{method} accepted the bad input")
        if case["refusal"] == DENIED:
            self.assertIsInstance(refused, AccessError)
        else:
            self.assertNotIsInstance(refused, AccessError)
        self.assertIn(message, str(refused))
        self.assertEqual(self._snapshot(), before, "a refused call wrote")

    def test_at_least_thirty_distinct_refusals(self):
        self.assertEqual(len({case["id"] for case in BAD_INPUTS}), len(BAD_INPUTS))
        self.assertGreaterEqual(len(BAD_INPUTS), 30)


def _refusal_test(case):
    def test(self):
        self._assert_refused(case)

    test.__name__ = "test_refused_" + case["id"].replace("-", "_")
    test.__doc__ = f"{case['method']}: {case['id']} ({case['message']})"
    return test


for _case in BAD_INPUTS:
    _test = _refusal_test(_case)
    setattr(TestApiRefusals, _test.__name__, _test)
