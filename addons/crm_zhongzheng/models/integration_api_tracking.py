"""The integrator API's shipment tracking events, on the model
``integration_api.py`` defines (see there for the rules every method keeps)."""

import logging
from datetime import timedelta

import psycopg2.errors

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

_logger = logging.getLogger(__name__)

# what `stock.picking._compute_tracking_status` computes
TRACKING_STATUS = ["tracking_status", "tracking_status_time"]


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
            raise self._unknown_delivery(reference or tracking)
        if len(pickings) > 1:
            raise UserError(
                self.env._(
                    "%(key)s matches several deliveries: use the picking reference.",
                    key=repr(reference or tracking),
                )
            )
        return pickings

    def _unknown_delivery(self, key):
        """The refusal of an event for a delivery that is not there."""
        return UserError(
            self.env._(
                "No delivery with reference or tracking number %(key)s.",
                key=repr(key),
            )
        )

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
        # Serialize the events of one delivery on its row: the UPDATE that
        # sets its status holds the row until commit, so a parallel event of
        # the same delivery (its copy included) waits for this transaction.
        # If a parallel event committed a change of the row after this
        # transaction's snapshot, PostgreSQL refuses the UPDATE (a
        # serialization failure). Odoo would retry the whole call after a
        # random pause of up to 2 s; the event is recorded at once in a
        # transaction of its own instead (`_record_after_conflict`).
        self.env.cr.flush()  # nothing of this call is after the savepoint
        name = picking.name  # read with the delivery: in the cache
        try:
            return self._record_event(picking, values, savepoint=True)
        except psycopg2.errors.SerializationFailure:
            # what the ORM holds of the failed statements goes with them, as
            # in Odoo's savepoints
            self.env.cr.clear()
            self.env.cr.execute("ROLLBACK TO SAVEPOINT zz_tracking_event")
            _logger.debug(
                "tracking event %s: %s changed meanwhile, recorded after it",
                values["external_id"],
                name,
            )
            return self._record_after_conflict(picking.id, name, values)

    def _record_event(self, picking, values, savepoint=False):
        """Set the delivery's status for a new event and record the event;
        returns the answer. With `savepoint`, a savepoint comes first (in the
        same round trip), for the caller to roll back to."""
        status = self._status_update(picking, values)
        status_fields = ["write_date", "write_uid"] + TRACKING_STATUS
        Event = self.env["zhongzheng.tracking.event"]
        if values["kind"] == "exception":
            # it opens or adds to a service ticket: through the ORM's create
            self._execute(status, savepoint)
            picking.invalidate_recordset(status_fields)
            # in the delivery's company: its defaults need no read of the
            # user's record (env.company), which costs more than the event
            answer = self._event_answer(
                Event.with_company(picking.company_id).create(values)
            )
        else:
            # The status and the row in one statement. The row holds what
            # the ORM's create would write: the delivery's company and
            # customer (the related fields), the values checked above, and
            # who and when (test_tracking_event_row_is_what_the_orm_writes).
            self._execute(
                SQL(
                    "WITH status AS (%(status)s"
                    " RETURNING id, company_id, partner_id)"
                    " INSERT INTO zhongzheng_tracking_event (picking_id,"
                    "  company_id, partner_id, external_id, kind, event_time,"
                    "  location, note, signed_by,"
                    "  create_uid, create_date, write_uid, write_date)"
                    " SELECT id, company_id, partner_id, %(external_id)s,"
                    "  %(kind)s, %(time)s, %(location)s, %(note)s, %(signed_by)s,"
                    "  %(uid)s, now() at time zone 'UTC',"
                    "  %(uid)s, now() at time zone 'UTC'"
                    " FROM status RETURNING id",
                    status=status,
                    external_id=values["external_id"],
                    kind=values["kind"],
                    time=values["event_time"],
                    location=values["location"] or None,
                    note=values["note"] or None,
                    signed_by=values["signed_by"] or None,
                    uid=self.env.uid,
                ),
                savepoint,
            )
            [event_id] = self.env.cr.fetchone()
            picking.invalidate_recordset([*status_fields, "tracking_event_ids"])
            answer = self._answer(
                event_id,
                values["external_id"],
                picking,
                values["kind"],
                values["event_time"],
                False,
            )
        # the status the UPDATE wrote: not read and computed again
        for name in TRACKING_STATUS:
            self.env.remove_to_compute(picking._fields[name], picking)
        if savepoint:
            # an exception's writes (its ticket) too: a conflict there is
            # caught with the UPDATE's, not retried by Odoo after a pause
            self.env.cr.flush()
        return answer

    def _execute(self, statement, savepoint):
        self.env.cr.execute(
            SQL("SAVEPOINT zz_tracking_event; %s", statement)
            if savepoint
            else statement,
            # expected under load and handled: not an error for the log
            log_exceptions=False,
        )

    def _status_update(self, picking, values):
        """The UPDATE that sets the delivery's status for a new event: the
        newest event by time, the new one winning a tie (it has the highest
        id), as `_compute_tracking_status` decides."""
        return SQL(
            "UPDATE stock_picking SET write_date = (now() at time zone 'UTC'),"
            " write_uid = %(uid)s,"
            " tracking_status = CASE WHEN tracking_status_time IS NULL"
            "   OR tracking_status_time <= %(time)s THEN %(kind)s"
            "   ELSE tracking_status END,"
            " tracking_status_time = GREATEST(tracking_status_time, %(time)s)"
            " WHERE id = %(id)s",
            uid=self.env.uid,
            time=values["event_time"],
            kind=values["kind"],
            id=picking.id,
        )

    def _record_after_conflict(self, picking_id, name, values):
        """Record the event in a new transaction at READ COMMITTED, after a
        parallel event of the same delivery (`picking_id`, reference `name`)
        committed: it waits for the delivery's row, then sees whatever the
        events before it committed (a copy of this event is answered the
        same, as always). For the API's own call only: its transaction has
        written nothing that the other one could wait for."""
        with self.env.registry.cursor() as cr:
            if not self.env.registry.in_test_mode():
                # allowed before the transaction's first query (a test
                # cursor is a savepoint in a transaction long begun); a
                # wait for the delivery that outlasts the lock timeout is
                # an error Odoo retries, not a request that hangs
                cr.execute(
                    "SET TRANSACTION ISOLATION LEVEL READ COMMITTED;"
                    " SET LOCAL lock_timeout = '10s'"
                )
            api = self.with_env(self.env(cr=cr))
            cr.execute(
                SQL(
                    "SELECT id FROM stock_picking WHERE id = %s FOR NO KEY UPDATE",
                    picking_id,
                )
            )
            if not cr.rowcount:  # deleted meanwhile
                raise self._unknown_delivery(name)
            picking = api.env["stock.picking"].browse(picking_id)
            return api._known_event(
                picking, values["external_id"], values
            ) or api._record_event(picking, values)

    def _known_event(self, picking, external_id, values):
        """The answer for an event id already recorded on the delivery; a
        refusal if that id was used for another event."""
        Event = self.env["zhongzheng.tracking.event"]
        # the delivery is one the caller may read, and so are its events
        # (both by company): one statement, not a search with its rules
        Event.flush_model(["picking_id", "external_id"])
        self.env.cr.execute(
            SQL(
                "SELECT id FROM zhongzheng_tracking_event"
                " WHERE picking_id = %s AND external_id = %s",
                picking.id,
                external_id,
            )
        )
        known = Event.browse(row[0] for row in self.env.cr.fetchall())
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
        return self._answer(
            event.id,
            event.external_id,
            event.picking_id,
            event.kind,
            event.event_time,
            event.ticket_id.number,
        )

    @api.model
    def _answer(self, event_id, external_id, picking, kind, time, ticket):
        return {
            "event_id": external_id,
            "id": event_id,
            "picking": picking.name,
            "kind": kind,
            "time": plain(time),
            "ticket": ticket or False,
        }
