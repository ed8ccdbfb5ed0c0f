"""The demo's installed base: ventilators delivered to the demo hospitals
(one due for maintenance, one returned and delivered to another hospital),
and a running recall of two of them."""

from datetime import datetime, time, timedelta

from odoo import Command, fields
from odoo.exceptions import UserError

MODULE = "crm_zhongzheng"
# serial, customer, days ago (None: stays in stock)
DELIVERIES = [
    ("VT-24001", "ruijin", 176),
    ("VT-24002", "ruijin", 100),
    ("VT-24003", "beijing_union", 60),
    ("VT-24004", "nanfang", 130),
    ("VT-24005", "west_china", 20),
    ("VT-24006", None, None),
]
RECALLED = ("VT-24003", "VT-24004", "VT-24006")


def generate_devices(env):
    """Once (demo data reloads on update)."""
    product = env.ref(f"{MODULE}.product_ventilator_demo").product_variant_id
    Lot = env["stock.lot"]
    if Lot.search_count([("product_id", "=", product.id)]):
        return False
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1
    )
    lots = {}
    for serial, _customer, _days in DELIVERIES:
        lots[serial] = Lot.create({"name": serial, "product_id": product.id})
        env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, 1.0, lot_id=lots[serial]
        )
    for serial, customer, days in DELIVERIES:
        if customer:
            partner = env.ref(f"{MODULE}.res_partner_{customer}_demo")
            _deliver(env, warehouse, partner, lots[serial], days)
    env["zhongzheng.service.ticket"]._cron_schedule_maintenance()
    recall = env["zhongzheng.device.recall"].create(
        {
            "product_id": product.id,
            "lot_ids": [Command.set([lots[s].id for s in RECALLED])],
            "reason": "The manufacturer found that the oxygen sensor of this "
            "batch may read too high: replace the sensor before further use.",
            "severity": "high",
        }
    )
    if env["res.lang"].search_count([("code", "=", "zh_CN")]):  # active only
        chinese = recall.with_context(lang="zh_CN")
        chinese.reason = (
            "制造商发现该批次的氧传感器读数可能偏高：继续使用前请更换传感器。"
        )
    recall.action_launch()
    return True


def _deliver(env, warehouse, partner, lot, days):
    """A delivery order of the lot, validated `days` ago."""
    customers = env.ref("stock.stock_location_customers")
    picking = env["stock.picking"].create(
        {
            "picking_type_id": warehouse.out_type_id.id,
            "partner_id": partner.id,
            "location_id": warehouse.lot_stock_id.id,
            "location_dest_id": customers.id,
            "move_ids": [
                Command.create(
                    {
                        "name": lot.product_id.display_name,
                        "product_id": lot.product_id.id,
                        "product_uom_qty": 1.0,
                        "location_id": warehouse.lot_stock_id.id,
                        "location_dest_id": customers.id,
                    }
                )
            ],
        }
    )
    picking.action_confirm()
    move = picking.move_ids
    move.move_line_ids.unlink()
    move.move_line_ids = [
        Command.create(
            {
                "product_id": lot.product_id.id,
                "lot_id": lot.id,
                "quantity": 1.0,
                "location_id": move.location_id.id,
                "location_dest_id": move.location_dest_id.id,
                "picking_id": picking.id,
            }
        )
    ]
    move.picked = True
    # no SMS confirmation wizard (stock_sms) in the demo
    if picking.with_context(skip_sms=True).button_validate() is not True:
        raise UserError(
            env._("Demo delivery %(picking)s was not validated.", picking=picking.name)
        )
    stamp = datetime.combine(fields.Date.today() - timedelta(days=days), time(10))
    move.move_line_ids.date = stamp
    move.date = stamp
    picking.date_done = stamp
    return picking
