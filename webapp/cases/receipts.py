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
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from core import codes
from core.caseapi.models import FollowIn, Receipt, ReceiptIn, StatusNewsIn
from core.db import session_factory
from core.domain import FINAL
from webapp.cases.models import ExternalCase, ExternalFollower, utcnow
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
        laatste_status=row.laatste_status,
        laatste_status_op=row.laatste_status_op,
    )


@dataclass(frozen=True)
class NewsOutcome:
    melders: list[str]  # the reporter and the chats that follow the case
    uitkomst: Literal["nieuw", "dubbel", "ouder"]
    first: bool  # the initial status: recorded, not news to the resident


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
        if melder and (row.melder == melder or melder in await self.followers(row.id)):
            return receipt_of(row)
        code = codes.normalize_code(controlecode or "")
        if code and await codes.verify_code(row.controlecode_hash, code):
            return receipt_of(row)
        return None

    async def for_melder(self, melder: str, backend: str | None = None) -> list[Receipt]:
        """Receipts made or followed from this channel identity, newest first."""
        followed = sa.select(ExternalFollower.receipt_id).where(ExternalFollower.melder == melder)
        query = sa.select(ExternalCase).where(
            sa.or_(ExternalCase.melder == melder, ExternalCase.id.in_(followed))
        )
        if backend is not None:
            query = query.where(ExternalCase.backend == backend)
        query = query.order_by(ExternalCase.aangemaakt_op.desc(), ExternalCase.id.desc())
        async with self.sessions() as session:
            return [receipt_of(row) for row in (await session.execute(query)).scalars()]

    async def of_backend(self, backend: str, limit: int = 1000) -> list[Receipt]:
        """The newest `limit` receipts of one external system (what status polling reads)."""
        query = (
            sa.select(ExternalCase)
            .where(ExternalCase.backend == backend)
            .order_by(ExternalCase.aangemaakt_op.desc(), ExternalCase.id.desc())
            .limit(limit)
        )
        async with self.sessions() as session:
            return [receipt_of(row) for row in (await session.execute(query)).scalars()]

    async def by_external_url(self, backend: str, url: str) -> Receipt | None:
        query = sa.select(ExternalCase).where(
            ExternalCase.backend == backend, ExternalCase.external_url == url
        )
        async with self.sessions() as session:
            row = (await session.execute(query.limit(1))).scalars().first()
        return receipt_of(row) if row else None

    async def follow(
        self, identificatie: str, follower: FollowIn, idempotency_key: str
    ) -> tuple[Receipt, bool] | None:
        """(the receipt, whether the follower is new); None if there is no such receipt.

        Only an open melding can be followed (`ValueError` otherwise); the same key
        again, or a chat that already follows or reported it, adds nothing.
        """
        row = await self._one(ExternalCase.identificatie == identificatie)
        if row is None:
            return None
        if row.type != "melding" or row.laatste_status in FINAL:
            raise ValueError("only an open melding can be followed")
        if follower.melder == row.melder or follower.melder in await self.followers(row.id):
            return receipt_of(row), False
        try:
            async with self.sessions() as session, session.begin():
                session.add(
                    ExternalFollower(
                        receipt_id=row.id,
                        melder=follower.melder,
                        kanaal=follower.kanaal,
                        tijdstip=follower.tijdstip,
                        idempotency_key=idempotency_key,
                    )
                )
        except IntegrityError:  # the same submission twice at once
            return receipt_of(row), False
        return receipt_of(row), True

    async def followers(self, receipt_id: int) -> list[str]:
        """The chats that follow a receipted case besides its reporter, oldest first."""
        query = (
            sa.select(ExternalFollower.melder)
            .where(ExternalFollower.receipt_id == receipt_id, ExternalFollower.melder.is_not(None))
            .order_by(ExternalFollower.id)
        )
        async with self.sessions() as session:
            return list(dict.fromkeys((await session.execute(query)).scalars()))

    async def status_news(self, identificatie: str, news: StatusNewsIn) -> NewsOutcome | None:
        """Record an external status unless it is a duplicate or older than the last one.

        One conditional UPDATE decides, so two web apps receiving the same notification
        at once (or a poller racing a callback) record, and push, it once.
        """
        row = await self._one(ExternalCase.identificatie == identificatie)
        if row is None:
            return None
        fresh = sa.and_(
            ExternalCase.identificatie == identificatie,
            sa.or_(
                ExternalCase.laatste_status_ref.is_(None),
                ExternalCase.laatste_status_ref != news.referentie,
            ),
            sa.or_(
                ExternalCase.laatste_status_op.is_(None),
                ExternalCase.laatste_status_op <= news.gezet_op,
            ),
        )
        update = (
            sa.update(ExternalCase)
            .where(fresh)
            .values(
                laatste_status_ref=news.referentie,
                laatste_status_op=news.gezet_op,
                laatste_status=news.status,
            )
        )
        async with self.sessions() as session, session.begin():
            changed = (await session.execute(update)).rowcount == 1
        if not changed:
            seen = row.laatste_status_ref == news.referentie
            return NewsOutcome([], "dubbel" if seen else "ouder", first=False)
        # The first status is the one the case was made with: the resident was just told.
        first = row.laatste_status_ref is None and news.status == "gemeld"
        melders = [m for m in [row.melder, *await self.followers(row.id)] if m]
        return NewsOutcome(list(dict.fromkeys(melders)), "nieuw", first=first)

    async def _one(self, condition: sa.sql.ColumnElement) -> ExternalCase | None:
        async with self.sessions() as session:
            return (
                await session.execute(sa.select(ExternalCase).where(condition))
            ).scalar_one_or_none()
