from datetime import timedelta

from odoo import Command, api, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import plaintext2html
from odoo.tools.mimetypes import guess_mimetype

# the ticket types a customer chooses from on the portal, by code
PORTAL_TYPES = ("inquiry", "complaint", "tracking", "repair")
# what a customer may attach: the type its content shows (sniffed, whatever
# its name says) and the name endings that go with it
PORTAL_MIMETYPES = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "application/pdf": (".pdf",),
}
MAX_FILES = 5
MAX_FILE_MB = 10
MAX_FILE_BYTES = MAX_FILE_MB * 1024 * 1024
MAX_SUBJECT = 200
MAX_DESCRIPTION = 10000
# a choice of the form shown in the drop-down lists (more are accepted)
CHOICES_SHOWN = 100


class PortalRequestError(ValidationError):
    """A customer's request refused: ``errors`` is {form field: message},
    each shown beside its field; nothing was created."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("\n".join(errors.values()))


class ServiceTicketPortal(models.Model):
    """Tickets a customer opens on the portal (客户自助服务): the choices
    of the request form (types, the customer's own orders, deliveries and
    devices) and their validation. A request enters the normal flow: SLA,
    the company's first service team, the mail thread."""

    _inherit = "zhongzheng.service.ticket"

    # ------------------------------------------------------------------
    # what the customer may choose: its own documents only
    @api.model
    def _portal_types(self):
        # sudo: types are configuration, the portal user reads them anyway
        return (
            self.env["zhongzheng.service.ticket.type"]
            .sudo()
            .search([("code", "in", PORTAL_TYPES)])
        )

    @api.model
    def _portal_order_domain(self, customer):
        return [
            ("partner_id.commercial_partner_id", "=", customer.id),
            ("state", "=", "sale"),
        ]

    @api.model
    def _portal_delivery_domain(self, customer):
        return [
            ("picking_type_code", "=", "outgoing"),
            ("partner_id", "child_of", customer.id),
            ("state", "!=", "cancel"),
        ]

    @api.model
    def _portal_device_domain(self, customer):
        """The lots and serial numbers the customer holds (its installed
        base, also a lot shared with other customers)."""
        return [("zz_device_ids.partner_id", "=", customer.id)]

    def _portal_devices(self):
        """The ticket's lots its customer holds (its installed base), shown
        on the ticket's portal page; a lot named by mistake is not."""
        self.ensure_one()
        return self.sudo().lot_ids.filtered_domain(
            self._portal_device_domain(self.commercial_partner_id)
        )

    @api.model
    def _portal_request_sources(self):
        """{form field: (model, domain builder, error message)} of the
        documents a request may be about."""
        env = self.env
        return {
            "sale_order_id": (
                "sale.order",
                self._portal_order_domain,
                env._("This sales order is not one of yours."),
            ),
            "picking_id": (
                "stock.picking",
                self._portal_delivery_domain,
                env._("This delivery is not one of yours."),
            ),
            "lot_id": (
                "stock.lot",
                self._portal_device_domain,
                env._("This device is not one of yours."),
            ),
        }

    @api.model
    def _portal_request_choices(self, customer):
        """What ``customer`` (a commercial partner) may choose on the
        request form: {"types": ticket types, "sale_order_id": its
        confirmed orders, "picking_id": its deliveries, "lot_id": its
        devices}, newest first."""
        choices = {"types": self._portal_types()}
        for name, (model, domain, _message) in self._portal_request_sources().items():
            # sudo: portal users read none of these; the domain keeps the
            # customer's own
            choices[name] = (
                self.env[model]
                .sudo()
                .search(domain(customer), order="id desc", limit=CHOICES_SHOWN)
            )
        return choices

    # ------------------------------------------------------------------
    # the request
    @api.model
    def _portal_create_request(self, form, files):
        """Open a ticket for the current portal user's company.

        :param form: dict of the form's text fields: ``type`` (a code of
            PORTAL_TYPES), ``subject``, ``description`` (plain text), and
            optionally ``sale_order_id``, ``picking_id``, ``lot_id`` (ids of
            the customer's own documents).
        :param files: list of (file name, content bytes), at most MAX_FILES,
            JPEG, PNG or PDF of at most MAX_FILE_MB MB each.
        :returns: the new ticket (as superuser).
        :raises AccessError: the user is not a portal user.
        :raises PortalRequestError: anything wrong, each field's message;
            nothing is created.
        """
        user = self.env.user
        if not user._is_portal():
            raise AccessError(
                self.env._("Customers open requests here; staff use the back office.")
            )
        customer = user.partner_id.commercial_partner_id
        errors = {}
        values = self._portal_request_values(customer, form, errors)
        attachments = self._portal_request_files(files, errors)
        self._portal_check_request_rate(customer, errors)
        if errors:
            raise PortalRequestError(errors)
        # sudo: portal users only read tickets; everything above is checked
        ticket = self.sudo().create(values)
        if attachments:
            # pending like the chatter's uploads: the post links them to the
            # ticket (a portal user's post takes no others)
            records = (
                self.env["ir.attachment"]
                .sudo()
                .create(
                    [
                        dict(item, res_model="mail.compose.message", res_id=0)
                        for item in attachments
                    ]
                )
            )
            ticket.message_post(
                body=self.env._("Photos and documents sent with the request."),
                attachment_ids=records.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        return ticket

    @api.model
    def _portal_request_values(self, customer, form, errors):
        """The new ticket's values from the form; what is wrong goes into
        ``errors`` ({field: message})."""
        env = self.env
        ticket_type = self._portal_types().filtered(
            lambda t: t.code == (form.get("type") or "")
        )
        if not ticket_type:
            errors["type"] = env._("Choose what your request is about.")
        subject = self._portal_text(
            form,
            "subject",
            MAX_SUBJECT,
            env._("Give your request a subject."),
            errors,
        )
        description = self._portal_text(
            form,
            "description",
            MAX_DESCRIPTION,
            env._("Describe your request."),
            errors,
        )
        chosen = self._portal_chosen_documents(customer, form, errors)
        values = {
            "name": subject,
            "description": plaintext2html(description),
            "type_id": ticket_type.id,
            "partner_id": env.user.partner_id.id,
            "channel": "web",
        }
        picking, order, lot = (
            chosen.get(name, self.env[model])
            for name, model in (
                ("picking_id", "stock.picking"),
                ("sale_order_id", "sale.order"),
                ("lot_id", "stock.lot"),
            )
        )
        if picking:
            values.update(self._picking_link_values(picking))
        if order:
            values["sale_order_id"] = order.id
        if lot:
            values["lot_ids"] = [Command.set(lot.ids)]
            products = picking.move_ids.product_id | lot.product_id
            values["product_ids"] = [Command.set(products.ids)]
        document = order or picking or lot
        company = document.company_id or env.company
        values["company_id"] = company.id
        device = bool(lot) or ticket_type.code == "repair"
        values["team_id"] = self._portal_request_team(company, device).id
        return values

    @api.model
    def _portal_text(self, form, name, max_length, missing, errors):
        """The form's text ``name``, stripped; ``missing`` or a too long
        text goes into ``errors``."""
        text = (form.get(name) or "").strip()
        if not text:
            errors[name] = missing
        elif len(text) > max_length:
            errors[name] = self.env._(
                "This text is too long (at most %(max)s characters).",
                max=max_length,
            )
        return text

    @api.model
    def _portal_chosen_documents(self, customer, form, errors):
        """{field: record} of the documents the form names, each checked to
        be the customer's own: another customer's is refused, not ignored."""
        chosen = {}
        for name, (model, domain, message) in self._portal_request_sources().items():
            raw = (form.get(name) or "").strip()
            if not raw:
                continue
            record_id = int(raw) if raw.isdigit() else 0
            # sudo: to find the customer's own among documents it cannot read
            record = (
                self.env[model]
                .sudo()
                .search(domain(customer) + [("id", "=", record_id)], limit=1)
            )
            if record:
                chosen[name] = record
            else:
                errors[name] = message
        return chosen

    @api.model
    def _portal_request_team(self, company, device=False):
        """The team a portal request goes to: for a device or a repair, the
        company's device team; else its first service team, as the default
        alias's e-mail does."""
        if device:
            return company._device_team()
        return (
            self.env["zhongzheng.service.team"]
            .sudo()
            .search([("company_id", "=", company.id)], limit=1)
        )

    @api.model
    def _portal_request_files(self, files, errors):
        """The attachments' values of ``files`` [(name, bytes)]: at most
        MAX_FILES, each JPEG, PNG or PDF by its content and its name, of at
        most MAX_FILE_MB MB; what is wrong goes into ``errors``."""
        env = self.env
        files = [(name, data) for name, data in files if name or data]
        if len(files) > MAX_FILES:
            errors["attachments"] = env._(
                "Attach at most %(max)s files (you chose %(count)s).",
                max=MAX_FILES,
                count=len(files),
            )
            return []
        attachments = []
        refused = []
        for name, data in files:
            name = (name or "").strip()[:200] or env._("attachment")
            mimetype = guess_mimetype(data or b"", default="")
            endings = PORTAL_MIMETYPES.get(mimetype, ())
            if not data:
                refused.append(env._("%(name)s is empty.", name=name))
            elif len(data) > MAX_FILE_BYTES:
                refused.append(
                    env._(
                        "%(name)s is larger than %(max)s MB.",
                        name=name,
                        max=MAX_FILE_MB,
                    )
                )
            elif not name.lower().endswith(endings or ("\0",)):
                refused.append(
                    env._(
                        "%(name)s is not a photo (JPEG, PNG) or a PDF.",
                        name=name,
                    )
                )
            else:
                attachments.append({"name": name, "raw": data, "mimetype": mimetype})
        if refused:
            errors["attachments"] = " ".join(refused)
        return attachments

    @api.model
    def _portal_check_request_rate(self, customer, errors):
        """At most the company's number of portal requests per customer in
        the last hour."""
        limit = self.env.company.sudo().service_portal_hourly_limit
        since = self.env.cr.now() - timedelta(hours=1)
        # sudo: the customer's requests of other contacts count as well
        count = self.sudo().search_count(
            [
                ("commercial_partner_id", "=", customer.id),
                ("channel", "=", "web"),
                ("create_uid.share", "=", True),
                ("create_date", ">=", since),
            ]
        )
        if count >= limit:
            errors["form"] = self.env._(
                "Your company has opened %(count)s requests in the last hour, "
                "the most we take in an hour: please try again later, or call "
                "us if it is urgent.",
                count=count,
            )
