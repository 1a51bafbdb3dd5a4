"""Retention and forgetting: how long Balie keeps what it knows about residents.

`Retention.purge()` deletes, per the `Policy` (environment variables, see
docs/privacy.md):

- conversations: Rasa's tracker events of every sender whose last event is older than
  the conversation term, the widget's chat sessions and messages, staged photos that
  never became part of a case, status-message opt-outs nobody needs any more, and
  delivered outbox entries (their payload holds contact details);
- contact details: the `contacts` of cases closed (afgehandeld, geannuleerd) longer
  than the contact term, call-back requests older than the call-back term, rejected
  outbox entries;
- attempt counts (wrong controlecodes and passwords, new widget conversations per
  address: webapp/cases/throttle.py) quiet for a week and no longer blocking;
- cases: a cancelled or handled case (with its status history, contact and photos)
  once it has been closed for its term, and receipts of cases in an external system.
  Identifiers are never handed out again: the counters stay.

"Closed for" counts from the case's latest status-history entry, so a note added to a
closed case, or reopening it, starts the term again. Open cases are never deleted.
A pending outbox entry is never deleted: a report must not be lost.

`Retention.forget(kanaal, identity)` removes one resident's conversations, widget
transcripts, the contact details of their cases, their call-back requests and
opt-outs, and unlinks their cases from their channel identity; the cases stay.

The web app runs the purge every BALIE_PURGE_INTERVAL_MINUTES (`setup`); with several
instances on one PostgreSQL, a session advisory lock makes sure one purges at a time.
`python -m bot purge|forget` (webapp/privacy/cli.py) and `POST /api/v1/vergeten` use the same.
Counts are logged; identities and contents never are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.db import create_engine
from core.domain import CHANNELS, FINAL
from core.settings import Settings
from webapp.cases import throttle
from webapp.cases.models import (
    Attachment,
    Attempts,
    Callback,
    Case,
    ChatEntry,
    ChatSession,
    Contact,
    ExternalCase,
    StatusChange,
    StatusOptOut,
    Upload,
    utcnow,
)
from webapp.cases.store import UPLOAD_TTL, CaseStore
from webapp.staff.config import tracker_database_url
from webapp.staff.tracker import EVENTS

log = logging.getLogger(__name__)

# An arbitrary constant (not the migrations' one): the advisory-lock id of the purge.
PURGE_LOCK = 0x62616C6970
CHUNK = 500  # ids per IN (...): well below every database's limit on bound parameters
# A Rasa turn that was running while a resident was forgotten saves its whole tracker
# again when it ends (the store writes what it thinks is missing). The web app deletes
# that sender's events from before the moment of forgetting once more after this long,
# longer than any turn (webapp/chat/relay.py TURN_TIMEOUT).
RESWEEP_AFTER = 150.0
OUTBOX_TABLE = "outbox"  # actions/outbox.py's `entries`
TRACKER_TABLE = "events"  # Rasa's SQL tracker store

Counts = dict[str, int]


class ConfigError(ValueError):
    """A retention setting that is not a positive number of days."""


def _number(name: str, default: float, *, minimum: float, fallback: str | None = None) -> float:
    raw = os.environ.get(name) or (os.environ.get(fallback) if fallback else None)
    if not raw:
        return default
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    if not value >= minimum or value == float("inf"):
        raise ConfigError(f"{name} must be at least {minimum:g}, not {raw!r}")
    return value


def _days(name: str, default: float, fallback: str | None = None) -> timedelta:
    # A term of zero would delete a conversation while the resident is still typing.
    return timedelta(days=_number(name, default, minimum=0.0001, fallback=fallback))


@dataclass(frozen=True)
class Policy:
    """How long each kind of data is kept (see docs/privacy.md for the reasoning)."""

    # After a conversation's last message.
    conversation: timedelta = timedelta(days=30)
    # After the case was closed: long enough for a follow-up question or an objection
    # (bezwaar within six weeks, Awb 6:7) to reach the reporter, then the name goes.
    contact: timedelta = timedelta(days=90)
    # After the request was made: a call-back happens within days.
    callback: timedelta = timedelta(days=90)
    # After the case was closed, per final status.
    cancelled: timedelta = timedelta(days=365)
    handled: timedelta = timedelta(days=1826)

    @classmethod
    def from_env(cls) -> Policy:
        return cls(
            # BALIE_CHAT_RETENTION_DAYS is the widget's old name for the same term.
            conversation=_days(
                "BALIE_RETENTION_CONVERSATION_DAYS", 30, fallback="BALIE_CHAT_RETENTION_DAYS"
            ),
            contact=_days("BALIE_RETENTION_CONTACT_DAYS", 90),
            callback=_days("BALIE_RETENTION_CALLBACK_DAYS", 90),
            cancelled=_days("BALIE_RETENTION_CANCELLED_DAYS", 365),
            handled=_days("BALIE_RETENTION_HANDLED_DAYS", 1826),
        )

    def describe(self) -> dict[str, float]:
        """The terms in days, for logs and the CLI."""
        return {
            "conversation": self.conversation / timedelta(days=1),
            "contact": self.contact / timedelta(days=1),
            "callback": self.callback / timedelta(days=1),
            "cancelled": self.cancelled / timedelta(days=1),
            "handled": self.handled / timedelta(days=1),
        }


def purge_interval() -> float | None:
    """Seconds between the web app's purges (BALIE_PURGE_INTERVAL_MINUTES); None: off."""
    minutes = _number("BALIE_PURGE_INTERVAL_MINUTES", 60, minimum=0)
    return minutes * 60 if minutes else None


