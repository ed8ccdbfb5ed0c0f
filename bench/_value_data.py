"""The value engine benchmark's data (bench/value_engine.py), generated
in set-based SQL: customers, two years of confirmed sale orders and, unless
left out, their invoices, payments and deliveries; and the way back to a
database without figures (--reuse)."""

import logging
import time
from datetime import datetime, timedelta

# the addon's table of the figures (value_writer.FIGURES_TABLE)
FIGURES_TABLE = "zhongzheng_partner_figures"
HISTORY_DAYS = 730  # two years of orders up to the as-of date
INCREMENTAL_REF = "zzbench-incremental"
# the tables generate() fills: analysed before anything is timed
GENERATED_TABLES = (
    "res_partner",
    "sale_order",
    "sale_order_line",
    "account_move",
    "account_move_line",
    "account_partial_reconcile",
    "stock_picking",
    "product_product",
)
# what reset_figures empties (vacuumed before the timed passes, see there)
RESET_TABLES = (
    FIGURES_TABLE,
    "zhongzheng_clv_fit",
    "zhongzheng_relationship_history",
    "zhongzheng_value_queue",
    "zhongzheng_value_cuts",
)
# Products: (name, list price, cost). The first ones sell most.
PRODUCTS = [
    ("Pallet Wrap Film", 18.0, 11.5),
    ("Carton Box 60x40", 2.4, 1.5),
    ("Steel Strapping Coil", 42.0, 29.0),
    ("Wooden Pallet EUR", 14.0, 9.8),
    ("Label Printer Ribbon", 9.5, 5.2),
    ("Forklift Battery Service Kit", 310.0, 220.0),
    ("Cold Chain Data Logger", 85.0, 51.0),
    ("Hand Pallet Truck", 420.0, 300.0),
    ("Plastic Crate 40L", 11.0, 6.9),
    ("Shrink Hood 1200", 3.1, 1.9),
    ("Corner Protector 50m", 27.0, 16.0),
    ("Container Desiccant Bag", 4.2, 2.1),
    ("Dock Bumper", 95.0, 61.0),
    ("Stretch Wrapper Spare Film Roller", 150.0, 98.0),
    ("Barcode Scanner", 260.0, 190.0),
    ("Air Cushion Roll", 36.0, 21.0),
]
SERVICE = ("Express Delivery Surcharge", 250.0, 120.0)
# The purchase structure: four baskets of products bought together (indexes
# in PRODUCTS), each a device first (bought once, on a customer's first
# order, by half the customers) and the consumables that go with it. A
# line is of the customer's own basket (70%), of a second basket (10%) or
# any consumable, the popular ones more often (20%).
BASKETS = [
    [7, 5, 3, 12],  # hand pallet truck: battery service kit, pallets, bumpers
    [6, 11, 8, 9],  # data logger: desiccant bags, crates, shrink hoods
    [14, 4, 1, 15],  # barcode scanner: ribbons, cartons, air cushions
    [13, 0, 2, 10],  # stretch wrapper roller: film, strapping, corners
]
CONSUMABLES = sorted(i for basket in BASKETS for i in basket[1:])

_logger = logging.getLogger("bench.value_engine")


def create_products(env, company):
    """A handful of goods with a cost (company-dependent standard_price),
    and one service for the incremental orders (no picking)."""
    Product = env["product.product"].with_company(company)
    existing = Product.search([("default_code", "=like", "ZZB-%")], order="id")
    if existing:
        return existing
    vals = [
        {
            "name": name,
            "default_code": f"ZZB-{i:02d}",
            "type": "consu",
            "list_price": price,
            "standard_price": cost,
            "taxes_id": [(5, 0, 0)],
        }
        for i, (name, price, cost) in enumerate(PRODUCTS)
    ]
    name, price, cost = SERVICE
    vals.append(
        {
            "name": name,
            "default_code": "ZZB-SRV",
            "type": "service",
            "list_price": price,
            "standard_price": cost,
            "taxes_id": [(5, 0, 0)],
        }
    )
    products = Product.create(vals)
    env.flush_all()
    return products


def execute(cr, label, query, params=None):
    start = time.perf_counter()
    cr.execute(query, params or {})
    print(f"  {label}: {cr.rowcount} rows, {time.perf_counter() - start:.1f} s")


