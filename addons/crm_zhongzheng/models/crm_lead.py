from odoo import fields, models


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "zhongzheng.customer.badge.mixin"]

    key_customer = fields.Boolean(
        compute="_compute_key_customer",
        search="_search_key_customer",
        groups="crm_zhongzheng.group_crm_user",
        help="The customer is in the platinum or gold tier.",
    )

    def _compute_key_customer(self):
        for lead in self:
            lead.key_customer = lead.partner_tier_id.code in ("platinum", "gold")

    def _search_key_customer(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            return [("id", "=", 0)]
        positive = (operator == "=") == value
        keys = self.env["res.partner"].search(
            [("tier_id.code", "in", ("platinum", "gold"))]
        )
        domain = [("partner_id", "child_of", keys.ids)]
        return domain if positive else ["!", *domain]
