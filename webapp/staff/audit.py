"""The console's audit log: who did what, when.

Accounts, training, promotions, inbox decisions, and every case status change (from the
console or the Case API, written in the same transaction as the change itself).
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from webapp.cases.models import StaffLogEntry


def entry(door: str, actie: str, onderwerp: str | None = None, **details: Any) -> StaffLogEntry:
    """A log row, for a caller that adds it to its own transaction."""
    return StaffLogEntry(
        door=door[:64],
        actie=actie[:40],
        onderwerp=(onderwerp or "")[:200] or None,
        details=json.dumps(details, ensure_ascii=False, default=str) if details else None,
    )


async def record(
    sessions: sessionmaker,
    door: str,
    actie: str,
    onderwerp: str | None = None,
    **details: Any,
) -> None:
    async with sessions() as session, session.begin():
        session.add(entry(door, actie, onderwerp, **details))


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