def generate(env, args, company, as_of):
    """Customers (10% with a contact who also orders), orders with a
    BG/NBD-like history (acquisition spread over two years, an exponential
    lifetime, a heavy-tailed purchase rate) and exactly M lines; then
    invoices, payments and deliveries of those orders."""
    cr = env.cr
    products = create_products(env, company)
    goods = products.filtered(lambda p: p.type == "consu")
    unit = env.ref("uom.product_uom_unit")
    dozen = env.ref("uom.product_uom_dozen")
    team = env["crm.team"].search([], limit=1)
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", company.id)], limit=1
    )
    start_ts = datetime.combine(
        as_of - timedelta(days=HISTORY_DAYS - 1), datetime.min.time()
    )
    p = {
        "n": args.customers,
        "m": args.lines,
        "days": HISTORY_DAYS,
        "start": start_ts,
        "as_of": as_of,
        "company": company.id,
        "currency": company.currency_id.id,
        "team": team.id or None,
        "wh": warehouse.id or None,
        "unit": unit.id,
        "dozen": dozen.id,
        "prod_ids": goods.ids,
        "prod_prices": [g.list_price for g in goods],
        "prod_names": [g.display_name for g in goods],
        "nprod": len(goods),
        "baskets": len(BASKETS),
        # 1-based product indexes, as the lines' pidx
        "basket_idx": [[i + 1 for i in basket] for basket in BASKETS],
        "consumable_idx": [i + 1 for i in CONSUMABLES],
        "user": env.ref("base.user_admin").id,
    }
    cr.execute("SELECT setseed(%s)", [(args.seed % 1000) / 1000.0])
    print("generating (set-based SQL):", flush=True)
    execute(
        cr,
        "customer parameters",
        """
        CREATE TEMP TABLE zzb_c0 AS
        SELECT n, id, child_id, birth,
               floor(random() * %(baskets)s)::int AS basket,
               floor(random() * (%(baskets)s - 1))::int AS other,
               random() < 0.5 AS has_device,
               LEAST(birth + floor(-ln(1 - random()) * 540)::int, %(days)s - 1)
                   AS last_day,
               -- log-normal purchase rate: a few customers buy very often
               exp(1.3 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))
                   AS lam
          FROM (SELECT g AS n, nextval('res_partner_id_seq')::int AS id,
                       CASE WHEN random() < 0.1
                            THEN nextval('res_partner_id_seq')::int END AS child_id,
                       floor(random() * %(days)s)::int AS birth
                  FROM generate_series(1, %(n)s) g OFFSET 0) s
        """,
        p,
    )
    target_orders = max(args.customers, round(args.lines / args.lines_per_order))
    cr.execute("SELECT sum(lam * (last_day - birth)) FROM zzb_c0")
    p["k"] = (target_orders - args.customers) / max(cr.fetchone()[0] or 1.0, 1e-9)
    execute(
        cr,
        "order counts",
        """
        CREATE TEMP TABLE zzb_cust AS
        SELECT *, 1 + floor(%(k)s * lam * (last_day - birth) + random())::int
                      AS n_orders
          FROM zzb_c0
        """,
        p,
    )
    insert_partners(cr, p)
    insert_orders(cr, p)
    if not args.no_accounting:
        insert_accounting(env, cr, p)
    cr.execute("DROP TABLE zzb_c0, zzb_cust, zzb_o0, zzb_so, zzb_sol, zzb_line")
    env.registry.clear_cache()
    env.invalidate_all()
    return p


def max_id(cr, table):
    """Where the ids of rows inserted with explicit ids start after."""
    cr.execute(f"SELECT COALESCE(max(id), 0) FROM {table}")
    return cr.fetchone()[0]


def sync_sequences(cr, *tables):
    """The id sequences past the rows inserted with explicit ids."""
    for table in tables:
        cr.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")


