"""Parsers for the lab's lifecycle tag values.

Every parser either returns a value or raises :class:`TagValueError` with a message a person can
act on. The rules layer turns such an error into the ``invalid-tag`` action: a resource whose
lifecycle tags cannot be read is reported and never deleted.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

MAX_TTL = timedelta(days=3650)
"""Longest accepted ``ttl`` (ten years); anything longer is almost certainly a typo."""

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TTL = re.compile(r"^(?:\d{1,7}[smhdw])+$")
_TTL_PART = re.compile(r"(\d{1,7})([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class TagValueError(ValueError):
    """A lifecycle tag value that cannot be parsed."""


def parse_expires_at(value: str) -> datetime:
    """An RFC 3339 timestamp with an offset, or a bare date meaning "through that day (UTC)".

    ``2025-01-31T18:00:00Z`` and ``2025-01-31T20:00:00+02:00`` expire at that instant;
    ``2025-01-31`` expires at ``2025-02-01T00:00:00Z``. A timestamp without an offset is
    rejected: its time zone would be a guess.
    """
    text = value.strip()
    if _DATE.match(text):
        try:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            raise TagValueError(f"{value!r} is not a valid date") from None
        return day + timedelta(days=1)
    if not _RFC3339.match(text):
        raise TagValueError(
            f"{value!r} is not an RFC 3339 time (e.g. 2025-01-31T18:00:00Z) or a date (2025-01-31)"
        )
    normalised = text.replace("t", "T").replace(" ", "T")
    if normalised.endswith(("Z", "z")):
        normalised = normalised[:-1] + "+00:00"
    # Python 3.11 accepts at most 6 fractional digits; RFC 3339 allows more.
    normalised = re.sub(r"(\.\d{6})\d+", r"\1", normalised)
    try:
        parsed = datetime.fromisoformat(normalised)
    except ValueError:
        raise TagValueError(f"{value!r} is not a valid RFC 3339 time") from None
    return parsed.astimezone(UTC)


def parse_ttl(value: str) -> timedelta:
    """A duration such as ``72h``, ``7d``, ``2w``, ``1d12h`` (units s, m, h, d, w).

    Zero and anything above ten years are rejected.
    """
    text = value.strip().lower()
    if not _TTL.match(text):
        raise TagValueError(
            f"{value!r} is not a duration: use a number and a unit s/m/h/d/w, e.g. 72h, 7d, 1d12h"
        )
    total = timedelta()
    for number, unit in _TTL_PART.findall(text):
        total += timedelta(**{_UNITS[unit]: int(number)})
    if total <= timedelta():
        raise TagValueError(f"{value!r} is zero: a ttl must be positive")
    if total > MAX_TTL:
        raise TagValueError(f"{value!r} is longer than {MAX_TTL.days} days")
    return total


def parse_bool(value: str) -> bool:
    """``true`` or ``false`` (any case); anything else is an error, never a guess."""
    text = value.strip().lower()
    if text == "true":
        return True
    if text == "false":
        return False
    raise TagValueError(f"{value!r} is not true or false")


def human_delta(delta: timedelta) -> str:
    """``3d 4h``, ``5h 12m``, ``42s``: a compact duration for reasons in plans."""
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


def iso(moment: datetime) -> str:
    """UTC, second precision, ``Z`` suffix: how plans print times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
