"""The integrator API's service-ticket methods, on the model
``integration_api.py`` defines (see there for the rules every method keeps)."""

from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .api_validators import (
    MAX_KEY,
    MAX_LINE,
    MAX_POLL,
    MAX_TEXT,
    POLL_OVERLAP,
    check_amount,
    check_choice,
    check_datetime,
    check_dict,
    check_int,
    check_str,
    plain,
)

TICKET_CHANNELS = ("phone", "email", "web", "onsite", "wechat")


class IntegrationApi(models.AbstractModel):
    """Service tickets: what the web shop and call centres send and poll
    (tracking events: integration_api_tracking.py)."""

    _inherit = "zhongzheng.api"

    # ------------------------------------------------------------------
    # service tickets
    # ------------------------------------------------------------------
    @api.model
    def create_ticket(self, ticket):
        """Open a service ticket from an external system (the web shop, a
        call centre).

        :param ticket: dict with ``subject`` (str, required), ``customer``
            (required: id, reference, VAT number or e-mail, see
            customer_profile), ``type`` (str: a ticket type code, default
            ``inquiry``; e.g. tracking, exception, complaint, claim, return),
            ``description`` (str, plain text), ``priority`` (int 0-3,
            default 1), ``channel`` (phone, email, web, onsite, wechat;
            default web), ``picking`` (str: a delivery reference),
            ``sale_order`` (str: a sales order reference), ``claim_amount``
            (number >= 0, claims only), ``email`` (str: reply address,
            default the customer's).
        :returns: dict ``id``, ``number``, ``stage``, ``customer_id``,
            ``sla`` (policy name or False), ``sla_status``,
            ``sla_response_deadline``, ``sla_resolution_deadline`` (UTC ISO
            8601 or False).
        :raises AccessError: the caller may not create tickets (Customer
            Service user rights are needed).
        :raises UserError: unknown customer, type, delivery or order.
        :raises ValidationError: missing values, wrong types, out of range.
        """
        allowed = {
            "subject",
            "customer",
            "type",
            "description",
            "priority",
            "channel",
            "picking",
            "sale_order",
            "claim_amount",
            "email",
        }
        check_dict(
            self.env, ticket, "ticket", allowed, required=("subject", "customer")
        )
        Ticket = self.env["zhongzheng.service.ticket"]
        Ticket.check_access("create")
        subject = check_str(self.env, ticket["subject"], "subject", MAX_LINE, True)
        description = check_str(
            self.env, ticket.get("description"), "description", MAX_TEXT
        )
        type_code = check_str(
            self.env, ticket.get("type") or "inquiry", "type", MAX_KEY
        )
        ticket_type = self.env["zhongzheng.service.ticket.type"].search(
            [("code", "=", type_code)], limit=1
        )
        if not ticket_type:
            codes = self.env["zhongzheng.service.ticket.type"].search([]).mapped("code")
            raise UserError(
                self.env._(
                    "Unknown ticket type %(type)s (known: %(codes)s).",
                    type=repr(type_code),
                    codes=", ".join(codes),
                )
            )
        priority = ticket.get("priority", 1)
        priority = check_int(self.env, priority, "priority", 0, 3)
        channel = check_choice(
            self.env, ticket.get("channel") or "web", "channel", TICKET_CHANNELS
        )
        email = check_str(self.env, ticket.get("email"), "email", MAX_KEY)
        if email and "@" not in email:
            raise ValidationError(
                self.env._("email is not an e-mail address: %(email)s.", email=email)
            )
        partner = self._find_partner(ticket["customer"])
        values = {
            "name": subject,
            "description": description
            and str(escape(description)).replace("\n", "<br/>"),
            "type_id": ticket_type.id,
            "priority": str(priority),
            "channel": channel,
            "partner_id": partner.id,
        }
        if email:
            values["email_from"] = email
        if "claim_amount" in ticket:
            amount = check_amount(self.env, ticket["claim_amount"], "claim_amount")
            if amount and not ticket_type.is_claim:
                raise ValidationError(
                    self.env._(
                        "claim_amount is only for claims, not for %(type)s tickets.",
                        type=type_code,
                    )
                )
            values["claim_amount"] = amount
        values.update(self._ticket_links(ticket, partner))
        record = Ticket.create(values)
        return self._ticket_answer(record)

    def _ticket_links(self, ticket, partner):
        """The delivery or receipt and the sales order a new ticket links
        to: each must be the named customer's own (its commercial partner's),
        else the call is refused."""
        values = {}
        customer = partner.commercial_partner_id
        reference = check_str(self.env, ticket.get("picking"), "picking", MAX_KEY)
        if reference:
            picking = self._find_picking({"picking": reference})
            self._check_own_document(picking, picking.partner_id, customer)
            values.update(
                self.env["zhongzheng.service.ticket"]._picking_link_values(picking)
            )
        order_name = check_str(
            self.env, ticket.get("sale_order"), "sale_order", MAX_KEY
        )
        if order_name:
            order = self.env["sale.order"].search([("name", "=", order_name)], limit=1)
            if not order:
                raise UserError(
                    self.env._("No sales order %(name)s.", name=repr(order_name))
                )
            values["sale_order_id"] = order.id
        order = self.env["sale.order"].browse(values.get("sale_order_id"))
        if order:
            self._check_own_document(order, order.partner_id, customer)
        return values

    def _check_own_document(self, document, owner, customer):
        # sudo: the owner of a document the caller may read, to compare only
        if owner.sudo().commercial_partner_id != customer:
            raise UserError(
                self.env._(
                    "%(document)s belongs to another customer than %(customer)s.",
                    document=document.display_name,
                    customer=customer.display_name,
                )
            )

    def _ticket_answer(self, ticket):
        return {
            "id": ticket.id,
            "number": ticket.number,
            "subject": ticket.name,
            "customer_id": ticket.commercial_partner_id.id or False,
            "stage": ticket.stage_id.name or False,
            "is_closed": ticket.is_closed,
            "sla": ticket.sla_id.name or False,
            "sla_status": ticket.sla_status or False,
            "sla_response_deadline": plain(ticket.sla_response_deadline),
            "sla_resolution_deadline": plain(ticket.sla_resolution_deadline),
            "changed_at": plain(ticket.write_date),
        }

    @api.model
    def rate_ticket(self, number, score, feedback=False):
        """Record the customer's satisfaction rating of a ticket, e.g. from
        a survey tool. The rating is marked as recorded by the caller through
        the API (staff-recorded), never as given by the customer.

        :param number: the ticket number (str).
        :param score: int from 1 (very unhappy) to 5 (very happy).
        :param feedback: optional comment (str).
        :returns: dict ``number`` and ``rating`` (the score recorded).
        :raises UserError: unknown ticket.
        :raises ValidationError: score out of range, wrong types.
        :raises AccessError: the caller may not change this ticket.
        """
        number = check_str(self.env, number, "number", MAX_KEY, True)
        score = check_int(self.env, score, "score", 1, 5)
        feedback = check_str(self.env, feedback, "feedback", MAX_TEXT)
        ticket = self.env["zhongzheng.service.ticket"].search(
            [("number", "=", number)], limit=1
        )
        if not ticket:
            raise UserError(self.env._("No ticket %(number)s.", number=repr(number)))
        ticket.check_access("write")
        ticket._record_rating(score, feedback=feedback or None, channel="api")
        return {"number": ticket.number, "rating": score}

    @api.model
    def _check_poll_position(self, since):
        """``since`` of ticket_changes: an ISO 8601 date-time or a ``cursor``
        of an earlier answer ("<write date>|<id>"). Returns (naive UTC
        datetime, id): changes strictly after that (write_date, id)."""
        if isinstance(since, str) and "|" in since:
            moment, __, last_id = since.rpartition("|")
            if last_id.isdigit() and "|" not in moment:
                return (
                    check_datetime(self.env, moment, "since", required=True),
                    int(last_id),
                )
            raise ValidationError(
                self.env._(
                    "since is neither an ISO 8601 date and time nor a cursor "
                    "from an earlier answer: %(value)s.",
                    value=repr(since),
                )
            )
        return check_datetime(self.env, since, "since", required=True), 0

    @api.model
    @api.readonly
    def ticket_changes(self, since, limit=200):
        """Tickets changed since a moment, for polling: new tickets, stage
        changes, SLA status changes (at risk, breached, met) and any other
        change, oldest change first (by write date, then id).

        :param since: str, ISO 8601 (without an offset: UTC; changes at
            exactly that moment are included), or the ``cursor`` of the
            previous answer (continue right after its last change).
        :param limit: int, 1 to 500 (default 200).
        :returns: dict ``changes`` (list of tickets as create_ticket answers
            them, with ``changed_at``), ``breaches`` (the numbers of the
            changed tickets whose SLA is breached), ``more`` (True when the
            limit cut the list: call again at once with ``cursor``),
            ``cursor``: the value to pass as ``since`` next time, and
            ``next_since``: the same as a plain date-time (kept for older
            callers; unlike ``cursor`` it cannot page through more than
            ``limit`` tickets changed in the same transaction).

            Paging with ``cursor`` returns each change once while ``more``
            is True. A ticket's write date is its writer's transaction
            start, so a transaction committing after a later one may add
            changes dated before what a poll already returned: when a poll
            reaches the end (``more`` False), ``cursor`` steps back to
            5 minutes before now (not before a date-time passed as
            ``since``). The next poll then returns the last 5 minutes
            again: dedupe by (``id``, ``changed_at``). A change committed by
            a transaction that ran longer than 5 minutes can still be
            missed.
        :raises ValidationError: bad date, cursor or limit.
        :raises AccessError: the caller may not read tickets.
        """
        tickets, page = self._poll(
            self.env["zhongzheng.service.ticket"], "write_date", since, limit
        )
        changes = [self._ticket_answer(ticket) for ticket in tickets]
        return {
            "changes": changes,
            "breaches": [
                change["number"]
                for change in changes
                if change["sla_status"] == "breached"
            ],
            **page,
        }

    @api.model
    def _poll(self, model, date_field, since, limit, domain=()):
        """One page of a poll (see ticket_changes): the records of `model`
        matching `domain` with (date_field, id) after `since`, oldest first,
        and {"more", "cursor", "next_since"} for the answer."""
        moment, last_id = self._check_poll_position(since)
        limit = check_int(self.env, limit, "limit", 1, MAX_POLL)
        model.check_access("read")
        records = model.search(
            [
                *domain,
                "|",
                (date_field, ">", moment),
                "&",
                (date_field, "=", moment),
                ("id", ">", last_id),
            ],
            order=f"{date_field}, id",
            limit=limit + 1,
        )
        more = len(records) > limit
        records = records[:limit]
        if more:
            position = (records[-1][date_field], records[-1].id)
        else:
            # step back (see ticket_changes), but not before a date-time the
            # caller chose: only a cursor of ours may go back
            position = (fields.Datetime.now() - POLL_OVERLAP, 0)
            if "|" not in since:
                position = max(position, (moment, 0))
        return records, {
            "more": more,
            "cursor": "{:%Y-%m-%dT%H:%M:%S.%fZ}|{}".format(*position),
            "next_since": plain(position[0]),
        }