def insert_partners(cr, p):
    execute(
        cr,
        "res_partner (customers and contacts)",
        """
        INSERT INTO res_partner (
            id, name, complete_name, commercial_company_name, ref, is_company,
            customer_rank, supplier_rank, active, type, autopost_bills, lang,
            parent_id, commercial_partner_id, partner_share, email, city,
            color, employee, create_uid, write_uid, create_date, write_date)
        SELECT id, 'Bench Customer ' || n, 'Bench Customer ' || n,
               'Bench Customer ' || n, 'ZZB' || lpad(n::text, 7, '0'), TRUE,
               1, 0, TRUE, 'contact', 'ask', 'en_US', NULL, id, TRUE,
               'orders' || n || '@customer.example', 'Shanghai', 0, FALSE,
               %(user)s, %(user)s, now() at time zone 'UTC',
               now() at time zone 'UTC'
          FROM zzb_cust
        UNION ALL
        SELECT child_id, 'Buyer ' || n, 'Bench Customer ' || n || ', Buyer ' || n,
               'Bench Customer ' || n, NULL, FALSE, 0, 0, TRUE, 'contact', 'ask',
               'en_US', id, id, TRUE, 'buyer' || n || '@customer.example',
               'Shanghai', 0, FALSE, %(user)s, %(user)s, now() at time zone 'UTC',
               now() at time zone 'UTC'
          FROM zzb_cust WHERE child_id IS NOT NULL
        """,
        p,
    )


