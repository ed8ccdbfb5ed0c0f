# Copyright 2026 Zhongzheng
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Demo service tickets: one story per stage, on the demo customers' real
deliveries, with tracking timelines, a claim paid by credit note and ratings
(the portal user for Ruijin Hospital's buyer is a record of
service_ticket_demo.xml)."""

from datetime import timedelta

from odoo import fields

MODULE = "crm_zhongzheng"
WANG = "res_partner_ruijin_contact_wang_demo"

# A delivery's way to the customer: (kind, hours before now, location, note,
# signed by)
JOURNEY = [
    ("intake", 72, "Shanghai warehouse", "Order intake registered", False),
    ("picked_up", 60, "Shanghai warehouse", "Picked up by SF Express", False),
    ("in_transit", 40, "Nanjing sorting centre", False, False),
    ("hub", 20, "Shanghai Pudong hub", False, False),
]
# The stages a ticket goes through, as staff would move it, to reach a stage.
PATHS = {
    "new": [],
    "in_progress": ["in_progress"],
    "waiting": ["in_progress", "waiting"],
    "resolved": ["in_progress", "resolved"],
    "closed": ["in_progress", "resolved", "closed"],
    "cancelled": ["cancelled"],
}

# After the carrier's exception on Beijing Union's delivery, in this order:
# the customer, its n-th latest done delivery (None: no delivery), tracking
# events to record on it first, the ticket's type, its stage and values, and
# what happens next: a claim approved and refunded by credit note, a rating.
STORIES = [
    {
        # In progress: Ruijin asks where its shipment is, on WeChat
        "customer": "ruijin",
        "delivery": 0,
        "track": [*JOURNEY, ("out_for_delivery", 3, "Pudong", False, False)],
        "type": "tracking",
        "stage": "in_progress",
        "values": {
            "contact": WANG,
            "name": "Where is our ultrasound delivery?",
            "channel": "wechat",
            "priority": "2",
        },
    },
    {
        # Closed and rated: the previous Ruijin delivery, delivered and signed
        "customer": "ruijin",
        "delivery": 1,
        "track": [
            (kind, hours + 240, location, note, False)
            for kind, hours, location, note, _signed in JOURNEY
        ]
        + [("delivered", 230, "Ruijin Hospital, Equipment Dept.", False, "王磊")],
        "type": "inquiry",
        "stage": "closed",
        "values": {
            "contact": WANG,
            "name": "Installation date for the delivered monitors",
            "channel": "phone",
            "resolution": "<p>Engineer booked for installation on site.</p>",
        },
        "rating": (5, "Quick and clear answer."),
    },
    {
        # Waiting on customer: a complaint about missing documents
        "customer": "nanfang",
        "delivery": 0,
        "type": "complaint",
        "stage": "waiting",
        "values": {
            "name": "Registration certificate copy missing from the shipment",
            "channel": "email",
            "root_cause": "Document checklist not followed at packing",
        },
    },
    {
        # Resolved: a carrier-damage claim, approved and refunded by credit note
        "customer": "west_china",
        "delivery": 0,
        "type": "claim",
        "stage": "resolved",
        "values": {
            "name": "Infusion pumps damaged in transit",
            "channel": "email",
            "claim_amount": 16800.0,
            "claim_cause": "carrier_damage",
            "responsible_party": "carrier",
            "handling_cost": 2100.0,
        },
        "refunded": True,
    },
    {
        # Closed: a follow-up visit (回访) with its questionnaire score
        "customer": "tongji",
        "delivery": 0,
        "type": "followup",
        "stage": "closed",
        "values": {
            "name": "Follow-up visit after delivery",
            "channel": "onsite",
            "questionnaire_score": 4,
            "resolution": "<p>Customer satisfied; asks for training on the new "
            "model.</p>",
        },
        "rating": (4, "Visit on time, training still to plan."),
    },
    {
        # Closed, rated low: a return handled slowly
        "customer": "gulou",
        "delivery": 0,
        "type": "return",
        "stage": "closed",
        "values": {
            "name": "Return of a wrong-size batch of catheters",
            "channel": "phone",
            "resolution": "<p>Batch collected and replaced.</p>",
        },
        "rating": (2, "Took two weeks to collect."),
    },
    {
        # Cancelled: a duplicate complaint of the lead-tier customer
        "customer": "zhongyuan",
        "delivery": None,
        "type": "complaint",
        "stage": "cancelled",
        "values": {
            "name": "Price complaint (duplicate)",
            "channel": "phone",
            "priority": "0",
        },
    },
]


def generate_service_tickets(env):
    """Demo tickets in every stage, once (demo data reloads on update)."""
    ruijin = _ref(env, "res_partner_ruijin_demo")
    if env["zhongzheng.service.ticket"].search_count(
        [("partner_id", "child_of", ruijin.id)]
    ):
        return False
    # New: a delivery exception opened by the carrier's exception event
    exception = (
        "exception",
        30,
        "Beijing Daxing hub",
        "Carton crushed, two monitors possibly damaged",
        False,
    )
    events = _track(env, _delivery(env, "beijing_union"), [*JOURNEY[:3], exception])
    # registered by the carrier yesterday: its SLA clock started then
    opened = events.ticket_id
    opened.sla_start = events.filtered(lambda e: e.kind == "exception").event_time
    opened._sla_refresh()
    for story in STORIES:
        _tell(env, story)
    return True


def _tell(env, story):
    picking = None
    if story["delivery"] is not None:
        picking = _delivery(env, story["customer"], story["delivery"])
    if story.get("track"):
        _track(env, picking, story["track"])
    refunded = story.get("refunded")
    ticket = _ticket(
        env,
        story["customer"],
        story["type"],
        "in_progress" if refunded else story["stage"],
        picking,
        dict(story["values"]),
    )
    if refunded:
        manager = _ref(env, "user_zhang_wei_demo")
        ticket.with_user(manager).action_approve_claim()
        ticket.with_user(manager).action_create_credit_note()
        _move(env, ticket, story["stage"])
    if story.get("rating"):
        ticket._record_rating(*story["rating"])
    return ticket


def _ref(env, name):
    return env.ref(f"{MODULE}.{name}")


def _delivery(env, key, index=0):
    """The customer's index-th latest done delivery."""
    partner = _ref(env, f"res_partner_{key}_demo")
    return env["stock.picking"].search(
        [
            ("partner_id", "child_of", partner.id),
            ("picking_type_code", "=", "outgoing"),
            ("state", "=", "done"),
        ],
        order="date_done desc, id desc",
        limit=1,
        offset=index,
    )


