"""The one interface the actions use to reach a case system, whichever it is.

Adapters (`builtin`, `signalen`, `zgw`) implement `CaseBackend`; the actions never
know which one runs. Values cross this boundary already validated and normalised
(postcode `1234 AB`, identifiers `M-2026-000042`, phone E.164): they are the Case
API's own models (core/caseapi/models.py), and its errors are every backend's.
"""

from __future__ import annotations

from typing import Protocol

from core.caseapi.errors import (
    BackendError,
    BackendRejected,
    BackendThrottled,
    BackendUnavailable,
)
from core.caseapi.models import Attachment, CaseStatus, NewCase, ReportIn
from core.caseapi.models import ContactIn as Contact
from core.caseapi.models import LocatieIn as Locatie
from core.domain import STATUSES

__all__ = [
    "STATUSES",
    "Attachment",
    "BackendError",
    "BackendRejected",
    "BackendThrottled",
    "BackendUnavailable",
    "CaseBackend",
    "CaseStatus",
    "Contact",
    "Locatie",
    "NewCase",
    "ReportIn",
]


class CaseBackend(Protocol):
    name: str

    @property
    def can_follow(self) -> bool:
        """May a resident follow a case found nearby (`add_report`), with its status
        news pushed to their chat? Where not, the melding form does not offer it."""

    async def create_case(self, case: NewCase) -> CaseStatus:
        """Create the case; the same `idempotency_key` again returns the first case."""

    async def get_case(
        self, identificatie: str, *, controlecode: str | None = None, melder: str | None = None
    ) -> CaseStatus | None:
        """The case if the code (or the reporter's own channel identity) matches, else None.

        Unknown identifier and wrong code both give None: no way to probe which cases exist.
        """

    async def list_cases(self, melder: str) -> list[CaseStatus]:
        """Cases made from this channel identity, newest first."""

    async def add_attachment(self, identificatie: str, attachment: Attachment) -> None:
        """Attach a photo to a case created through this backend."""

    async def find_open_nearby(self, categorie: str, locatie: Locatie) -> list[CaseStatus]:
        """Open meldingen of the same main category near this place, newest first, as a
        resident may see them (core/nearby.py); [] where the case system cannot tell."""

    async def add_report(
        self, identificatie: str, report: ReportIn, idempotency_key: str
    ) -> CaseStatus | None:
        """Add a resident's report to an open melding it found nearby; their chat then
        follows it. None if there is no such case; BackendRejected if it takes none."""

    async def close(self) -> None:
        """Release HTTP sessions."""
