"""Validation of what comes into the case system (pydantic 1, as Rasa 3.6 pins it).

Unknown fields are errors, values are normalised here once (postcode `1234 AB`,
house number `12A`, phone E.164), and every limit is explicit.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, Extra, Field, root_validator, validator

from core.categories import load_categories
from core.codes import normalize_code
from core.dutch.patterns import (
    EMAIL_RE,
    normalize_huisnummer,
    normalize_postcode,
    normalize_telefoonnummer,
)
from core.lifecycle import STATUSES

Type = Literal["melding", "verzoek"]
Kanaal = Literal["web", "telegram", "rest"]
Status = Literal[STATUSES]  # type: ignore[valid-type]


def _phone(value: str | None) -> str | None:
    if value is None:
        return None
    normalized = normalize_telefoonnummer(value)
    if not normalized:
        raise ValueError("not a valid phone number")
    return normalized


class Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True

    @root_validator(pre=True)
    def _no_coercion(cls, values: Any) -> Any:
        """Text fields take only JSON strings and numbers no booleans: pydantic 1 would
        store `false` as the text "False" and `true` as the number 1."""
        if not isinstance(values, dict):
            return values
        for name, field in cls.__fields__.items():
            value = values.get(field.alias)
            if value is None:
                continue
            kind = field.type_ if isinstance(field.type_, type) else object  # Literal: not a type
            if issubclass(kind, str) and not isinstance(value, str):
                raise ValueError(f"'{name}' must be text")
            if issubclass(kind, int | float) and not issubclass(kind, bool):
                if isinstance(value, bool):
                    raise ValueError(f"'{name}' must be a number")
        return values


class LocatieIn(Strict):
    straat: str | None = Field(None, max_length=120)
    huisnummer: str | None = Field(None, max_length=12)
    postcode: str | None = Field(None, max_length=7)
    plaats: str | None = Field(None, max_length=80)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    omschrijving: str | None = Field(None, max_length=300)

    @validator("postcode")
    def _postcode(cls, value: str | None) -> str | None:
        if value is None:
            return None
        normalized = normalize_postcode(value)
        if not normalized:
            raise ValueError("not a Dutch postcode (1234 AB)")
        return normalized

    @validator("huisnummer")
    def _huisnummer(cls, value: str | None) -> str | None:
        if value is None:
            return None
        normalized = normalize_huisnummer(value)
        if not normalized:
            raise ValueError("not a house number (12, 12A, 12-2)")
        return normalized

    @root_validator(skip_on_failure=True)
    def _point(cls, values: dict) -> dict:
        if (values.get("lat") is None) != (values.get("lon") is None):
            raise ValueError("lat and lon go together")
        return values

    def is_empty(self) -> bool:
        return not (self.straat or self.postcode or self.lat is not None)


class ContactIn(Strict):
    naam: str | None = Field(None, max_length=120)
    email: str | None = Field(None, max_length=254)
    telefoon: str | None = Field(None, max_length=30)

    @validator("email")
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not EMAIL_RE.fullmatch(value):
            raise ValueError("not an e-mail address")
        return value.lower()

    _telefoon = validator("telefoon", allow_reuse=True)(_phone)


# Before it, the gemeente's zone has local mean time offsets such as +00:19:32, which no
# ISO 8601 / RFC 3339 reader accepts back (found by the API fuzzer); no report is that old.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)


class CaseIn(Strict):
    type: Type
    omschrijving: str = Field(..., min_length=3, max_length=5000)
    categorie: str | None = Field(None, max_length=80)
    onderwerp: str | None = Field(None, max_length=200)
    locatie: LocatieIn | None = None
    tijdstip: datetime | None = None
    kanaal: Kanaal = "rest"
    melder: str | None = Field(None, max_length=120)
    contact: ContactIn | None = None
    controlecode: str | None = None

    @validator("categorie")
    def _categorie(cls, value: str | None) -> str | None:
        if value is not None and load_categories().get(value) is None:
            raise ValueError("unknown Signalen sub category slug")
        return value

    @validator("tijdstip")
    def _tijdstip(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("give a timezone (e.g. 2026-11-21T23:00:00+01:00)")
        if value > datetime.now(timezone.utc) + timedelta(minutes=5):
            raise ValueError("lies in the future")
        if value < EARLIEST:
            raise ValueError("lies before 1970")
        return value

    @validator("controlecode")
    def _controlecode(cls, value: str | None) -> str | None:
        if value is None:
            return None
        normalized = normalize_code(value)
        if not normalized:
            raise ValueError("6 characters from the controlecode alphabet")
        return normalized

    @root_validator(skip_on_failure=True)
    def _melding(cls, values: dict) -> dict:
        if values.get("type") == "melding":
            if not values.get("categorie"):
                raise ValueError("a melding needs a 'categorie'")
            locatie = values.get("locatie")
            if locatie is None or locatie.is_empty():
                raise ValueError("a melding needs a 'locatie' (straat, postcode or lat/lon)")
        return values


class StatusIn(Strict):
    status: Status
    toelichting: str | None = Field(None, max_length=2000)


class InzageIn(Strict):
    """A resident's view of a case: by controlecode, or as its own reporter."""

    controlecode: str | None = Field(None, max_length=20)
    melder: str | None = Field(None, max_length=120)

    @root_validator(skip_on_failure=True)
    def _one(cls, values: dict) -> dict:
        if not values.get("controlecode") and not values.get("melder"):
            raise ValueError("give 'controlecode' or 'melder'")
        return values


class CallbackIn(Strict):
    naam: str = Field(..., min_length=1, max_length=120)
    telefoon: str = Field(..., max_length=30)
    voorkeur: str | None = Field(None, max_length=200)
    onderwerp: str | None = Field(None, max_length=300)
    kanaal: Kanaal = "rest"
    melder: str | None = Field(None, max_length=120)

    _telefoon = validator("telefoon", allow_reuse=True)(_phone)
