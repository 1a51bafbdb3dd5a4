"""The built-in case system, reached over its HTTP Case API (`/api/v1`)."""

from __future__ import annotations

from actions.backends.base import Attachment, BackendRejected, CaseStatus, NewCase
from core.caseapi.client import CaseApiClient
from core.caseapi.models import CallbackIn


class BuiltinBackend:
    name = "builtin"

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

    async def create_callback(self, callback: CallbackIn, idempotency_key: str) -> int:
        """Register a call-back request in Balie's own case system; returns its id."""
        return (await self.api.create_callback(callback, idempotency_key)).id

    async def upload(self, upload_id: str) -> Attachment | None:
        """A photo a channel staged in Balie's web app, or None if it expired."""
        return await self.api.upload(upload_id)
