from odoo import api, models


class ServiceMailGatewayMixin(models.AbstractModel):
    """The mail gateway of service tickets: an e-mail to a team's alias
    opens a ticket for the sender; replies thread on it, and the customer
    (``partner_id``) is the suggested recipient in the chatter."""

    _name = "zhongzheng.service.mail.gateway.mixin"
    _description = "Service Ticket Mail Gateway"
    _inherit = ["mail.thread"]

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        values = dict(custom_values or {})
        values.setdefault("name", msg_dict.get("subject") or self.env._("No subject"))
        values.setdefault("email_from", msg_dict.get("email_from"))
        values.setdefault("description", msg_dict.get("body"))
        values.setdefault("channel", "email")
        partners = [
            partner
            for partner in self._mail_find_partner_from_emails(
                [msg_dict.get("email_from")], force_create=False
            )
            if partner
        ]
        if partners and "partner_id" not in values:
            values["partner_id"] = partners[0].id
        # the ticket belongs to the company of the team whose alias got the
        # mail, not to the gateway user's current company
        team = self.env["zhongzheng.service.team"].browse(values.get("team_id"))
        if team.exists() and "company_id" not in values:
            values["company_id"] = team.sudo().company_id.id
        return super().message_new(msg_dict, custom_values=values)

    def _message_get_suggested_recipients(self):
        recipients = super()._message_get_suggested_recipients()
        if self.partner_id:
            self._message_add_suggested_recipient(
                recipients, partner=self.partner_id, reason=self.env._("Customer")
            )
        return recipients
