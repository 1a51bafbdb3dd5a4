"""Receipts of cases kept in an external system (`external_cases`), owned by the web app.

Idempotency: the action server's adapter holds a lock per submission and asks for the
receipt by its key before it calls the external system, and records the receipt right
after it answered; a retry of the same submission then finds it and never creates a
second external case. What remains is the window between the external answer and the
record (a crash there, or two action servers retrying the same key at once): `record`
then keeps the first receipt and logs the duplicate.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core import codes
from core.caseapi.models import Receipt, ReceiptIn
from core.db import session_factory
from webapp.cases.models import ExternalCase, utcnow
from webapp.cases.store import PREFIX, allocate

log = logging.getLogger(__name__)


def receipt_of(row: ExternalCase) -> Receipt:
    return Receipt(
        identificatie=row.identificatie,
        backend=row.backend,
        type=row.type,
        external_id=row.external_id,
        external_url=row.external_url,
        categorie=row.categorie,
        onderwerp=row.onderwerp,
        aangemaakt_op=row.aangemaakt_op,
    )


class Receipts:
    def __init__(self, engine: AsyncEngine) -> None:
        self.sessions = session_factory(engine)

    async def record(self, receipt: ReceiptIn, idempotency_key: str) -> tuple[Receipt, bool]:
        """(the receipt, whether it is new) under a newly allocated identifier.

        A receipt with the same idempotency key is returned as it is, nothing stored.
        """
        existing = await self.by_key(idempotency_key)
        if existing is not None:
            return existing, False
        code_hash = await codes.hash_code(receipt.controlecode)
        now = receipt.aangemaakt_op or utcnow()
        try:
            async with self.sessions() as session, session.begin():
                row = ExternalCase(
                    identificatie=await allocate(session, PREFIX[receipt.type], now.year),
                    backend=receipt.backend,
                    type=receipt.type,
                    external_id=receipt.external_id,
                    external_url=receipt.external_url,
                    categorie=receipt.categorie,
                    onderwerp=receipt.onderwerp,
                    melder=receipt.melder,
                    controlecode_hash=code_hash,
                    idempotency_key=idempotency_key,
                    aangemaakt_op=now,
                )
                session.add(row)
        except IntegrityError:
            first = await self.by_key(idempotency_key)
            if first is None:
                raise
            log.warning(
                "%s: submission %s reached the external system twice (%s and %s); kept %s",
                receipt.backend,
                idempotency_key,
                first.external_id,
                receipt.external_id,
                first.identificatie,
            )
            return first, False
        return receipt_of(row), True

    async def by_key(self, idempotency_key: str) -> Receipt | None:
        row = await self._one(ExternalCase.idempotency_key == idempotency_key)
        return receipt_of(row) if row else None

    async def find(self, identificatie: str) -> Receipt | None:
        row = await self._one(ExternalCase.identificatie == identificatie)
        return receipt_of(row) if row else None

    async def authorize(
        self, identificatie: str, controlecode: str | None = None, melder: str | None = None
    ) -> Receipt | None:
        """The receipt for a resident who proves the case is theirs, else None.

        Unknown identifier and wrong code give the same None after the same work
        (one argon2 verification), so answers do not reveal which cases exist.
        """
        row = await self._one(ExternalCase.identificatie == identificatie)
        if row is None:
            await codes.verify_code(codes.DUMMY_HASH, controlecode or "")
            return None
        if melder and row.melder == melder:
            return receipt_of(row)
        code = codes.normalize_code(controlecode or "")
        if code and await codes.verify_code(row.controlecode_hash, code):
            return receipt_of(row)
        return None

    async def for_melder(self, melder: str, backend: str | None = None) -> list[Receipt]:
        """Receipts made from this channel identity, newest first."""
        query = sa.select(ExternalCase).where(ExternalCase.melder == melder)
        if backend is not None:
            query = query.where(ExternalCase.backend == backend)
        query = query.order_by(ExternalCase.aangemaakt_op.desc(), ExternalCase.id.desc())
        async with self.sessions() as session:
            return [receipt_of(row) for row in (await session.execute(query)).scalars()]

    async def _one(self, condition: sa.sql.ColumnElement) -> ExternalCase | None:
        async with self.sessions() as session:
            return (
                await session.execute(sa.select(ExternalCase).where(condition))
            ).scalar_one_or_none()
