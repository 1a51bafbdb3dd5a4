"""Where a melding or verzoek is: a shared point, an address checked against the gemeente's
list of streets, or a landmark description.

The location slot holds the Case API's Locatie fields. A near miss ("Ringwg") waits in
`locatie_voorstel` as {"voorstel": ..., "getypt": ...} until the resident says whether
the proposed street is meant; a street not on the list is taken as typed, with a note.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker

from actions import common
from core.dutch.adres import NUMMER_CUE_RE, Adres, nummer_in
from core.dutch.adrescontrole import Controle, controleer
from core.dutch.patterns import normalize_huisnummer
from core.dutch.tijdstip import weet_niet
from core.openbare_ruimte import straatlijst

# Words that make a phrase a description of a place: "bij de ingang van het park".
LANDMARK_WORDS = {
    "bij",
    "naast",
    "voor",
    "achter",
    "tegenover",
    "in",
    "op",
    "aan",
    "langs",
    "onder",
}


def is_landmark(text: str) -> bool:
    """ "bij de ingang van het park" describes a place; "asdfgh" does not."""
    words = re.findall(r"[\w'-]+", text.lower())
    return 2 <= len(words) <= 40 and any(w in LANDMARK_WORDS for w in words)


def shared_point(tracker: Tracker) -> dict[str, Any] | None:
    """A point the resident shared (channel metadata), if valid."""
    metadata = tracker.latest_message.get("metadata") or {}
    point = metadata.get("locatie") if isinstance(metadata, dict) else None
    if not isinstance(point, dict):
        return None
    try:
        lat, lon = float(point["lat"]), float(point["lon"])
    except (KeyError, TypeError, ValueError):
        return None  # not a point: the text may still hold an address
    if -90 <= lat <= 90 and -180 <= lon <= 180:
        return {"lat": lat, "lon": lon}
    return None


def as_slot(adres: Adres) -> dict[str, Any]:
    return {k: v for k, v in vars(adres).items() if v}


def check(tracker: Tracker, text: str, *, bare: bool) -> Controle:
    """The address in text, checked against the list. `bare`: it answers "Waar is het?"."""
    return controleer(text, common.entity(tracker, "straat"), bare=bare)


def locatie_from(tracker: Tracker, text: str) -> dict[str, Any] | None:
    """A location from a shared point or a known address in a longer message (the first
    one). A near miss is not a location yet (see `voorstel`), nor is a street the
    gemeente's list does not know ("na de weekmarkt" is no street "Weekmarkt"): the form
    asks, and an answer to "Waar is het?" may still name a street off the list."""
    point = shared_point(tracker)
    if point:
        return point
    found = check(tracker, text, bare=False)
    if found.soort == "bekend" or (found.soort == "onbekend" and not lijst_bekend()):
        return as_slot(found.adres)
    return None


def zonder_nummer(locatie: dict[str, Any]) -> bool:
    """A street named without a house number or postcode: the form asks where in it."""
    return bool(locatie.get("straat")) and not (
        locatie.get("huisnummer") or locatie.get("postcode")
    )


_BARE_NUMMER_RE = re.compile(r"\s*(?:op\s+|bij\s+|rond\s+)?(\d{1,5}\s?[a-zA-Z]?)\s*[.!]?\s*")


def in_straat(tracker: Tracker, straat: dict[str, Any], text: str) -> dict[str, Any] | None:
    """The answer to "Waar in de Schoolstraat is het?": a house number ("22", "bij nummer
    22"), a place in it ("bij de school"), a shared point, or "weet ik niet" (the street
    alone). None when the answer names another address or is no answer."""
    point = shared_point(tracker)
    if point:
        return point
    if weet_niet(text) or common.yes_no(tracker) is False:
        return straat
    if check(tracker, text, bare=True).soort != "leeg":
        return None  # a whole address after all: the usual checks apply
    bare = _BARE_NUMMER_RE.fullmatch(text)
    nummer = nummer_in(text) or (normalize_huisnummer(bare.group(1)) if bare else None)
    if nummer:
        rest = "" if bare else NUMMER_CUE_RE.sub("", text)  # "bij nummer 9, voor de school"
        return with_hint(straat | {"huisnummer": nummer}, text if is_landmark(rest) else None)
    if is_landmark(text):
        return with_hint(straat, text)
    return None


def voorstel(found: Controle) -> dict[str, Any] | None:
    """The slot value that makes the form ask "Bedoelt u de Ringweg?"."""
    if found.soort != "bijna" or found.voorstel is None:
        return None
    return {"voorstel": as_slot(found.voorstel), "getypt": as_slot(found.adres)}


def lijst_bekend() -> bool:
    """Does this gemeente have a list of streets to check against?"""
    return bool(straatlijst())


def fits(tracker: Tracker, text: str) -> bool:
    """Could the message be an answer to "Waar is het?"?"""
    if shared_point(tracker):
        return True
    straat = tracker.get_slot("locatie_straat")
    if straat and in_straat(tracker, straat, text) is not None:
        return True
    if tracker.get_slot("locatie_voorstel") and common.yes_no(tracker) is not None:
        return True
    return check(tracker, text, bare=True).soort != "leeg" or is_landmark(text)


def with_hint(locatie: dict[str, Any], hint: str | None) -> dict[str, Any]:
    """An address after a landmark ("bij nummer 9", then "Vogelzang"): both are kept."""
    if not hint:
        return locatie
    out = dict(locatie)
    if out.get("straat") and not out.get("huisnummer"):
        nummer = nummer_in(hint)
        if nummer:
            out["huisnummer"] = nummer
    out["omschrijving"] = hint[:300]
    return out


# Street names that bring their own article or preposition: "De Dreef", "Achter de Kerk".
OWN_START = {"de", "het", "'t", "achter", "aan", "op", "over", "onder", "in", "bij", "voor"}


def met_lidwoord(straat: str) -> str:
    """ "de Ringweg", but "De Dreef" and "Achter de Kerk" as they are."""
    first = straat.split(" ", 1)[0].lower()
    return straat if first in OWN_START and " " in straat else f"de {straat}"


def locatie_tekst(locatie: dict[str, Any] | None) -> str:
    """How the resident sees the location in a summary."""
    if not locatie:
        return "geen"
    if locatie.get("straat") or locatie.get("postcode"):
        fields = {k: locatie.get(k) for k in ("straat", "huisnummer", "postcode", "plaats")}
        text = Adres(**fields).tekst()
    else:
        text = f"gedeelde locatie ({locatie['lat']:.5f}, {locatie['lon']:.5f})"
    if locatie.get("omschrijving"):
        text += f" ({locatie['omschrijving']})"
    return text
