# Copyright 2026 Zhongzheng
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Demo service tickets: one story per stage, on the demo customers' real
deliveries, with tracking timelines, a claim paid by credit note, ratings and
a portal user for Ruijin Hospital's buyer."""

from datetime import timedelta

from odoo import api, fields, models

MODULE = "crm_zhongzheng"


class ZhongzhengDemoHistory(models.AbstractModel):
    _inherit = "zhongzheng.demo.history"

    def _demo_ref(self, name):
        return self.env.ref(f"{MODULE}.{name}")

    def _demo_delivery(self, key, index=0):
        """The customer's index-th latest done delivery."""
        partner = self._demo_ref(f"res_partner_{key}_demo")
        return self.env["stock.picking"].search(
            [
                ("partner_id", "child_of", partner.id),
                ("picking_type_code", "=", "outgoing"),
                ("state", "=", "done"),
            ],
            order="date_done desc, id desc",
            limit=1,
            offset=index,
        )

    def _demo_track(self, picking, steps):
        """Tracking events (kind, hours before now, location, note) for a delivery."""
        now = fields.Datetime.now()
        return self.env["zhongzheng.tracking.event"].create(
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

    def _demo_ticket(self, key, type_name, stage_name, picking=None, **values):
        partner = self._demo_ref(f"res_partner_{key}_demo")
        values.update(
            {
                "partner_id": values.pop("contact", partner).id,
                "type_id": self._demo_ref(f"service_ticket_type_{type_name}").id,
                "team_id": self._demo_ref("service_team_logistics").id,
                "user_id": self.env.ref("base.user_admin").id,
            }
        )
        Ticket = self.env["zhongzheng.service.ticket"]
        if picking:
            values.update(Ticket._picking_link_values(picking))
        ticket = Ticket.create(values)
        self._demo_move(ticket, stage_name)
        return ticket

    def _demo_move(self, ticket, stage_name):
        """Walk the ticket through the stages up to stage_name, as staff would."""
        path = {
            "new": [],
            "in_progress": ["in_progress"],
            "waiting": ["in_progress", "waiting"],
            "resolved": ["in_progress", "resolved"],
            "closed": ["in_progress", "resolved", "closed"],
            "cancelled": ["cancelled"],
        }[stage_name]
        for name in path:
            ticket.stage_id = self._demo_ref(f"service_ticket_stage_{name}")

    @api.model
    def _generate_service_tickets(self):
        """Demo tickets in every stage, once (demo data reloads on update)."""
        if self.env["zhongzheng.service.ticket"].search_count(
            [("partner_id", "child_of", self._demo_ref("res_partner_ruijin_demo").id)]
        ):
            return False
        manager = self.env.ref("base.user_admin")
        journey = [
            ("intake", 72, "Shanghai warehouse", "Order intake registered", False),
            ("picked_up", 60, "Shanghai warehouse", "Picked up by SF Express", False),
            ("in_transit", 40, "Nanjing sorting centre", False, False),
            ("hub", 20, "Shanghai Pudong hub", False, False),
        ]

        # New: a delivery exception opened by the carrier's exception event
        union = self._demo_delivery("beijing_union")
        events = self._demo_track(
            union,
            journey[:3]
            + [
                (
                    "exception",
                    30,
                    "Beijing Daxing hub",
                    "Carton crushed, two monitors possibly damaged",
                    False,
                )
            ],
        )
        # registered by the carrier yesterday: its SLA clock started then
        opened = events.ticket_id
        opened.sla_start = events.filtered(lambda e: e.kind == "exception").event_time
        opened._sla_refresh()
        # In progress: Ruijin asks where its shipment is, on WeChat
        ruijin = self._demo_delivery("ruijin")
        self._demo_track(
            ruijin, journey + [("out_for_delivery", 3, "Pudong", False, False)]
        )
        self._demo_ticket(
            "ruijin",
            "tracking",
            "in_progress",
            picking=ruijin,
            contact=self._demo_ref("res_partner_ruijin_contact_wang_demo"),
            name="Where is our ultrasound delivery?",
            channel="wechat",
            priority="2",
        )
        # Closed and rated: the previous Ruijin delivery, delivered and signed
        signed = self._demo_delivery("ruijin", index=1)
        self._demo_track(
            signed,
            [
                (kind, hours + 240, loc, note, False)
                for kind, hours, loc, note, _s in journey
            ]
            + [
                (
                    "delivered",
                    230,
                    "Ruijin Hospital, Equipment Dept.",
                    False,
                    "Wang Lei",
                )
            ],
        )
        inquiry = self._demo_ticket(
            "ruijin",
            "inquiry",
            "closed",
            picking=signed,
            contact=self._demo_ref("res_partner_ruijin_contact_wang_demo"),
            name="Installation date for the delivered monitors",
            channel="phone",
            resolution="<p>Engineer booked for installation on site.</p>",
        )
        inquiry._record_rating(5, "Quick and clear answer.")
        # Waiting on customer: a complaint about missing documents
        self._demo_ticket(
            "nanfang",
            "complaint",
            "waiting",
            picking=self._demo_delivery("nanfang"),
            name="Registration certificate copy missing from the shipment",
            channel="email",
            root_cause="Document checklist not followed at packing",
        )
        # Resolved: a carrier-damage claim, approved and refunded by credit note
        claim = self._demo_ticket(
            "west_china",
            "claim",
            "in_progress",
            picking=self._demo_delivery("west_china"),
            name="Infusion pumps damaged in transit",
            channel="email",
            claim_amount=2400.0,
            claim_cause="carrier_damage",
            responsible_party="carrier",
            handling_cost=300.0,
        )
        claim.with_user(manager).action_approve_claim()
        claim.with_user(manager).action_create_credit_note()
        self._demo_move(claim, "resolved")
        # Closed: a follow-up visit (回访) with its questionnaire score
        visit = self._demo_ticket(
            "tongji",
            "followup",
            "closed",
            picking=self._demo_delivery("tongji"),
            name="Follow-up visit after delivery",
            channel="onsite",
            questionnaire_score=4,
            resolution="<p>Customer satisfied; asks for training on the new model.</p>",
        )
        visit._record_rating(4, "Visit on time, training still to plan.")
        # Closed, rated low: a return handled slowly
        back = self._demo_ticket(
            "gulou",
            "return",
            "closed",
            picking=self._demo_delivery("gulou"),
            name="Return of a wrong-size batch of catheters",
            channel="phone",
            resolution="<p>Batch collected and replaced.</p>",
        )
        back._record_rating(2, "Took two weeks to collect.")
        # Cancelled: a duplicate complaint of the lead-tier customer
        self._demo_ticket(
            "zhongyuan",
            "complaint",
            "cancelled",
            name="Price complaint (duplicate)",
            channel="phone",
            priority="0",
        )
        return True
