from collections import OrderedDict

from werkzeug.exceptions import BadRequest, NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.tools import consteq

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.addons.rating.controllers.main import Rating

TICKET = "zhongzheng.service.ticket"
SCORES = (1, 2, 3, 4, 5)


class ServicePortal(CustomerPortal):
    """The customer's side of service: their tickets (list, detail with the
    conversation, rating once closed) and their deliveries' tracking
    timeline."""

    # ------------------------------------------------------------------
    # home counters
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "service_ticket_count" in counters:
            Ticket = request.env[TICKET]
            values["service_ticket_count"] = (
                Ticket.search_count(self._ticket_domain())
                if Ticket.has_access("read")
                else 0
            )
        if "delivery_count" in counters:
            values["delivery_count"] = (
                request.env["stock.picking"]
                .sudo()
                .search_count(self._delivery_domain())
            )
        return values

    def _customer(self):
        return request.env.user.partner_id.commercial_partner_id

    def _ticket_domain(self):
        return [("commercial_partner_id", "=", self._customer().id)]

    def _delivery_domain(self):
        return request.env[TICKET]._portal_delivery_domain(self._customer())

    # ------------------------------------------------------------------
    # tickets
    def _ticket_searchbar_sortings(self):
        env = request.env
        return {
            "date": {"label": env._("Newest"), "order": "create_date desc, id desc"},
            "number": {"label": env._("Reference"), "order": "number desc, id desc"},
            "stage": {"label": env._("Stage"), "order": "stage_id, id desc"},
        }

    def _ticket_searchbar_filters(self):
        env = request.env
        return OrderedDict(
            [
                (
                    "open",
                    {"label": env._("Open"), "domain": [("is_closed", "=", False)]},
                ),
                (
                    "closed",
                    {"label": env._("Closed"), "domain": [("is_closed", "=", True)]},
                ),
                ("all", {"label": env._("All"), "domain": []}),
            ]
        )

    @http.route(
        ["/my/tickets", "/my/tickets/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_tickets(self, page=1, sortby=None, filterby=None, **kw):
        Ticket = request.env[TICKET]
        values = self._prepare_portal_layout_values()
        sortings = self._ticket_searchbar_sortings()
        filters = self._ticket_searchbar_filters()
        sortby = sortby if sortby in sortings else "date"
        filterby = filterby if filterby in filters else "all"
        domain = self._ticket_domain() + filters[filterby]["domain"]
        total = Ticket.search_count(domain)
        pager = portal_pager(
            url="/my/tickets",
            url_args={"sortby": sortby, "filterby": filterby},
            total=total,
            page=page,
            step=self._items_per_page,
        )
        tickets = Ticket.search(
            domain,
            order=sortings[sortby]["order"],
            limit=self._items_per_page,
            offset=pager["offset"],
        )
        request.session["my_tickets_history"] = tickets.ids[:100]
        values.update(
            {
                "tickets": tickets,
                "page_name": "service_ticket",
                "pager": pager,
                "default_url": "/my/tickets",
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
            }
        )
        return request.render("crm_zhongzheng.portal_my_tickets", values)

    @http.route(
        ["/my/tickets/<int:ticket_id>"], type="http", auth="public", website=True
    )
    def portal_my_ticket(self, ticket_id, access_token=None, **kw):
        try:
            ticket_sudo = self._document_check_access(TICKET, ticket_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = {
            "ticket": ticket_sudo,
            "page_name": "service_ticket",
            "customer_rating": self._customer_rating(ticket_sudo),
            "rating_scores": SCORES,
            "rated": kw.get("rated"),
            "created": kw.get("created"),
            "ticket_delivery": self._ticket_delivery(ticket_sudo),
        }
        values["events"] = values["ticket_delivery"].tracking_event_ids
        values["rating_token"] = values["customer_rating"].access_token
        values = self._get_page_view_values(
            ticket_sudo, access_token, values, "my_tickets_history", False, **kw
        )
        return request.render("crm_zhongzheng.portal_my_ticket", values)

    def _ticket_delivery(self, ticket_sudo):
        """The ticket's delivery, shown only if it went to the ticket's own
        customer: a ticket linked by mistake to another customer's shipment
        must not show that shipment's journey."""
        picking = ticket_sudo.picking_id
        if (
            picking.picking_type_code == "outgoing"
            and picking.partner_id.commercial_partner_id
            == ticket_sudo.commercial_partner_id
        ):
            return picking
        return picking.browse()

    def _customer_rating(self, ticket_sudo):
        """The customer's own rating of a closed, not cancelled ticket
        (given or still to give; never one staff recorded): one per
        ticket, given once."""
        if not ticket_sudo.is_closed or ticket_sudo.stage_id.is_cancelled:
            return ticket_sudo.rating_ids.browse()
        partner = ticket_sudo._rating_get_partner()
        own = ticket_sudo.rating_ids.filtered(
            lambda r: r.partner_id == partner and not r.is_staff_recorded
        )
        given = own.filtered("consumed")
        if given:
            return given.sorted("id")[-1]
        token = ticket_sudo._rating_get_access_token()
        return ticket_sudo.rating_ids.filtered(lambda r: r.access_token == token)

    # ------------------------------------------------------------------
    # rating: from the portal page and from the e-mail's links. Odoo's own
    # /rate/ pages take 1, 3 or 5 only; a service ticket is rated 1 to 5.
    def _rating_by_token(self, token):
        rating = (
            request.env["rating.rating"]
            .sudo()
            .search([("access_token", "=", token), ("res_model", "=", TICKET)], limit=1)
        )
        if not token or not rating or not consteq(rating.access_token, token):
            raise NotFound()
        ticket = request.env[TICKET].sudo().browse(rating.res_id).exists()
        if not ticket:
            raise NotFound()
        return rating, ticket

    def _check_score(self, score):
        try:
            score = int(score)
        except (TypeError, ValueError):
            score = 0
        if score not in SCORES:
            raise BadRequest(request.env._("A rating runs from 1 to 5."))
        return score

    def _rating_for_user(self, token):
        """The rating of a token and its ticket, refused to a logged-in user
        of another customer (a forwarded e-mail rates, for its customer)."""
        rating, ticket = self._rating_by_token(token)
        user = request.env.user
        if (
            not user._is_public()
            and user.partner_id.commercial_partner_id
            != rating.partner_id.commercial_partner_id
        ):
            raise NotFound()
        return rating, ticket

    def _render_rated(self, rating, ticket, thanked=False):
        return request.render(
            "crm_zhongzheng.portal_ticket_rated",
            {
                "rating": rating,
                "ticket": ticket,
                "score": int(rating.rating),
                "thanked": thanked,
            },
        )

    @http.route(
        ["/service/rate/<string:token>", "/service/rate/<string:token>/<int:score>"],
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
    )
    def service_rate(self, token, score=None, **kw):
        """The e-mail's rating link shows the choice and records nothing: a
        mail scanner following links cannot rate; the customer confirms
        with a click (a POST). A used token shows the recorded rating."""
        if score is not None:
            score = self._check_score(score)
        rating, ticket = self._rating_for_user(token)
        if rating.consumed:
            return self._render_rated(rating, ticket)
        return request.render(
            "crm_zhongzheng.portal_ticket_rate_confirm",
            {
                "rating": rating,
                "ticket": ticket,
                "token": token,
                "score": score,
                "rating_scores": SCORES,
            },
        )

    @http.route(
        ["/service/rate/<string:token>/submit"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def service_rate_submit(self, token, score=None, feedback=None, **kw):
        """Record the customer's rating, once per token."""
        score = self._check_score(score)
        rating, ticket = self._rating_for_user(token)
        from_ticket = kw.get("redirect") == "ticket"
        recorded = ticket._rating_apply_customer(
            rating,
            score,
            (feedback or "").strip()[:2000] or None,
            "portal" if from_ticket else "email",
        )
        # back to the ticket's page only for who may read it anyway: a rating
        # token (a forwarded e-mail) must not open the whole ticket
        if from_ticket and ticket.with_user(request.env.user).has_access("read"):
            thanks = "?rated=1" if recorded else ""
            return request.redirect(f"{ticket.access_url}{thanks}#rating")
        return self._render_rated(rating, ticket, thanked=recorded)

    # ------------------------------------------------------------------
    # deliveries and their tracking timeline
    @http.route(
        ["/my/deliveries", "/my/deliveries/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_deliveries(self, page=1, **kw):
        Picking = request.env["stock.picking"].sudo()
        values = self._prepare_portal_layout_values()
        domain = self._delivery_domain()
        pager = portal_pager(
            url="/my/deliveries",
            total=Picking.search_count(domain),
            page=page,
            step=self._items_per_page,
        )
        deliveries = Picking.search(
            domain,
            order="scheduled_date desc, id desc",
            limit=self._items_per_page,
            offset=pager["offset"],
        )
        values.update(
            {
                "deliveries": deliveries,
                "page_name": "delivery",
                "pager": pager,
                "default_url": "/my/deliveries",
            }
        )
        return request.render("crm_zhongzheng.portal_my_deliveries", values)

    @http.route(
        ["/my/deliveries/<int:picking_id>"], type="http", auth="user", website=True
    )
    def portal_my_delivery(self, picking_id, **kw):
        picking = (
            request.env["stock.picking"]
            .sudo()
            .search(self._delivery_domain() + [("id", "=", picking_id)])
        )
        if not picking:
            return request.redirect("/my")
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "delivery": picking,
                "events": picking.tracking_event_ids,
                "tickets": request.env[TICKET].search(
                    self._ticket_domain() + [("picking_id", "=", picking.id)]
                ),
                "page_name": "delivery",
            }
        )
        return request.render("crm_zhongzheng.portal_my_delivery", values)


class TicketRatingLinks(Rating):
    """Odoo's own /rate/ pages record on a GET and accept a token again;
    for a service ticket they lead to the ticket's confirm page instead."""

    def _ticket_rating(self, token):
        return (
            request.env["rating.rating"]
            .sudo()
            .search([("access_token", "=", token), ("res_model", "=", TICKET)], limit=1)
        )

    @http.route()
    def action_open_rating(self, token, rate, **kwargs):
        if self._ticket_rating(token):
            score = rate if rate in SCORES else None
            suffix = f"/{score}" if score else ""
            return request.redirect(f"/service/rate/{token}{suffix}")
        return super().action_open_rating(token, rate, **kwargs)

    @http.route()
    def action_submit_rating(self, token, rate=0, **kwargs):
        if self._ticket_rating(token):
            return request.redirect(f"/service/rate/{token}")
        return super().action_submit_rating(token, rate=rate, **kwargs)
