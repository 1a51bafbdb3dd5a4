"""The Case API's requests and answers, once (pydantic 1, as Rasa 3.6 pins it).

The web app validates what comes in with the `...In` models and answers with the
others; the client (core/caseapi/client.py) sends the same `...In` models and reads the
answers back into the same classes, and the OpenAPI document is generated from them.
Field names are Dutch where the API's are.

Requests: unknown fields are errors, values are normalised here once (postcode
`1234 AB`, house number `12A`, phone E.164), and every limit is explicit. Answers:
every date-time is sent in the municipality's time zone (core/clock.py), unknown
fields are ignored when read back, and a field that may be null says so in the document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from pydantic import BaseModel, Extra, Field, root_validator, validator
from pydantic.fields import SHAPE_SINGLETON

from core.categories import load_categories
from core.clock import local_iso
from core.codes import normalize_code
from core.domain import CallbackStatus, CaseType, Channel, ExternalBackend, Status
from core.dutch.patterns import (
    EMAIL_RE,
    normalize_huisnummer,
    normalize_postcode,
    normalize_telefoonnummer,
)

# Before it, the gemeente's zone has local mean time offsets such as +00:19:32, which no
# ISO 8601 / RFC 3339 reader accepts back (found by the API fuzzer); no report is that old.
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
# A resident's channel identity, `<kanaal>:<id>`, as in a case's `melder`.
MELDER_PATTERN = r"^[a-z_]{1,20}:[\w.\-]{1,99}$"
IDENTIFICATIE_PATTERN = r"^[MV]-\d{4}-\d{6}$"


# -- requests ------------------------------------------------------------------------


def _phone(value: str | None) -> str | None:
    if value is None:
        return None
    normalized = normalize_telefoonnummer(value)
    if not normalized:
        raise ValueError("not a valid phone number")
    return normalized


def _code(value: str | None) -> str | None:
    if value is None:
        return None
    normalized = normalize_code(value)
    if not normalized:
        raise ValueError("6 characters from the controlecode alphabet")
    return normalized


def _moment(value: datetime | None) -> datetime | None:
    """When an incident happened: with a time zone, not in the future, not before 1970."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("give a timezone (e.g. 2026-11-21T23:00:00+01:00)")
    if value > datetime.now(timezone.utc) + timedelta(minutes=5):
        raise ValueError("lies in the future")
    if value < EARLIEST:
        raise ValueError("lies before 1970")
    return value


def _known_category(value: str | None) -> str | None:
    if value is not None and load_categories().get(value) is None:
        raise ValueError("unknown Signalen sub category slug")
    return value


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
        for name, model_field in cls.__fields__.items():
            value = values.get(model_field.alias)
            if value is None:
                continue
            kind = model_field.type_ if isinstance(model_field.type_, type) else object
            # A list field's type_ is its items' type: each item is checked alike.
            listed = model_field.shape != SHAPE_SINGLETON and isinstance(value, list)
            for item in value if listed else [value]:
                if issubclass(kind, str) and not isinstance(item, str):
                    raise ValueError(f"'{name}' must be text")
                if issubclass(kind, int | float) and not issubclass(kind, bool):
                    if isinstance(item, bool):
                        raise ValueError(f"'{name}' must be a number")
        return values

    def wire(self, **exclude: Any) -> dict[str, Any]:
        """The JSON body to send: unset (None) fields left out."""
        data: dict[str, Any] = json.loads(self.json(exclude_none=True, **exclude))
        return data


class LocatieIn(Strict):
    straat: str | None = Field(None, max_length=120)
    huisnummer: str | None = Field(None, max_length=12)
    postcode: str | None = Field(None, max_length=7)
    plaats: str | None = Field(None, max_length=80)
    lat: float | None = Field(None, ge=-90, le=90)
    lon: float | None = Field(None, ge=-180, le=180)
    # "bij de ingang van het park": what the resident said
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
    def _point(cls, values: dict[str, Any]) -> dict[str, Any]:
        if (values.get("lat") is None) != (values.get("lon") is None):
            raise ValueError("lat and lon go together")
        return values

    def is_empty(self) -> bool:
        return not (self.straat or self.postcode or self.lat is not None)


class ContactIn(Strict):
    """Only ever filled after the resident explicitly consented."""

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


