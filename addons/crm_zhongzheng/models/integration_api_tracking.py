"""The integrator API's shipment tracking events, on the model
``integration_api.py`` defines (see there for the rules every method keeps)."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .api_validators import (
    MAX_KEY,
    MAX_LINE,
    MAX_TEXT,
    check_choice,
    check_datetime,
    check_dict,
    check_str,
    plain,
)
from .tracking_event import EVENT_KINDS


class IntegrationApiTracking(models.AbstractModel):
    """Shipment tracking events: what warehouse and carrier systems send."""

    _inherit = "zhongzheng.api"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _find_picking(self, event):
        """The delivery of a tracking event: by picking reference (`picking`)
        or by carrier tracking number (`tracking_ref`), exactly one of them."""
        reference = check_str(self.env, event.get("picking"), "picking", MAX_KEY)
        tracking = check_str(
            self.env, event.get("tracking_ref"), "tracking_ref", MAX_KEY
        )
        if bool(reference) == bool(tracking):
            raise ValidationError(
                self.env._(
                    "Identify the delivery by exactly one of picking (its "
                    "reference) or tracking_ref (the carrier's tracking number)."
                )
            )
        Picking = self.env["stock.picking"]
        domain = (
            [("name", "=", reference)]
            if reference
            else [("carrier_tracking_ref", "=", tracking)]
        )
        # with what the event's related fields and the answer read of it,
        # in the same query
        pickings = Picking.search_fetch(
            domain, ["name", "company_id", "partner_id"], limit=2
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
        check_dict(self.env, event, "event", allowed, required=("event_id", "kind"))
        external_id = check_str(self.env, event["event_id"], "event_id", MAX_KEY, True)
        kind = check_choice(
            self.env, event["kind"], "kind", [k for k, _l in EVENT_KINDS]
        )
        moment = check_datetime(self.env, event.get("time"), "time")
        if moment and moment > fields.Datetime.now() + timedelta(days=1):
            raise ValidationError(
                self.env._("time is in the future: %(time)s.", time=event["time"])
            )
        values = {
            "external_id": external_id,
            "kind": kind,
            "location": check_str(
                self.env, event.get("location"), "location", MAX_LINE
            ),
            "note": check_str(self.env, event.get("note"), "note", MAX_TEXT),
            "signed_by": check_str(
                self.env, event.get("signed_by"), "signed_by", MAX_LINE
            ),
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
        # the time the event gets (its default, now, when none was sent)
        values.setdefault("event_time", fields.Datetime.now())
        # Serialize the events of one delivery: a parallel request that
        # changed this row since our snapshot makes PostgreSQL raise a
        # serialization failure here, and the RPC layer retries the whole
        # call in a fresh transaction, where the event (if it was the same)
        # is found above and answered the same. The same statement sets the
        # delivery's status as `_compute_tracking_status` would: the newest
        # event by time, the new one winning a tie (it has the highest id).
        self.env.cr.execute(
            SQL(
                "UPDATE stock_picking SET write_date = (now() at time zone 'UTC'),"
                " write_uid = %(uid)s,"
                " tracking_status = CASE WHEN tracking_status_time IS NULL"
                "   OR tracking_status_time <= %(time)s THEN %(kind)s"
                "   ELSE tracking_status END,"
                " tracking_status_time = GREATEST(tracking_status_time, %(time)s)"
                " WHERE id = %(id)s",
                uid=self.env.uid,
                time=values["event_time"],
                kind=kind,
                id=picking.id,
            ),
            # expected under load and retried: not an error for the log
            log_exceptions=False,
        )
        status = ["write_date", "write_uid", "tracking_status", "tracking_status_time"]
        picking.invalidate_recordset(status)
        # in the delivery's company: its defaults need no read of the user's
        # record (env.company), which costs more than the rest of the event
        answer = self._event_answer(
            Event.with_company(picking.company_id).create(values)
        )
        # the status the UPDATE wrote: not read and computed again
        for name in status[2:]:
            self.env.remove_to_compute(picking._fields[name], picking)
        return answer

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
                    time=plain(known.event_time),
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
            "time": plain(event.event_time),
            "ticket": event.ticket_id.number or False,
        }