def insert_orders(cr, p):
    execute(
        cr,
        "order dates",
        """
        CREATE TEMP TABLE zzb_o0 AS
        SELECT c.id AS cust,
               CASE WHEN c.child_id IS NOT NULL AND random() < 0.3
                    THEN c.child_id ELSE c.id END AS partner,
               %(start)s::timestamp
                 + (CASE WHEN k = 1 THEN c.birth
                         ELSE c.birth
                              + floor(random() * (c.last_day - c.birth + 1))::int
                    END) * interval '1 day'
                 + interval '8 hours' + random() * interval '10 hours' AS ts
          FROM zzb_cust c, generate_series(1, c.n_orders) k
        """,
        p,
    )
    p["so_base"] = max_id(cr, "sale_order")
    execute(
        cr,
        "orders",
        """
        CREATE TEMP TABLE zzb_so AS
        SELECT %(so_base)s + row_number() OVER (ORDER BY ts, cust) AS id,
               row_number() OVER (ORDER BY ts, cust) AS rn, cust, partner, ts,
               row_number() OVER (PARTITION BY cust ORDER BY ts) = 1 AS first_order,
               -- invoiced some days after, most of them; delivered a few
               -- days after, mostly on time
               ts::date + floor(random() * 5)::int AS inv_date,
               random() < 0.85 AS invoiced,
               ts + floor(-ln(1 - random()) * 2.5) * interval '1 day'
                  + interval '2 hours' AS done_ts
          FROM zzb_o0
        """,
        p,
    )
    cr.execute("SELECT count(*) FROM zzb_so")
    p["o"] = cr.fetchone()[0]
    p["sol_base"] = max_id(cr, "sale_order_line")
    execute(
        cr,
        "line slots (every order one line, the rest spread at random)",
        """
        CREATE TEMP TABLE zzb_sol AS
        SELECT s AS slot,
               CASE WHEN s <= %(o)s THEN s
                    ELSE 1 + floor(random() * %(o)s)::int END AS rn,
               random() AS u, random() AS v,
               random() < 0.1 AS dozen,
               1 + floor(-ln(1 - random()) * 3)::int AS qty,
               0.85 + 0.3 * random() AS pf
          FROM generate_series(1, %(m)s) s
        """,
        p,
    )
    execute(
        cr,
        "lines",
        """
        CREATE TEMP TABLE zzb_line AS
        SELECT %(sol_base)s + row_number() OVER (ORDER BY rn, slot) AS id, rn,
               10 * row_number() OVER (PARTITION BY rn ORDER BY slot) AS seq,
               pidx, dozen, qty, price_unit,
               round(qty * price_unit, 2) AS subtotal
          FROM (SELECT *, round(((%(prod_prices)s::float8[])[pidx] * pf
                                 * CASE WHEN dozen THEN 12 ELSE 1 END)::numeric,
                                2) AS price_unit
                  FROM (SELECT l.*,
                               CASE WHEN l.slot = l.rn AND so.first_order
                                         AND c.has_device
                                    THEN b[c.basket + 1][1]
                                    WHEN l.u < 0.7
                                    THEN b[c.basket + 1][2 + floor(3 * l.v)::int]
                                    WHEN l.u < 0.8
                                    THEN b[(c.basket + 1 + c.other) %% %(baskets)s + 1]
                                          [2 + floor(3 * l.v)::int]
                                    ELSE k[1 + floor(array_length(k, 1) * l.v ^ 2)::int]
                               END AS pidx
                          FROM zzb_sol l
                          JOIN zzb_so so ON so.rn = l.rn
                          JOIN zzb_cust c ON c.id = so.cust,
                               (SELECT %(basket_idx)s::int[] AS b,
                                       %(consumable_idx)s::int[] AS k) a) y) x
        """,
        p,
    )
    execute(
        cr,
        "sale_order",
        """
        INSERT INTO sale_order (
            id, name, state, date_order, partner_id, partner_invoice_id,
            partner_shipping_id, company_id, currency_id, currency_rate, user_id,
            team_id, picking_policy, warehouse_id, invoice_status,
            delivery_status, effective_date, amount_untaxed, amount_tax,
            amount_total, locked, require_signature, require_payment,
            prepayment_percent, create_uid, write_uid, create_date, write_date)
        SELECT so.id, 'ZZB' || lpad(so.rn::text, 7, '0'), 'sale', so.ts,
               so.partner, so.cust, so.partner, %(company)s, %(currency)s, 1,
               %(user)s, %(team)s, 'direct', %(wh)s,
               CASE WHEN so.invoiced AND so.inv_date <= %(as_of)s
                    THEN 'invoiced' ELSE 'to invoice' END,
               CASE WHEN so.done_ts::date <= %(as_of)s THEN 'full'
                    ELSE 'pending' END,
               CASE WHEN so.done_ts::date <= %(as_of)s THEN so.done_ts END,
               t.amount, 0, t.amount, FALSE, FALSE, FALSE, 1.0,
               %(user)s, %(user)s, so.ts, so.ts
          FROM zzb_so so
          JOIN (SELECT rn, sum(subtotal) AS amount FROM zzb_line GROUP BY rn) t
            ON t.rn = so.rn
        """,
        p,
    )
    execute(
        cr,
        "sale_order_line",
        """
        INSERT INTO sale_order_line (
            id, order_id, sequence, company_id, currency_id, order_partner_id,
            salesman_id, product_id, product_uom, state, qty_delivered_method,
            invoice_status, name, product_uom_qty, price_unit, discount,
            price_subtotal, price_total, price_reduce_taxexcl,
            price_reduce_taxinc, qty_delivered, qty_invoiced, qty_to_invoice,
            untaxed_amount_invoiced, untaxed_amount_to_invoice, is_downpayment,
            is_expense, technical_price_unit, price_tax, product_packaging_qty,
            customer_lead, warehouse_id, create_uid, write_uid, create_date,
            write_date)
        SELECT l.id, so.id, l.seq, %(company)s, %(currency)s, so.partner,
               %(user)s, (%(prod_ids)s::int[])[l.pidx],
               CASE WHEN l.dozen THEN %(dozen)s ELSE %(unit)s END, 'sale',
               'stock_move', CASE WHEN inv THEN 'invoiced' ELSE 'to invoice' END,
               (%(prod_names)s::text[])[l.pidx], l.qty, l.price_unit, 0,
               l.subtotal, l.subtotal, l.price_unit, l.price_unit,
               CASE WHEN so.done_ts::date <= %(as_of)s THEN l.qty ELSE 0 END,
               CASE WHEN inv THEN l.qty ELSE 0 END,
               CASE WHEN inv THEN 0 ELSE l.qty END,
               CASE WHEN inv THEN l.subtotal ELSE 0 END,
               CASE WHEN inv THEN 0 ELSE l.subtotal END,
               FALSE, FALSE, l.price_unit, 0, 0, 0, %(wh)s, %(user)s, %(user)s,
               so.ts, so.ts
          FROM zzb_line l
          JOIN (SELECT *, invoiced AND inv_date <= %(as_of)s AS inv
                  FROM zzb_so) so ON so.rn = l.rn
        """,
        p,
    )
    sync_sequences(cr, "sale_order", "sale_order_line")