def outbox_url(settings: Settings) -> str:
    """Where the action servers keep their outbox (as actions.outbox.Outbox.from_env)."""
    url = os.environ.get("BALIE_OUTBOX_URL")
    if url:
        return url
    path = os.environ.get("BALIE_OUTBOX_PATH") or settings.data_dir / "outbox.sqlite"
    return f"sqlite:///{Path(path)}"


class _Database:
    """A database Balie does not own: an engine made on first use, if it exists.

    A SQLite file that is not there yet (the action server never ran) is not created.
    """

    def __init__(self, target: AsyncEngine | str | None) -> None:
        self._engine = target if isinstance(target, AsyncEngine) else None
        self._url = target if isinstance(target, str) else None
        self._owned = False

    async def engine(self) -> AsyncEngine | None:
        if self._engine is None and self._url is not None:
            url = make_url(self._url)
            if url.get_backend_name() == "sqlite":
                path = Path(url.database or "")
                if not url.database or not await asyncio.to_thread(path.exists):
                    return None
            try:
                self._engine = create_engine(self._url)
            except (ValueError, ImportError) as exc:
                log.warning("cannot purge %s: %s", url.get_backend_name(), exc)
                self._url = None
                return None
            self._owned = True
        return self._engine

    async def close(self) -> None:
        if self._owned and self._engine is not None:
            await self._engine.dispose()


async def _has_table(conn: AsyncConnection, name: str) -> bool:
    return await conn.run_sync(lambda sync: sa.inspect(sync).has_table(name))


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


async def _ids(conn: AsyncConnection, query: sa.sql.Select) -> list[Any]:
    return list((await conn.execute(query)).scalars())


def _closed_before(statuses: Iterable[str], cutoff: datetime) -> sa.sql.Select:
    """Ids of cases in one of `statuses` whose latest status-history entry is older."""
    latest = (
        sa.select(StatusChange.case_id.label("case_id"), sa.func.max(StatusChange.op).label("op"))
        .group_by(StatusChange.case_id)
        .subquery()
    )
    return (
        sa.select(Case.id)
        .join(latest, latest.c.case_id == Case.id)
        .where(Case.status.in_(tuple(statuses)), latest.c.op < cutoff)
    )


