"""Open meldingen near a new one, and extra reports on them (core/nearby.py has the rules).

SQL narrows the candidates (same main category, open, recent, and the same street,
postcode or a box around the point); the exact house-number distance and radius are
checked here, so SQLite and PostgreSQL answer alike without a geometry extension.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import nearby
from core.caseapi.models import LocatieIn, ReportIn
from core.clock import utcnow
from core.domain import FINAL
from webapp.cases.models import Attachment, Case, Report, Upload
from webapp.cases.store import CaseStore, locked_case

# More candidates than this in one spot and period: the newest are enough to offer one.
CANDIDATES = 200


class ReportRefused(Exception):
    """The case takes no extra report (not a melding, or closed)."""


def _point(locatie: LocatieIn) -> tuple[float, float] | None:
    if locatie.lat is not None and locatie.lon is not None:
        return (locatie.lat, locatie.lon)
    return nearby.point_of(locatie.straat, locatie.huisnummer, locatie.postcode)


def _matches(
    case: Case,
    locatie: LocatieIn,
    point: tuple[float, float] | None,
    rules: nearby.NearbyRules,
) -> bool:
    if locatie.postcode and case.postcode == locatie.postcode:
        return True
    new_nr, old_nr = nearby.house_number(locatie.huisnummer), nearby.house_number(case.huisnummer)
    if (
        locatie.straat
        and case.straat
        and locatie.straat.lower() == case.straat.lower()
        and new_nr is not None
        and old_nr is not None
        and abs(new_nr - old_nr) <= rules.house_numbers
    ):
        return True
    if point is not None and case.lat is not None and case.lon is not None:
        return nearby.distance_m(point, (case.lat, case.lon)) <= rules.radius_m
    return False


async def find_open_nearby(
    store: CaseStore, categorie: str, locatie: LocatieIn, rules: nearby.NearbyRules
) -> list[Case]:
    """Open meldingen of the same main category near this place, newest first."""
    main = nearby.main_category(categorie)
    if main is None:
        return []
    point = _point(locatie)
    where = []
    if locatie.postcode:
        where.append(Case.postcode == locatie.postcode)
    if locatie.straat and locatie.huisnummer:
        where.append(sa.func.lower(Case.straat) == locatie.straat.lower())
    if point is not None:
        min_lat, max_lat, min_lon, max_lon = nearby.bounding_box(point, rules.radius_m)
        where.append(Case.lat.between(min_lat, max_lat) & Case.lon.between(min_lon, max_lon))
    if not where:
        return []
    query = (
        sa.select(Case)
        .where(
            Case.type == "melding",
            Case.status.not_in(FINAL),
            Case.categorie.in_(nearby.sub_slugs(main)),
            Case.aangemaakt_op >= utcnow() - timedelta(days=rules.days),
            sa.or_(*where),
        )
        .order_by(Case.aangemaakt_op.desc(), Case.id.desc())
        .limit(CANDIDATES)
    )
    async with store.sessions() as session:
        found = (await session.execute(query)).scalars()
        return [case for case in found if _matches(case, locatie, point, rules)]


async def add_report(
    store: CaseStore, identificatie: str, data: ReportIn, *, idempotency_key: str | None = None
) -> tuple[Case, bool] | None:
    """Add another resident's report (with their staged photos) to an open melding.

    None if there is no such case; ReportRefused if it takes no report; (case, created),
    where the same idempotency key again returns the case without a second report.
    """
    if idempotency_key and await _report_by_key(store, idempotency_key):
        case = await store.get(identificatie)
        return (case, False) if case else None
    try:
        async with store.sessions() as session, session.begin():
            case = await locked_case(session, identificatie)
            if case is None:
                return None
            if case.type != "melding" or case.status in FINAL:
                raise ReportRefused(f"{identificatie} is {case.status}")
            again = await _reported_before(session, case, data.melder)
            now = utcnow()
            report = Report(
                case_id=case.id,
                omschrijving=data.omschrijving,
                tijdstip=data.tijdstip,
                kanaal=data.kanaal,
                melder=data.melder,
                idempotency_key=idempotency_key,
                aangemaakt_op=now,
            )
            session.add(report)
            await session.flush()
            for upload_id in data.uploads:
                upload = await session.get(Upload, upload_id)
                if upload is None:  # expired: the report stands without it
                    continue
                session.add(
                    Attachment(
                        case_id=case.id,
                        report_id=report.id,
                        bestandsnaam=upload.bestandsnaam,
                        content_type=upload.content_type,
                        grootte=upload.grootte,
                        sha256=hashlib.sha256(upload.data).hexdigest(),
                        data=upload.data,
                    )
                )
            if not again:
                case.melders = (case.melders or 1) + 1
            case.gewijzigd_op = now
    except IntegrityError:
        # A concurrent retry with the same key won the race: its report stands.
        if not (idempotency_key and await _report_by_key(store, idempotency_key)):
            raise
        case = await store.get(identificatie)
        return (case, False) if case else None
    updated = await store.get(identificatie)
    return (updated, True) if updated else None


async def _reported_before(session: AsyncSession, case: Case, melder: str | None) -> bool:
    """Whether this chat reported the case already: its new words and photos are kept,
    but one resident reporting twice is still one melder (as a receipt's follower)."""
    if melder is None:  # nobody to recognise: another resident, as far as Balie knows
        return False
    if melder == case.melder:
        return True
    query = sa.select(Report.id).where(Report.case_id == case.id, Report.melder == melder)
    return (await session.execute(query.limit(1))).first() is not None


async def _report_by_key(store: CaseStore, key: str) -> Report | None:
    async with store.sessions() as session:
        return (
            await session.execute(sa.select(Report).where(Report.idempotency_key == key))
        ).scalar_one_or_none()


async def reports(store: CaseStore, identificatie: str) -> list[Report]:
    """The extra reports of a case, oldest first."""
    async with store.sessions() as session:
        rows = await session.execute(
            sa.select(Report)
            .join(Case)
            .where(Case.identificatie == identificatie)
            .order_by(Report.id)
        )
        return list(rows.scalars())


async def followers(store: CaseStore, case: Case) -> list[str]:
    """Every chat that hears this case's status changes: its reporter and those who
    reported it again, once each, without those who turned status messages off."""
    query = sa.select(Report.melder).where(Report.case_id == case.id, Report.melder.is_not(None))
    async with store.sessions() as session:
        extra = list((await session.execute(query)).scalars())
    return await store.listening([case.melder, *extra])
