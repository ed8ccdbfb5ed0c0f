"""*New Mailing* from where customers are selected: a tier, a saved
segment, the customer list."""

from odoo import Command, fields, models


class CustomerTier(models.Model):
    _inherit = "zhongzheng.customer.tier"

    def action_new_mailing(self):
        return self.env["mailing.mailing"]._customer_mailing_action(
            {"customer_tier_ids": [Command.set(self.ids)]}
        )


class CustomerSegment(models.Model):
    _inherit = "zhongzheng.customer.segment"

    def action_new_mailing(self):
        self.ensure_one()
        return self.env["mailing.mailing"]._customer_mailing_action(
            {"customer_segment_id": self.id}
        )


class ResPartner(models.Model):
    _inherit = "res.partner"

    campaign_contact = fields.Boolean(
        string="Receives Campaigns",
        help="A contact of the customer that campaign mailings are sent to, "
        "when a mailing goes to the customers' contacts.",
    )

    def action_new_mailing(self):
        return self.env["mailing.mailing"]._customer_mailing_action(
            {"customer_partner_ids": [Command.set(self.commercial_partner_id.ids)]}
        )