class CaseIn(Strict):
    """A new melding or verzoek (`POST /cases`)."""

    type: CaseType
    omschrijving: str = Field(..., min_length=3, max_length=5000)
    categorie: str | None = Field(None, max_length=80)  # Signalen sub-category slug
    onderwerp: str | None = Field(None, max_length=200)  # short subject (verzoeken)
    locatie: LocatieIn | None = None
    tijdstip: datetime | None = None  # when the incident happened (timezone-aware)
    kanaal: Channel = "rest"
    # The channel identity, e.g. "telegram:12345"; it sees its own cases.
    melder: str | None = Field(None, max_length=120)
    contact: ContactIn | None = None
    controlecode: str | None = None

    _categorie = validator("categorie", allow_reuse=True)(_known_category)

    _tijdstip = validator("tijdstip", allow_reuse=True)(_moment)
    _controlecode = validator("controlecode", allow_reuse=True)(_code)

    @root_validator(skip_on_failure=True)
    def _melding(cls, values: dict[str, Any]) -> dict[str, Any]:
        if values.get("type") == "melding":
            if not values.get("categorie"):
                raise ValueError("a melding needs a 'categorie'")
            locatie = values.get("locatie")
            if locatie is None or locatie.is_empty():
                raise ValueError("a melding needs a 'locatie' (straat, postcode or lat/lon)")
        return values


class NewCase(CaseIn):
    """A case the action server submits, to whichever backend: the Case API's `CaseIn`
    with the submission's own controlecode and idempotency key.

    The code is chosen by the caller, so a retried submission still knows it; the key is
    one per submission, so a retry never creates a second case. `wire()` is the body of
    `POST /cases` (the key goes in the `Idempotency-Key` header).
    """

    kanaal: Channel
    controlecode: str
    idempotency_key: str = Field(..., min_length=1, max_length=100)

    def wire(self, **exclude: Any) -> dict[str, Any]:
        return super().wire(exclude={"idempotency_key"}, **exclude)


class NearbyIn(Strict):
    """A melding about to be made: are open ones of its main category near it?
    (`POST /cases/nabij`; how near and how recent is the web app's setting)."""

    categorie: str = Field(..., max_length=80)
    locatie: LocatieIn

    _categorie = validator("categorie", allow_reuse=True)(_known_category)

    @validator("locatie")
    def _somewhere(cls, value: LocatieIn) -> LocatieIn:
        if value.is_empty():
            raise ValueError("give straat, postcode or lat/lon")
        return value


class ReportIn(Strict):
    """Another resident reports an open melding again and follows it
    (`POST /cases/{id}/meldingen`): their own description, time and staged photos."""

    omschrijving: str = Field(..., min_length=3, max_length=5000)
    tijdstip: datetime | None = None
    kanaal: Channel = "rest"
    melder: str | None = Field(None, max_length=120, regex=MELDER_PATTERN)
    uploads: list[str] = Field(default_factory=list, max_items=5)

    _tijdstip = validator("tijdstip", allow_reuse=True)(_moment)

    @validator("uploads", each_item=True)
    def _upload_id(cls, value: str) -> str:
        if not 1 <= len(value) <= 36:
            raise ValueError("an upload_id from POST /uploads")
        return value


class FollowIn(Strict):
    """A resident follows an open melding in Signalen or ZGW (`POST
    /ontvangstbewijzen/{identificatie}/volgers`): their report went to the external
    system; Balie keeps only their chat, channel and time, for the status news."""

    melder: str = Field(..., max_length=120, regex=MELDER_PATTERN)
    kanaal: Channel = "rest"
    tijdstip: datetime | None = None

    _tijdstip = validator("tijdstip", allow_reuse=True)(_moment)


class StatusIn(Strict):
    status: Status
    toelichting: str | None = Field(None, max_length=2000)


class InzageIn(Strict):
    """A resident's view of a case: by controlecode, or as its own reporter."""

    controlecode: str | None = Field(None, max_length=20)
    melder: str | None = Field(None, max_length=120)

    @root_validator(skip_on_failure=True)
    def _one(cls, values: dict[str, Any]) -> dict[str, Any]:
        if not values.get("controlecode") and not values.get("melder"):
            raise ValueError("give 'controlecode' or 'melder'")
        return values


class LiveIn(Strict):
    """A channel asks for a medewerker for a resident's conversation (`POST /live`)."""

    melder: str = Field(..., max_length=120, regex=MELDER_PATTERN)


class LivePoint(Strict):
    lat: float = Field(..., ge=-90, le=90)
    lon: float = Field(..., ge=-180, le=180)


class LiveBericht(Strict):
    """A Telegram resident's message for the live chat: text, and a staged photo
    (an upload id from POST /uploads) or a shared point."""

    text: str = Field(..., min_length=1, max_length=5000)
    foto: str | None = Field(None, max_length=64)
    locatie: LivePoint | None = None

    @root_validator(pre=True)
    def _left_out_not_null(cls, values: Any) -> Any:
        """foto and locatie are left out when absent, as the document says, not null."""
        if isinstance(values, dict) and any(values.get(k, 0) is None for k in ("foto", "locatie")):
            raise ValueError("leave out foto or locatie instead of sending null")
        return values


