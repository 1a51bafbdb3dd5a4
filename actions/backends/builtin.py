"""The built-in case system, reached over its HTTP Case API (`/api/v1`)."""

from __future__ import annotations

from typing import Any

from actions.backends.base import (
    Attachment,
    BackendRejected,
    CaseStatus,
    Locatie,
    NewCase,
    ReportIn,
)
from core.caseapi.client import CaseApiClient
from core.caseapi.models import CallbackIn, NearbyIn


class BuiltinBackend:
    name = "builtin"
    can_follow = True

    def __init__(self, api: CaseApiClient) -> None:
        self.api = api

    async def close(self) -> None:
        await self.api.close()

    async def create_case(self, case: NewCase) -> CaseStatus:
        return (await self.api.create_case(case)).status_view()

    async def get_case(
        self, identificatie: str, *, controlecode: str | None = None, melder: str | None = None
    ) -> CaseStatus | None:
        return await self.api.inzage(identificatie, controlecode=controlecode, melder=melder)

    async def list_cases(self, melder: str) -> list[CaseStatus]:
        page = await self.api.list_cases(melder=melder, per_page=20)
        return [case.status_view() for case in page.items]

    async def add_attachment(self, identificatie: str, attachment: Attachment) -> None:
        if await self.api.add_attachment(identificatie, attachment) is None:
            raise BackendRejected(f"case {identificatie} not found")

    async def find_open_nearby(self, categorie: str, locatie: Locatie) -> list[CaseStatus]:
        """The Case API searches with the web app's rules (BALIE_DUPLICATE_*)."""
        return await self.api.open_nearby(NearbyIn(categorie=categorie, locatie=locatie))

    async def add_report(
        self, identificatie: str, report: ReportIn, idempotency_key: str
    ) -> CaseStatus | None:
        """Staged photos (`report.uploads`) are attached by the web app that holds them."""
        return await self.api.add_report(identificatie, report, idempotency_key)

    async def create_callback(self, callback: CallbackIn, idempotency_key: str) -> int:
        """Register a call-back request in Balie's own case system; returns its id."""
        return (await self.api.create_callback(callback, idempotency_key)).id

    async def live(self, melder: str) -> dict[str, Any]:
        """Ask the web app for a medewerker to chat with (core/caseapi/client.py)."""
        return await self.api.live(melder)

    async def live_available(self) -> bool:
        """Is a medewerker free to chat now (core/caseapi/client.py)?"""
        return await self.api.live_available()

    async def upload(self, upload_id: str) -> Attachment | None:
        """A photo a channel staged in Balie's web app, or None if it expired."""
        return await self.api.upload(upload_id)