def insert_accounting(env, cr, p):
    """Posted invoices (receivable and income lines), their payments
    (reconciled through partials) and done delivery orders: only what a
    report over these tables reads; no stock moves, no taxes."""
    company = env["res.company"].browse(p["company"])
    sale_journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    bank_journal = env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
    )
    receivable = company.partner_id.with_company(company).property_account_receivable_id
    picking_type = env["stock.picking.type"].search(
        [("code", "=", "outgoing"), ("company_id", "=", company.id)], limit=1
    )
    p.update(
        sale_journal=sale_journal.id,
        bank_journal=bank_journal.id,
        receivable=receivable.id,
        income=sale_journal.default_account_id.id,
        bank=bank_journal.default_account_id.id,
        picking_type=picking_type.id,
        loc_src=picking_type.default_location_src_id.id,
        loc_dest=picking_type.default_location_dest_id.id,
    )
    p["am_base"] = max_id(cr, "account_move")
    p["aml_base"] = max_id(cr, "account_move_line")
    p["apr_base"] = max_id(cr, "account_partial_reconcile")
    execute(
        cr,
        "invoices to make",
        """
        CREATE TEMP TABLE zzb_inv AS
        SELECT %(am_base)s + row_number() OVER (ORDER BY so.rn) AS id,
               row_number() OVER (ORDER BY so.rn) AS n, so.rn, so.cust,
               so.inv_date, t.amount,
               so.inv_date + 5 + floor(-ln(1 - random()) * 25)::int AS pay_date,
               random() < 0.97 AS pays
          FROM zzb_so so
          JOIN (SELECT rn, sum(subtotal) AS amount FROM zzb_line GROUP BY rn) t
            ON t.rn = so.rn
         WHERE so.invoiced AND so.inv_date <= %(as_of)s
        """,
        p,
    )
    cr.execute(
        "ALTER TABLE zzb_inv ADD COLUMN paid boolean;"
        " UPDATE zzb_inv SET paid = pays AND pay_date <= %(as_of)s",
        p,
    )
    cr.execute("SELECT count(*) FROM zzb_inv")
    p["ninv"] = cr.fetchone()[0]
    execute(
        cr,
        "account_move (invoices and payments)",
        """
        INSERT INTO account_move (
            id, name, sequence_prefix, sequence_number, journal_id, company_id,
            currency_id, partner_id, commercial_partner_id, state, move_type,
            auto_post, date, invoice_date, invoice_date_due, invoice_origin,
            payment_state, invoice_currency_rate, amount_untaxed, amount_tax,
            amount_total, amount_residual, amount_untaxed_signed,
            amount_untaxed_in_currency_signed, amount_tax_signed,
            amount_total_signed, amount_total_in_currency_signed,
            amount_residual_signed, is_storno, always_tax_exigible, checked,
            posted_before, made_sequence_gap, is_move_sent, invoice_user_id,
            create_uid, write_uid, create_date, write_date)
        SELECT i.id, 'ZZB/INV/' || lpad(i.n::text, 7, '0'), 'ZZB/INV/', i.n,
               %(sale_journal)s, %(company)s, %(currency)s, i.cust, i.cust,
               'posted', 'out_invoice', 'no', i.inv_date, i.inv_date,
               i.inv_date + 30, 'ZZB' || lpad(i.rn::text, 7, '0'),
               CASE WHEN i.paid THEN 'paid' ELSE 'not_paid' END, 1, i.amount, 0,
               i.amount, r.residual, i.amount, i.amount, 0, i.amount, i.amount,
               r.residual, FALSE, FALSE, TRUE, TRUE, FALSE, TRUE, %(user)s,
               %(user)s, %(user)s, i.inv_date, i.inv_date
          FROM zzb_inv i,
               LATERAL (SELECT CASE WHEN i.paid THEN 0 ELSE i.amount END
                               AS residual) r
        UNION ALL
        SELECT i.id + %(ninv)s, 'ZZB/PAY/' || lpad(i.n::text, 7, '0'),
               'ZZB/PAY/', i.n, %(bank_journal)s, %(company)s, %(currency)s,
               i.cust, i.cust, 'posted', 'entry', 'no', i.pay_date, NULL, NULL,
               NULL, 'not_paid', NULL, 0, 0, i.amount, 0, 0, 0, 0, i.amount,
               i.amount, 0, FALSE, FALSE, TRUE, TRUE, FALSE, FALSE, NULL,
               %(user)s, %(user)s, i.pay_date, i.pay_date
          FROM zzb_inv i WHERE i.paid
        """,
        p,
    )
    execute(
        cr,
        "account_move_line (receivable, income, payment lines)",
        """
        INSERT INTO account_move_line (
            id, move_id, journal_id, company_id, company_currency_id, sequence,
            account_id, currency_id, partner_id, move_name, parent_state, name,
            display_type, date, invoice_date, date_maturity, debit, credit,
            balance, amount_currency, amount_residual, amount_residual_currency,
            quantity, price_unit, price_subtotal, price_total, discount,
            reconciled, matching_number, is_imported, tax_tag_invert,
            create_uid, write_uid, create_date, write_date)
        SELECT %(aml_base)s + row_number() OVER (ORDER BY x.move_id, x.seq),
               x.move_id, x.journal, %(company)s, %(currency)s, x.seq,
               x.account, %(currency)s, x.cust, x.move_name, 'posted', x.label,
               x.display_type, x.date, x.invoice_date, x.maturity,
               GREATEST(x.balance, 0), GREATEST(-x.balance, 0), x.balance,
               x.balance, x.residual, x.residual, x.qty, x.price, x.subtotal,
               x.subtotal, 0, x.reconciled,
               CASE WHEN x.reconciled THEN 'P' || (%(apr_base)s + x.n) END,
               FALSE, FALSE, %(user)s, %(user)s, x.date, x.date
          FROM (
            SELECT i.id AS move_id, 1 AS seq, %(sale_journal)s AS journal,
                   %(income)s AS account, i.cust,
                   'ZZB/INV/' || lpad(i.n::text, 7, '0') AS move_name,
                   'Goods' AS label, 'product' AS display_type,
                   i.inv_date AS date, i.inv_date AS invoice_date,
                   NULL::date AS maturity, -i.amount AS balance, 0 AS residual,
                   1 AS qty, i.amount AS price, i.amount AS subtotal,
                   FALSE AS reconciled, i.n
              FROM zzb_inv i
            UNION ALL
            SELECT i.id, 2, %(sale_journal)s, %(receivable)s, i.cust,
                   'ZZB/INV/' || lpad(i.n::text, 7, '0'), '', 'payment_term',
                   i.inv_date, i.inv_date, i.inv_date + 30, i.amount,
                   CASE WHEN i.paid THEN 0 ELSE i.amount END, NULL, NULL, NULL,
                   i.paid, i.n
              FROM zzb_inv i
            UNION ALL
            SELECT i.id + %(ninv)s, 1, %(bank_journal)s, %(bank)s, i.cust,
                   'ZZB/PAY/' || lpad(i.n::text, 7, '0'), 'Payment', 'product',
                   i.pay_date, NULL, NULL, i.amount, 0, NULL, NULL, NULL, FALSE,
                   i.n
              FROM zzb_inv i WHERE i.paid
            UNION ALL
            SELECT i.id + %(ninv)s, 2, %(bank_journal)s, %(receivable)s, i.cust,
                   'ZZB/PAY/' || lpad(i.n::text, 7, '0'), 'Payment', 'product',
                   i.pay_date, NULL, i.pay_date, -i.amount, 0, NULL, NULL, NULL,
                   TRUE, i.n
              FROM zzb_inv i WHERE i.paid
          ) x
        """,
        p,
    )
    execute(
        cr,
        "account_partial_reconcile",
        """
        INSERT INTO account_partial_reconcile (
            id, debit_move_id, credit_move_id, debit_currency_id, credit_currency_id,
            company_id, max_date, amount, debit_amount_currency,
            credit_amount_currency, create_uid, write_uid, create_date, write_date)
        SELECT %(apr_base)s + i.n, d.id, c.id, %(currency)s, %(currency)s,
               %(company)s, i.pay_date,
               i.amount, i.amount, i.amount, %(user)s, %(user)s, i.pay_date,
               i.pay_date
          FROM zzb_inv i
          JOIN account_move_line d
            ON d.move_id = i.id AND d.display_type = 'payment_term'
          JOIN account_move_line c
            ON c.move_id = i.id + %(ninv)s AND c.account_id = %(receivable)s
         WHERE i.paid
        """,
        p,
    )
    execute(
        cr,
        "stock_picking (delivery orders)",
        """
        INSERT INTO stock_picking (
            name, origin, sale_id, partner_id, company_id, picking_type_id,
            location_id, location_dest_id, move_type, state, priority,
            scheduled_date, date_deadline, date, date_done, has_deadline_issue,
            printed, is_locked, create_uid, write_uid, create_date, write_date)
        SELECT 'ZZB/OUT/' || lpad(so.rn::text, 7, '0'),
               'ZZB' || lpad(so.rn::text, 7, '0'), so.id, so.partner,
               %(company)s, %(picking_type)s, %(loc_src)s, %(loc_dest)s, 'direct',
               CASE WHEN so.done_ts::date <= %(as_of)s THEN 'done'
                    ELSE 'assigned' END, '0',
               so.ts + interval '2 days', so.ts + interval '3 days', so.ts,
               CASE WHEN so.done_ts::date <= %(as_of)s THEN so.done_ts END,
               FALSE, TRUE, TRUE, %(user)s, %(user)s, so.ts, so.ts
          FROM zzb_so so
        """,
        p,
    )
    sync_sequences(cr, "account_move", "account_move_line", "account_partial_reconcile")
    cr.execute("DROP TABLE zzb_inv")