class Retention:
    """Purging and forgetting across the case, tracker and outbox databases.

    `cases` is the case system's engine (owned by the caller). `tracker` and `outbox`
    are an engine or a URL (opened on first use, closed by `close`), or None when there
    is nothing to purge there.
    """

    def __init__(
        self,
        cases: AsyncEngine,
        *,
        tracker: AsyncEngine | str | None = None,
        outbox: AsyncEngine | str | None = None,
        policy: Policy | None = None,
        resweep_after: float | None = None,
    ) -> None:
        self.cases = cases
        self.tracker = _Database(tracker)
        self.outbox = _Database(outbox)
        self.policy = policy or Policy.from_env()
        # Seconds after which `forget` deletes the conversation once more (see
        # RESWEEP_AFTER); None in a short-lived process such as the command line.
        self.resweep_after = resweep_after
        self._local = asyncio.Lock()  # one purge at a time in this process, too
        self._sweeps: set[asyncio.Task[None]] = set()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        cases: AsyncEngine,
        policy: Policy | None = None,
        resweep_after: float | None = None,
    ) -> Retention:
        tracker_url = tracker_database_url(settings)
        tracker = cases if tracker_url == settings.database_url else tracker_url
        return cls(
            cases,
            tracker=tracker,
            outbox=outbox_url(settings),
            policy=policy,
            resweep_after=resweep_after,
        )

    async def close(self) -> None:
        for sweep in list(self._sweeps):
            sweep.cancel()
        if self._sweeps:
            await asyncio.wait(self._sweeps)
        await self.tracker.close()
        await self.outbox.close()

    # --- the purge -----------------------------------------------------------------------

    async def purge(self, *, dry_run: bool = False, now: datetime | None = None) -> Counts:
        """Delete what is past its term; returns how many of each kind (would be) deleted."""
        now = now or utcnow()
        counts: Counts = {}
        counts.update(await self._purge_cases(now, dry_run))
        counts.update(await self._purge_tracker(now, dry_run))
        counts.update(await self._purge_outbox(now, dry_run))
        if not dry_run:
            log.info(
                "retention purge: %s",
                " ".join(f"{kind}={n}" for kind, n in counts.items()) or "nothing to purge",
            )
        return counts

    async def purge_exclusive(
        self, *, dry_run: bool = False, now: datetime | None = None
    ) -> Counts | None:
        """`purge`, unless another process is purging the same database (None then)."""
        async with self._exclusive() as mine:
            if not mine:
                log.info("retention purge skipped: another instance is purging")
                return None
            return await self.purge(dry_run=dry_run, now=now)

    @contextlib.asynccontextmanager
    async def _exclusive(self) -> AsyncIterator[bool]:
        async with self._local:
            if self.cases.dialect.name != "postgresql":
                # SQLite is one machine's file: its writers queue anyway (BEGIN IMMEDIATE).
                yield True
                return
            async with self.cases.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                key = sa.cast(PURGE_LOCK, sa.BigInteger)  # asyncpg would guess int4
                got = await conn.scalar(sa.select(sa.func.pg_try_advisory_lock(key)))
                if not got:
                    yield False
                    return
                try:
                    yield True
                finally:
                    try:
                        await conn.execute(sa.select(sa.func.pg_advisory_unlock(key)))
                    except BaseException:
                        # Never hand a connection that still holds the lock back to the pool.
                        await conn.invalidate()
                        raise

    async def _purge_cases(self, now: datetime, dry: bool) -> Counts:
        policy = self.policy
        counts: Counts = {}

        # Widget conversations nobody used for the conversation term.
        stale = ChatSession.actief_op < now - policy.conversation
        async with self.cases.begin() as conn:
            ids = await _ids(conn, sa.select(ChatSession.id).where(stale))
            n = 0
            if not dry:
                for chunk in _chunks(ids):
                    still = sa.select(ChatSession.id).where(ChatSession.id.in_(chunk), stale)
                    await conn.execute(sa.delete(ChatEntry).where(ChatEntry.session_id.in_(still)))
                    gone = await conn.execute(
                        sa.delete(ChatSession).where(ChatSession.id.in_(chunk), stale)
                    )
                    n += gone.rowcount or 0
            counts["widgetgesprekken"] = len(ids) if dry else n

        # Photos staged for a case that was never made (the store drops these too).
        staged = Upload.aangemaakt_op < now - min(UPLOAD_TTL, policy.conversation)
        counts["fotos_in_wachtrij"] = await self._delete(Upload, Upload.id, staged, dry)

        # Contact details of cases closed longer than the contact term.
        closed = Contact.case_id.in_(_closed_before(FINAL, now - policy.contact))
        counts["contactgegevens"] = await self._delete(Contact, Contact.id, closed, dry)

        # Whole cases closed longer than their status's term.
        past_term = sa.union(
            _closed_before(("geannuleerd",), now - policy.cancelled),
            _closed_before(("afgehandeld",), now - policy.handled),
        ).subquery()
        doomed = Case.id.in_(sa.select(past_term.c.id))
        counts["zaken"], counts["bijlagen"] = await self._delete_cases(doomed, dry)

        # Receipts of cases in Signalen or ZGW: Balie does not know when those close.
        old_receipt = ExternalCase.aangemaakt_op < now - policy.handled
        counts["ontvangstbewijzen"] = await self._delete(
            ExternalCase, ExternalCase.id, old_receipt, dry
        )

        old_callback = Callback.aangemaakt_op < now - policy.callback
        counts["terugbelverzoeken"] = await self._delete(Callback, Callback.id, old_callback, dry)

        # A /stop nobody needs any more: no case is linked to that chat.
        unused = sa.and_(
            StatusOptOut.aangemaakt_op < now - policy.conversation,
            StatusOptOut.melder.not_in(sa.select(Case.melder).where(Case.melder.is_not(None))),
            StatusOptOut.melder.not_in(
                sa.select(ExternalCase.melder).where(ExternalCase.melder.is_not(None))
            ),
        )
        counts["afmeldingen"] = await self._delete(StatusOptOut, StatusOptOut.melder, unused, dry)

        # Counts of wrong codes, passwords and new widget conversations gone quiet.
        counts["pogingen"] = await self._delete(
            Attempts, Attempts.sleutel, throttle.stale(now), dry
        )
        return counts

    async def _delete(self, model: type, key: Any, condition: Any, dry: bool) -> int:
        """Delete the rows of `model` that meet `condition`, in chunks of their `key`."""
        async with self.cases.begin() as conn:
            ids = await _ids(conn, sa.select(key).where(condition))
            if dry:
                return len(ids)
            n = 0
            for chunk in _chunks(ids):
                # The condition again: a row that changed meanwhile stays.
                result = await conn.execute(sa.delete(model).where(key.in_(chunk), condition))
                n += result.rowcount or 0
            return n

    async def _delete_cases(self, condition: Any, dry: bool) -> tuple[int, int]:
        async with self.cases.begin() as conn:
            ids = await _ids(conn, sa.select(Case.id).where(condition))
        if dry:
            if not ids:
                return 0, 0
            async with self.cases.connect() as conn:
                photos = 0
                for chunk in _chunks(ids):
                    photos += await conn.scalar(
                        sa.select(sa.func.count(Attachment.id)).where(Attachment.case_id.in_(chunk))
                    )
            return len(ids), photos
        cases = photos = 0
        for chunk in _chunks(ids):
            async with self.cases.begin() as conn:
                # Lock them: a status change waiting for the row sees the case gone.
                query = sa.select(Case.id).where(Case.id.in_(chunk), condition)
                if conn.dialect.name == "postgresql":
                    query = query.with_for_update()
                still = await _ids(conn, query)
                if not still:
                    continue
                result = await conn.execute(
                    sa.delete(Attachment).where(Attachment.case_id.in_(still))
                )
                photos += result.rowcount or 0
                await conn.execute(sa.delete(Contact).where(Contact.case_id.in_(still)))
                await conn.execute(sa.delete(StatusChange).where(StatusChange.case_id.in_(still)))
                result = await conn.execute(sa.delete(Case).where(Case.id.in_(still)))
                cases += result.rowcount or 0
        return cases, photos

    async def _purge_tracker(self, now: datetime, dry: bool) -> Counts:
        counts = {"gesprekken": 0, "gebeurtenissen": 0}
        engine = await self.tracker.engine()
        if engine is None:
            return counts
        cutoff = (now - self.policy.conversation).timestamp()
        last = sa.func.coalesce(sa.func.max(EVENTS.c.timestamp), 0)
        async with engine.begin() as conn:
            if not await _has_table(conn, TRACKER_TABLE):  # Rasa never ran here yet
                return counts
            senders = await _ids(
                conn,
                sa.select(EVENTS.c.sender_id).group_by(EVENTS.c.sender_id).having(last < cutoff),
            )
        counts["gesprekken"] = len(senders)
        recent = EVENTS.alias("recent")
        for chunk in _chunks(senders):
            async with engine.begin() as conn:
                if dry:
                    counts["gebeurtenissen"] += await conn.scalar(
                        sa.select(sa.func.count()).where(EVENTS.c.sender_id.in_(chunk))
                    )
                    continue
                # A resident who came back meanwhile keeps the conversation.
                came_back = sa.exists().where(
                    recent.c.sender_id == EVENTS.c.sender_id, recent.c.timestamp >= cutoff
                )
                result = await conn.execute(
                    sa.delete(EVENTS).where(EVENTS.c.sender_id.in_(chunk), ~came_back)
                )
                counts["gebeurtenissen"] += result.rowcount or 0
        return counts

    async def _outbox_table(self) -> tuple[AsyncEngine, sa.Table] | None:
        engine = await self.outbox.engine()
        if engine is None:
            return None
        async with engine.connect() as conn:
            if not await _has_table(conn, OUTBOX_TABLE):
                return None
        from actions.outbox import entries

        return engine, entries

    async def _purge_outbox(self, now: datetime, dry: bool) -> Counts:
        found = await self._outbox_table()
        if found is None:
            return {"outbox": 0}
        engine, entries = found
        # Pending entries are never touched: the report has not reached the case system.
        done = sa.or_(
            sa.and_(
                entries.c.state == "delivered",
                entries.c.created < (now - self.policy.conversation).timestamp(),
            ),
            sa.and_(
                # Refused for good; kept a while for staff to look at, like contact details.
                entries.c.state == "rejected",
                entries.c.created < (now - self.policy.contact).timestamp(),
            ),
        )
        async with engine.begin() as conn:
            if dry:
                return {
                    "outbox": await conn.scalar(sa.select(sa.func.count()).where(done))  # type: ignore[dict-item]
                }
            result = await conn.execute(sa.delete(entries).where(done))
            return {"outbox": result.rowcount or 0}

    # --- forgetting one resident ---------------------------------------------------------

    async def forget(self, kanaal: str, identity: str, *, dry_run: bool = False) -> Counts:
        """Remove what identifies the resident with this channel identity.

        Their conversations (tracker events, widget transcript), the contact details of
        their cases, their call-back requests and status-message opt-out go; their cases
        stay for the municipality, without the link to them.
        """
        if kanaal not in CHANNELS:
            raise ValueError(f"kanaal must be one of {', '.join(CHANNELS)}")
        if not identity or len(identity) > 255:
            raise ValueError("identity must be 1 to 255 characters")
        melder = f"{kanaal}:{identity}"
        counts: Counts = {}
        counts.update(await self._forget_cases(kanaal, identity, melder, dry_run))
        counts.update(await self._forget_tracker(identity, dry_run))
        if not dry_run and self.resweep_after is not None:
            sweep = asyncio.ensure_future(
                self._resweep(identity, utcnow().timestamp(), self.resweep_after)
            )
            self._sweeps.add(sweep)
            sweep.add_done_callback(self._sweeps.discard)
        counts.update(await self._forget_outbox(identity, melder, dry_run))
        if not dry_run:
            # The counts only: who it was must not end up in a log.
            log.info(
                "forgot a resident on %s: %s",
                kanaal,
                " ".join(f"{kind}={n}" for kind, n in counts.items()),
            )
        return counts

    async def _forget_cases(self, kanaal: str, identity: str, melder: str, dry: bool) -> Counts:
        theirs = sa.select(Case.id).where(Case.melder == melder)
        steps: list[tuple[str, Any, Any]] = [
            (
                "contactgegevens",
                sa.select(sa.func.count(Contact.id)).where(Contact.case_id.in_(theirs)),
                sa.delete(Contact).where(Contact.case_id.in_(theirs)),
            ),
            (
                "ontkoppelde_zaken",
                sa.select(sa.func.count(Case.id)).where(Case.melder == melder),
                sa.update(Case).where(Case.melder == melder).values(melder=None),
            ),
            (
                "ontkoppelde_ontvangstbewijzen",
                sa.select(sa.func.count(ExternalCase.id)).where(ExternalCase.melder == melder),
                sa.update(ExternalCase).where(ExternalCase.melder == melder).values(melder=None),
            ),
            (
                "terugbelverzoeken",
                sa.select(sa.func.count(Callback.id)).where(Callback.melder == melder),
                sa.delete(Callback).where(Callback.melder == melder),
            ),
            (
                "afmeldingen",
                sa.select(sa.func.count()).where(StatusOptOut.melder == melder),
                sa.delete(StatusOptOut).where(StatusOptOut.melder == melder),
            ),
        ]
        if kanaal == "web":
            sessions = sa.select(ChatSession.id).where(ChatSession.sender == identity)
            steps += [
                (
                    "widgetberichten",
                    sa.select(sa.func.count(ChatEntry.id)).where(
                        ChatEntry.session_id.in_(sessions)
                    ),
                    sa.delete(ChatEntry).where(ChatEntry.session_id.in_(sessions)),
                ),
                (
                    # The row stays, wiped, so replies still on their way are dropped; the
                    # purge removes it after the conversation term.
                    "widgetgesprekken",
                    sa.select(sa.func.count()).where(ChatSession.sender == identity),
                    sa.update(ChatSession)
                    .where(ChatSession.sender == identity)
                    .values(gewist_op=sa.func.coalesce(ChatSession.gewist_op, utcnow())),
                ),
            ]
        counts: Counts = {}
        async with self.cases.begin() as conn:
            for kind, count, statement in steps:
                if dry:
                    counts[kind] = await conn.scalar(count)
                else:
                    counts[kind] = (await conn.execute(statement)).rowcount or 0
        return counts

    async def _resweep(self, identity: str, before: float, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            n = (await self._forget_tracker(identity, False, before))["gebeurtenissen"]
        except Exception:
            log.exception("deleting a forgotten conversation again failed")
            return
        if n:
            log.info("deleted %d events a running turn had written back after forgetting", n)

    async def _forget_tracker(
        self, identity: str, dry: bool, before: float | None = None
    ) -> Counts:
        engine = await self.tracker.engine()
        if engine is None:
            return {"gebeurtenissen": 0}
        theirs = EVENTS.c.sender_id == identity
        if before is not None:  # what a new conversation of the same sender wrote stays
            theirs = sa.and_(theirs, sa.func.coalesce(EVENTS.c.timestamp, 0) < before)
        async with engine.begin() as conn:
            if not await _has_table(conn, TRACKER_TABLE):
                return {"gebeurtenissen": 0}
            if dry:
                return {
                    "gebeurtenissen": await conn.scalar(sa.select(sa.func.count()).where(theirs))
                }
            result = await conn.execute(sa.delete(EVENTS).where(theirs))
            return {"gebeurtenissen": result.rowcount or 0}

    async def _forget_outbox(self, identity: str, melder: str, dry: bool) -> Counts:
        counts = {"outbox": 0, "outbox_geanonimiseerd": 0, "outbox_wachtend": 0}
        found = await self._outbox_table()
        if found is None:
            return counts
        engine, entries = found
        async with engine.begin() as conn:
            rows = list(
                await conn.execute(
                    sa.select(entries.c.key, entries.c.kind, entries.c.state, entries.c.payload)
                    .where(entries.c.sender == identity)
                    .with_for_update()
                )
            )
            from actions.outbox import open_payload
            from core.privacy.sealing import sealer

            box_sealer = sealer()  # the action servers' key: the same secret
            for row in rows:
                try:
                    payload = open_payload(row.payload, box_sealer)
                except ValueError:
                    payload = {}
                if payload.get("melder") not in (None, melder):
                    continue  # the same sender id on another channel: someone else
                if row.state != "pending":
                    counts["outbox"] += 1
                    if not dry:
                        await conn.execute(
                            sa.delete(entries).where(
                                entries.c.key == row.key, entries.c.state == row.state
                            )
                        )
                elif row.kind == "case" and (payload.get("melder") or payload.get("contact")):
                    # Still to be delivered: the report goes, without who made it.
                    counts["outbox_geanonimiseerd"] += 1
                    if not dry:
                        payload.update(melder=None, contact=None)
                        await conn.execute(
                            sa.update(entries)
                            .where(entries.c.key == row.key, entries.c.state == "pending")
                            .values(payload=box_sealer.seal(payload))
                        )
                elif row.kind != "case":
                    # A call-back request on its way: delivered as asked, then it follows
                    # the call-back term (or a new request to forget).
                    counts["outbox_wachtend"] += 1
        return counts


# --- the web app's periodic purge -----------------------------------------------------------

RETENTION_KEY = web.AppKey("retention", Retention)


async def run_periodically(retention: Retention, interval: float) -> None:
    """Purge every `interval` seconds, forever; a failure waits for the next round."""
    # Instances started together (a deployment) spread out instead of all trying at once.
    await asyncio.sleep(random.uniform(0, min(interval, 60.0)))
    while True:
        try:
            await retention.purge_exclusive()
        except Exception:
            log.exception("retention purge failed")
        await asyncio.sleep(interval)


def setup(app: web.Application, settings: Settings, store: CaseStore) -> None:
    """Forgetting for the Case API and the widget; the purge every BALIE_PURGE_INTERVAL_MINUTES."""
    retention = Retention.from_settings(settings, store.engine, resweep_after=RESWEEP_AFTER)
    interval = purge_interval()
    app[RETENTION_KEY] = retention

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.ensure_future(run_periodically(retention, interval)) if interval else None
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await retention.close()

    app.cleanup_ctx.append(lifecycle)
