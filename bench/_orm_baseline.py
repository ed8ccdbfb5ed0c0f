"""The value engine benchmark's baseline (bench/value_engine.py, phase
(d)): the straightforward per-partner ORM computation of the transaction
facts the engine's fact step writes, timed and checked against them."""

import math
import sys
import time

import harness

ADDON = harness.ADDON


def naive_facts(env, company, partner, as_of, start, end):
    """The straightforward ORM computation of one commercial partner's
    transaction facts (what the engine's fact step writes), per partner:
    one search per source document type, then Python over the records."""
    from odoo.tools import float_round

    cid = company.id
    date_start, date_end = start.date(), end.date()
    orders = env["sale.order"].search(
        [
            ("partner_id", "child_of", partner.id),
            ("state", "=", "sale"),
            ("company_id", "=", cid),
            ("date_order", "<", end),
        ]
    )
    facts = {
        "sale_count_total": 0,
        "sale_count_window": 0,
        "revenue_total": 0.0,
        "revenue_window": 0.0,
        "margin_total": 0.0,
        "margin_window": 0.0,
        "first_sale_date": None,
        "last_sale_date": None,
    }
    for order in orders:
        rate = order.currency_rate or 1.0
        amount = order.amount_untaxed / rate
        margin = 0.0
        for line in order.order_line:
            if line.display_type or line.is_downpayment:
                continue
            product = line.product_id.with_company(company)
            qty = line.product_uom._compute_quantity(
                line.product_uom_qty, product.uom_id
            )
            margin += line.price_subtotal / rate - product.standard_price * qty
        day = order.date_order.date()
        facts["sale_count_total"] += 1
        facts["revenue_total"] += amount
        facts["margin_total"] += margin
        if order.date_order >= start:
            facts["sale_count_window"] += 1
            facts["revenue_window"] += amount
            facts["margin_window"] += margin
        if facts["first_sale_date"] is None or day < facts["first_sale_date"]:
            facts["first_sale_date"] = day
        if facts["last_sale_date"] is None or day > facts["last_sale_date"]:
            facts["last_sale_date"] = day
    window = facts["sale_count_window"]
    facts["average_order_value"] = facts["revenue_window"] / window if window else 0.0
    # purchases (suppliers)
    purchases = env["purchase.order"].search(
        [
            ("partner_id", "child_of", partner.id),
            ("state", "in", ("purchase", "done")),
            ("company_id", "=", cid),
            ("date_order", ">=", start),
            ("date_order", "<", end),
        ]
    )
    facts["purchase_amount_window"] = sum(
        po.amount_untaxed / (po.currency_rate or 1.0) for po in purchases
    )
    facts["purchase_count_window"] = len(purchases)
    # posted invoices, receivables and days to pay
    moves = env["account.move"].search(
        [
            ("partner_id", "child_of", partner.id),  # indexed, unlike commercial
            ("company_id", "=", cid),
            ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund")),
        ]
    )
    invoiced = receivable = overdue = 0.0
    days = []
    unpaid = ("paid", "in_payment", "reversed")
    for move in moves:
        in_window = date_start <= move.invoice_date < date_end
        if in_window:
            invoiced += move.amount_untaxed_signed
        if move.move_type != "out_invoice":
            continue
        if move.payment_state not in unpaid:
            receivable += move.amount_residual_signed
            if move.invoice_date_due < as_of:
                overdue += move.amount_residual_signed
        elif move.payment_state in ("paid", "in_payment") and in_window:
            terms = move.line_ids.filtered(lambda l: l.display_type == "payment_term")
            paid_on = terms.matched_credit_ids.mapped("max_date")
            if paid_on:
                days.append(max(0, (max(paid_on) - move.invoice_date).days))
    facts["invoiced_window"] = invoiced
    facts["receivable_open"] = receivable
    facts["receivable_overdue"] = overdue
    facts["average_days_to_pay"] = (
        float_round(sum(days) / len(days), precision_digits=1) if days else None
    )
    # on-time delivery
    pickings = env["stock.picking"].search(
        [
            ("partner_id", "child_of", partner.id),
            ("company_id", "=", cid),
            ("state", "=", "done"),
            ("picking_type_code", "=", "outgoing"),
            ("date_done", ">=", start),
            ("date_done", "<", end),
        ]
    )
    on_time = sum(
        1 for p in pickings if p.date_done <= (p.date_deadline or p.scheduled_date)
    )
    facts["delivery_count_window"] = len(pickings)
    facts["delivery_on_time_rate"] = (
        float_round(100.0 * on_time / len(pickings), precision_digits=1)
        if pickings
        else None
    )
    # cost to serve: service tickets closed and claims approved in the window
    tickets = env["zhongzheng.service.ticket"].search(
        [("commercial_partner_id", "=", partner.id), ("company_id", "=", cid)]
    )
    facts["cost_to_serve"] = sum(
        t.handling_cost
        for t in tickets
        if t.date_closed and start <= t.date_closed < end
    ) + sum(
        t.claim_approved_amount
        for t in tickets
        if t.claim_state == "approved"
        and t.claim_approved_date
        and date_start <= t.claim_approved_date < date_end
    )
    for name, value in facts.items():
        if isinstance(value, float) and name not in (
            "average_days_to_pay",
            "delivery_on_time_rate",
        ):
            facts[name] = float_round(value, precision_digits=2)
    # and written to the partner, as the engine does
    partner.with_company(company).write(facts)
    return facts


