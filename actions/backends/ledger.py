"""Balie's receipts for cases kept in an external system (Signalen, ZGW).

The external system knows nothing of controlecodes, chat identities or Balie's
identifiers, so each external case gets a receipt: Balie's own gap-free identifier
(`M-2026-000042`), allocated from the same counters as the built-in case system, next
to the external reference. The web app keeps the receipts (it owns their table); the
adapters reach them through the Case API client (`/api/v1/ontvangstbewijzen`,
core/caseapi/client.py).

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

from pydantic import ValidationError

from actions.backends.base import (
    Attachment,
    BackendRejected,
    CaseStatus,
    Locatie,
    NewCase,
    ReportIn,
)
from core import clock
from core.caseapi.client import CaseApiClient
from core.caseapi.models import FollowIn, Receipt, ReceiptIn
from core.domain import Status


class Ledger:
    def __init__(self, api: CaseApiClient) -> None:
        self.api = api
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

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
        try:
            receipt = ReceiptIn.parse_obj(
                {
                    "backend": backend,  # the adapter's name: checked here
                    "type": case.type,
                    "external_id": external_id,
                    "external_url": external_url,
                    "categorie": case.categorie,
                    "onderwerp": case.onderwerp,
                    "melder": case.melder,
                    "controlecode": case.controlecode,
                    "aangemaakt_op": aangemaakt_op,
                }
            )
        except ValidationError as exc:  # as the Case API would refuse it
            raise BackendRejected(f"case system refused the receipt: {exc}") from exc
        return (await self.api.record_receipt(receipt, case.idempotency_key)).identificatie

    async def by_key(self, idempotency_key: str) -> Receipt | None:
        return await self.api.receipt_by_key(idempotency_key)

    async def find(self, identificatie: str) -> Receipt | None:
        return await self.api.receipt(identificatie)

    async def authorize(
        self, identificatie: str, controlecode: str | None = None, melder: str | None = None
    ) -> Receipt | None:
        """The receipt for a resident who proves the case is theirs, else None.

        Unknown identifier and wrong code give the same None after the same work, so
        answers do not reveal which cases exist (the web app checks the code).
        """
        if not (controlecode or melder):
            return None
        return await self.api.authorize_receipt(
            identificatie, controlecode=controlecode or None, melder=melder or None
        )

    async def for_melder(self, melder: str, backend: str | None = None) -> list[Receipt]:
        """Receipts made from this channel identity, newest first."""
        return await self.api.receipts_for(melder, backend)


class LedgerBackend:
    """What the Signalen and ZGW adapters share: reading cases through their receipts.

    Subclasses set `name` and `ledger` and implement `_status` (the external system's
    view of one receipted case).
    """

    name: str
    ledger: Ledger
    # Where a subclass says so (its Documenten or private API is configured).
    can_follow = False
    # At most this many of a reporter's cases are looked up in the external system.
    LIST_LIMIT = 20

    async def _status(self, row: Receipt) -> CaseStatus:
        raise NotImplementedError

    # -- following a case found nearby (where the subclass's `can_follow`) ----------------

    def _check_followable(self, row: Receipt) -> None:
        """Raise BackendRejected when this receipted case cannot take an extra report."""

    async def _add_extra(self, row: Receipt, heading: str, report: ReportIn) -> None:
        """Put the resident's report on the external case."""
        raise NotImplementedError

    async def _add_extra_photo(self, row: Receipt, photo: Attachment) -> None:
        raise NotImplementedError

    async def add_report(
        self, identificatie: str, report: ReportIn, idempotency_key: str
    ) -> CaseStatus | None:
        """The resident's report (and photos) go to the external case; then their chat
        follows the receipt, so its status news reaches them too.

        The follow is recorded last: if the external system refuses, the resident's
        melding is made as a new case instead (actions/duplicaat.py), and nothing they
        said is lost.
        """
        row = await self.ledger.find(identificatie)
        if row is None or row.backend != self.name:
            return None
        self._check_followable(row)
        if not report.melder:
            raise BackendRejected("only a resident with a chat can follow a case")
        follower = FollowIn(melder=report.melder, kanaal=report.kanaal, tijdstip=report.tijdstip)
        async with self.ledger.lock(idempotency_key):
            when = f" (gebeurd: {clock.local_text(report.tijdstip)})" if report.tijdstip else ""
            heading = f"Nog een melding via Balie ({report.kanaal}), "
            await self._add_extra(row, f"{heading}{clock.local_text(clock.utcnow())}{when}", report)
            for upload_id in report.uploads:
                photo = await self.ledger.api.upload(upload_id)
                if photo is not None:
                    await self._add_extra_photo(row, photo)
            api = self.ledger.api
            followed = await api.follow_receipt(identificatie, follower, idempotency_key)
        return await self._status(followed) if followed else None

    def _receipt_status(self, row: Receipt, status: Status = "gemeld") -> CaseStatus:
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

    async def find_open_nearby(self, categorie: str, locatie: Locatie) -> list[CaseStatus]:
        """None found where the external API cannot say which open meldingen of a main
        category lie near a place (docs/cases.md, "Already reported?"). The ZGW adapter
        asks its Zaken API, the Signalen adapter its private API (with a token)."""
        return []
