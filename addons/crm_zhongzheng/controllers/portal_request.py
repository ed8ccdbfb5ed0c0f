from odoo import http
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal

from ..models.service_ticket_portal import (
    MAX_FILE_BYTES,
    MAX_FILE_MB,
    MAX_FILES,
    PORTAL_MIMETYPES,
    PortalRequestError,
)

TICKET = "zhongzheng.service.ticket"
FORM_FIELDS = (
    "type",
    "subject",
    "description",
    "sale_order_id",
    "picking_id",
    "lot_id",
)


class ServiceRequestPortal(CustomerPortal):
    """A customer opens a service ticket from /my (客户自助服务): the form
    and its submission. The rules (own documents only, attachments, the
    hourly cap) are the ticket's (service_ticket_portal.py)."""

    @http.route(
        ["/my/tickets/new"],
        type="http",
        auth="user",
        methods=["GET", "POST"],
        website=True,
    )
    def portal_new_ticket(self, **post):
        if not request.env.user._is_portal():
            return request.redirect("/my")
        form = {name: post.get(name) or "" for name in FORM_FIELDS}
        errors = {}
        if request.httprequest.method == "POST":
            uploads = [
                upload
                for upload in request.httprequest.files.getlist("attachments")
                if upload.filename
            ]
            # read one byte past the limit: enough to refuse a larger file;
            # too many files are refused unread
            files = [
                (
                    upload.filename,
                    upload.read(MAX_FILE_BYTES + 1)
                    if len(uploads) <= MAX_FILES
                    else b"",
                )
                for upload in uploads
            ]
            try:
                ticket = request.env[TICKET]._portal_create_request(form, files)
            except PortalRequestError as error:
                errors = error.errors
            else:
                return request.redirect(f"{ticket.access_url}?created=1")
        return self._render_new_ticket(form, errors)

    def _render_new_ticket(self, form, errors):
        customer = request.env.user.partner_id.commercial_partner_id
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "service_ticket_new",
                "form": form,
                "errors": errors,
                "choices": request.env[TICKET]._portal_request_choices(customer),
                "max_files": MAX_FILES,
                "max_file_mb": MAX_FILE_MB,
                "accept": ",".join(
                    ending
                    for endings in PORTAL_MIMETYPES.values()
                    for ending in endings
                ),
            }
        )
        return request.render("crm_zhongzheng.portal_new_ticket", values)
