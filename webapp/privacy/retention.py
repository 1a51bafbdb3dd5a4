"""Retention and forgetting in the web app: how long Balie keeps what it knows about residents.

`Retention.purge()` deletes, per the `Policy` (the settings' `retention`, from
environment variables, see docs/privacy.md; core/privacy/retention.py):

- conversations: Rasa's tracker events of every sender whose last event is older than
  the conversation term, the widget's chat sessions and messages, staged photos that
  never became part of a case, status-message opt-outs nobody needs any more;
- contact details: the `contacts` of cases closed (afgehandeld, geannuleerd) longer
  than the contact term, call-back requests older than the call-back term;
- attempt counts (wrong passwords, new widget conversations per address:
  core/throttle.py) quiet for a week and no longer blocking;
- cases: a cancelled or handled case (with its status history, contact and photos)
  once it has been closed for its term, and receipts of cases in an external system.
  Identifiers are never handed out again: the counters stay.

"Closed for" counts from the case's latest status-history entry, so a note added to a
closed case, or reopening it, starts the term again. Open cases are never deleted.
The action server's outbox and guess counts are its own: it purges them itself
(actions/retention.py).

`Retention.forget(kanaal, identity)` removes one resident's conversations, widget
transcripts, the contact details of their cases, their call-back requests and
opt-outs, and unlinks their cases from their channel identity; the cases stay. Their
outbox entries are forgotten by the outbox's owner, asked first (`outbox`: the action
server over HTTP, webapp/privacy/action_server.py; the outbox itself on the command line).

The web app runs the purge every BALIE_PURGE_INTERVAL_MINUTES (`setup`); with several
instances on one PostgreSQL, a session advisory lock makes sure one purges at a time.
`python -m bot purge|forget` (bot/privacy.py) and `POST /api/v1/vergeten` use the same.
Counts are logged; identities and contents never are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.db import create_engine
from core.domain import FINAL
from core.privacy.retention import (
    Counts,
    Policy,
    check_identity,
    log_counts,
    run_periodically,
)
from core.throttle import stale as quiet_attempts
from webapp.cases.models import (
    Attachment,
    Attempts,
    Callback,
    Case,
    ChatEntry,
    ChatSession,
    Contact,
    ExternalCase,
    ExternalFollower,
    Feedback,
    Report,
    StatusChange,
    StatusOptOut,
    Upload,
    utcnow,
)
from webapp.cases.store import UPLOAD_TTL, CaseStore
from webapp.privacy.action_server import ActionServer
from webapp.settings import WebSettings
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
TRACKER_TABLE = "events"  # Rasa's SQL tracker store


# The channels whose conversation id is the channel identity, so feedback is keyed by it.
FEEDBACK_CHANNELS = ("telegram", "web")
# Channels with conversations in the widget's log: (its sender is the identity or the
# melder, (the counts' names)).
CHAT_LOG_CHANNELS = {
    "web": ("id", ("widgetberichten", "widgetgesprekken")),
    "telegram": ("melder", ("livechatberichten", "livechatgesprekken")),
}


class OutboxOwner(Protocol):
    """Who forgets a resident's outbox entries: the action server (over HTTP) or, on the
    command line, the outbox itself (actions/outbox.py)."""

    async def forget(self, kanaal: str, identity: str, *, dry_run: bool = False) -> Counts: ...


class _Database:
    """A database the web app does not own (Rasa's tracker store): an engine made on
    first use, if it exists. A SQLite file that is not there yet is not created."""

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
    """Purging and forgetting across the case and tracker databases.

    `cases` is the case system's engine (owned by the caller). `tracker` is an engine or
    a URL (opened on first use, closed by `close`), or None when there is nothing to
    purge there. `outbox` forgets a resident's outbox entries (None: there is no outbox).
    """

    def __init__(
        self,
        cases: AsyncEngine,
        *,
        policy: Policy,
        tracker: AsyncEngine | str | None = None,
        outbox: OutboxOwner | None = None,
        resweep_after: float | None = None,
    ) -> None:
        self.cases = cases
        self.tracker = _Database(tracker)
        self.outbox = outbox
        self.policy = policy
        # Seconds after which `forget` deletes the conversation once more (see
        # RESWEEP_AFTER); None in a short-lived process such as the command line.
        self.resweep_after = resweep_after
        self._local = asyncio.Lock()  # one purge at a time in this process, too
        self._sweeps: set[asyncio.Task[None]] = set()

    @classmethod
    def from_settings(
        cls,
        settings: WebSettings,
        cases: AsyncEngine,
        *,
        outbox: OutboxOwner | None = None,
        resweep_after: float | None = None,
    ) -> Retention:
        """The terms of `settings`; Rasa's tracker store where they say it is."""
        tracker_url = settings.tracker_database_url
        tracker = cases if tracker_url == settings.database_url else tracker_url
        return cls(
            cases,
            policy=settings.retention,
            tracker=tracker,
            outbox=outbox,
            resweep_after=resweep_after,
        )

    async def close(self) -> None:
        for sweep in list(self._sweeps):
            sweep.cancel()
        if self._sweeps:
            await asyncio.wait(self._sweeps)
        await self.tracker.close()

    # --- the purge -----------------------------------------------------------------------

    async def purge(self, *, dry_run: bool = False, now: datetime | None = None) -> Counts:
        """Delete what is past its term; returns how many of each kind (would be) deleted."""
        now = now or utcnow()
        counts: Counts = {}
        counts.update(await self._purge_cases(now, dry_run))
        counts.update(await self._purge_tracker(now, dry_run))
        if not dry_run:
            log_counts("retention purge", counts)
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
            # Nor to a case the chat follows (webapp/cases/nearby.py).
            StatusOptOut.melder.not_in(sa.select(Report.melder).where(Report.melder.is_not(None))),
            StatusOptOut.melder.not_in(
                sa.select(ExternalFollower.melder).where(ExternalFollower.melder.is_not(None))
            ),
        )
        counts["afmeldingen"] = await self._delete(StatusOptOut, StatusOptOut.melder, unused, dry)

        # Residents' thumbs up/down: with the conversation they were given in.
        old_feedback = Feedback.aangemaakt_op < now - policy.conversation
        counts["feedback"] = await self._delete(Feedback, Feedback.id, old_feedback, dry)

        # Counts of wrong passwords and new widget conversations gone quiet.
        counts["pogingen"] = await self._delete(
            Attempts, Attempts.sleutel, quiet_attempts(Attempts.__table__, now), dry
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
                await conn.execute(sa.delete(Report).where(Report.case_id.in_(still)))
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

    # --- forgetting one resident ---------------------------------------------------------

    async def forget(self, kanaal: str, identity: str, *, dry_run: bool = False) -> Counts:
        """Remove what identifies the resident with this channel identity.

        Their conversations (tracker events, widget transcript), the contact details of
        their cases, their call-back requests and status-message opt-out go; their cases
        stay for the municipality, without the link to them.
        """
        check_identity(kanaal, identity)
        melder = f"{kanaal}:{identity}"
        counts: Counts = {}
        unavailable: Exception | None = None
        if self.outbox is not None:
            # First: a report on its way must not reach the case system with the
            # resident's name after their cases were unlinked here.
            try:
                counts.update(await self.outbox.forget(kanaal, identity, dry_run=dry_run))
            except Exception as exc:  # what is here is forgotten anyway, then it is raised
                unavailable = exc
        counts.update(await self._forget_cases(kanaal, identity, melder, dry_run))
        counts.update(await self._forget_tracker(identity, dry_run))
        if not dry_run and self.resweep_after is not None:
            sweep = asyncio.ensure_future(
                self._resweep(identity, utcnow().timestamp(), self.resweep_after)
            )
            self._sweeps.add(sweep)
            sweep.add_done_callback(self._sweeps.discard)
        if not dry_run:
            log_counts(f"forgot a resident on {kanaal}", counts)
        if unavailable is not None:
            raise unavailable
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
                # Their reports on others' meldingen stay, unlinked: no more status messages.
                "ontkoppelde_meldingen",
                sa.select(sa.func.count(Report.id)).where(Report.melder == melder),
                sa.update(Report).where(Report.melder == melder).values(melder=None),
            ),
            (
                "ontkoppelde_ontvangstbewijzen",
                sa.select(sa.func.count(ExternalCase.id)).where(ExternalCase.melder == melder),
                sa.update(ExternalCase).where(ExternalCase.melder == melder).values(melder=None),
            ),
            (
                # Likewise for the external meldingen they follow.
                "ontkoppelde_volgers",
                sa.select(sa.func.count(ExternalFollower.id)).where(
                    ExternalFollower.melder == melder
                ),
                sa.update(ExternalFollower)
                .where(ExternalFollower.melder == melder)
                .values(melder=None),
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
        if kanaal in FEEDBACK_CHANNELS:  # their thumbs up/down go with the conversation
            steps.append(
                (
                    "feedback",
                    sa.select(sa.func.count(Feedback.id)).where(Feedback.gesprek == identity),
                    sa.delete(Feedback).where(Feedback.gesprek == identity),
                )
            )
        if kanaal in CHAT_LOG_CHANNELS:
            # A Telegram chat that asked for a medewerker has its live chat in the widget's
            # log, under its melder (webapp/live/telegram.py).
            sender, (messages, conversations) = CHAT_LOG_CHANNELS[kanaal]
            sender = identity if sender == "id" else melder
            sessions = sa.select(ChatSession.id).where(ChatSession.sender == sender)
            steps += [
                (
                    messages,
                    sa.select(sa.func.count(ChatEntry.id)).where(
                        ChatEntry.session_id.in_(sessions)
                    ),
                    sa.delete(ChatEntry).where(ChatEntry.session_id.in_(sessions)),
                ),
                (
                    # The row stays, wiped, so replies still on their way are dropped; the
                    # purge removes it after the conversation term.
                    conversations,
                    sa.select(sa.func.count()).where(ChatSession.sender == sender),
                    sa.update(ChatSession)
                    .where(ChatSession.sender == sender)
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


# --- the web app's periodic purge -----------------------------------------------------------

RETENTION_KEY = web.AppKey("retention", Retention)


def setup(app: web.Application, settings: WebSettings, store: CaseStore) -> None:
    """Forgetting for the Case API and the widget; the purge every BALIE_PURGE_INTERVAL_MINUTES."""
    retention = Retention.from_settings(
        settings,
        store.engine,
        outbox=ActionServer.from_settings(settings),
        resweep_after=RESWEEP_AFTER,
    )
    interval = settings.purge_interval
    app[RETENTION_KEY] = retention

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        task = (
            asyncio.ensure_future(run_periodically(retention.purge_exclusive, interval))
            if interval
            else None
        )
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await retention.close()

    app.cleanup_ctx.append(lifecycle)
