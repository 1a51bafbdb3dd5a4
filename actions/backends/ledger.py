"""Balie's receipts for cases kept in an external system (Signalen, ZGW).

The external system knows nothing of controlecodes, chat identities or Balie's
identifiers, so each external case gets a receipt: Balie's own gap-free identifier
(`M-2026-000042`), allocated from the same counters as the built-in case system, next
to the external reference. The web app keeps the receipts (it owns their table); the
adapters reach them through the Case API (`/api/v1/ontvangstbewijzen`, core/receipts.py).

Idempotency: an adapter holds `lock(key)` and checks `by_key(key)` before it calls the
external system, and `record()`s right after it answered; a retry of the same
submission then finds the receipt and never creates a second external case. What
remains is the window between the external answer and `record()` (a crash there, or two
processes retrying the same key at the same moment); the web app then keeps the first
receipt and logs the duplicate.
"""

from __future__ import annotations

import asyncio
import weakref
from datetime import datetime
from urllib.parse import quote

from actions.backends.base import CaseStatus, NewCase
from actions.backends.builtin import BuiltinBackend
from core.receipts import Receipt


class Ledger:
    def __init__(self, api: BuiltinBackend) -> None:
        self.api = api  # the Case API's HTTP plumbing and error mapping
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @classmethod
    def from_env(cls) -> Ledger:
        return cls(BuiltinBackend.from_env())

    async def close(self) -> None:
        await self.api.close()

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
        """Receipt the external case under a newly allocated identifier; returns it.

        If a receipt with the same idempotency key exists already, its identifier is
        returned and nothing is stored.
        """
        body = {
            "backend": backend,
            "type": case.type,
            "external_id": external_id,
            "external_url": external_url,
            "categorie": case.categorie,
            "onderwerp": case.onderwerp,
            "melder": case.melder,
            "controlecode": case.controlecode,
            "aangemaakt_op": aangemaakt_op.isoformat() if aangemaakt_op else None,
        }
        _, answer = await self.api._request(
            "POST",
            "/ontvangstbewijzen",
            json={k: v for k, v in body.items() if v is not None},
            headers={"Idempotency-Key": case.idempotency_key},
        )
        return Receipt.parse_obj(answer).identificatie

    async def by_key(self, idempotency_key: str) -> Receipt | None:
        found = await self._list({"sleutel": idempotency_key})
        return found[0] if found else None

    async def find(self, identificatie: str) -> Receipt | None:
        status, answer = await self.api._request(
            "GET", f"/ontvangstbewijzen/{quote(identificatie, safe='')}"
        )
        return None if status == 404 else Receipt.parse_obj(answer)

    async def authorize(
        self, identificatie: str, controlecode: str | None = None, melder: str | None = None
    ) -> Receipt | None:
        """The receipt for a resident who proves the case is theirs, else None.

        Unknown identifier and wrong code give the same None after the same work, so
        answers do not reveal which cases exist (the web app checks the code).
        """
        proof = {k: v for k, v in (("controlecode", controlecode), ("melder", melder)) if v}
        if not proof:
            return None
        status, answer = await self.api._request(
            "POST", f"/ontvangstbewijzen/{quote(identificatie, safe='')}/inzage", json=proof
        )
        return None if status == 404 else Receipt.parse_obj(answer)

    async def for_melder(self, melder: str, backend: str | None = None) -> list[Receipt]:
        """Receipts made from this channel identity, newest first."""
        return await self._list({"melder": melder, **({"backend": backend} if backend else {})})

    async def _list(self, params: dict[str, str]) -> list[Receipt]:
        _, answer = await self.api._request("GET", "/ontvangstbewijzen", params=params)
        return [Receipt.parse_obj(item) for item in answer["items"]]


class LedgerBackend:
    """What the Signalen and ZGW adapters share: reading cases through their receipts.

    Subclasses set `name` and `ledger` and implement `_status` (the external system's
    view of one receipted case).
    """

    name: str
    ledger: Ledger
    # At most this many of a reporter's cases are looked up in the external system.
    LIST_LIMIT = 20

    async def _status(self, row: Receipt) -> CaseStatus:
        raise NotImplementedError

    def _receipt_status(self, row: Receipt, status: str = "gemeld") -> CaseStatus:
        return CaseStatus(
            identificatie=row.identificatie,
            type=row.type,
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

        async def one(row: Receipt) -> CaseStatus:
            async with limit:
                return await self._status(row)

        return list(await asyncio.gather(*(one(row) for row in rows)))
