"""The Case API's receipts of cases kept in an external system (Signalen, ZGW).

The external system knows nothing of controlecodes, chat identities or Balie's
identifiers, so the web app keeps a receipt per external case under Balie's own
gap-free identifier (`M-2026-000042`, from the same counters as built-in cases). The
action server's Signalen and ZGW adapters write and read receipts only through these
models (`/api/v1/ontvangstbewijzen`), never in the web app's database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Extra, Field, validator

from core.codes import normalize_code


class ReceiptIn(BaseModel):
    """A case the external system accepted, to be receipted (`POST`)."""

    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True

    backend: Literal["signalen", "zgw"]
    type: Literal["melding", "verzoek"]
    external_id: str = Field(..., min_length=1, max_length=200)
    external_url: str | None = Field(None, max_length=500)
    categorie: str | None = Field(None, max_length=80)
    onderwerp: str | None = Field(None, max_length=200)
    melder: str | None = Field(None, max_length=120)
    controlecode: str
    aangemaakt_op: datetime | None = None

    @validator("controlecode")
    def _controlecode(cls, value: str) -> str:
        normalized = normalize_code(value)
        if not normalized:
            raise ValueError("6 characters from the controlecode alphabet")
        return normalized

    @validator("aangemaakt_op")
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a timezone")
        return value


class Receipt(BaseModel):
    """What the adapters need to find a receipted case again; no code, no reporter."""

    identificatie: str
    backend: str
    type: Literal["melding", "verzoek"]
    external_id: str
    external_url: str | None = None
    categorie: str | None = None
    onderwerp: str | None = None
    aangemaakt_op: datetime
