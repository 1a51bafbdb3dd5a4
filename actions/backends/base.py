"""The one interface the actions use to reach a case system, whichever it is.

Adapters (`builtin`, `signalen`, `zgw`) implement `CaseBackend`; the actions never
know which one runs. Values cross this boundary already validated and normalised
(postcode `1234 AB`, identifiers `M-2026-000042`, phone E.164).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from core.lifecycle import STATUSES

__all__ = ["STATUSES"]

CaseType = Literal["melding", "verzoek"]
Kanaal = Literal["web", "telegram", "rest"]


@dataclass(frozen=True)
class Locatie:
    straat: str | None = None
    huisnummer: str | None = None
    postcode: str | None = None
    plaats: str | None = None
    lat: float | None = None
    lon: float | None = None
    omschrijving: str | None = None  # "bij de ingang van het park": what the resident said

    def is_empty(self) -> bool:
        return not any((self.straat, self.postcode, self.lat is not None))


@dataclass(frozen=True)
class Contact:
    """Only ever filled after the resident explicitly consented."""

    naam: str | None = None
    email: str | None = None
    telefoon: str | None = None


@dataclass(frozen=True)
class NewCase:
    type: CaseType
    omschrijving: str
    kanaal: Kanaal
    controlecode: str  # chosen by the caller, so a retried submission still knows it
    idempotency_key: str  # one per submission: a retry never creates a second case
    categorie: str | None = None  # Signalen sub-category slug (meldingen)
    onderwerp: str | None = None  # short subject (verzoeken)
    locatie: Locatie | None = None
    tijdstip: datetime | None = None  # when the incident happened (timezone-aware)
    melder: str | None = None  # channel identity, e.g. "telegram:12345"; sees its own cases
    contact: Contact | None = None


@dataclass(frozen=True)
class CaseStatus:
    """What a resident may see of a case: never contact details."""

    identificatie: str
    type: CaseType
    status: str  # one of STATUSES
    aangemaakt_op: datetime
    categorie: str | None = None
    onderwerp: str | None = None
    toelichting: str | None = None  # the latest note for the resident
    gewijzigd_op: datetime | None = None


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # image/jpeg, image/png, image/webp
    data: bytes = field(repr=False)


class BackendError(Exception):
    """The case system refused or failed. `retryable` errors go to the outbox."""

    retryable: bool = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BackendUnavailable(BackendError):
    """Down, slow (timeout) or answering 5xx: try again later."""

    retryable = True


class BackendThrottled(BackendUnavailable):
    """429: too many requests; `retry_after` seconds if the system said so."""


class BackendRejected(BackendError):
    """4xx other than 429: the submission itself is wrong; retrying will not help."""


class CaseBackend(Protocol):
    name: str

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

    async def close(self) -> None:
        """Release HTTP sessions."""