def reset_figures(env, company, orders=True):
    """Back to a database without any figure (for --reuse; orders=False
    keeps the orders the benchmark confirmed, for the from-scratch check):
    the first recompute then writes every customer, as after a fresh
    generation. The caller vacuums RESET_TABLES after the commit: else
    autovacuum works on their dead rows during the first timed pass, and the
    history's first fill (value_sql.bulk_load: ALTER TABLE) waits for it
    to be cancelled (deadlock_timeout, 1 s), which a first pass after
    installing never meets."""
    cr = env.cr
    execute(cr, "figures reset", f"DELETE FROM {FIGURES_TABLE}")
    if orders:
        cr.execute(
            "DELETE FROM sale_order WHERE client_order_ref = %s", [INCREMENTAL_REF]
        )
    for table in RESET_TABLES:
        cr.execute(f"DELETE FROM {table}")
    env.invalidate_all()


def figures_snapshot(env, company):
    """{partner id: its figures for the company} of every partner holding
    any (a from-scratch recompute must give the same)."""
    writer = env["zhongzheng.value.writer"]
    env.cr.execute(writer._figures_query(company))
    names = [d[0] for d in env.cr.description]
    return {
        row[0]: dict(zip(names[2:], row[2:], strict=True)) for row in env.cr.fetchall()
    }


def data_counts(cr, company_id):
    cr.execute(
        """
        WITH so AS (
            SELECT so.id, p.commercial_partner_id AS cp, so.date_order::date AS day
              FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
             WHERE so.state = 'sale' AND so.company_id = %(c)s
        ),
        per_customer AS (
            SELECT cp, count(*) AS n, count(DISTINCT day) AS days
              FROM so GROUP BY cp
        )
        SELECT (SELECT count(*) FROM res_partner WHERE ref LIKE 'ZZB%%'),
               (SELECT count(*) FROM so),
               (SELECT count(*) FROM sale_order_line sol JOIN so
                    ON so.id = sol.order_id),
               (SELECT count(*) FROM per_customer WHERE days > 1),
               (SELECT COALESCE(max(n), 0) FROM per_customer),
               (SELECT count(*) FROM account_move WHERE move_type = 'out_invoice'),
               (SELECT count(*) FROM stock_picking)
        """,
        {"c": company_id},
    )
    names = (
        "customers",
        "orders",
        "lines",
        "repeat_customers",
        "max_orders_per_customer",
        "invoices",
        "deliveries",
    )
    return dict(zip(names, cr.fetchone(), strict=True))
