# Copyright 2026 Zhongzheng
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Demo history for Zhongzheng (中正公司), a medical-device importer/exporter.

The demo partners and products are plain XML records; this generator gives them
fifteen months of business (sales, deliveries, invoices, payments, purchases,
receipts, quotations, opportunities) so customer-value scores and tiers have
something meaningful to work on. Everything is dated relative to today, so the
demo never ages, and drawn from a seeded random generator, so every install
produces the same history.
"""

import gc
import logging
import math
import random
import time
from collections import defaultdict
from datetime import datetime, timedelta

from odoo import Command, fields

_logger = logging.getLogger(__name__)

MODULE = "crm_zhongzheng"
SEED = 20240518

# Product keys -> XML ids (templates) of product_demo.xml.
PRODUCTS = {
    "ultrasound": "product_ultrasound_demo",
    "ultrasound_portable": "product_ultrasound_portable_demo",
    "monitor": "product_patient_monitor_demo",
    "pump": "product_infusion_pump_demo",
    "syringe": "product_syringe_demo",
    "gloves": "product_gloves_demo",
    "infusion_set": "product_infusion_set_demo",
}
# Consumables are ordered in multiples of ten boxes and bought in lots of 50.
CONSUMABLES = {"syringe", "gloves", "infusion_set"}

# Customer groups, in a fixed order: each draws from the shared random generator
# in turn, so the history does not depend on record ids.
# first/last: days before today of the first order and of the last possible one;
# gap: days between orders; basket: (product, min qty, max qty, probability);
# discount: percent; promise: days from order to promised delivery; late:
# probability the delivery misses the promise; pay: days from invoice to
# payment; unpaid: probability an invoice is never paid.
GROUPS = [
    (
        "platinum",
        {
            "partners": ["ruijin", "beijing_union", "nanfang", "west_china"],
            "first": (440, 460),
            "last": (7, 10),
            "gap": (24, 35),
            "basket": [
                ("ultrasound", 1, 3, 0.75),
                ("ultrasound_portable", 1, 2, 0.3),
                ("monitor", 2, 8, 0.9),
                ("pump", 4, 12, 0.5),
            ],
            "discount": (0, 4),
            "promise": (5, 10),
            "late": 0.08,
            "pay": (5, 24),
            "unpaid": 0.0,
        },
    ),
    (
        "gold",
        {
            "partners": [
                "zheyi",
                "tongji",
                "gulou",
                "huakang",
                "bach_mai",
                "medtrade",
            ],
            "first": (420, 460),
            "last": (7, 30),
            "gap": (35, 60),
            "basket": [
                ("monitor", 1, 4, 0.8),
                ("pump", 2, 8, 0.6),
                ("ultrasound_portable", 1, 1, 0.35),
                ("ultrasound", 1, 1, 0.15),
                ("syringe", 20, 80, 0.3),
                ("infusion_set", 10, 40, 0.3),
            ],
            "discount": (0, 8),
            "promise": (6, 12),
            "late": 0.15,
            "pay": (10, 38),
            "unpaid": 0.03,
        },
    ),
    (
        "iron",
        {
            "partners": [
                "kangning",
                "haici",
                "lianhua",
                "heping",
                "xiangya",
                "yunnan",
                "sehat_medika",
                "songhua",
            ],
            "first": (400, 460),
            "last": (7, 20),
            "gap": (28, 50),
            "basket": [
                ("syringe", 30, 200, 0.9),
                ("gloves", 50, 300, 0.8),
                ("infusion_set", 10, 60, 0.5),
                ("pump", 1, 2, 0.05),
            ],
            "discount": (0, 3),
            "promise": (3, 6),
            "late": 0.2,
            "pay": (12, 40),
            "unpaid": 0.05,
        },
    ),
    (
        # Sold at or below cost (the discount eats the margin) and paid late.
        "lead",
        {
            "partners": ["zhongyuan", "shengjing", "medsnab"],
            "first": (420, 450),
            "last": (7, 15),
            "gap": (30, 50),
            "basket": [
                ("monitor", 2, 6, 0.8),
                ("ultrasound", 1, 2, 0.5),
                ("pump", 5, 15, 0.6),
            ],
            "discount": (33, 42),
            "promise": (6, 12),
            "late": 0.35,
            "pay": (55, 95),
            "unpaid": 0.25,
        },
    ),
    (
        # Regular buyers a year and more ago, silent for the last six months.
        "lost",
        {
            "partners": ["tangdu", "qilu", "nordklinik", "minjiang"],
            "first": (440, 490),
            "last": (190, 300),
            "gap": (30, 45),
            "basket": [
                ("monitor", 1, 4, 0.6),
                ("pump", 2, 6, 0.5),
                ("syringe", 30, 120, 0.5),
                ("gloves", 50, 200, 0.4),
            ],
            "discount": (0, 6),
            "promise": (5, 10),
            "late": 0.3,
            "pay": (10, 35),
            "unpaid": 0.0,
        },
    ),
    (
        "new",
        {
            "partners": ["jiangbei", "saigon_medequip", "anke"],
            "first": (35, 60),
            "last": (7, 7),
            "gap": (18, 30),
            "basket": [
                ("monitor", 1, 4, 0.8),
                ("pump", 2, 6, 0.6),
                ("syringe", 20, 80, 0.4),
            ],
            "discount": (0, 5),
            "promise": (5, 10),
            "late": 0.1,
            "pay": (10, 30),
            "unpaid": 0.0,
        },
    ),
    (
        # A big hospital that ordered every few weeks and stopped about two
        # months ago: at risk (客户健康度) long before it would count as lost.
        "slipping",
        {
            "partners": ["shanxi"],
            "first": (430, 450),
            "last": (55, 60),
            "gap": (22, 28),
            "basket": [
                ("ultrasound", 1, 2, 0.6),
                ("monitor", 2, 6, 0.9),
                ("pump", 2, 8, 0.5),
            ],
            "discount": (0, 5),
            "promise": (5, 10),
            "late": 0.1,
            "pay": (10, 30),
            "unpaid": 0.0,
        },
    ),
    (
        # A distributor whose orders have slowed: on watch.
        "cooling",
        {
            "partners": ["guangxi"],
            "first": (420, 450),
            "last": (45, 48),
            "gap": (22, 28),
            "basket": [
                ("monitor", 1, 3, 0.8),
                ("syringe", 30, 100, 0.6),
                ("gloves", 50, 150, 0.5),
            ],
            "discount": (0, 5),
            "promise": (5, 10),
            "late": 0.1,
            "pay": (10, 30),
            "unpaid": 0.0,
        },
    ),
]
# Foreign customers buy from the export pricelists, in euros and dollars;
# the Chinese ones in yuan, the company's currency.
EXPORT_PRICELISTS = {
    "product_pricelist_export_eur_demo": ("medtrade", "nordklinik", "isar"),
    "product_pricelist_export_usd_demo": (
        "bach_mai",
        "sehat_medika",
        "medsnab",
        "saigon_medequip",
    ),
}

# Suppliers: the products they deliver, their lead time and how often their
# receipts arrive after the planned date.
SUPPLIERS = [
    ("sonomed", ("ultrasound", "ultrasound_portable"), 35, 0.3),
    ("kyoto_monitor", ("monitor",), 21, 0.05),
    ("infumed", ("pump",), 25, 0.15),
    ("huaxin", ("syringe", "gloves", "infusion_set"), 10, 0.45),
]
# Which purchase order of the consumables factory arrives short (no backorder).
SHORT_SUPPLIER, SHORT_ORDER_INDEX, SHORT_RATIO = "huaxin", 3, 0.8

# Stock left on hand at the end of the history.
SAFETY_STOCK = {
    "ultrasound": 4,
    "ultrasound_portable": 3,
    "monitor": 12,
    "pump": 30,
    "syringe": 800,
    "gloves": 1200,
    "infusion_set": 300,
}

# Mail tracking and chatter notes would only slow the generation down.
QUIET = {
    "tracking_disable": True,
    "mail_create_nolog": True,
    "mail_notrack": True,
    "mail_create_nosubscribe": True,
    "mail_auto_subscribe_no_notify": True,
    "skip_sms": True,
}


def _partner_xmlid(key):
    return f"{MODULE}.res_partner_{key}_demo"


def _supplier_xmlid(key):
    return f"{MODULE}.res_partner_supplier_{key}_demo"


def generate_history(env):
    """Create the demo business history once.

    Demo data is reloaded on every module update; the history must not be
    generated twice, so an existing order of the first demo customer stops it.
    """
    ruijin = env.ref(_partner_xmlid("ruijin"))
    if env["sale.order"].search_count([("partner_id", "=", ruijin.id)]):
        return False
    started = time.monotonic()
    # The mail tracking hooks of the demo records just loaded keep their
    # environments (one per XML record) alive until the commit; run them
    # now, as the commit would, so those environments can be released.
    env.flush_all()
    env.cr.precommit.run()
    builder = _HistoryBuilder(env(context=dict(env.context, **QUIET)))
    counts = builder.run()
    _logger.info(
        "Zhongzheng demo history: %s in %.1f s",
        ", ".join(f"{count} {name}" for name, count in counts.items()),
        time.monotonic() - started,
    )
    return True


class _HistoryBuilder:
    """Plans the history with a seeded generator, then creates it in batches."""

    def __init__(self, env):
        self.env = env
        self.rng = random.Random(SEED)
        self.company = env.company
        self.today = fields.Date.context_today(env["res.partner"])
        self.now = fields.Datetime.now()
        self.products = {
            key: env.ref(f"{MODULE}.{xmlid}").product_variant_id
            for key, xmlid in PRODUCTS.items()
        }
        self.export_pricelists = env["product.pricelist"]
        self.manager = env.ref(f"{MODULE}.user_zhang_wei_demo")
        self.buyer = env.ref(f"{MODULE}.user_chen_gang_demo")
        self.payments = []
        self.partials = []

    # ------------------------------------------------------------------ helpers

    def _at(self, day, hour=None):
        """A UTC datetime during Shanghai office hours (09:00-17:00 = 01-09 UTC)."""
        hour = self.rng.randint(1, 8) if hour is None else hour
        return datetime.combine(day, datetime.min.time()) + timedelta(
            hours=hour, minutes=self.rng.randrange(0, 60, 5)
        )

    def _days_ago(self, days):
        return self.today - timedelta(days=days)

    # --------------------------------------------------------------------- run

    def _step(self, name):
        """Release unreachable environments and log the time a step took.

        Odoo looks environments up linearly (Environment.__new__, and
        account.move._disable_recursion walks all of them), and each context
        made on the way stays alive until the cyclic garbage collector runs:
        collecting between steps keeps the generation time linear.
        """
        gc.collect()
        now = time.monotonic()
        _logger.debug(
            "Zhongzheng demo: %s in %.1f s (%d environments)",
            name,
            now - self.clock,
            len(self.env.transaction.envs),
        )
        self.clock = now

    def run(self):
        self.clock = time.monotonic()
        self._step("start")
        self._setup_currency()
        leads = self._create_opportunities()
        plan = self._plan_sales()
        purchases = self._plan_purchases(plan)
        self._initial_inventory(plan, purchases)
        self._step("plan and opening stock")
        purchase_orders = self._create_purchases(purchases)
        self._step("purchases")
        orders = self._create_sales(plan, leads)
        quotations = self._create_quotations(leads)
        self._step("sales")
        payments = self._register_payments()
        self._step("payments")
        return {
            "sale orders": len(orders),
            "quotations": len(quotations),
            "deliveries": len(orders.picking_ids.filtered(lambda p: p.state == "done")),
            "invoices": len(orders.invoice_ids),
            "purchase orders": len(purchase_orders),
            "receipts": len(
                purchase_orders.picking_ids.filtered(lambda p: p.state == "done")
            ),
            "payments": len(payments),
            "opportunities": len(leads),
        }

    def _setup_currency(self):
        """Export customers buy from the pricelist of their currency (the
        rates against the yuan are the company's, demo/company.py)."""
        for xmlid, keys in EXPORT_PRICELISTS.items():
            pricelist = self.env.ref(f"{MODULE}.{xmlid}")
            self.export_pricelists |= pricelist
            for key in keys:
                self.env.ref(_partner_xmlid(key)).property_product_pricelist = pricelist

    # ---------------------------------------------------------------- planning

    def _plan_sales(self):
        """One dict per confirmed order, with its delivery, invoice and payment."""
        plan = []
        for group, profile in GROUPS:
            for key in profile["partners"]:
                # Walk back from the last order, so recency is what the
                # group says, to about the first one.
                first = self._days_ago(self.rng.randint(*profile["first"]))
                day = self._days_ago(self.rng.randint(*profile["last"]))
                days = []
                while day >= first:
                    days.append(day)
                    day -= timedelta(days=self.rng.randint(*profile["gap"]))
                for day in reversed(days):
                    plan.append(self._plan_order(group, profile, key, day))
        # Created in date order, so order numbers grow with their dates.
        plan.sort(key=lambda order: order["ordered"])
        return plan

    def _plan_order(self, group, profile, key, day):
        rng = self.rng
        lines = []
        for product, low, high, probability in profile["basket"]:
            if rng.random() < probability:
                lines.append((product, self._quantity(product, low, high)))
        if not lines:
            product, low, high, __ = max(profile["basket"], key=lambda b: b[3])
            lines.append((product, self._quantity(product, low, high)))
        partner = self.env.ref(_partner_xmlid(key))
        promise = rng.randint(*profile["promise"])
        if partner.country_id.code != "CN":
            promise += 12  # sea freight for export orders
        ordered = self._at(day)
        promised = ordered + timedelta(days=promise)
        if rng.random() < profile["late"]:
            done = promised + timedelta(days=rng.randint(2, 14), hours=3)
        else:
            done = ordered + timedelta(days=rng.randint(max(1, promise - 4), promise))
        invoice_day = done.date() + timedelta(days=rng.randint(0, 2))
        paid_day = invoice_day + timedelta(days=rng.randint(*profile["pay"]))
        unpaid = rng.random() < profile["unpaid"]
        return {
            "group": group,
            "key": key,
            "partner": partner,
            "ordered": ordered,
            "promised": promised,
            "lines": [
                (product, qty, rng.randint(*profile["discount"]))
                for product, qty in lines
            ],
            # Not delivered yet when the delivery date lies in the future.
            "done": done if done < self.now - timedelta(hours=2) else None,
            "invoice_day": min(invoice_day, self.today),
            "paid_day": None if unpaid or paid_day >= self.today else paid_day,
        }

    def _quantity(self, product, low, high):
        if product in CONSUMABLES:
            return self.rng.randint(low // 10, high // 10) * 10
        return self.rng.randint(low, high)

    def _plan_purchases(self, plan):
        """Monthly replenishment of each supplier, sized on the sales it feeds.

        The first month is served from the initial inventory; each later month
        is ordered one lead time (plus a few days) before it starts.
        """
        start = min(order["ordered"] for order in plan).date()
        demand = defaultdict(lambda: defaultdict(float))
        for order in plan:
            month = (order["ordered"].date() - start).days // 30
            for product, qty, __ in order["lines"]:
                demand[month][product] += qty
        purchases = []
        for supplier, products, delay, late in SUPPLIERS:
            index = 0
            for month in sorted(demand):
                if month == 0:
                    continue
                lines = []
                for product in products:
                    qty = demand[month][product]
                    if product in CONSUMABLES:
                        qty = math.ceil(qty / 50) * 50
                    if qty:
                        lines.append([product, qty, qty])
                if not lines:
                    continue
                month_start = start + timedelta(days=30 * month)
                ordered = self._at(
                    month_start - timedelta(days=delay + self.rng.randint(3, 8))
                )
                planned = ordered + timedelta(days=delay)
                if self.rng.random() < late:
                    done = planned + timedelta(days=self.rng.randint(3, 20), hours=2)
                else:
                    done = planned - timedelta(days=self.rng.randint(0, 3))
                if supplier == SHORT_SUPPLIER and index == SHORT_ORDER_INDEX:
                    for line in lines:
                        line[2] = math.floor(line[1] * SHORT_RATIO)
                index += 1
                purchases.append(
                    {
                        "supplier": supplier,
                        "ordered": ordered,
                        "planned": planned,
                        "done": done if done < self.now - timedelta(hours=2) else None,
                        "lines": lines,
                    }
                )
        purchases.sort(key=lambda purchase: purchase["ordered"])
        return purchases

    # ------------------------------------------------------------------- stock

    def _initial_inventory(self, plan, purchases):
        """Opening stock: whatever sales need beyond what is received, plus safety.

        Applied as an inventory adjustment (a stock move and its valuation)
        dated just before the first order.
        """
        need = defaultdict(float)
        for order in plan:
            if order["done"]:
                for product, qty, __ in order["lines"]:
                    need[product] += qty
        for purchase in purchases:
            if purchase["done"]:
                for product, __, received in purchase["lines"]:
                    need[product] -= received
        location = (
            self.env["stock.warehouse"]
            .search([("company_id", "=", self.company.id)], limit=1)
            .lot_stock_id
        )
        quants = (
            self.env["stock.quant"]
            .with_context(inventory_mode=True)
            .create(
                [
                    {
                        "product_id": self.products[key].id,
                        "location_id": location.id,
                        "inventory_quantity": max(0, need[key]) + SAFETY_STOCK[key],
                    }
                    for key in PRODUCTS
                ]
            )
        )
        quants._apply_inventory()
        # as stock's own action_apply_inventory leaves them: counted, applied,
        # nothing left pending in the physical inventory
        quants.inventory_quantity_set = False
        opening = self._at(min(o["ordered"] for o in plan).date() - timedelta(days=2))
        moves = self.env["stock.move"].search(
            [
                ("is_inventory", "=", True),
                ("product_id", "in", quants.product_id.ids),
                ("state", "=", "done"),
            ]
        )
        moves.write({"date": opening})
        moves.move_line_ids.write({"date": opening})

    def _validate_pickings(self, dated_pickings):
        """Validate pickings without backorders, then back-date them.

        dated_pickings: list of (picking, done datetime, quantity ratio).
        """
        pickings = self.env["stock.picking"]
        for picking, __, ratio in dated_pickings:
            pickings |= picking
            for move in picking.move_ids:
                qty = move.product_uom_qty
                if ratio != 1:
                    qty = math.floor(qty * ratio)
                if move.quantity != qty:
                    move.quantity = qty
                move.picked = True
        pickings.with_context(
            skip_backorder=True, picking_ids_not_to_backorder=pickings.ids
        ).button_validate()
        for picking, done, __ in dated_pickings:
            picking.date_done = done
            picking.move_ids.write({"date": done})
            picking.move_ids.move_line_ids.write({"date": done})

    # ---------------------------------------------------------------- purchase

    def _create_purchases(self, purchases):
        suppliers = {key: self.env.ref(_supplier_xmlid(key)) for key, *__ in SUPPLIERS}
        vals_list = []
        for purchase in purchases:
            partner = suppliers[purchase["supplier"]]
            vals_list.append(
                {
                    "partner_id": partner.id,
                    "user_id": self.buyer.id,
                    "currency_id": (
                        partner.property_purchase_currency_id
                        or self.company.currency_id
                    ).id,
                    "payment_term_id": partner.property_supplier_payment_term_id.id,
                    "date_order": purchase["ordered"],
                    "order_line": [
                        Command.create(
                            {
                                "product_id": self.products[product].id,
                                "product_qty": qty,
                                "date_planned": purchase["planned"],
                            }
                        )
                        for product, qty, __ in purchase["lines"]
                    ],
                }
            )
        orders = self.env["purchase.order"].create(vals_list)
        orders.button_confirm()
        received = []
        for order, purchase in zip(orders, purchases, strict=True):
            order.write(
                {"date_order": purchase["ordered"], "date_approve": purchase["ordered"]}
            )
            # The receipt is planned for when the supplier promised it.
            order.picking_ids.scheduled_date = purchase["planned"]
            if purchase["done"]:
                ratio = purchase["lines"][0][2] / purchase["lines"][0][1]
                received.append((order.picking_ids, purchase["done"], ratio))
        self._validate_pickings(received)
        return orders

    # -------------------------------------------------------------------- sale

    def _create_opportunities(self):
        """Opportunities: open ones for potential customers, won and lost ones."""
        stages = {
            name: self.env.ref(f"crm.stage_lead{number}")
            for number, name in enumerate(("new", "qualified", "proposition", "won"), 1)
        }
        specs = [
            # key, name, expected revenue (yuan), stage, probability, days ago,
            # deadline
            ("binhai", "Imaging department", 1470000, "proposition", 45, 20, 35),
            ("isar", "Monitors for Bavarian clinics", 665000, "qualified", 25, 25, 60),
            ("ruijin", "Second campus ultrasound", 980000, "new", 15, 6, 75),
            ("jiangbei", "Rehabilitation ward monitors", 420000, "won", 100, 70, 0),
            ("saigon_medequip", "Infusion pumps", 315000, "won", 100, 75, 0),
            ("tangdu", "Replacement ultrasound systems", 840000, "lost", 0, 230, 0),
        ]
        leads = {}
        for key, name, revenue, stage, probability, days_ago, deadline in specs:
            partner = self.env.ref(_partner_xmlid(key))
            vals = {
                "name": f"{partner.name}: {name}",
                "type": "opportunity",
                "partner_id": partner.id,
                "user_id": (partner.user_id or self.manager).id,
                "expected_revenue": revenue,
                # set by hand: predictive scoring has too little history here
                "probability": probability,
                "date_open": self._at(self._days_ago(days_ago)),
                # closed ones were expected to close a month after they opened
                "date_deadline": self.today + timedelta(days=deadline)
                if deadline
                else self._days_ago(days_ago - 30),
            }
            if stage == "lost":
                vals.update(
                    {
                        "stage_id": stages["proposition"].id,
                        "active": False,
                        "lost_reason_id": self.env.ref("crm.lost_reason_1").id,
                        "date_closed": self._at(self._days_ago(days_ago - 30)),
                    }
                )
            else:
                vals["stage_id"] = stages[stage].id
            leads[key] = self.env["crm.lead"].create(vals)
        return leads

    def _create_sales(self, plan, leads):
        """Confirm the planned orders, deliver, invoice and post in batches."""
        numbers = defaultdict(int)
        vals_list = []
        for order in plan:
            numbers[order["key"]] += 1
            vals = self._sale_vals(order["partner"], order["ordered"], order["lines"])
            vals.update(
                {
                    "commitment_date": order["promised"],
                    # the customer's own purchase order number
                    "client_order_ref": "PO-%d-%03d"
                    % (order["ordered"].year, numbers[order["key"]]),
                }
            )
            # The won opportunity of a new customer led to its first order.
            if order["key"] in leads and numbers[order["key"]] == 1:
                lead = leads[order["key"]]
                if lead.stage_id.is_won:
                    vals["opportunity_id"] = lead.id
                    lead.date_closed = order["ordered"]
            vals_list.append(vals)
        orders = self.env["sale.order"].create(vals_list)
        orders.action_confirm()
        delivered = []
        for record, order in zip(orders, plan, strict=True):
            # Confirming stamps the order with the current time: put it back.
            record.date_order = order["ordered"]
            if order["done"]:
                delivered.append((record.picking_ids, order["done"], 1))
        self._step("sale orders")
        self._validate_pickings(delivered)
        self._step("deliveries")
        self._invoice(orders, plan)
        return orders

    def _sale_vals(self, partner, ordered, lines):
        vals = {
            "partner_id": partner.id,
            "date_order": ordered,
            "order_line": [
                Command.create(
                    {
                        "product_id": self.products[product].id,
                        "product_uom_qty": qty,
                        "discount": discount,
                    }
                )
                for product, qty, discount in lines
            ],
        }
        if partner.property_product_pricelist in self.export_pricelists:
            vals["pricelist_id"] = partner.property_product_pricelist.id
        return vals

    def _invoice(self, orders, plan):
        delivered = orders.filtered(lambda o: o.invoice_status == "to invoice")
        delivered._create_invoices(grouped=True)
        invoices = self.env["account.move"]
        partial_done = set()
        for record, order in zip(orders, plan, strict=True):
            invoice = record.invoice_ids
            if not invoice:
                continue
            invoice.write({"invoice_date": order["invoice_day"]})
            invoices |= invoice
            if order["paid_day"]:
                self.payments.append((invoice, order["paid_day"]))
            elif (
                order["group"] == "lead"
                and order["key"] not in partial_done
                and order["invoice_day"] < self._days_ago(120)
            ):
                # One old debt of each late payer is settled only in part.
                partial_done.add(order["key"])
                paid = order["invoice_day"] + timedelta(days=75)
                self.partials.append((invoice, paid, 0.4))
        invoices.action_post()

    def _create_quotations(self, leads):
        """Open quotations: potential customers and a few regular ones."""
        specs = [
            # key, days ago, lines, sent
            ("binhai", 12, [("ultrasound", 2, 5), ("monitor", 6, 5)], True),
            ("isar", 18, [("monitor", 10, 3), ("pump", 20, 3)], True),
            ("binhai", 3, [("pump", 12, 0), ("infusion_set", 40, 0)], False),
            ("ruijin", 3, [("ultrasound", 2, 3), ("monitor", 4, 3)], False),
            ("tongji", 9, [("monitor", 3, 5), ("pump", 6, 5)], True),
        ]
        vals_list = []
        for key, days_ago, lines, __ in specs:
            partner = self.env.ref(_partner_xmlid(key))
            vals = self._sale_vals(partner, self._at(self._days_ago(days_ago)), lines)
            if key in leads and not leads[key].stage_id.is_won:
                vals["opportunity_id"] = leads[key].id
            vals_list.append(vals)
        quotations = self.env["sale.order"].create(vals_list)
        sent = self.env["sale.order"].browse(
            q.id for q, spec in zip(quotations, specs, strict=True) if spec[3]
        )
        sent.write({"state": "sent"})
        return quotations

    # ---------------------------------------------------------------- payments

    def _register_payments(self):
        """Register the customer payments with the payment wizard.

        A wizard takes one payment date, and a wizard per invoice costs a
        fifth of a second each: instead one wizard prepares the payment of
        every invoice the way it would with "group payments" off, each gets
        its own date, and the wizard creates and posts them all in one batch.
        """
        payments = self._pay_each_on_its_day(self.payments)
        for invoice, day, ratio in self.partials:
            payments |= self._pay(
                invoice,
                day,
                amount=invoice.currency_id.round(invoice.amount_residual * ratio),
            )
        return payments

    def _open_lines(self, moves):
        return moves.line_ids.filtered(
            lambda line: (
                line.account_type in ("asset_receivable", "liability_payable")
                and not line.reconciled
            )
        )

    def _pay_each_on_its_day(self, moves_and_days):
        day_of = {}
        lines = self.env["account.move.line"]
        for move, day in moves_and_days:
            for line in self._open_lines(move):
                day_of[line] = day
                lines |= line
        wizard = self.env["account.payment.register"].create(
            {
                "line_ids": [Command.set(lines.ids)],
                "payment_date": self.today,
                "group_payment": False,
            }
        )
        to_process = []
        for batch in wizard.batches:
            for line in batch["lines"]:
                # What the wizard's _create_payments does per line when
                # payments are not grouped, with the line's own date.
                single = {
                    **batch,
                    "payment_values": {
                        **batch["payment_values"],
                        "payment_type": "inbound" if line.balance > 0 else "outbound",
                    },
                    "lines": line,
                }
                vals = wizard._create_payment_vals_from_batch(single)
                vals["date"] = day_of[line]
                to_process.append(
                    {"create_vals": vals, "to_reconcile": line, "batch": single}
                )
        to_process.sort(key=lambda item: item["create_vals"]["date"])
        payments = wizard._init_payments(to_process)
        wizard._post_payments(to_process)
        # The wizard reconciles payment by payment; one reconciliation plan
        # for all of them does the same work in a single batch.
        plans = []
        for item in to_process:
            lines = item["to_reconcile"]
            plans.append(
                lines
                + item["payment"].move_id.line_ids.filtered(
                    lambda line, account=lines.account_id: (
                        line.account_id == account and not line.reconciled
                    )
                )
            )
            lines.move_id.matched_payment_ids += item["payment"]
        self.env["account.move.line"]._reconcile_plan(plans)
        return payments

    def _pay(self, moves, day, amount=None):
        # The wizard gets its journal items directly rather than through
        # active_ids: a context per call would leave one more environment behind
        # for every payment, and Odoo looks environments up linearly.
        vals = {
            "line_ids": [Command.set(self._open_lines(moves).ids)],
            "payment_date": day,
            "group_payment": False,
        }
        if amount is not None:
            vals.update({"amount": amount, "payment_difference_handling": "open"})
        return self.env["account.payment.register"].create(vals)._create_payments()
