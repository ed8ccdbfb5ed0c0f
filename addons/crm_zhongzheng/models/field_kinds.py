"""Declarations the addon repeats: fields only employees read, fields the
ticket itself measures or decides (never typed by users; the server
refuses it, see `_check_computed_unchanged` and the claim checks), and the
web client's notification."""

EMPLOYEES = "base.group_user"


def internal(kind, *args, **kwargs):
    """A field of an internal record's life: employees only (left out for
    the customer on the portal), not copied with the record."""
    return kind(*args, copy=False, groups=EMPLOYEES, **kwargs)


def measured(kind, *args, **kwargs):
    """An internal field the record computes and writes itself."""
    return internal(kind, *args, readonly=True, **kwargs)


def notification(message, kind="info", **params):
    """The web client's toast (display_notification) saying `message`."""
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {"type": kind, "message": message, **params},
    }
