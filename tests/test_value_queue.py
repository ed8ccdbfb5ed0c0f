"""End-to-end (issue 15, target 6): orders confirmed at once by several
clients over XML-RPC are queued, and Odoo's own scheduler (a real cron
thread, woken by the confirmations' triggers) makes every touched
customer's figures current well within a minute of the last confirmation, with
nothing left in the queue. Only the first confirmations of a burst wake the
cron workers (`_trigger_cron`): this proves the others are served anyway."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness import query
from harness.users import served_copy

SETUP = """
company = env.company
company.sale_block_risky = False  # the demo may hold lead-tier customers
# only the queue's cron is due: the nightly jobs stay out of the way
env["ir.cron"].search([]).write({"nextcall": "2099-01-01 00:00:00"})
env["zhongzheng.value.queue"].search([]).unlink()
product = env["product.product"].search(
    [("sale_ok", "=", True), ("type", "=", "consu")], limit=1
)
customers = [customer(ref) for ref in ("C-0001", "C-0002", "C-0003", "C-0004")]
orders = []
for index in range(12):
    partner = customers[index % 4]
    orders.append(env["sale.order"].create({
        "partner_id": partner.id,
        "company_id": company.id,
        "order_line": [Command.create({
            "product_id": product.id, "product_uom_qty": 1, "price_unit": 50.0,
        })],
    }).id)
user = make("queue_seller", [
    "base.group_user", "sales_team.group_sale_salesman_all_leads",
    "crm_zhongzheng.group_crm_user",
], company_id=company.id, company_ids=[Command.set(company.ids)])
env.cr.commit()
print("QUEUE=" + json.dumps({
    "user": user, "orders": orders, "customers": [c.id for c in customers],
    "company": company.id,
}))
"""

CONFIRMED = """
SELECT c.commercial_partner_id, count(*) FROM sale_order so
  JOIN res_partner c ON c.id = so.partner_id
 WHERE so.state = 'sale' AND so.company_id = %s
   AND c.commercial_partner_id = ANY(%s)
 GROUP BY 1
"""


@pytest.fixture(scope="module")
def burst(odoo_db):
    with served_copy(
        odoo_db, f"{odoo_db}_queue", SETUP, "QUEUE", "--max-cron-threads=1"
    ) as served:
        yield served


def test_a_burst_of_confirmations_is_current_within_a_minute(burst):
    server, setup = burst
    user, company = setup["user"], setup["company"]

    def call(model, method, *args):
        return server.proxy("object").execute_kw(
            server.db, user["uid"], user["password"], model, method, list(args)
        )

    with ThreadPoolExecutor(4) as pool:
        list(
            pool.map(
                lambda order: call("sale.order", "action_confirm", [order]),
                setup["orders"],
            )
        )
    confirmed_at = time.monotonic()
    expected = dict(query(server.db, CONFIRMED, (company, setup["customers"])))
    assert sum(expected.values()) >= 12

    while True:
        figures = {
            row["id"]: row["sale_count_total"]
            for row in call(
                "res.partner", "read", setup["customers"], ["sale_count_total"]
            )
        }
        queued = query(server.db, "SELECT count(*) FROM zhongzheng_value_queue")[0][0]
        if figures == expected and not queued:
            break
        # the target is a minute; the scheduler also polls once a minute, so
        # a burst whose wake-ups were all skipped or lost would pass at 60 s:
        # half of it, for a batch that gathers 3 s of requests
        assert time.monotonic() - confirmed_at < 30, (
            f"not current 30 s after the last confirmation: figures "
            f"{figures}, confirmed {expected}, {queued} still queued "
            f"(log: {server.log_path})"
        )
        time.sleep(0.5)
