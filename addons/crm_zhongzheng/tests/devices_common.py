from datetime import datetime, time, timedelta

from odoo import Command, fields

from .common import ZhongzhengCase


class DeviceCase(ZhongzhengCase):
    """Serial-tracked devices in stock, delivered to customers and returned
    as a warehouse does it (delivery orders validated, the return wizard)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        )
        cls.stock = cls.warehouse.lot_stock_id
        cls.customers = cls.env.ref("stock.stock_location_customers")
        cls.category = cls.env["product.category"].create(
            {"name": "Ultrasound Devices", "zz_warranty_months": 12}
        )
        cls.scanner = cls._device("Ultrasound Scanner", zz_maintenance_months=6)
        cls.monitor = cls._device("Patient Monitor", zz_warranty_months=24)
        cls.hospital_a = cls._company_partner("First People's Hospital")
        cls.hospital_b = cls._company_partner("Second People's Hospital")
        cls.hospital_c = cls._company_partner("Third People's Hospital")

    @classmethod
    def _device(cls, name, **vals):
        return cls.env["product.product"].create(
            {
                "name": name,
                "is_storable": True,
                "tracking": "serial",
                "categ_id": cls.category.id,
                **vals,
            }
        )

    @classmethod
    def _company_partner(cls, name, **vals):
        return cls.env["res.partner"].create({"name": name, "is_company": True, **vals})

    @classmethod
    def _serials(cls, product, *names):
        """Serial numbers of `product`, one of each in stock."""
        lots = cls.env["stock.lot"].create(
            [{"name": name, "product_id": product.id} for name in names]
        )
        for lot in lots:
            cls.env["stock.quant"]._update_available_quantity(
                product, cls.stock, 1.0, lot_id=lot
            )
        return lots

    @classmethod
    def _transfer(cls, picking_type, source, dest, partner, lots, env=None, **vals):
        env = env or cls.env
        picking = env["stock.picking"].create(
            {
                "picking_type_id": picking_type.id,
                "partner_id": partner.id,
                "location_id": source.id,
                "location_dest_id": dest.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.display_name,
                            "product_id": product.id,
                            "product_uom_qty": len(
                                lots.filtered(
                                    lambda lot, p=product: lot.product_id == p
                                )
                            ),
                            "location_id": source.id,
                            "location_dest_id": dest.id,
                        }
                    )
                    for product in lots.product_id
                ],
                **vals,
            }
        )
        picking.action_confirm()
        cls._pick_lots(picking, lots)
        return picking

    @classmethod
    def _pick_lots(cls, picking, lots):
        """The picking's moves done with exactly these lots."""
        for move in picking.move_ids:
            move.move_line_ids.unlink()
            move.move_line_ids = [
                Command.create(
                    {
                        "product_id": move.product_id.id,
                        "lot_id": lot.id,
                        "quantity": 1.0,
                        "location_id": move.location_id.id,
                        "location_dest_id": move.location_dest_id.id,
                        "picking_id": picking.id,
                    }
                )
                for lot in lots.filtered(
                    lambda lot, m=move: lot.product_id == m.product_id
                )
            ]
            move.picked = True

    @classmethod
    def _deliver(cls, partner, lots, when=None, env=None, validate=True, **vals):
        """A delivery order of `lots` to `partner`, validated (done `when`,
        a date, if given)."""
        picking = cls._transfer(
            cls.warehouse.out_type_id,
            cls.stock,
            cls.customers,
            partner,
            lots,
            env=env,
            **vals,
        )
        if validate:
            picking.button_validate()
            if when:
                cls._backdate(picking, when)
        return picking

    @classmethod
    def _return(cls, partner, lots, when=None):
        """Lots coming back from `partner` (a receipt from the customer)."""
        picking = cls._transfer(
            cls.warehouse.in_type_id, cls.customers, cls.stock, partner, lots
        )
        picking.button_validate()
        if when:
            cls._backdate(picking, when)
        return picking

    @classmethod
    def _return_delivery(cls, delivery, lots):
        """The return wizard of a delivery, for `lots` only."""
        wizard = (
            cls.env["stock.return.picking"]
            .with_context(active_id=delivery.id, active_model="stock.picking")
            .create({"picking_id": delivery.id})
        )
        for line in wizard.product_return_moves:
            line.quantity = len(
                lots.filtered(lambda lot, l=line: lot.product_id == l.product_id)
            )
        returned = cls.env["stock.picking"].browse(
            wizard.action_create_returns()["res_id"]
        )
        cls._pick_lots(returned, lots)
        returned.button_validate()
        return returned

    @classmethod
    def _backdate(cls, picking, when):
        stamp = datetime.combine(when, time(10, 0))
        picking.move_ids.move_line_ids.write({"date": stamp})
        picking.move_ids.write({"date": stamp})
        picking.date_done = stamp

    @classmethod
    def _days_ago(cls, days):
        return fields.Date.today() - timedelta(days=days)

    def _devices(self, partner):
        return self.env["zhongzheng.installed.device"].search(
            [("partner_id", "=", partner.id)]
        )
