"""Balie's receipts for cases kept in an external system (Signalen, ZGW).

The external system knows nothing of controlecodes, chat identities or Balie's
identifiers, so each external case gets a row in `external_cases`: Balie's own
gap-free identifier (`M-2026-000042`), allocated from the same counters as the
built-in case system, next to the external reference.

Idempotency: an adapter holds `lock(key)` and checks `by_key(key)` before it
calls the external system, and `record()`s right after it answered; a retry of
the same submission then finds the receipt and never creates a second external
case. What remains is the window between the external answer and `record()`
(a crash there, or two processes retrying the same key at the same moment);
`record()` then keeps the first receipt and logs the duplicate.

The schema is Alembic's (`webapp.cases.migrate`), applied before the services start.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from actions.backends.base import CaseStatus, NewCase
from core import codes
from core.db import create_engine, session_factory
from webapp.cases.models import ExternalCase, utcnow
from webapp.cases.store import PREFIX, allocate

log = logging.getLogger(__name__)


class Ledger:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @classmethod
    def from_url(cls, url: str) -> Ledger:
        return cls(create_engine(url))

    async def close(self) -> None:
        await self.engine.dispose()

    def lock(self, idempotency_key: str) -> asyncio.Lock:
        """One lock per submission in this process: concurrent retries wait for the first."""
        lock = self._locks.get(idempotency_key)
        if lock is None:
            lock = self._locks[idempotency_key] = asyncio.Lock()
        return lock

    async def record(
        self,
        backend: str,
        case: NewCase,
        external_id: str,
        external_url: str | None = None,
        *,
        aangemaakt_op: datetime | None = None,
    ) -> str:
        """Store the receipt under a newly allocated identifier and return that identifier.

        If a receipt with the same idempotency key exists already, its identifier is
        returned and nothing is stored.
        """
        code = codes.normalize_code(case.controlecode) or case.controlecode
        code_hash = await codes.hash_code(code)
        now = aangemaakt_op or utcnow()
        try:
            async with self.sessions() as session, session.begin():
                identificatie = await allocate(session, PREFIX[case.type], now.year)
                session.add(
                    ExternalCase(
                        identificatie=identificatie,
                        backend=backend,
                        type=case.type,
                        external_id=external_id,
                        external_url=external_url,
                        categorie=case.categorie,
                        onderwerp=case.onderwerp,
                        melder=case.melder,
                        controlecode_hash=code_hash,
                        idempotency_key=case.idempotency_key,
                        aangemaakt_op=now,
                    )
                )
        except IntegrityError:
            existing = await self.by_key(case.idempotency_key)
            if existing is None:
                raise
            log.warning(
                "%s: submission %s reached the external system twice (%s and %s); kept %s",
                backend,
                case.idempotency_key,
                existing.external_id,
                external_id,
                existing.identificatie,
            )
            return existing.identificatie
        return identificatie

    async def by_key(self, idempotency_key: str) -> ExternalCase | None:
        return await self._one(ExternalCase.idempotency_key == idempotency_key)

    async def find(self, identificatie: str) -> ExternalCase | None:
        return await self._one(ExternalCase.identificatie == identificatie.strip().upper())

    async def authorize(
        self, identificatie: str, controlecode: str | None = None, melder: str | None = None
    ) -> ExternalCase | None:
        """The receipt for a resident who proves the case is theirs, else None.

        Unknown identifier and wrong code give the same None after the same work
        (one argon2 verification), so answers do not reveal which cases exist.
        """
        row = await self.find(identificatie)
        if row is None:
            await codes.verify_code(codes.DUMMY_HASH, controlecode or "")
            return None
        if melder and row.melder == melder:
            return row
        code = codes.normalize_code(controlecode or "")
        if code and await codes.verify_code(row.controlecode_hash, code):
            return row
        return None

    async def for_melder(self, melder: str, backend: str | None = None) -> list[ExternalCase]:
        """Receipts made from this channel identity, newest first."""
        query = sa.select(ExternalCase).where(ExternalCase.melder == melder)
        if backend is not None:
            query = query.where(ExternalCase.backend == backend)
        query = query.order_by(ExternalCase.aangemaakt_op.desc(), ExternalCase.id.desc())
        async with self.sessions() as session:
            return list((await session.execute(query)).scalars())

    async def _one(self, condition: sa.sql.ColumnElement) -> ExternalCase | None:
        async with self.sessions() as session:
            return (
                await session.execute(sa.select(ExternalCase).where(condition))
            ).scalar_one_or_none()


class LedgerBackend:
    """What the Signalen and ZGW adapters share: reading cases through their receipts.

    Subclasses set `name` and `ledger` and implement `_status` (the external system's
    view of one receipted case).
    """

    name: str
    ledger: Ledger
    # At most this many of a reporter's cases are looked up in the external system.
    LIST_LIMIT = 20

    async def _status(self, row: ExternalCase) -> CaseStatus:
        raise NotImplementedError

    def _receipt_status(self, row: ExternalCase, status: str = "gemeld") -> CaseStatus:
        return CaseStatus(
            identificatie=row.identificatie,
            type=row.type,  # type: ignore[arg-type]
            status=status,
            aangemaakt_op=row.aangemaakt_op,
            categorie=row.categorie,
            onderwerp=row.onderwerp,
        )

    async def get_case(
        self, identificatie: str, *, controlecode: str | None = None, melder: str | None = None
    ) -> CaseStatus | None:
        row = await self.ledger.authorize(identificatie, controlecode, melder)
        if row is None or row.backend != self.name:
            return None
        return await self._status(row)

    async def list_cases(self, melder: str) -> list[CaseStatus]:
        rows = (await self.ledger.for_melder(melder, backend=self.name))[: self.LIST_LIMIT]
        limit = asyncio.Semaphore(4)

        async def one(row: ExternalCase) -> CaseStatus:
            async with limit:
                return await self._status(row)

        return list(await asyncio.gather(*(one(row) for row in rows)))
