"""The integrator API's input checks and answer format, plain Python.

Every check takes the environment first (for the caller's language), the
value and the argument's name, and either returns the clean value or raises
a ValidationError naming the argument; ``check_group`` raises an
AccessError. The payload limits are documented in the README's Integration
section.
"""

import math
from datetime import datetime, timedelta, timezone

from odoo import models
from odoo.exceptions import AccessError, ValidationError

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


def plain(value):
    """A field value as XML-RPC can carry it: dates as ISO strings, empty
    values as False (XML-RPC has no None by default)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, models.BaseModel):
        return value.id or False
    return value


def _empty(value):
    return value is None or value is False or value == ""


def wrong_type(env, name, expected, value):
    raise ValidationError(
        env._(
            "%(name)s must be %(expected)s, not %(type)s.",
            name=name,
            expected=expected,
            type=type(value).__name__,
        )
    )


def check_dict(env, value, name, allowed, required=()):
    """A struct with only `allowed` keys and a value for each `required` one."""
    if not isinstance(value, dict):
        wrong_type(env, name, env._("a struct (a dict)"), value)
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise ValidationError(
            env._(
                "%(name)s has unknown keys: %(keys)s (allowed: %(allowed)s).",
                name=name,
                keys=", ".join(map(str, unknown)),
                allowed=", ".join(sorted(allowed)),
            )
        )
    missing = [key for key in required if _empty(value.get(key))]
    if missing:
        raise ValidationError(
            env._(
                "%(name)s is missing required values: %(keys)s.",
                name=name,
                keys=", ".join(missing),
            )
        )
    return value


def check_str(env, value, name, max_size, required=False):
    """A string, stripped; False when empty and not required."""
    if _empty(value):
        if required:
            raise ValidationError(env._("%(name)s is required.", name=name))
        return False
    if not isinstance(value, str):
        wrong_type(env, name, env._("a string"), value)
    value = value.strip()
    if not value:
        raise ValidationError(env._("%(name)s is required.", name=name))
    if len(value) > max_size:
        raise ValidationError(
            env._(
                "%(name)s is too long: %(size)s characters, at most %(max)s.",
                name=name,
                size=len(value),
                max=max_size,
            )
        )
    if "\x00" in value:
        raise ValidationError(env._("%(name)s contains a NUL character.", name=name))
    return value


def check_int(env, value, name, minimum, maximum):
    if isinstance(value, bool) or not isinstance(value, int):
        wrong_type(env, name, env._("an integer"), value)
    if not minimum <= value <= maximum:
        raise ValidationError(
            env._(
                "%(name)s must be between %(min)s and %(max)s, not %(value)s.",
                name=name,
                min=minimum,
                max=maximum,
                value=value,
            )
        )
    return value


def check_amount(env, value, name):
    """A finite number from 0 to MAX_AMOUNT, as a float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        wrong_type(env, name, env._("a number"), value)
    if not math.isfinite(value) or value < 0 or value > MAX_AMOUNT:
        raise ValidationError(
            env._(
                "%(name)s must be a positive amount below %(max)s, not %(value)s.",
                name=name,
                max=int(MAX_AMOUNT),
                value=value,
            )
        )
    return float(value)


def check_choice(env, value, name, choices):
    value = check_str(env, value, name, MAX_KEY, required=True)
    if value not in choices:
        raise ValidationError(
            env._(
                "%(name)s: unknown value %(value)s (allowed: %(allowed)s).",
                name=name,
                value=repr(value),
                allowed=", ".join(choices),
            )
        )
    return value


def check_datetime(env, value, name, required=False):
    """An ISO 8601 date-time string; with an offset or Z it is converted
    to UTC, without one it is taken as UTC. Returns a naive UTC datetime."""
    value = check_str(env, value, name, 64, required=required)
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
            env._(
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
            env._("%(name)s is out of range: %(value)s.", name=name, value=value)
        )
    return moment


def check_group(env, group, message):
    if not env.user.has_group(group):
        raise AccessError(message)
