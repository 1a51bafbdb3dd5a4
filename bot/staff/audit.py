"""The console's audit log: who did what, when (accounts, training, promotions)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from bot.cases.models import StaffLogEntry


async def record(
    sessions: sessionmaker,
    door: str,
    actie: str,
    onderwerp: str | None = None,
    **details: Any,
) -> None:
    entry = StaffLogEntry(
        door=door[:64],
        actie=actie[:40],
        onderwerp=(onderwerp or "")[:200] or None,
        details=json.dumps(details, ensure_ascii=False, default=str) if details else None,
    )
    async with sessions() as session, session.begin():
        session.add(entry)


async def recent(
    sessions: sessionmaker, acties: tuple[str, ...] | None = None, limit: int = 50
) -> list[StaffLogEntry]:
    query = sa.select(StaffLogEntry).order_by(StaffLogEntry.id.desc()).limit(limit)
    if acties:
        query = query.where(StaffLogEntry.actie.in_(acties))
    async with sessions() as session:
        return list((await session.execute(query)).scalars())


def details_of(entry: StaffLogEntry) -> dict[str, Any]:
    return json.loads(entry.details) if entry.details else {}
