"""Balie's one idea of time: moments are UTC inside, local time for people.

Every moment is stored and compared as an aware UTC datetime. People - residents in the
chat, staff in the console, the municipality's other systems - get it in the
municipality's time zone (`tijdzone:` in content/gemeente.yml, Europe/Amsterdam by
default), never in the server's own zone: servers and CI run in UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.content import tijdzone_naam


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"tijdzone {name!r} in the content file is no IANA time zone (e.g. Europe/Amsterdam)"
        ) from None


def zone() -> ZoneInfo:
    """The municipality's time zone."""
    return _zone(tijdzone_naam())


def as_utc(value: datetime) -> datetime:
    """The same moment in UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    """The current moment in UTC: what is stored and compared."""
    return datetime.now(timezone.utc)


def local(value: datetime) -> datetime:
    """The same moment in the municipality's time zone (naive means UTC)."""
    return as_utc(value).astimezone(zone())


def now() -> datetime:
    """The current moment in the municipality's time zone."""
    return datetime.now(zone())


def local_iso(value: datetime | None) -> str | None:
    """ISO 8601 with the local offset: '2026-11-21T23:00:00+01:00'."""
    return local(value).isoformat() if value is not None else None


def local_text(value: datetime) -> str:
    """'21-11-2026 23:00', local time as Dutch readers expect it.

    In the autumn hour that happens twice the clock time alone is ambiguous, so it says
    which one: '25-10-2026 02:30 (zomertijd)' came an hour before '... 02:30 (wintertijd)'.
    """
    moment = local(value)
    text = moment.strftime("%d-%m-%Y %H:%M")
    if _repeated(moment):
        text += " (zomertijd)" if moment.dst() else " (wintertijd)"
    return text


def _repeated(moment: datetime) -> bool:
    """Does this wall-clock time happen twice (the hour the clocks go back)?"""
    other = moment.replace(fold=1 - moment.fold)
    return other.utcoffset() != moment.utcoffset() and (
        as_utc(other).astimezone(moment.tzinfo).replace(tzinfo=None) == moment.replace(tzinfo=None)
    )
