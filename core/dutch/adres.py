"""Addresses in free text: "Kerkstraat 12a", "1234 AB 5", "in de van Goghstraat bij nr 3".

A melding needs a place the municipality can find. The NLU's learned `straat`
entity is used when present; this finds street names by their Dutch endings
(…straat, …laan, …weg) when it is not, and takes the house number that follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.dutch.patterns import find_huisnummer_after, find_postcodes

SUFFIXES = (
    "straat|straatje|laan|laantje|weg|plein|pleintje|singel|kade|gracht|dijk|pad|hof|dreef"
    "|steeg|markt|ring|baan|wal|erf|allee|boulevard|promenade|zijde|kamp|haven|dam|brink"
    "|plantsoen|akker|weide|oord|horst|donk|dal|veld|park|lei|burcht|hoven|tuin|kwartier"
)
WORD = r"[A-Za-zÀ-ÿ][\w'’.\-]*"
STREET_RE = re.compile(rf"\b{WORD}(?:{SUFFIXES})\b", re.IGNORECASE)
# Words before a street name that belong to it ("Burgemeester de Vlugtlaan", "Van Goghstraat").
PARTICLES = {"van", "de", "der", "den", "het", "'t", "ter", "ten", "te", "op", "in", "la", "le"}
# Capitalised words that start a sentence or phrase rather than a street name.
STOP = {
    "in", "op", "bij", "aan", "naar", "voor", "langs", "achter", "naast", "tegenover",
    "de", "het", "een", "mijn", "onze", "hoek", "ik", "wij", "we", "er", "is", "en",
    "adres", "straat", "woon", "woont", "staat", "ligt", "zit", "nabij", "vlakbij", "tussen",
}  # fmt: skip
# Ordinary words with a street-like ending that are not streets.
NOT_STREETS = {
    "weg", "straat", "laan", "plein", "park", "veld", "hof", "dijk", "pad", "baan", "ring",
    "kade", "markt", "haven", "tuin", "dal", "wal", "dam", "erf", "zijde", "speelveld",
    "sportveld", "basketbalveld", "voetbalveld", "grasveld", "stadspark", "halfweg",
    "onderweg", "zoweg", "kruispunt", "wegdek", "parkeerplaats", "fietspad", "voetpad",
    "trottoir", "stoep", "speeltuin", "achtertuin", "voortuin", "moestuin", "bos", "ringweg",
    "snelweg", "rijbaan", "busbaan", "fietsstraat", "zijstraat", "woonerf", "oprit",
}  # fmt: skip


@dataclass(frozen=True)
class Adres:
    straat: str | None = None
    huisnummer: str | None = None
    postcode: str | None = None

    def is_empty(self) -> bool:
        return not (self.straat or self.postcode)


def _street_start(text: str, start: int) -> int:
    """Extend a street name leftwards over capitalised words and particles."""
    words = list(re.finditer(r"\S+", text[:start]))
    begin = start
    for m in reversed(words[-3:]):
        word = m.group(0)
        lower = word.lower()
        if lower in PARTICLES or (word[0].isupper() and lower not in STOP):
            begin = m.start()
        else:
            break
    # Particles only belong to the name when a capitalised word comes before them,
    # except the common "Van …straat" form.
    while begin < start:
        first, *rest = text[begin:].split(maxsplit=2)
        lower = first.lower()
        van_particle = first == "van" and bool(rest) and rest[0].lower() in PARTICLES
        if lower in PARTICLES - {"van"} or lower in STOP or van_particle:
            begin = begin + len(first) + 1
            begin += len(text[begin:]) - len(text[begin:].lstrip())
        else:
            break
    return begin


def find_street(text: str) -> tuple[str, int] | None:
    """The first street name in text and where it ends."""
    for m in STREET_RE.finditer(text):
        word = m.group(0).rstrip(".")
        if word.lower() in NOT_STREETS or len(word) < 5:
            continue
        begin = _street_start(text, m.start())
        name = text[begin : m.start() + len(word)].strip()
        return name[0].upper() + name[1:], m.start() + len(word)
    return None


def parse_adres(text: str, straat: str | None = None) -> Adres:
    """Street, house number and postcode from a resident's message.

    `straat` is the NLU's entity value if it found one; its position in the text
    is used to find the house number after it.
    """
    postcode = huisnummer = None
    postcodes = find_postcodes(text)
    if postcodes:
        postcode = postcodes[0].value
        after = find_huisnummer_after(text, postcodes[0].end)
        huisnummer = after.value if after else None
    end = None
    if straat and straat.lower() in text.lower():
        end = text.lower().index(straat.lower()) + len(straat)
        straat = straat[0].upper() + straat[1:]
    else:
        found = find_street(text)
        straat, end = found if found else (None, None)
    if straat and end is not None and huisnummer is None:
        after = find_huisnummer_after(text, end)
        huisnummer = after.value if after else None
    return Adres(straat=straat, huisnummer=huisnummer, postcode=postcode)