class LiveMessageIn(Strict):
    """The Telegram connector hands over a message of a chat that asked for a medewerker."""

    melder: str = Field(..., max_length=40, regex=r"^telegram:-?\d{1,20}$")
    bericht: LiveBericht
    id: str | None = Field(None, max_length=64)  # Telegram's update id: stored once


class LiveStopIn(Strict):
    """A Telegram resident stops waiting or ends the live chat."""

    melder: str = Field(..., max_length=40, regex=r"^telegram:-?\d{1,20}$")


class CallbackIn(Strict):
    naam: str = Field(..., min_length=1, max_length=120)
    telefoon: str = Field(..., max_length=30)
    voorkeur: str | None = Field(None, max_length=200)
    onderwerp: str | None = Field(None, max_length=300)
    kanaal: Channel = "rest"
    melder: str | None = Field(None, max_length=120)

    _telefoon = validator("telefoon", allow_reuse=True)(_phone)


class ForgetIn(Strict):
    """A request to forget a resident by channel identity (`POST /vergeten`)."""

    kanaal: Channel
    # Rasa's sender id: the Telegram chat id, the widget conversation's `sender`, or
    # the sender a REST client chose. A case's `melder` is "<kanaal>:<id>".
    id: str = Field(..., min_length=1, max_length=100)

    @root_validator(skip_on_failure=True)
    def _identity(cls, values: dict[str, Any]) -> dict[str, Any]:
        identity = values["id"]
        if not identity.isprintable():
            raise ValueError("id must be printable text")
        if values["kanaal"] == "telegram" and not identity.lstrip("-").isdigit():
            raise ValueError("a Telegram id is the chat's number, e.g. 12345")
        return values


class ReceiptIn(BaseModel):
    """A case an external system (Signalen, ZGW) accepted, to be receipted (`POST
    /ontvangstbewijzen`).

    The external system knows nothing of controlecodes, chat identities or Balie's
    identifiers, so the web app keeps a receipt per external case under Balie's own
    gap-free identifier (`M-2026-000042`, from the same counters as built-in cases).
    """

    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True

    backend: ExternalBackend
    type: CaseType
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
        if value is not None and value < EARLIEST:  # see EARLIEST: not readable back
            raise ValueError("lies before 1970")
        return value

    def wire(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.json(exclude_none=True))
        return data


class StatusNewsIn(BaseModel):
    """A status an external system (Signalen, ZGW) set on a receipted case (`POST
    /ontvangstbewijzen/{identificatie}/statusnieuws`).

    The web app pushes it to the reporter's chat once: the same `referentie` again (a
    duplicate notification) or a status set before the last one pushed (out of order)
    is recorded as such and not pushed.
    """

    class Config:
        extra = Extra.forbid
        anystr_strip_whitespace = True

    referentie: str = Field(..., min_length=1, max_length=500)
    gezet_op: datetime
    status: Status

    @validator("gezet_op")
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give a timezone")
        return value

    def wire(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.json())
        return data


# -- answers -------------------------------------------------------------------------