def _track(env, picking, steps):
    """Tracking events (kind, hours before now, location, note, signed by)."""
    now = fields.Datetime.now()
    return env["zhongzheng.tracking.event"].create(
        [
            {
                "picking_id": picking.id,
                "kind": kind,
                "event_time": now - timedelta(hours=hours),
                "location": location,
                "note": note,
                "external_id": f"demo-{picking.name}-{kind}",
                "signed_by": signed_by,
            }
            for kind, hours, location, note, signed_by in steps
        ]
    )


def _ticket(env, key, type_name, stage_name, picking, values):
    contact = values.pop("contact", None)
    partner = _ref(env, contact or f"res_partner_{key}_demo")
    values.update(
        {
            "partner_id": partner.id,
            "type_id": _ref(env, f"service_ticket_type_{type_name}").id,
            "team_id": _ref(env, "service_team_logistics").id,
            "user_id": _ref(env, "user_wang_fang_demo").id,
        }
    )
    Ticket = env["zhongzheng.service.ticket"]
    if picking:
        values.update(Ticket._picking_link_values(picking))
    ticket = Ticket.create(values)
    _move(env, ticket, stage_name)
    return ticket


def _move(env, ticket, stage_name):
    """Walk the ticket through the stages up to stage_name, as staff would."""
    for name in PATHS[stage_name]:
        ticket.stage_id = _ref(env, f"service_ticket_stage_{name}")
