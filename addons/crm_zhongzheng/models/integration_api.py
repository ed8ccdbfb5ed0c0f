"""The integrator API (XML-RPC / JSON-RPC): one entry model, ``zhongzheng.api``.

Why one AbstractModel rather than public methods scattered over the business
models: integrators get one documented surface (``execute_kw(db, uid, key,
"zhongzheng.api", method, args)``) that can stay stable while the models
behind it evolve, every method validates its input with the same helpers and
answers plain data (dicts, lists, numbers, strings) built in one place. The
methods run with the caller's rights (no sudo unless stated in the method),
so record rules and access rights hold exactly as in the web client.

Every call is one transaction: a refused call (UserError, ValidationError,
AccessError) is rolled back by the RPC layer and writes nothing.
"""

import math
from datetime import datetime, timedelta, timezone

from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, escape_psql

from .tracking_event import EVENT_KINDS

CRM_USER = "crm_zhongzheng.group_crm_user"
CRM_MANAGER = "crm_zhongzheng.group_crm_manager"

# Payload limits (documented in the README's Integration section).
MAX_KEY = 128  # references, VAT numbers, e-mails, event ids, tracking numbers
MAX_LINE = 256  # subjects, locations, names
MAX_TEXT = 4000  # notes, descriptions, feedback
MAX_PARTNERS = 100  # partners per recompute call
MAX_HISTORY = 100  # history lines in a profile
MAX_POLL = 500  # tickets per poll
MAX_AMOUNT = 1e12
# How far back a poll that reached the end starts again next time: a
# ticket's write_date is its writer's transaction start, so a transaction
# still running when we answer may commit changes dated up to this much
# earlier (Odoo stops HTTP workers after limit_time_real, 120 s by default).
POLL_OVERLAP = timedelta(minutes=5)

# Figures of a profile, per section: (key in the answer, partner field).
FACTS = [
    ("first_sale_date", "first_sale_date"),
    ("last_sale_date", "last_sale_date"),
    ("sale_count_total", "sale_count_total"),
    ("sale_count_window", "sale_count_window"),
    ("revenue_total", "revenue_total"),
    ("revenue_window", "revenue_window"),
    ("average_order_value", "average_order_value"),
    ("purchase_amount_window", "purchase_amount_window"),
    ("purchase_count_window", "purchase_count_window"),
    ("invoiced_window", "invoiced_window"),
    ("receivable_open", "receivable_open"),
    ("receivable_overdue", "receivable_overdue"),
    ("average_days_to_pay", "average_days_to_pay"),
    ("delivery_count_window", "delivery_count_window"),
    ("delivery_on_time_rate", "delivery_on_time_rate"),
]
MANAGER_FACTS = [
    ("margin_total", "margin_total"),
    ("margin_window", "margin_window"),
    ("cost_to_serve", "cost_to_serve"),
]
RFM = [
    ("recency_days", "rfm_recency"),
    ("frequency", "rfm_frequency"),
    ("monetary", "rfm_monetary"),
    ("r_score", "rfm_r_score"),
    ("f_score", "rfm_f_score"),
    ("m_score", "rfm_m_score"),
]
CLV = [
    ("probability_alive", "clv_prob_alive"),
    ("expected_purchases_90d", "clv_expected_purchases"),
]
SCORE = [
    ("total", "value_score"),
    ("current_value", "value_points_current"),
    ("potential", "value_points_potential"),
    ("loyalty", "value_points_loyalty"),
    ("payment", "value_points_payment"),
    ("cost_to_serve", "value_points_cost"),
]
TICKET_CHANNELS = ("phone", "email", "web", "onsite", "wechat")