def engine_facts(cr, company, ids, names):
    """{partner id: {field: the engine's value as stored}}."""
    cr.execute(
        "SELECT partner_id, "
        + ", ".join(f"{n}::text" for n in names)
        + " FROM zhongzheng_partner_figures"
        " WHERE company_id = %(company)s AND partner_id = ANY(%(ids)s)",
        {"company": company.id, "ids": list(ids)},
    )
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in cr.fetchall()}


def compare_facts(stored, naive):
    """Where the naive results differ from what the engine wrote."""
    mismatches = []
    for pid, facts in naive.items():
        for name, mine in facts.items():
            value = stored.get(pid, {}).get(name)
            if isinstance(mine, float):
                same = value is not None and math.isclose(
                    float(value), mine, abs_tol=0.011, rel_tol=1e-9
                )
            else:
                same = str(mine if mine is not None else None) == str(value)
            if not same:
                mismatches.append((pid, name, mine, value))
    return mismatches


def run_orm_sample(bench, env, company, as_of, sample, population):
    value_sql = sys.modules[f"odoo.addons.{ADDON}.models.value_sql"]
    start, end = value_sql.window(company, as_of)
    fact_names = list(
        sys.modules[f"odoo.addons.{ADDON}.models.value_facts"].FACT_FIELDS
    )
    stored = engine_facts(env.cr, company, sample, fact_names)
    env.invalidate_all()
    durations, naive = [], {}
    with bench.phase(
        f"(d) per-partner ORM facts, {len(sample)} partners", env.cr, profile=False
    ) as result:
        for pid in sample:
            t0 = time.perf_counter()
            partner = env["res.partner"].browse(pid)
            naive[pid] = naive_facts(env, company, partner, as_of, start, end)
            durations.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        env.flush_all()  # the writes, as at the end of a cron's transaction
        flush = time.perf_counter() - t0
    durations.sort()
    mean = (sum(durations) + flush) / len(durations)
    result.update(
        mean=mean,
        median=durations[len(durations) // 2],
        p95=durations[int(0.95 * (len(durations) - 1))],
        extrapolated=mean * population,
    )
    if set(fact_names) != set(next(iter(naive.values()))):
        print("  the ORM computation does not cover the engine's facts exactly")
    mismatches = compare_facts(stored, naive)
    print(
        f"  per partner: mean {1000 * mean:.2f} ms, median "
        f"{1000 * result['median']:.2f} ms, p95 {1000 * result['p95']:.2f} ms;"
        f" x {population} partners = {result['extrapolated']:.0f} s"
    )
    print(
        f"  cross-check: the ORM facts of {len(naive)} partners equal the"
        f" engine's figures: {'yes' if not mismatches else 'NO'}"
    )
    for pid, name, mine, value in mismatches[:10]:
        print(f"    partner {pid} {name}: ORM {mine!r}, engine {value!r}")
    result["mismatches"] = len(mismatches)
    env.invalidate_all()
