from odoo import models
from odoo.exceptions import AccessError, UserError
from odoo.tools import plaintext2html


class ServiceRatingMixin(models.AbstractModel):
    """The customer's satisfaction rating (1-5) of a service ticket: asked
    by e-mail and on the portal when the ticket is solved, or recorded by
    staff, e.g. from a follow-up call. The rated customer is the ticket's
    contact (``partner_id``)."""

    _name = "zhongzheng.service.rating.mixin"
    _description = "Service Ticket Rating"
    _inherit = ["rating.mixin"]

    def action_record_rating(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Record Customer Rating"),
            "res_model": "zhongzheng.ticket.rating",
            "view_mode": "form",
            "target": "new",
            "context": {"default_ticket_id": self.id},
        }

    def rating_apply(
        self,
        rate,
        token=None,
        rating=None,
        feedback=None,
        subtype_xmlid=None,
        notify_delay_send=False,
    ):
        """Odoo's way to apply a rating posts it in the customer's name: for
        a ticket only the customer's own token pages (sudo, after their
        checks) call it; staff record ratings with ``_record_rating``. Over
        RPC a user holding a token could otherwise rate as the customer."""
        if not self.env.su:
            raise AccessError(
                self.env._(
                    "A ticket's rating is given by the customer on their rating "
                    "page, or recorded by staff with Record Rating."
                )
            )
        return super().rating_apply(
            rate,
            token=token,
            rating=rating,
            feedback=feedback,
            subtype_xmlid=subtype_xmlid,
            notify_delay_send=notify_delay_send,
        )

    def message_post(self, **kwargs):
        """Odoo's chatter lets a message carry a rating (``rating_value``);
        a ticket's rating goes through its rating page or Record Rating, once
        and marked, never through a chatter post."""
        # refused in sudo too: the chatter's controller posts with sudo
        if kwargs.get("rating_value"):
            raise AccessError(
                self.env._(
                    "A ticket's rating is given by the customer on their rating "
                    "page, or recorded by staff with Record Rating."
                )
            )
        return super().message_post(**kwargs)

    def _rating_get_partner(self):
        return self.partner_id or super()._rating_get_partner()

    def _send_rating_request(self):
        """Ask the customer to rate a solved ticket (1-5, e-mail link and
        portal); cancelled tickets and customers without e-mail are skipped."""
        template = self.env.ref(
            "crm_zhongzheng.service_ticket_rating_request", raise_if_not_found=False
        )
        for ticket in self:
            partner = ticket._rating_get_partner()
            if template and partner.email and not ticket.stage_id.is_cancelled:
                ticket.sudo().rating_send_request(template, force_send=False)

    def _record_rating(self, score, feedback=None, channel="phone"):
        """Staff record the customer's rating, e.g. from a follow-up call
        (``phone``) or a survey tool (``api``): a rating of its own, marked
        as recorded by the current user and channel, posted in the chatter
        by that user (never in the customer's name). The customer's own
        rating link stays theirs."""
        self.ensure_one()
        if score not in (1, 2, 3, 4, 5):
            raise UserError(self.env._("A rating runs from 1 to 5."))
        self.check_access("write")
        partner = self._rating_get_partner()
        # sudo: ratings are written by the addon only, after the check above
        rating = (
            self.env["rating.rating"]
            .sudo()
            .create(
                {
                    "res_model_id": self.env["ir.model"]._get_id(self._name),
                    "res_id": self.id,
                    "partner_id": partner.id,
                    "rated_partner_id": self._rating_get_operator().id,
                    "is_internal": False,
                    "recorded_by_id": self.env.uid,
                    "rating_channel": channel,
                }
            )
        )
        # given as a write, as Odoo's rating_apply does: the ticket's last
        # rating follows
        rating.write({"rating": score, "feedback": feedback or False, "consumed": True})
        channel_label = dict(
            rating._fields["rating_channel"]._description_selection(self.env)
        )[channel]
        body = self.env._(
            "Rating %(score)s / 5 recorded by %(user)s (%(channel)s) for %(customer)s.",
            score=score,
            user=self.env.user.name,
            channel=channel_label,
            customer=partner.display_name or "-",
        )
        if feedback:
            body = f"{body}\n{feedback}"
        # logged, not sent: a note by the member of staff (who needs no
        # e-mail address for it)
        message = self._message_log(
            body=plaintext2html(body),
            author_id=self.env.user.partner_id.id,
            message_type="comment",
        )
        rating.message_id = message
        return rating

    def _rating_apply_customer(self, rating, score, feedback, channel):
        """The customer's own rating through their token (portal or e-mail
        link), once: a consumed token records nothing again."""
        self.ensure_one()
        if rating.consumed:
            return False
        self.rating_apply(score, rating=rating, feedback=feedback, subtype_xmlid=None)
        rating.sudo().write({"rating_channel": channel})
        return True
