from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ProductCategory(models.Model):
    _inherit = "product.category"

    zz_warranty_months = fields.Integer(
        string="Warranty (months)",
        help="Default warranty of the category's products, from delivery (or "
        "installation, when recorded); a product may set its own.",
    )

    @api.constrains("zz_warranty_months")
    def _check_zz_warranty_months(self):
        if any(category.zz_warranty_months < 0 for category in self):
            raise ValidationError(self.env._("A warranty cannot be negative."))


class ProductTemplate(models.Model):
    """What the addon adds to products: kept out of the recommendations,
    and a device's warranty and maintenance interval. Odoo has no warranty
    period: the product's own months, else its category's; 0 means the
    category's. The installed base (``zhongzheng.installed.device``) reads
    both columns in SQL."""

    _inherit = "product.template"

    no_recommend = fields.Boolean(
        string="Do Not Recommend",
        help="Never suggested by the cross-sell and up-sell recommendations "
        "(e.g. a product being phased out, or sold only on request).",
    )

    zz_warranty_months = fields.Integer(
        string="Warranty (months)",
        help="Months of warranty from delivery (or installation, when "
        "recorded); 0 takes the product category's.",
    )
    zz_maintenance_months = fields.Integer(
        string="Maintenance every (months)",
        help="Serial-tracked devices only: a maintenance visit ticket is "
        "opened this many months after delivery, installation or the last "
        "maintenance visit; 0 means none.",
    )

    @api.constrains("zz_warranty_months", "zz_maintenance_months", "tracking")
    def _check_zz_device_months(self):
        for product in self:
            if product.zz_warranty_months < 0 or product.zz_maintenance_months < 0:
                raise ValidationError(
                    self.env._(
                        "%(product)s: warranty and maintenance interval cannot "
                        "be negative.",
                        product=product.display_name,
                    )
                )
            if product.zz_maintenance_months and product.tracking != "serial":
                raise ValidationError(
                    self.env._(
                        "%(product)s: only a product tracked by serial number "
                        "has a maintenance interval.",
                        product=product.display_name,
                    )
                )
