"""The case store: every read and write of the built-in case system goes through here."""

from __future__ import annotations

import builtins
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core import codes, nearby
from core.caseapi.models import CallbackIn, CaseIn
from core.db import create_engine, session_factory
from core.domain import FINAL, INITIAL, check_transition
from webapp.cases.models import (
    Attachment,
    Callback,
    Case,
    Contact,
    Counter,
    Report,
    StatusChange,
    StatusOptOut,
    Upload,
    utcnow,
)
from webapp.staff import audit

PREFIX = {"melding": "M", "verzoek": "V"}
# A photo waits this long for its case (a resident may take a while to finish the form).
UPLOAD_TTL = timedelta(hours=24)


@dataclass(frozen=True)
class Filters:
    type: str | None = None
    status: str | None = None
    categorie: str | None = None
    kanaal: str | None = None
    melder: str | None = None
    since: datetime | None = None
    zoek: str | None = None


def _filtered(filters: Filters) -> sa.sql.Select:
    """The cases matching the staff's filters (no order, no paging)."""
    query = sa.select(Case)
    for column, value in (
        (Case.type, filters.type),
        (Case.status, filters.status),
        (Case.categorie, filters.categorie),
        (Case.kanaal, filters.kanaal),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.melder is not None:
        # A resident's cases: those they reported first and those they follow.
        followed = sa.select(Report.case_id).where(Report.melder == filters.melder)
        query = query.where(sa.or_(Case.melder == filters.melder, Case.id.in_(followed)))
    if filters.since is not None:
        query = query.where(Case.aangemaakt_op >= filters.since)
    if filters.zoek:
        like = f"%{filters.zoek.lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Case.omschrijving).like(like),
                sa.func.lower(Case.identificatie).like(like),
                sa.func.lower(Case.straat).like(like),
            )
        )
    return query


async def allocate(session: AsyncSession, prefix: str, jaar: int) -> str:
    """Next identifier of the year, inside the caller's transaction.

    The counter row is locked by the UPDATE until the transaction ends, so
    concurrent creators queue; a rolled-back creation hands its number back.
    """
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(Counter).values(type=prefix, jaar=jaar, laatste=0).on_conflict_do_nothing()
    )
    await session.execute(
        sa.update(Counter)
        .where(Counter.type == prefix, Counter.jaar == jaar)
        .values(laatste=Counter.laatste + 1)
    )
    number = (
        await session.execute(
            sa.select(Counter.laatste).where(Counter.type == prefix, Counter.jaar == jaar)
        )
    ).scalar_one()
    if number > 999_999:
        raise OverflowError(f"more than 999999 {prefix}-identifiers in {jaar}")
    return f"{prefix}-{jaar}-{number:06d}"


async def locked_case(session: AsyncSession, identificatie: str) -> Case | None:
    """The case, locked until the caller's transaction ends (concurrent changes queue)."""
    return (
        await session.execute(
            sa.select(Case).where(Case.identificatie == identificatie).with_for_update()
        )
    ).scalar_one_or_none()


class CaseStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = session_factory(engine)

    @classmethod
    def from_url(cls, url: str) -> CaseStore:
        return cls(create_engine(url))

    async def close(self) -> None:
        await self.engine.dispose()

    async def create(
        self, data: CaseIn, *, idempotency_key: str | None = None, door: str = "melder"
    ) -> tuple[Case, str | None, bool]:
        """Create a case; returns (case, controlecode, created).

        The same idempotency key again returns the first case (created=False) and no
        code: the caller that chose the code still has it, nobody else gets it.
        """
        if idempotency_key:
            existing = await self._by_key(idempotency_key)
            if existing:
                return existing, None, False
        code = data.controlecode or codes.new_code()
        code_hash = await codes.hash_code(code)
        now = utcnow()
        locatie = data.locatie
        # A typed address gets its point from the BAG extract, so it compares with a
        # shared location when the next resident reports the same thing (core/nearby.py).
        point = (
            nearby.point_of(locatie.straat, locatie.huisnummer, locatie.postcode)
            if (locatie and locatie.lat is None)
            else None
        )
        try:
            async with self.sessions() as session, session.begin():
                identificatie = await allocate(session, PREFIX[data.type], now.year)
                case = Case(
                    identificatie=identificatie,
                    type=data.type,
                    status=INITIAL,
                    categorie=data.categorie,
                    onderwerp=data.onderwerp,
                    omschrijving=data.omschrijving,
                    straat=locatie.straat if locatie else None,
                    huisnummer=locatie.huisnummer if locatie else None,
                    postcode=locatie.postcode if locatie else None,
                    plaats=locatie.plaats if locatie else None,
                    lat=point[0] if point else locatie.lat if locatie else None,
                    lon=point[1] if point else locatie.lon if locatie else None,
                    locatie_omschrijving=locatie.omschrijving if locatie else None,
                    tijdstip=data.tijdstip,
                    kanaal=data.kanaal,
                    melder=data.melder,
                    controlecode_hash=code_hash,
                    idempotency_key=idempotency_key,
                    aangemaakt_op=now,
                    gewijzigd_op=now,
                )
                session.add(case)
                session.add(StatusChange(case=case, status=INITIAL, door=door, op=now))
                if data.contact and any(data.contact.dict().values()):
                    session.add(Contact(case=case, **data.contact.dict(), toestemming_op=now))
        except IntegrityError:
            # A concurrent retry with the same key won the race: answer with its case.
            existing = await self._by_key(idempotency_key) if idempotency_key else None
            if existing is None:
                raise
            return existing, None, False
        created = await self.get(identificatie)
        assert created is not None  # committed just now, in this transaction's session
        return created, code, True

    async def _by_key(self, key: str) -> Case | None:
        async with self.sessions() as session:
            return (
                await session.execute(sa.select(Case).where(Case.idempotency_key == key))
            ).scalar_one_or_none()

    async def get(self, identificatie: str) -> Case | None:
        async with self.sessions() as session:
            return (
                await session.execute(sa.select(Case).where(Case.identificatie == identificatie))
            ).scalar_one_or_none()

    async def list(
        self, filters: Filters, *, page: int = 1, per_page: int = 50, by_melders: bool = False
    ) -> tuple[list[Case], int]:
        """A page of cases, newest first; `by_melders`: most reporters first, then newest."""
        query = _filtered(filters)
        async with self.sessions() as session:
            total = (
                await session.execute(sa.select(sa.func.count()).select_from(query.subquery()))
            ).scalar_one()
            rows = (
                await session.execute(
                    query.order_by(
                        *([Case.melders.desc()] if by_melders else []),
                        Case.aangemaakt_op.desc(),
                        Case.id.desc(),
                    )
                    .offset((page - 1) * per_page)
                    .limit(per_page)
                )
            ).scalars()
            return list(rows), total

    async def located(
        self, filters: Filters, *, open_only: bool, limit: int
    ) -> tuple[builtins.list[Case], int]:
        """The newest `limit` matching cases with a point, and how many match without one."""
        query = _filtered(filters)
        if open_only:
            query = query.where(Case.status.not_in(FINAL))
        has_point = sa.and_(Case.lat.is_not(None), Case.lon.is_not(None))
        async with self.sessions() as session:
            without = (
                await session.execute(
                    sa.select(sa.func.count()).select_from(
                        query.where(sa.not_(has_point)).subquery()
                    )
                )
            ).scalar_one()
            rows = (
                await session.execute(
                    query.where(has_point)
                    .order_by(Case.aangemaakt_op.desc(), Case.id.desc())
                    .limit(limit)
                )
            ).scalars()
            return list(rows), without

    async def change_status(
        self, identificatie: str, status: str, toelichting: str | None, door: str
    ) -> Case | None:
        """Apply a status change; None if the case does not exist.

        Raises TransitionError for a change the lifecycle does not allow.
        """
        async with self.sessions() as session, session.begin():
            case = await locked_case(session, identificatie)
            if case is None:
                return None
            check_transition(case.status, status, toelichting)
            now = utcnow()
            session.add(
                audit.entry(door, "status_gewijzigd", identificatie, van=case.status, naar=status)
            )
            case.status = status
            case.gewijzigd_op = now
            session.add(
                StatusChange(case=case, status=status, toelichting=toelichting, door=door, op=now)
            )
        return await self.get(identificatie)

    async def inzage(
        self, identificatie: str, *, controlecode: str | None = None, melder: str | None = None
    ) -> Case | None:
        """The case for a resident who proves it is theirs; None otherwise, whatever the reason.

        Guessing is throttled per guesser before this is called (actions/guesser.py), not
        per case: a lock on the case would let anyone lock every resident out of theirs.
        """
        case = await self.get(identificatie)
        if case is None:
            # Spend the same time as a real check, so timing does not reveal which cases exist.
            await codes.verify_code(codes.DUMMY_HASH, controlecode or "")
            return None
        if melder and (case.melder == melder or await self.follows(case.id, melder)):
            return case
        code = codes.normalize_code(controlecode or "")
        if not code:
            await codes.verify_code(codes.DUMMY_HASH, controlecode or "")
            return None
        return case if await codes.verify_code(case.controlecode_hash, code) else None

    async def follows(self, case_id: int, melder: str) -> bool:
        """Did this chat report the case again, and so follow it (webapp/cases/nearby.py)?"""
        async with self.sessions() as session:
            found = await session.execute(
                sa.select(Report.id)
                .where(Report.case_id == case_id, Report.melder == melder)
                .limit(1)
            )
            return found.first() is not None

    async def add_attachment(
        self, identificatie: str, bestandsnaam: str, content_type: str, data: bytes
    ) -> Attachment | None:
        """Store a photo (already type-checked); the same photo twice is stored once."""
        digest = hashlib.sha256(data).hexdigest()
        async with self.sessions() as session, session.begin():
            case = (
                await session.execute(sa.select(Case).where(Case.identificatie == identificatie))
            ).scalar_one_or_none()
            if case is None:
                return None
            existing = (
                await session.execute(
                    sa.select(Attachment).where(
                        Attachment.case_id == case.id, Attachment.sha256 == digest
                    )
                )
            ).scalar_one_or_none()
            if existing:
                return existing
            attachment = Attachment(
                case_id=case.id,
                bestandsnaam=bestandsnaam,
                content_type=content_type,
                grootte=len(data),
                sha256=digest,
                data=data,
            )
            session.add(attachment)
            case.gewijzigd_op = utcnow()
        return attachment

    async def attachments(self, identificatie: str) -> builtins.list[Attachment]:
        """Metadata of a case's photos (the bytes are loaded only by `attachment`)."""
        async with self.sessions() as session:
            rows = await session.execute(
                sa.select(Attachment)
                .join(Case)
                .where(Case.identificatie == identificatie)
                .order_by(Attachment.id)
                .options(sa.orm.defer(Attachment.data))
            )
            return list(rows.scalars())

    async def attachment(self, identificatie: str, attachment_id: int) -> Attachment | None:
        async with self.sessions() as session:
            return (
                await session.execute(
                    sa.select(Attachment)
                    .join(Case)
                    .where(Case.identificatie == identificatie, Attachment.id == attachment_id)
                )
            ).scalar_one_or_none()

    async def stage_upload(self, bestandsnaam: str, content_type: str, data: bytes) -> Upload:
        """Keep a checked photo until its case exists; stale uploads are dropped here too."""
        upload = Upload(
            id=str(uuid.uuid4()),
            bestandsnaam=bestandsnaam,
            content_type=content_type,
            grootte=len(data),
            data=data,
        )
        async with self.sessions() as session, session.begin():
            await session.execute(
                sa.delete(Upload).where(Upload.aangemaakt_op < utcnow() - UPLOAD_TTL)
            )
            session.add(upload)
        return upload

    async def upload(self, upload_id: str) -> Upload | None:
        async with self.sessions() as session:
            return await session.get(Upload, upload_id)

    async def opt_out(self, melder: str) -> bool:
        """No status messages to this chat any more; True if it was not so already."""
        try:
            async with self.sessions() as session, session.begin():
                if await session.get(StatusOptOut, melder) is not None:
                    return False
                session.add(StatusOptOut(melder=melder))
        except IntegrityError:  # a concurrent opt-out for the same chat won
            return False
        return True

    async def opted_out(self, melder: str) -> bool:
        async with self.sessions() as session:
            return await session.get(StatusOptOut, melder) is not None

    async def listening(self, melders: builtins.list[str]) -> builtins.list[str]:
        """These chats, once each and in order, without those who turned status
        messages off."""
        melders = [*dict.fromkeys(m for m in melders if m)]
        if not melders:
            return []
        query = sa.select(StatusOptOut.melder).where(StatusOptOut.melder.in_(melders))
        async with self.sessions() as session:
            off = set((await session.execute(query)).scalars())
        return [m for m in melders if m not in off]

    async def opt_in(self, melder: str) -> bool:
        """Status messages on again; False if they were not off."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                sa.delete(StatusOptOut).where(StatusOptOut.melder == melder)
            )
        return bool(result.rowcount)

    async def create_callback(
        self, data: CallbackIn, *, idempotency_key: str | None = None
    ) -> tuple[Callback, bool]:
        if idempotency_key:
            async with self.sessions() as session:
                existing = (
                    await session.execute(
                        sa.select(Callback).where(Callback.idempotency_key == idempotency_key)
                    )
                ).scalar_one_or_none()
            if existing:
                return existing, False
        callback = Callback(**data.dict(), idempotency_key=idempotency_key)
        async with self.sessions() as session, session.begin():
            session.add(callback)
        return callback, True

    async def callbacks(self, status: str | None = None) -> builtins.list[Callback]:
        query = sa.select(Callback).order_by(Callback.aangemaakt_op.desc())
        if status:
            query = query.where(Callback.status == status)
        async with self.sessions() as session:
            return list((await session.execute(query)).scalars())
