"""A durable outbox: a submission is written here first and delivered from here.

If the case system is down or slow, the resident's report waits in the outbox (a
local SQLite file, or BALIE_OUTBOX_URL's database shared by every action server of a
cluster) and a background worker delivers it later. Every entry carries the
submission's idempotency key, so delivering twice (a retry racing the worker)
still makes one case.

The payload holds the resident's contact details and the case's controlecode: it is
stored encrypted (core/privacy/sealing.py, the tracker store's key), and once the case
system has it, only what the resident's announcement needs stays (the kind of case and,
until it is announced, the code). Rows written before encryption are sealed or
stripped the first time an action server opens the outbox.

The action server owns this table: it purges it (`purge`, by the retention terms,
actions/retention.py) and forgets a resident's entries (`forget`) when the web app or
`python -m bot forget` asks.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import create_engine, create_tables
from core.privacy.retention import Counts, Policy, check_identity
from core.privacy.sealing import Sealer, is_sealed
from core.privacy.sealing import sealer as personal_data_sealer

if TYPE_CHECKING:
    from actions.settings import ActionSettings

log = logging.getLogger(__name__)

metadata = sa.MetaData()
entries = sa.Table(
    "outbox",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),  # the idempotency key
    sa.Column("kind", sa.String(20), nullable=False),  # "case" | "callback"
    sa.Column("sender", sa.String(200)),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("state", sa.String(12), nullable=False, default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt", sa.Float, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("result", sa.Text),
    sa.Column("created", sa.Float, nullable=False),
)
# First retry after 5 s, doubling up to 5 minutes.
FIRST_RETRY, MAX_RETRY = 5.0, 300.0
# While the action delivers an entry itself, the worker leaves it alone.
LEASE = 30.0
# What of a case's payload stays after delivery: the resident is told the kind of case
# and (when it went through later, from the queue) its controlecode.
KEPT_AFTER_DELIVERY = ("type",)
KEPT_UNTIL_ANNOUNCED = ("type", "controlecode")


def _now() -> float:
    return datetime.now(timezone.utc).timestamp()


@dataclass(frozen=True)
class Entry:
    key: str
    kind: str
    sender: str | None
    payload: dict[str, Any]
    state: str  # pending | delivered | rejected
    attempts: int
    result: dict[str, Any] | None
    last_error: str | None
    created: datetime

    @classmethod
    def from_row(cls, row: Any, sealer: Sealer) -> Entry:
        return cls(
            key=row.key,
            kind=row.kind,
            sender=row.sender,
            payload=open_payload(row.payload, sealer),
            state=row.state,
            attempts=row.attempts,
            result=json.loads(row.result) if row.result else None,
            last_error=row.last_error,
            created=datetime.fromtimestamp(row.created, timezone.utc),
        )


def open_payload(stored: str, sealer: Sealer) -> dict[str, Any]:
    """A stored payload: encrypted, or plain JSON from before; {} with another key."""
    payload = sealer.open_json(stored)
    return payload if isinstance(payload, dict) else {}


def kept(payload: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: payload[k] for k in keys if payload.get(k) is not None}


class Outbox:
    def __init__(self, engine: AsyncEngine, sealer: Sealer) -> None:
        self.engine = engine
        self.sealer = sealer
        self._ready = False

    def _row(self, row: Any) -> Entry:
        return Entry.from_row(row, self.sealer)

    @classmethod
    def of(cls, settings: ActionSettings) -> Outbox:
        """The outbox in the settings' database (`outbox_url`), sealed with the install's
        key (BALIE_SECRET_KEY, or the key file in the data directory, as the web app's)."""
        return cls(create_engine(settings.outbox_url), personal_data_sealer(settings))

    async def _setup(self) -> None:
        if self._ready:
            return
        await create_tables(self.engine, [entries])
        await self._seal_plain_rows()
        self._ready = True

    async def _seal_plain_rows(self) -> None:
        """Rows from before encryption: pending and rejected ones encrypted (nothing of a
        waiting report is lost), delivered ones keep only what the announcement needs."""
        async with self.engine.begin() as conn:
            rows = list(
                await conn.execute(
                    sa.select(entries.c.key, entries.c.state, entries.c.payload).where(
                        entries.c.payload.not_like("enc:v1:%")
                    )
                )
            )
            for row in rows:
                if is_sealed(row.payload):
                    continue
                payload = open_payload(row.payload, self.sealer)
                if row.state == "delivered":
                    payload = kept(payload, KEPT_AFTER_DELIVERY)
                # Only if nobody changed it meanwhile (another action server upgrading too).
                await conn.execute(
                    entries.update()
                    .where(entries.c.key == row.key, entries.c.payload == row.payload)
                    .values(payload=self.sealer.seal(payload))
                )

    async def close(self) -> None:
        await self.engine.dispose()

    async def put(self, key: str, kind: str, payload: dict[str, Any], sender: str | None) -> Entry:
        """Store a submission durably (once per key) and lease it to the caller."""
        await self._setup()
        now = _now()
        async with self.engine.begin() as conn:
            row = (await conn.execute(entries.select().where(entries.c.key == key))).first()
            if row is None:
                await conn.execute(
                    entries.insert().values(
                        key=key,
                        kind=kind,
                        sender=sender,
                        payload=self.sealer.seal(payload),
                        state="pending",
                        attempts=0,
                        next_attempt=now + LEASE,
                        created=now,
                    )
                )
                row = (await conn.execute(entries.select().where(entries.c.key == key))).first()
        return self._row(row)

    async def get(self, key: str) -> Entry | None:
        await self._setup()
        async with self.engine.connect() as conn:
            row = (await conn.execute(entries.select().where(entries.c.key == key))).first()
        return self._row(row) if row else None

    async def pending_for(self, sender: str) -> list[Entry]:
        await self._setup()
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                entries.select()
                .where(entries.c.sender == sender, entries.c.state == "pending")
                .order_by(entries.c.created)
            )
            return [self._row(r) for r in rows]

    async def due(self, limit: int = 20) -> list[Entry]:
        await self._setup()
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                entries.select()
                .where(entries.c.state == "pending", entries.c.next_attempt <= _now())
                .order_by(entries.c.next_attempt)
                .limit(limit)
            )
            return [self._row(r) for r in rows]

    async def claim(self, key: str) -> bool:
        """Lease a due entry to this worker; False when another worker (or the action
        delivering it right now) holds it. Several action servers share one outbox."""
        now = _now()
        async with self.engine.begin() as conn:
            claimed = await conn.execute(
                entries.update()
                .where(
                    entries.c.key == key,
                    entries.c.state == "pending",
                    entries.c.next_attempt <= now,
                )
                .values(next_attempt=now + LEASE)
            )
        return claimed.rowcount == 1

    async def delivered(
        self, entry: Entry, result: dict[str, Any], *, announce: bool = False
    ) -> None:
        """The case system has it: the personal parts of the payload go. announce: the
        resident still has to hear the code (a queued report), so it stays until then."""
        keep = kept(entry.payload, KEPT_UNTIL_ANNOUNCED if announce else KEPT_AFTER_DELIVERY)
        async with self.engine.begin() as conn:
            await conn.execute(
                entries.update()
                .where(entries.c.key == entry.key)
                .values(
                    state="delivered",
                    result=json.dumps(result),
                    last_error=None,
                    payload=self.sealer.seal(keep),
                )
            )

    async def announced(self, entry: Entry) -> None:
        """The resident has been told the code of a queued report: it goes from here too."""
        async with self.engine.begin() as conn:
            await conn.execute(
                entries.update()
                .where(entries.c.key == entry.key, entries.c.state == "delivered")
                .values(payload=self.sealer.seal(kept(entry.payload, KEPT_AFTER_DELIVERY)))
            )

    async def failed(self, key: str, error: str, *, retry_after: float | None = None) -> None:
        async with self.engine.begin() as conn:
            row = (await conn.execute(entries.select().where(entries.c.key == key))).first()
            if row is None or row.state != "pending":
                return
            delay = min(MAX_RETRY, FIRST_RETRY * 2**row.attempts)
            await conn.execute(
                entries.update()
                .where(entries.c.key == key)
                .values(
                    attempts=row.attempts + 1,
                    next_attempt=_now() + max(delay, retry_after or 0),
                    last_error=error[:2000],
                )
            )

    async def rejected(self, key: str, error: str) -> None:
        """The case system refused it for good; kept (not deleted) for staff to look at."""
        async with self.engine.begin() as conn:
            await conn.execute(
                entries.update()
                .where(entries.c.key == key)
                .values(state="rejected", last_error=error[:2000])
            )

    async def purge(
        self, policy: Policy, *, dry_run: bool = False, now: datetime | None = None
    ) -> Counts:
        """Delete what is done with and past its term. A pending entry is never deleted:
        the report has not reached the case system."""
        await self._setup()
        now = now or datetime.now(timezone.utc)
        done = sa.or_(
            sa.and_(
                # Only what the announcement needed is left; the conversation term.
                entries.c.state == "delivered",
                entries.c.created < (now - policy.conversation).timestamp(),
            ),
            sa.and_(
                # Refused for good; kept a while for staff to look at, like contact details.
                entries.c.state == "rejected",
                entries.c.created < (now - policy.contact).timestamp(),
            ),
        )
        async with self.engine.begin() as conn:
            if dry_run:
                found = await conn.scalar(sa.select(sa.func.count()).where(done))
                return {"outbox": found or 0}
            result = await conn.execute(sa.delete(entries).where(done))
            return {"outbox": result.rowcount or 0}

    async def forget(self, kanaal: str, identity: str, *, dry_run: bool = False) -> Counts:
        """Forget the resident with this channel identity: their delivered and rejected
        entries go, a report still on its way goes without who made it."""
        check_identity(kanaal, identity)
        await self._setup()
        melder = f"{kanaal}:{identity}"
        counts = {"outbox": 0, "outbox_geanonimiseerd": 0, "outbox_wachtend": 0}
        async with self.engine.begin() as conn:
            rows = list(
                await conn.execute(
                    sa.select(entries.c.key, entries.c.kind, entries.c.state, entries.c.payload)
                    .where(entries.c.sender == identity)
                    .with_for_update()
                )
            )
            for row in rows:
                try:
                    payload = open_payload(row.payload, self.sealer)
                except ValueError:
                    payload = {}
                if payload.get("melder") not in (None, melder):
                    continue  # the same sender id on another channel: someone else
                if row.state != "pending":
                    counts["outbox"] += 1
                    if not dry_run:
                        await conn.execute(
                            sa.delete(entries).where(
                                entries.c.key == row.key, entries.c.state == row.state
                            )
                        )
                elif row.kind == "case" and (payload.get("melder") or payload.get("contact")):
                    # Still to be delivered: the report goes, without who made it.
                    counts["outbox_geanonimiseerd"] += 1
                    if not dry_run:
                        payload.update(melder=None, contact=None)
                        await conn.execute(
                            sa.update(entries)
                            .where(entries.c.key == row.key, entries.c.state == "pending")
                            .values(payload=self.sealer.seal(payload))
                        )
                elif row.kind != "case":
                    # A call-back request on its way: delivered as asked, then it follows
                    # the call-back term (or a new request to forget).
                    counts["outbox_wachtend"] += 1
        return counts

    async def counts(self) -> dict[str, int]:
        await self._setup()
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(entries.c.state, sa.func.count()).group_by(entries.c.state)
            )
            return {state: n for state, n in rows}


Deliver = Callable[[Entry], Awaitable[dict[str, Any]]]
Notify = Callable[[Entry, dict[str, Any]], Awaitable[None]]


async def run_worker(
    outbox: Outbox, deliver: Deliver, notify: Notify, interval: float = 2.0
) -> None:
    """Deliver due entries forever; each failure backs off on its own."""
    from actions.backends.base import BackendError

    while True:
        for entry in await outbox.due():
            if not await outbox.claim(entry.key):
                continue
            try:
                result = await deliver(entry)
            except BackendError as exc:
                if exc.retryable:
                    await outbox.failed(entry.key, str(exc), retry_after=exc.retry_after)
                else:
                    await outbox.rejected(entry.key, str(exc))
                    log.error("outbox entry %s rejected: %s", entry.key, exc)
                continue
            except Exception:  # never let one bad entry stop the worker
                log.exception("outbox entry %s failed", entry.key)
                await outbox.failed(entry.key, "unexpected error")
                continue
            await outbox.delivered(entry, result, announce=True)
            log.info("outbox delivered %s -> %s", entry.key, result)
            try:
                await notify(entry, result)
            except Exception:
                log.exception("could not tell the conversation about %s", entry.key)
        await asyncio.sleep(interval)
