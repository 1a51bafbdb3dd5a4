"""An address checked against the gemeente's list of public spaces.

Known streets get their spelling, woonplaats and (with a house number) postcode from
the list; a postcode gets its street. A name close to a known one ("Ringwg",
"stationstraat") is a near miss the resident is asked about. A street not on the
list at all is kept as typed: the list can be behind (a new neighbourhood), and a
melding must never be refused for its address.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from core.dutch.adres import STOP, Adres, find_nummer, is_thing, parse_adres
from core.openbare_ruimte import OpenbareRuimte, Straatlijst, straatlijst

# A street ending typed as a word of its own: "Nieuwe straat" for the Nieuwstraat.
BARE_ENDINGS = {"straat", "laan", "weg", "plein", "kade", "dijk", "pad", "hof", "singel", "steeg"}
Soort = Literal["bekend", "bijna", "onbekend", "leeg"]


@dataclass(frozen=True)
class Controle:
    soort: Soort
    adres: Adres  # on the list: as the list spells it; otherwise as typed
    voorstel: Adres | None = None  # a near miss: what the resident probably meant


def aangevuld(adres: Adres, ruimte: OpenbareRuimte) -> Adres:
    """The list's spelling and woonplaats, and the postcode of the house number."""
    reeks = ruimte.reeks_van(adres.huisnummer)
    postcode = adres.postcode or (reeks.postcode if reeks else None)
    return replace(adres, straat=ruimte.naam, plaats=ruimte.woonplaats, postcode=postcode)


def controleer(
    text: str, straat: str | None = None, *, bare: bool = False, lijst: Straatlijst | None = None
) -> Controle:
    """Parse text for an address and check it against the list.

    `bare`: the text answers "Waar is het?", so a near miss may be any of its words.
    """
    lijst = straatlijst() if lijst is None else lijst
    adres = parse_adres(text, straat, bare=bare, lijst=lijst)
    if adres.straat:
        ruimte = lijst.zoek(adres.straat, adres.postcode)
        if ruimte:
            return Controle("bekend", aangevuld(adres, ruimte))
        near = lijst.bijna(adres.straat)
        if near:
            return Controle("bijna", adres, aangevuld(replace(adres, straat=near.naam), near))
        return Controle("onbekend", adres)
    if adres.postcode:
        found = lijst.bij_postcode(adres.postcode, adres.huisnummer)
        if found:
            return Controle("bekend", aangevuld(adres, found[0]))
        return Controle("onbekend", adres)
    if bare:
        near_in_text = lijst.bijna_in_tekst(text, lambda start, span: _no_street(text, start, span))
        if near_in_text:
            ruimte, start, end = near_in_text
            nummer = find_nummer(text, start, end)
            typed = Adres(_capitalised(text[start:end]), nummer.value if nummer else None)
            return Controle("bijna", typed, aangevuld(replace(typed, straat=ruimte.naam), ruimte))
    return Controle("leeg", adres)


def _no_street(text: str, start: int, span: str) -> bool:
    """ "het schoolplein", "achter": words that are not a misspelt street name."""
    said = span.split()
    things = [w for w in said if w.lower() not in BARE_ENDINGS]  # "Nieuwe straat" may be meant
    return said[0].lower() in STOP or any(is_thing(text, start, w) for w in things)


def _capitalised(name: str) -> str:
    return name[:1].upper() + name[1:]
