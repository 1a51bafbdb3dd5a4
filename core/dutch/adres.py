"""Addresses in free text: "Kerkstraat 12a", "1234 AB 5", "in de van Goghstraat bij nr 3".

A melding needs a place the municipality can find. Streets on the gemeente's own list
(core/openbare_ruimte.py) are found by name, also without a usual ending ("Vogelzang",
"Hoogte"); others by their Dutch endings (…straat, …laan, …weg), unless the word is a
thing rather than a street ("het zebrapad", "het schoolplein"). The NLU's learned
`straat` entity is used when it is one of those. The house number may follow the
street ("Vogelzang 3", "Vogelzang bij nummer 9") or come first ("bij huisnummer 60 aan
de Ringweg").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.dutch.patterns import Match, find_huisnummer_after, find_postcodes, normalize_huisnummer
from core.openbare_ruimte import Straatlijst, straatlijst

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
    "zebrapad", "schoolplein", "speelplein", "dorpsplein", "kerkplein", "kerkhof", "bospad",
    "wandelpad", "ruiterpad", "jaagpad", "tuinpad", "schelpenpad", "grindpad", "achterpad",
    "tegelpad", "overweg", "zandpad", "dijkweg", "hoofdweg", "winkelstraat", "uitrit",
    "ijsbaan", "tennisbaan", "atletiekbaan", "voetbalveldje", "trapveld", "trapveldje",
    "kunstgrasveld", "hertenkamp", "volkstuin", "heemtuin", "wijkpark", "sportpark",
    "speelveldje", "grasveldje", "pleintje", "parkje", "paadje", "weggetje", "straatje",
    "kruising", "rotonde", "parkeerhaven", "bushalte", "vluchtheuvel",
}  # fmt: skip
# Words before a thing, never before a street name: "het zebrapad", "ons schoolplein".
THING_DETERMINERS = {"het", "een", "dit", "dat", "ons", "onze", "mijn", "jullie", "hun", "'t"}
# A house number with a cue, away from the street: "bij nummer 9", "huisnummer 60", "nr. 3".
NUMMER_CUE_RE = re.compile(
    r"\b(?:(?:bij|voor|naast|tegenover|ter hoogte van|t\.?h\.?v\.?|rond|ongeveer)\s+)?"
    r"(?:het\s+)?(?:huis\s?nummer|huisnr\.?|nummer|nr\.?|no\.?)\s*(\d{1,5}(?:\s?[a-zA-Z]\b)?)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Adres:
    """What a resident's words say about a place; the fields of the Case API's Locatie."""

    straat: str | None = None
    huisnummer: str | None = None
    postcode: str | None = None
    plaats: str | None = None

    def is_empty(self) -> bool:
        return not (self.straat or self.postcode)

    def tekst(self) -> str:
        """As on an envelope: "Ringweg 14, 2345 CD Lindewaard"; a postcode alone "2345 CD 14"."""
        if self.straat:
            line = " ".join(p for p in (self.straat, self.huisnummer) if p)
            rest = " ".join(p for p in (self.postcode, self.plaats) if p)
            return f"{line}, {rest}" if rest else line
        return " ".join(p for p in (self.postcode, self.huisnummer, self.plaats) if p)


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


def is_thing(text: str, start: int, word: str) -> bool:
    """ "het zebrapad", "de speeltuin", "bij ons schoolplein": a thing, not a street name."""
    if word.lower() in NOT_STREETS:
        return True
    before = text[:start].split()
    return bool(before) and word[:1].islower() and before[-1].lower() in THING_DETERMINERS


def find_street(text: str) -> tuple[str, int, int] | None:
    """The first street name with a street ending in text, where it starts and ends."""
    for m in STREET_RE.finditer(text):
        word = m.group(0).rstrip(".")
        if len(word) < 5 or is_thing(text, m.start(), word):
            continue
        begin = _street_start(text, m.start())
        name = text[begin : m.start() + len(word)].strip()
        return name[0].upper() + name[1:], begin, m.start() + len(word)
    return None


def find_nummer(text: str, start: int, end: int) -> Match | None:
    """The house number of a street at text[start:end]: right after it ("Kerkstraat 12a"),
    after it with a cue ("Vogelzang, bij nummer 9"), or before it with a cue ("bij
    huisnummer 60 aan de Ringweg")."""
    after = find_huisnummer_after(text, end)
    if after:
        return after
    cued = [m for m in NUMMER_CUE_RE.finditer(text) if m.start() >= end or m.end() <= start]
    if not cued:
        return None
    # The nearest cue after the street, else the nearest before it.
    m = min(cued, key=lambda c: (c.start() < end, abs(c.start() - end)))
    value = normalize_huisnummer(m.group(1))
    return Match("huisnummer", m.start(1), m.end(1), value) if value else None


def _learned_street(text: str, straat: str | None) -> tuple[str, int, int] | None:
    """The NLU's `straat` entity, where it is in the text, unless it names a thing."""
    if not straat or straat.lower() not in text.lower():
        return None
    start = text.lower().index(straat.lower())
    if is_thing(text, start, text[start : start + len(straat)]):
        return None
    return straat[0].upper() + straat[1:], start, start + len(straat)


# A bare answer that is a name and a number: "Zonnedauw 5", "De Kamp 12" (not on the list).
_BARE_NAME_RE = re.compile(
    r"^\s*(?:(?:in|op|aan|bij)\s+)?(?:(?:de|het)\s+)?"
    r"((?:[A-Z][\w'’\-]+|van|de|der|den|het|'t)(?:\s+(?:[A-Z][\w'’\-]+|van|de|der|den|het|'t)){0,3})"
    r"(?=\s*,?\s*\d)"
)


def find_any_street(
    text: str, straat: str | None = None, *, bare: bool = False, lijst: Straatlijst | None = None
) -> tuple[str, int, int] | None:
    """A street in text: one on the gemeente's list first, then the NLU's, then by ending;
    in a bare answer also a capitalised name before a house number."""
    lijst = straatlijst() if lijst is None else lijst
    known = lijst.in_tekst(text, bare=bare)
    found = _learned_street(text, straat) or find_street(text)
    if known:
        ruimte, start, end = known
        # "Burgemeester van Dijkstraat" is not the Dijkstraat: a longer name wins.
        if not (found and found[1] < start and found[2] >= end):
            return ruimte.naam, start, end
    if found:
        return found
    if bare:
        m = _BARE_NAME_RE.match(text)
        if m and m.group(1)[0].isupper():
            return m.group(1), m.start(1), m.end(1)
    return None


def parse_adres(
    text: str, straat: str | None = None, *, bare: bool = False, lijst: Straatlijst | None = None
) -> Adres:
    """Street, house number and postcode from a resident's message.

    `straat` is the NLU's entity value if it found one. `bare`: the message answers
    "Waar is het?", so a street name may be all it says ("hoogte", "Zonnedauw 5").
    """
    postcode = huisnummer = None
    postcodes = find_postcodes(text)
    if postcodes:
        postcode = postcodes[0].value
        after = find_huisnummer_after(text, postcodes[0].end)
        huisnummer = after.value if after else None
    found = find_any_street(text, straat, bare=bare, lijst=lijst)
    name = None
    if found:
        name, start, end = found
        if huisnummer is None:
            nummer = find_nummer(text, start, end)
            huisnummer = nummer.value if nummer else None
    elif postcode and huisnummer is None:
        huisnummer = nummer_in(text)  # "2345 CD, huisnummer 14"
    return Adres(straat=name, huisnummer=huisnummer, postcode=postcode)


def nummer_in(text: str) -> str | None:
    """A house number said on its own: "bij nummer 9", "huisnummer 60"."""
    m = NUMMER_CUE_RE.search(text)
    return normalize_huisnummer(m.group(1)) if m else None