def _nullable(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """OpenAPI 3.0 spells "may be null" as `nullable`; pydantic 1 does not write it."""
    for model_field in model.__fields__.values():
        if not model_field.allow_none:
            continue
        name = model_field.alias
        prop = schema["properties"][name]
        if "$ref" in prop:  # nothing may stand next to a $ref in OpenAPI 3.0
            schema["properties"][name] = {"allOf": [prop], "nullable": True}
        else:
            prop["nullable"] = True


class Answer(BaseModel):
    class Config:
        extra = Extra.ignore  # read back leniently: a newer server may say more
        json_encoders = {datetime: local_iso}
        schema_extra = staticmethod(_nullable)

    def body(self, *, leave_out: set[str] | None = None) -> str:
        """The JSON text of this answer, date-times in the municipality's time zone."""
        return self.json(exclude=leave_out)


class Locatie(Answer):
    straat: str | None
    huisnummer: str | None
    postcode: str | None
    plaats: str | None
    lat: float | None
    lon: float | None
    omschrijving: str | None


class Contact(Answer):
    naam: str | None
    email: str | None
    telefoon: str | None


class StatusChange(Answer):
    status: Status
    toelichting: str | None
    door: str | None
    op: datetime


class AttachmentInfo(Answer):
    """A photo attached to a case; `url` fetches its bytes."""

    id: int
    bestandsnaam: str
    content_type: str
    grootte: int
    url: str


class CaseStatus(Answer):
    """What a resident may see of a case: never contact details (`POST /cases/{id}/inzage`).

    The backends answer the actions with it too, whichever case system they reach.
    """

    identificatie: str
    type: CaseType
    status: Status
    categorie: str | None = None
    onderwerp: str | None = None
    toelichting: str | None = None  # the latest note for the resident
    aangemaakt_op: datetime
    gewijzigd_op: datetime | None = None


class Case(Answer):
    """A case as staff and the action server see it.

    `contact` is in the answer about one case, `bijlagen` only in `GET /cases/{id}`,
    `controlecode` only in the answer that created the case (only its hash is stored).
    """

    identificatie: str = Field(..., regex=IDENTIFICATIE_PATTERN)
    type: CaseType
    status: Status
    categorie: str | None
    onderwerp: str | None
    omschrijving: str
    locatie: Locatie
    tijdstip: datetime | None = Field(
        None,
        description="when it happened; sent with an offset, answered in the "
        "municipality's time zone (the same instant)",
    )
    kanaal: Channel
    aangemaakt_op: datetime = Field(
        ..., description="every date-time is answered in the municipality's time zone"
    )
    gewijzigd_op: datetime
    statusgeschiedenis: list[StatusChange]
    melders: int = Field(1, description="the first reporter and those who reported it again")
    contact: Contact | None = None
    bijlagen: list[AttachmentInfo] | None = None
    controlecode: str | None = None

    class Config:
        fields = {"controlecode": {"description": "only in the answer that created the case"}}

    def status_view(self) -> CaseStatus:
        notes = [change.toelichting for change in self.statusgeschiedenis if change.toelichting]
        return CaseStatus(
            identificatie=self.identificatie,
            type=self.type,
            status=self.status,
            categorie=self.categorie,
            onderwerp=self.onderwerp,
            toelichting=notes[-1] if notes else None,
            aangemaakt_op=self.aangemaakt_op,
            gewijzigd_op=self.gewijzigd_op,
        )


class CaseStatusList(Answer):
    """Cases as a resident may see them: open meldingen nearby (`POST /cases/nabij`)."""

    items: list[CaseStatus]


class CasePage(Answer):
    """One page of cases, newest first (`GET /cases`); without contact details."""

    items: list[Case]
    page: int
    per_page: int
    total: int
    next_page: int | None


class LiveAnswer(Answer):
    """Whether the conversation joined the live chat queue; its place and expected wait
    (null: no recent hand-offs to go by) when it did."""

    wachtrij: bool
    status: Literal["wachtend", "live"] | None = None
    positie: int | None = Field(None, ge=1)
    wacht_minuten: int | None = Field(None, ge=1)


class LiveAvailable(Answer):
    """Whether a medewerker is free to chat now (within the KCC's hours)."""

    beschikbaar: bool


class LiveMessageAnswer(Answer):
    """True: a medewerker has the chat, so the message is theirs and not Balie's."""

    live: bool


class LiveStopAnswer(Answer):
    gestopt: bool


class Callback(Answer):
    id: int
    naam: str
    telefoon: str
    voorkeur: str | None
    onderwerp: str | None
    kanaal: Channel
    status: CallbackStatus
    aangemaakt_op: datetime


class CallbackList(Answer):
    items: list[Callback]


class Upload(Answer):
    """A photo staged before its case exists (`POST /uploads`), kept for 24 hours."""

    upload_id: str
    content_type: str
    grootte: int


class OptOut(Answer):
    melder: str


class Forgotten(Answer):
    """What forgetting a resident removed, per kind."""

    kanaal: Channel
    verwijderd: dict[str, int]


class Receipt(Answer):
    """What the adapters need to find a receipted case again; no code, no reporter."""

    identificatie: str
    backend: str
    type: CaseType
    external_id: str
    external_url: str | None = None
    categorie: str | None = None
    onderwerp: str | None = None
    aangemaakt_op: datetime
    # The last status the external system reported and Balie recorded (status news).
    laatste_status: Status | None = None
    laatste_status_op: datetime | None = None


class ReceiptList(Answer):
    items: list[Receipt]


class StatusNews(Answer):
    """What became of a status report: `nieuw` (recorded; pushed unless the reporter
    opted out or it is the first, initial status), `dubbel` (seen before) or `ouder`
    (set before the last one recorded)."""

    identificatie: str
    uitkomst: Literal["nieuw", "dubbel", "ouder"]
    gepusht: bool


class Error(Answer):
    """Every error: a message, the HTTP status and, for invalid input, what was wrong."""

    error: str
    status: int
    details: list[dict[str, Any]] | None = None


@dataclass(frozen=True)
class Attachment:
    """A photo's bytes, to attach to a case or as staged (not JSON: a raw request body)."""

    filename: str
    content_type: str  # image/jpeg, image/png, image/webp
    data: bytes = field(repr=False)