def _plain(value):
    """A field value as XML-RPC can carry it: dates as ISO strings, empty
    values as False (XML-RPC has no None by default)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, models.BaseModel):
        return value.id or False
    return value


class IntegrationApi(models.AbstractModel):
    """Public methods for warehouse and carrier systems, the web shop and
    BI tools, called over XML-RPC or JSON-RPC on ``zhongzheng.api``."""

    _name = "zhongzheng.api"
    _description = "Zhongzheng Integrator API"

    # ------------------------------------------------------------------
    # validation helpers: each raises a ValidationError naming the argument
    # ------------------------------------------------------------------
    @api.model
    def _wrong_type(self, name, expected, value):
        raise ValidationError(
            self.env._(
                "%(name)s must be %(expected)s, not %(type)s.",
                name=name,
                expected=expected,
                type=type(value).__name__,
            )
        )

    @api.model
    def _check_dict(self, value, name, allowed, required=()):
        if not isinstance(value, dict):
            self._wrong_type(name, self.env._("a struct (a dict)"), value)
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            raise ValidationError(
                self.env._(
                    "%(name)s has unknown keys: %(keys)s (allowed: %(allowed)s).",
                    name=name,
                    keys=", ".join(map(str, unknown)),
                    allowed=", ".join(sorted(allowed)),
                )
            )
        missing = [
            key
            for key in required
            if value.get(key) is None or value[key] is False or value[key] == ""
        ]
        if missing:
            raise ValidationError(
                self.env._(
                    "%(name)s is missing required values: %(keys)s.",
                    name=name,
                    keys=", ".join(missing),
                )
            )
        return value

    @api.model
    def _check_str(self, value, name, max_size, required=False):
        """A string, stripped; False when empty and not required."""
        if value is None or value is False or value == "":
            if required:
                raise ValidationError(self.env._("%(name)s is required.", name=name))
            return False
        if not isinstance(value, str):
            self._wrong_type(name, self.env._("a string"), value)
        value = value.strip()
        if not value:
            raise ValidationError(self.env._("%(name)s is required.", name=name))
        if len(value) > max_size:
            raise ValidationError(
                self.env._(
                    "%(name)s is too long: %(size)s characters, at most %(max)s.",
                    name=name,
                    size=len(value),
                    max=max_size,
                )
            )
        if "\x00" in value:
            raise ValidationError(
                self.env._("%(name)s contains a NUL character.", name=name)
            )
        return value

    @api.model
    def _check_int(self, value, name, minimum, maximum):
        if isinstance(value, bool) or not isinstance(value, int):
            self._wrong_type(name, self.env._("an integer"), value)
        if not minimum <= value <= maximum:
            raise ValidationError(
                self.env._(
                    "%(name)s must be between %(min)s and %(max)s, not %(value)s.",
                    name=name,
                    min=minimum,
                    max=maximum,
                    value=value,
                )
            )
        return value

    @api.model
    def _check_amount(self, value, name):
        if isinstance(value, bool) or not isinstance(value, int | float):
            self._wrong_type(name, self.env._("a number"), value)
        if not math.isfinite(value) or value < 0 or value > MAX_AMOUNT:
            raise ValidationError(
                self.env._(
                    "%(name)s must be a positive amount below %(max)s, not %(value)s.",
                    name=name,
                    max=int(MAX_AMOUNT),
                    value=value,
                )
            )
        return float(value)

    @api.model
    def _check_choice(self, value, name, choices):
        value = self._check_str(value, name, MAX_KEY, required=True)
        if value not in choices:
            raise ValidationError(
                self.env._(
                    "%(name)s: unknown value %(value)s (allowed: %(allowed)s).",
                    name=name,
                    value=repr(value),
                    allowed=", ".join(choices),
                )
            )
        return value

    @api.model
    def _check_datetime(self, value, name, required=False):
        """An ISO 8601 date-time string; with an offset or Z it is converted
        to UTC, without one it is taken as UTC. Returns a naive UTC datetime."""
        value = self._check_str(value, name, 64, required=required)
        if not value:
            return False
        try:
            # Python 3.10's fromisoformat does not read a trailing "Z"
            moment = datetime.fromisoformat(
                value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
            )
        except ValueError:
            moment = None
        if moment is None or len(value) < 16:
            raise ValidationError(
                self.env._(
                    "%(name)s must be an ISO 8601 date and time such as "
                    "2026-06-30T08:15:00+08:00, not %(value)s.",
                    name=name,
                    value=repr(value),
                )
            )
        if moment.tzinfo:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        if not datetime(2000, 1, 1) <= moment <= datetime(2100, 1, 1):
            raise ValidationError(
                self.env._(
                    "%(name)s is out of range: %(value)s.", name=name, value=value
                )
            )
        return moment

    @api.model
    def _check_group(self, group, message):
        if not self.env.user.has_group(group):
            raise AccessError(message)

    # ------------------------------------------------------------------
    # lookups
    # ------------------------------------------------------------------
    @api.model
    def _find_partner(self, key, name="customer"):
        """A partner by id (an integer) or by reference, VAT number or
        e-mail (a string, matched exactly, case-insensitive for VAT and
        e-mail). Several matches must belong to one company (commercial
        partner): the match if there is one, else that company."""
        Partner = self.env["res.partner"]
        if isinstance(key, int) and not isinstance(key, bool):
            partner = Partner.browse(key).exists() if key > 0 else Partner
            if not partner:
                raise UserError(self.env._("No customer with id %(id)s.", id=key))
            partner.check_access("read")
            return partner
        key = self._check_str(key, name, MAX_KEY, required=True)
        pattern = escape_psql(key)
        compact = escape_psql(key.replace(" ", ""))
        partners = Partner.search(
            [
                "|",
                "|",
                ("ref", "=", key),
                ("vat", "=ilike", compact),
                ("email", "=ilike", pattern),
            ],
            limit=50,
        )
        if not partners:
            raise UserError(
                self.env._(
                    "No customer with reference, VAT number or e-mail %(key)s.",
                    key=repr(key),
                )
            )
        companies = partners.commercial_partner_id
        if len(companies) > 1:
            raise UserError(
                self.env._(
                    "%(key)s matches several customers (%(names)s): use the id.",
                    key=repr(key),
                    names=", ".join(companies[:5].mapped("display_name")),
                )
            )
        return partners if len(partners) == 1 else companies

    @api.model
    def _find_picking(self, event):
        """The delivery of a tracking event: by picking reference (`picking`)
        or by carrier tracking number (`tracking_ref`), exactly one of them."""
        reference = self._check_str(event.get("picking"), "picking", MAX_KEY)
        tracking = self._check_str(event.get("tracking_ref"), "tracking_ref", MAX_KEY)
        if bool(reference) == bool(tracking):
            raise ValidationError(
                self.env._(
                    "Identify the delivery by exactly one of picking (its "
                    "reference) or tracking_ref (the carrier's tracking number)."
                )
            )
        Picking = self.env["stock.picking"]
        if reference:
            pickings = Picking.search([("name", "=", reference)], limit=2)
        else:
            pickings = Picking.search(
                [("carrier_tracking_ref", "=", tracking)], limit=2
            )
        if not pickings:
            raise UserError(
                self.env._(
                    "No delivery with reference or tracking number %(key)s.",
                    key=repr(reference or tracking),
                )
            )
        if len(pickings) > 1:
            raise UserError(
                self.env._(
                    "%(key)s matches several deliveries: use the picking reference.",
                    key=repr(reference or tracking),
                )
            )
        return pickings

    # ------------------------------------------------------------------
    # customer value
    # ------------------------------------------------------------------
    @api.model
    def customer_profile(self, customer, history_limit=10):
        """The value profile of a customer, in the caller's current company.

        :param customer: the customer's id (int), or its reference, VAT
            number or e-mail (str); a contact resolves to its company.
        :param history_limit: how many of the latest tier and class changes
            to return (int, 0 to 100, default 10).
        :returns: dict with ``id``, ``name``, ``ref``, ``vat``, ``email``,
            ``company`` (the company whose figures these are), ``currency``,
            ``tier`` (``{"code", "name"}`` or False), ``tier_since``,
            ``relationship_class``, ``relationship_since``, ``abc_class``,
            ``facts`` (sales, invoicing, payment and delivery figures of the
            analysis window and all time), ``rfm`` (recency in days,
            frequency, monetary, R/F/M scores 1-5, ``segment``), ``clv``
            (probability alive, expected purchases in 90 days), ``score``
            (``total`` out of 100 and its breakdown in points) and
            ``history`` (latest first: ``date``, ``kind``, ``from``, ``to``,
            ``origin``, ``reason``). CRM managers also get the margins and
            cost-to-serve in ``facts`` and the lifetime value in
            ``clv["value"]``. Dates are ISO strings, empty values False.
        :raises AccessError: the caller is not a CRM user.
        :raises UserError: no customer, or several, match.
        :raises ValidationError: wrong argument types or values.
        """
        self._check_group(
            CRM_USER, self.env._("Only CRM users can read customer value profiles.")
        )
        history_limit = self._check_int(history_limit, "history_limit", 0, MAX_HISTORY)
        partner = self._find_partner(customer).commercial_partner_id
        return self._profile(partner, history_limit)

    def _profile(self, partner, history_limit=0):
        manager = self.env.user.has_group(CRM_MANAGER)
        company = self.env.company
        partner = partner.with_company(company)

        def section(pairs):
            return {key: _plain(partner[field]) for key, field in pairs}

        facts = section(FACTS + (MANAGER_FACTS if manager else []))
        clv = section(CLV)
        if manager:
            clv["value"] = partner.clv_value
        rfm = section(RFM)
        rfm["segment"] = partner.rfm_segment_id.name or False
        tier = partner.tier_id
        profile = {
            "id": partner.id,
            "name": partner.name,
            "ref": partner.ref or False,
            "vat": partner.vat or False,
            "email": partner.email or False,
            "company": company.name,
            "currency": company.currency_id.name,
            "tier": {"code": tier.code, "name": tier.name} if tier else False,
            "tier_since": _plain(partner.tier_since),
            "relationship_class": partner.relationship_class or False,
            "relationship_since": _plain(partner.relationship_since),
            "abc_class": partner.abc_class or False,
            "facts": facts,
            "rfm": rfm,
            "clv": clv,
            "score": section(SCORE),
        }
        if history_limit:
            history = self.env["zhongzheng.relationship.history"].search(
                [("partner_id", "=", partner.id), ("company_id", "=", company.id)],
                limit=history_limit,
            )
            profile["history"] = [
                {
                    "date": _plain(line.date),
                    "kind": line.kind,
                    "from": (
                        line.tier_from_id.code
                        if line.kind == "tier"
                        else line.class_from
                    )
                    or False,
                    "to": (
                        line.tier_to_id.code if line.kind == "tier" else line.class_to
                    )
                    or False,
                    "origin": line.origin,
                    "reason": line.reason or False,
                }
                for line in history
            ]
        return profile

    @api.model
    def recompute_scores(self, customers):
        """Recompute the figures, scores, tiers and classes of some customers
        now, in the caller's current company (CRM managers only).

        :param customers: list of 1 to 100 customers, each an id (int) or a
            reference, VAT number or e-mail (str).
        :returns: list of dicts, one per distinct customer, in the order
            given: ``id``, ``name``, ``score`` (total out of 100), ``tier``
            (code or False), ``relationship_class``, ``abc_class``.
        :raises AccessError: the caller is not a CRM manager.
        :raises UserError: an unknown or ambiguous customer.
        :raises ValidationError: not a list, empty, too long, wrong types.
        """
        self._check_group(
            CRM_MANAGER, self.env._("Only CRM managers can recompute customer value.")
        )
        if not isinstance(customers, list) or not customers:
            raise ValidationError(
                self.env._("customers must be a non-empty list of ids or references.")
            )
        if len(customers) > MAX_PARTNERS:
            raise ValidationError(
                self.env._(
                    "At most %(max)s customers per call, not %(count)s.",
                    max=MAX_PARTNERS,
                    count=len(customers),
                )
            )
        partners = self.env["res.partner"]
        for key in customers:
            partners |= self._find_partner(key).commercial_partner_id
        company = self.env.company
        # The engine writes the read-only figures in set-based SQL; the
        # manager check above is what the web client's "Recompute now" asks.
        self.env["zhongzheng.value.engine"].sudo()._recompute_partners(
            company, partners.ids
        )
        # the ranks moved other customers' figures too
        self.env["res.partner"].invalidate_model()
        result = []
        for partner in partners.with_company(company):
            result.append(
                {
                    "id": partner.id,
                    "name": partner.name,
                    "score": partner.value_score,
                    "tier": partner.tier_id.code or False,
                    "relationship_class": partner.relationship_class or False,
                    "abc_class": partner.abc_class or False,
                }
            )
        return result

    # ------------------------------------------------------------------
    # tracking events
    # ------------------------------------------------------------------
    @api.model
    def register_tracking_event(self, event):
        """Record a shipment tracking event, once per event id.

        :param event: dict with
            ``event_id`` (str, required: the sender's id of the event, unique
            per delivery), ``picking`` (str: the delivery's reference, e.g.
            ``WH/OUT/00012``) or ``tracking_ref`` (str: the carrier's tracking
            number), exactly one of them; ``kind`` (str, required: intake,
            picked_up, in_transit, hub, out_for_delivery, exception,
            delivered); ``time`` (str, ISO 8601, default now; without an
            offset it is UTC); ``location``, ``note``, ``signed_by`` (str).
        :returns: dict ``event_id``, ``id``, ``picking`` (reference),
            ``kind``, ``time`` (UTC, ISO 8601) and ``ticket`` (the number of
            the service ticket an exception opened or added to, else False).
            Sending the same event again records nothing and returns the same
            dict, also when the copies arrive in parallel.
        :raises UserError: unknown delivery, or the event id was already used
            for a different event on this delivery.
        :raises ValidationError: missing values, unknown kind, bad date,
            wrong types, oversized values.
        :raises AccessError: the caller may not read deliveries or add
            tracking events (Inventory user rights are needed, as in the web
            client).
        """
        allowed = {
            "event_id",
            "picking",
            "tracking_ref",
            "kind",
            "time",
            "location",
            "note",
            "signed_by",
        }
        self._check_dict(event, "event", allowed, required=("event_id", "kind"))
        external_id = self._check_str(event["event_id"], "event_id", MAX_KEY, True)
        kind = self._check_choice(event["kind"], "kind", [k for k, _l in EVENT_KINDS])
        moment = self._check_datetime(event.get("time"), "time")
        if moment and moment > fields.Datetime.now() + timedelta(days=1):
            raise ValidationError(
                self.env._("time is in the future: %(time)s.", time=event["time"])
            )
        values = {
            "external_id": external_id,
            "kind": kind,
            "location": self._check_str(event.get("location"), "location", MAX_LINE),
            "note": self._check_str(event.get("note"), "note", MAX_TEXT),
            "signed_by": self._check_str(event.get("signed_by"), "signed_by", MAX_LINE),
        }
        if moment:
            values["event_time"] = moment
        Event = self.env["zhongzheng.tracking.event"]
        Event.check_access("create")
        picking = self._find_picking(event)
        values["picking_id"] = picking.id
        known = self._known_event(picking, external_id, values)
        if known:
            return known
        # Serialize the events of one delivery: a parallel request that
        # changed this row since our snapshot makes PostgreSQL raise a
        # serialization failure here, and the RPC layer retries the whole
        # call in a fresh transaction, where the event (if it was the same)
        # is found above and answered the same.
        self.env.cr.execute(
            SQL(
                "UPDATE stock_picking SET write_date = (now() at time zone 'UTC'),"
                " write_uid = %s WHERE id = %s",
                self.env.uid,
                picking.id,
            ),
            # expected under load and retried: not an error for the log
            log_exceptions=False,
        )
        picking.invalidate_recordset(["write_date", "write_uid"])
        return self._event_answer(Event.create(values))

    def _known_event(self, picking, external_id, values):
        """The answer for an event id already recorded on the delivery; a
        refusal if that id was used for another event."""
        known = self.env["zhongzheng.tracking.event"].search(
            [("picking_id", "=", picking.id), ("external_id", "=", external_id)],
            limit=1,
        )
        if not known:
            return False
        if known.kind != values["kind"] or (
            values.get("event_time") and known.event_time != values["event_time"]
        ):
            raise UserError(
                self.env._(
                    "Event %(event)s was already recorded on %(picking)s as "
                    "%(kind)s at %(time)s: an event id cannot be reused for "
                    "another event.",
                    event=external_id,
                    picking=picking.name,
                    kind=known.kind,
                    time=_plain(known.event_time),
                )
            )
        return self._event_answer(known)

    def _event_answer(self, event):
        # the ticket number is part of the answer even for a caller who
        # cannot read service tickets (an Inventory user)
        event = event.sudo()
        return {
            "event_id": event.external_id,
            "id": event.id,
            "picking": event.picking_id.name,
            "kind": event.kind,
            "time": _plain(event.event_time),
            "ticket": event.ticket_id.number or False,
        }

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
        self._check_dict(ticket, "ticket", allowed, required=("subject", "customer"))
        Ticket = self.env["zhongzheng.service.ticket"]
        Ticket.check_access("create")
        subject = self._check_str(ticket["subject"], "subject", MAX_LINE, True)
        description = self._check_str(
            ticket.get("description"), "description", MAX_TEXT
        )
        type_code = self._check_str(ticket.get("type") or "inquiry", "type", MAX_KEY)
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
        priority = self._check_int(priority, "priority", 0, 3)
        channel = self._check_choice(
            ticket.get("channel") or "web", "channel", TICKET_CHANNELS
        )
        email = self._check_str(ticket.get("email"), "email", MAX_KEY)
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
            amount = self._check_amount(ticket["claim_amount"], "claim_amount")
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
        values = {}
        reference = self._check_str(ticket.get("picking"), "picking", MAX_KEY)
        if reference:
            picking = self._find_picking({"picking": reference})
            values.update(
                self.env["zhongzheng.service.ticket"]._picking_link_values(picking)
            )
        order_name = self._check_str(ticket.get("sale_order"), "sale_order", MAX_KEY)
        if order_name:
            order = self.env["sale.order"].search([("name", "=", order_name)], limit=1)
            if not order:
                raise UserError(
                    self.env._("No sales order %(name)s.", name=repr(order_name))
                )
            values["sale_order_id"] = order.id
        order = self.env["sale.order"].browse(values.get("sale_order_id"))
        if order and order.partner_id.commercial_partner_id != (
            partner.commercial_partner_id
        ):
            raise UserError(
                self.env._(
                    "%(order)s belongs to another customer than %(customer)s.",
                    order=order.name,
                    customer=partner.display_name,
                )
            )
        return values

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
            "sla_response_deadline": _plain(ticket.sla_response_deadline),
            "sla_resolution_deadline": _plain(ticket.sla_resolution_deadline),
            "changed_at": _plain(ticket.write_date),
        }

    @api.model
    def rate_ticket(self, number, score, feedback=False):
        """Record the customer's satisfaction rating of a ticket, e.g. from
        a survey tool.

        :param number: the ticket number (str).
        :param score: int from 1 (very unhappy) to 5 (very happy).
        :param feedback: optional comment (str).
        :returns: dict ``number`` and ``rating`` (the score recorded).
        :raises UserError: unknown ticket.
        :raises ValidationError: score out of range, wrong types.
        :raises AccessError: the caller may not change this ticket.
        """
        number = self._check_str(number, "number", MAX_KEY, True)
        score = self._check_int(score, "score", 1, 5)
        feedback = self._check_str(feedback, "feedback", MAX_TEXT)
        ticket = self.env["zhongzheng.service.ticket"].search(
            [("number", "=", number)], limit=1
        )
        if not ticket:
            raise UserError(self.env._("No ticket %(number)s.", number=repr(number)))
        ticket.check_access("write")
        ticket._record_rating(score, feedback=feedback or None)
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
                    self._check_datetime(moment, "since", required=True),
                    int(last_id),
                )
            raise ValidationError(
                self.env._(
                    "since is neither an ISO 8601 date and time nor a cursor "
                    "from an earlier answer: %(value)s.",
                    value=repr(since),
                )
            )
        return self._check_datetime(since, "since", required=True), 0

    @api.model
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
        moment, last_id = self._check_poll_position(since)
        limit = self._check_int(limit, "limit", 1, MAX_POLL)
        Ticket = self.env["zhongzheng.service.ticket"]
        Ticket.check_access("read")
        tickets = Ticket.search(
            [
                "|",
                ("write_date", ">", moment),
                "&",
                ("write_date", "=", moment),
                ("id", ">", last_id),
            ],
            order="write_date, id",
            limit=limit + 1,
        )
        more = len(tickets) > limit
        tickets = tickets[:limit]
        if more:
            position = (tickets[-1].write_date, tickets[-1].id)
        else:
            # step back (see above), but not before a date-time the caller
            # chose: only a cursor of ours may go back
            position = (fields.Datetime.now() - POLL_OVERLAP, 0)
            if "|" not in since:
                position = max(position, (moment, 0))
        changes = [self._ticket_answer(ticket) for ticket in tickets]
        return {
            "changes": changes,
            "breaches": [
                change["number"]
                for change in changes
                if change["sla_status"] == "breached"
            ],
            "more": more,
            "cursor": "{:%Y-%m-%dT%H:%M:%S.%fZ}|{}".format(*position),
            "next_since": _plain(position[0]),
        }
