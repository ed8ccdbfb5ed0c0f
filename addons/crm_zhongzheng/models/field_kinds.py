"""Declarations the addon repeats: fields only employees read, fields the
ticket itself measures or decides (never typed by users; the server
refuses it, see `_check_computed_unchanged` and the claim checks), the
customer a record is kept for, the customer's classification seen from a
document, and the web client's notification."""

from odoo import fields

EMPLOYEES = "base.group_user"
CRM_USER = "crm_zhongzheng.group_crm_user"


def internal(kind, *args, **kwargs):
    """A field of an internal record's life: employees only (left out for
    the customer on the portal), not copied with the record."""
    return kind(*args, copy=False, groups=EMPLOYEES, **kwargs)


def measured(kind, *args, **kwargs):
    """An internal field the record computes and writes itself."""
    return internal(kind, *args, readonly=True, **kwargs)


def customer(**kwargs):
    """The customer a record is kept for, which goes with it."""
    return fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        ondelete="cascade",
        index=True,
        **kwargs,
    )


def customer_of_company():
    """partner_id and company_id of a row kept per customer and company,
    which goes with either."""
    return customer(), fields.Many2one("res.company", required=True, ondelete="cascade")


def customer_view(kind, *args, **kwargs):
    """The customer's classification seen from a document (badges, health
    banner): computed as superuser, for Customer Relations users only, like
    the partner's own figures."""
    return kind(*args, compute_sudo=True, groups=CRM_USER, **kwargs)


def ticket_link(**kwargs):
    """The service ticket a record of another app (a repair, a survey
    answer) belongs to: set by the ticket's own button only."""
    return fields.Many2one(
        "zhongzheng.service.ticket",
        string="Service Ticket",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        **kwargs,
    )


def notification(message, kind="info", **params):
    """The web client's toast (display_notification) saying `message`."""
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {"type": kind, "message": message, **params},
    }
