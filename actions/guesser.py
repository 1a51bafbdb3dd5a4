"""Controlecode guessing, throttled per guesser rather than per case.

Every backend (builtin, Signalen, ZGW) is reached through `lookup`, so one throttle
protects them all. A guesser is known by its chat (the channel identity: a Telegram
chat, a widget session, a REST sender id) and, on the widget and REST, by its client
address (metadata `client_address`, set by the channel: core/client_address.py). A new
sender id or `/restart` starts a new chat, but the address stays; a Telegram chat is
an account, which is costly to replace. Counts live in the action server's own
database, next to the outbox and through its engine (`guess_attempts`,
core/throttle.py), so every action server of a cluster sees the same ones; the action
server makes and purges the table.

Nothing here ever locks a case: its owner, from another chat or address, always
gets through with the right code, and the reporter's own chat needs no code at all.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from rasa_sdk import Tracker
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from actions import common
from actions.backends.base import BackendUnavailable, CaseStatus
from actions.delivery import delivery
from actions.outbox import Outbox
from core.client_address import METADATA_KEY, bucket
from core.db import create_tables, session_factory
from core.throttle import Blocked, Key, Policy, Throttle, key, table

# A chat: five tries, then one minute, doubling up to a day; one try forgiven an hour.
CHAT = Policy(free=5, base=timedelta(minutes=1), cap=timedelta(days=1), leak=timedelta(hours=1))
# An address may be shared (a household, an office, a mobile network): more tries first,
# and one forgiven every ten minutes, so the odd typo of many people never adds up.
ADDRESS = Policy(
    free=20, base=timedelta(minutes=1), cap=timedelta(days=1), leak=timedelta(minutes=10)
)
SCOPE = "controlecode"
ADDRESSED_CHANNELS = {"web", "rest"}

__all__ = ["Blocked", "keys", "lookup", "purge"]

GUESSES = table("guess_attempts", sa.MetaData())
# One throttle per outbox database, its table made on first use (tests switch databases).
_throttles: dict[AsyncEngine, Throttle] = {}
_created: set[AsyncEngine] = set()


def throttle(outbox: Outbox) -> Throttle:
    """The throttle in the outbox's database."""
    if outbox.engine not in _throttles:
        _throttles[outbox.engine] = Throttle(session_factory(outbox.engine), GUESSES)
    return _throttles[outbox.engine]


async def _ready(outbox: Outbox) -> Throttle:
    """The throttle, its table made on first use (the action server has no migrations)."""
    found = throttle(outbox)
    if outbox.engine not in _created:
        await create_tables(outbox.engine, [GUESSES])
        _created.add(outbox.engine)
    return found


async def close() -> None:
    """Forget the throttles (a command line that purged, tests that switch databases);
    their databases are the outboxes', closed with them."""
    _throttles.clear()
    _created.clear()


async def purge(outbox: Outbox, *, dry_run: bool = False, now: datetime | None = None) -> int:
    """Delete the counts gone quiet (the action server's retention purge)."""
    return await (await _ready(outbox)).purge(dry_run=dry_run, now=now)


def keys(tracker: Tracker) -> list[Key]:
    found = [Key(key(SCOPE, "chat", common.melder(tracker)), CHAT)]
    if common.kanaal(tracker) in ADDRESSED_CHANNELS:
        metadata = tracker.latest_message.get("metadata") or {}
        address = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
        # Without one (a channel that does not set it) all such chats share one count.
        where = bucket(address) if isinstance(address, str) and address else "onbekend"
        found.append(Key(key(SCOPE, "adres", where), ADDRESS))
    return found


async def lookup(tracker: Tracker, number: str, code: str) -> CaseStatus | None:
    """The case if the code is right; raises Blocked while this guesser must wait.

    The try is counted before the code is checked (so a burst of tries at once gets no
    more checks than the policy allows) and given back when the code was right or the
    case system could not answer.
    """
    guesser, cases = keys(tracker), delivery()
    try:
        counts = await _ready(cases.outbox)
        await counts.reserve(guesser)
    except (SQLAlchemyError, OSError) as exc:  # no count, no check: fail closed
        raise BackendUnavailable(f"attempts database unreachable: {exc!r}") from exc
    try:
        found = await cases.backend.get_case(number, controlecode=code)
    except BaseException:
        await counts.release(guesser)  # not checked: the case system did not answer
        raise
    if found is not None:
        await counts.release(guesser)
    return found
