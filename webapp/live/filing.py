"""A medewerker files a melding, verzoek or call-back for the resident from a live chat.

The same path as Balie's actions: a `NewCase` or `CallbackIn` (core/caseapi/models.py)
through the Case API client (core/caseapi/client.py), with the widget conversation as
`melder` (so the resident follows it in their chat, as with a case they made with
Balie). The case is linked to the live chat (`live_chat_cases`, shown on the case page)
and the resident gets its number and controlecode in the chat.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import ValidationError

from core import kcc
from core.caseapi import models as m
from core.caseapi.client import CaseApiClient
from core.caseapi.errors import BackendError
from core.clock import utcnow
from core.codes import new_code
from core.domain import Channel
from core.residents import texts
from webapp.live.service import Live
from webapp.live.store import Chat
from webapp.live.telegram import PREFIX as TELEGRAM

log = logging.getLogger(__name__)
SOORTEN = ("melding", "verzoek", "terugbellen")
# The first field pydantic names in its complaint -> what the medewerker should fix.
FIELD_HELP = {
    "omschrijving": texts.FILING_OMSCHRIJVING,
    "categorie": texts.FILING_CATEGORIE,
    "locatie": texts.FILING_LOCATIE,
    "straat": texts.FILING_STRAAT,
    "huisnummer": texts.FILING_HUISNUMMER,
    "postcode": texts.FILING_POSTCODE,
    "plaats": texts.FILING_PLAATS,
    "onderwerp": texts.FILING_ONDERWERP,
    "naam": texts.FILING_NAAM,
    "telefoon": texts.FILING_TELEFOON,
    "voorkeur": texts.FILING_VOORKEUR,
}


class FilingError(Exception):
    """What the medewerker should fix or know, in Dutch."""


@dataclass(frozen=True)
class Filed:
    soort: str
    identificatie: str  # the case's number, or the call-back's
    tekst: str  # for the medewerker's page


def _field(form: Mapping[str, str], name: str) -> str | None:
    value = str(form.get(name, "")).strip()
    return value or None


def _complaint(exc: ValidationError) -> str:
    for error in exc.errors():
        for part in error.get("loc", ()):
            if str(part) in FIELD_HELP:
                return FIELD_HELP[str(part)]
        if "locatie" in str(error.get("msg", "")):
            return FIELD_HELP["locatie"]
        if "categorie" in str(error.get("msg", "")):
            return FIELD_HELP["categorie"]
    return texts.FILING_CHECK_FORM


async def file_for_resident(
    live: Live, client: CaseApiClient, chat: Chat, naam: str, form: Mapping[str, str]
) -> Filed:
    """File what the form says for the chat's resident and tell them; FilingError if not."""
    soort = _field(form, "soort")
    if soort not in SOORTEN:
        raise FilingError(texts.FILING_CHOOSE_SOORT)
    sender = await live.store.sender_of(chat.session_id)
    if sender is None:
        raise FilingError(texts.FILING_CONVERSATION_GONE)
    # A Telegram resident's chat is sent as "telegram:<chat id>" (webapp/live/telegram.py):
    # the case's news goes back to that chat.
    kanaal: Channel = "telegram" if sender.startswith(TELEGRAM) else "web"
    melder = sender if kanaal == "telegram" else f"web:{sender}"
    key = f"live-{chat.id}-{secrets.token_hex(8)}"
    try:
        if soort == "terugbellen":
            callback = m.CallbackIn(
                naam=_field(form, "naam") or "",
                telefoon=_field(form, "telefoon") or "",
                onderwerp=_field(form, "omschrijving"),
                voorkeur=_field(form, "voorkeur"),
                kanaal=kanaal,
                melder=melder,
            )
        else:
            locatie = m.LocatieIn.parse_obj(
                {k: _field(form, k) for k in ("straat", "huisnummer", "postcode", "plaats")}
            )
            case = m.NewCase.parse_obj(
                {
                    "type": soort,
                    "omschrijving": _field(form, "omschrijving") or "",
                    "categorie": _field(form, "categorie") if soort == "melding" else None,
                    "onderwerp": _field(form, "onderwerp"),
                    "locatie": None if locatie.is_empty() else locatie,
                    "kanaal": kanaal,
                    "melder": melder,
                    "controlecode": new_code(),
                    "idempotency_key": key,
                }
            )
    except ValidationError as exc:
        raise FilingError(_complaint(exc)) from None
    try:
        if soort == "terugbellen":
            made = await client.create_callback(callback, key)
            identificatie = str(made.id)
            said = texts.live_callback_filed(naam, kcc.terugbel_moment(utcnow()))
        else:
            created = await client.create_case(case)
            identificatie = created.identificatie
            said = texts.live_case_filed(naam, soort, identificatie, case.controlecode)
    except BackendError as exc:
        log.warning("filing a %s from live chat %s failed: %r", soort, chat.id, exc)
        raise FilingError(texts.FILING_FAILED) from None
    await live.store.link_case(chat.id, soort, identificatie, naam)
    await live.tell_resident(chat.session_id, said)
    return Filed(soort, identificatie, texts.filed_for_medewerker(soort, identificatie))
