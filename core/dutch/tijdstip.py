"""When did it happen? Dutch time expressions as residents type them in a chat.

`parse_tijdstip("gisteravond rond 11 uur", now)` gives yesterday 23:00. Incidents lie in
the past, so a time is never placed after `now`: a clock time without a day means its most
recent past occurrence, a weekday the most recent such day, a date without a year its most
recent past occurrence. An expression that can only mean the future ("vanavond" at 14:30,
"morgen") gives None.

Clock changes: a clock time in the autumn hour that happens twice is its most recent past
occurrence like any other ("vannacht om half 3" on 25 October 2026 at 09:00 is 02:30 winter
time, +01:00; asked at 02:45 summer time it is 02:30 summer time); a time in the skipped
spring hour is read on the clock before the change (02:30 on 29 March 2026 is 03:30 summer
time). "10 minuten geleden" counts real minutes.

Recurring nuisance ("elke avond", "al weken") is not one moment: `is_terugkerend` tells the
form to keep it as free text, and `parse_tijdstip` returns None for it unless the text also
names a specific day ("al weken, gisteravond weer om 11 uur"). `weet_niet` recognises "I don't
know / skip"; a form should try `parse_tijdstip` first ("weet niet precies, rond 11 uur").

Pure Python: no Rasa, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from difflib import get_close_matches
from typing import Literal
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

Precisie = Literal["minuut", "uur", "dagdeel", "dag"]


@dataclass(frozen=True)
class Tijdstip:
    """A moment in the past, how precisely it is known, and a short Dutch rendering."""

    start: datetime
    precisie: Precisie
    tekst: str
    # "sinds zaterdag": the start of something still going on, not a single incident.
    doorlopend: bool = False


# --- vocabulary ----------------------------------------------------------------------------

WEEKDAGEN = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MAANDEN = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
_MAAND_AFKORTINGEN = {
    "jan": 1,
    "feb": 2,
    "febr": 2,
    "mrt": 3,
    "maa": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "okt": 10,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
MAAND_NUMMERS = {**{m: i for i, m in enumerate(MAANDEN, 1)}, **_MAAND_AFKORTINGEN}

GETALLEN = {
    "een": 1,
    "twee": 2,
    "drie": 3,
    "vier": 4,
    "vijf": 5,
    "zes": 6,
    "zeven": 7,
    "acht": 8,
    "negen": 9,
    "tien": 10,
    "elf": 11,
    "twaalf": 12,
    "dertien": 13,
    "veertien": 14,
    "vijftien": 15,
    "zestien": 16,
    "zeventien": 17,
    "achttien": 18,
    "negentien": 19,
    "twintig": 20,
    "eenentwintig": 21,
    "tweeentwintig": 22,
    "drieentwintig": 23,
    "vijfentwintig": 25,
}
# Colloquial hours: "rond elven", "om achten".
UREN_EN = {
    "enen": 1,
    "tweeen": 2,
    "drieen": 3,
    "vieren": 4,
    "vijven": 5,
    "zessen": 6,
    "zevenen": 7,
    "achten": 8,
    "negenen": 9,
    "tienen": 10,
    "elven": 11,
    "twaalven": 12,
}

# Dagdeel words and where each dagdeel starts (hour); "morgen" in a compound is the morning.
DAGDELEN = {"ochtend": "ochtend", "morgen": "ochtend", "middag": "middag", "avond": "avond"}
DAGDELEN["nacht"] = "nacht"
DAGDEEL_START = {"nacht": 0, "ochtend": 6, "middag": 12, "avond": 18}
_S_DAGDELEN = {
    "savonds": "avond",
    "smiddags": "middag",
    "sochtends": "ochtend",
    "smorgens": "ochtend",
    "snachts": "nacht",
}

# Single-token synonyms, applied after typo correction.
_SYNONIEMEN = {
    "gister": "gisteren",
    "gistere": "gisteren",
    "avonds": "savonds",
    "middags": "smiddags",
    "ochtends": "sochtends",
    "morgens": "smorgens",
    "nachts": "snachts",
    "vanmorgend": "vanmorgen",
    "zonet": "zojuist",
    "zoeven": "zojuist",
    "daarnet": "zojuist",
    "vorig": "vorige",
}

_DAGWOORDEN = [
    f"{pre}{dd}"
    for pre in ("gister", "gisteren", "eergister", "eergisteren", "van")
    for dd in DAGDELEN
]
_WEEKDAG_COMPOUNDS = [f"{wd}{dd}" for wd in WEEKDAGEN for dd in DAGDELEN]
# Words typos are corrected towards (close matches only).
_DOELWOORDEN = frozenset(
    [
        "vandaag",
        "gisteren",
        "eergisteren",
        "zojuist",
        "afgelopen",
        "vorige",
        "weekend",
        "geleden",
        "ongeveer",
        "omstreeks",
        "middernacht",
        "middaguur",
        "kwartier",
        "minuten",
        *DAGDELEN,
        *_S_DAGDELEN,
        *WEEKDAGEN,
        *MAANDEN,
        *_DAGWOORDEN,
        *_WEEKDAG_COMPOUNDS,
        *(w for w in GETALLEN if len(w) >= 5),
        *UREN_EN,
    ]
)
# Ordinary words that look like a target word but must stay what they are.
_BEKENDE_WOORDEN = frozenset(
    [
        "morgen",
        "overmorgen",
        "morgenavond",
        "morgenochtend",
        "morgenmiddag",
        "morgennacht",
        "maand",
        "maanden",
        "dagen",
        "weken",
        "weekenden",
        "avonden",
        "nachten",
        "ochtenden",
        "middagen",
        "zonder",
        "donder",
        "vanaf",
        "vandaan",
        "geleden",
        "gisteren",
        "middel",
        "minuut",
        "minder",
        "mensen",
    ]
)

# --- normalisation -------------------------------------------------------------------------

_APOSTROFS = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_S_DAGDEEL_RE = re.compile(r"(?:'\s?s|s\s?'|\bs)[\s\-]*(avonds|middags|ochtends|morgens|nachts)\b")
_DAGDEEL_ALT = "|".join(DAGDELEN)
_SAMENVOEGINGEN = [
    (re.compile(rf"\b(eer)?\s?gister(?:en)?[\s\-]+({_DAGDEEL_ALT})\b"), r"\1gister\2"),
    (re.compile(r"\beer[\s\-]+gister(en)?\b"), r"eergister\1"),
    (re.compile(rf"\bvan[\s\-]+({_DAGDEEL_ALT})\b"), r"van\1"),
    (re.compile(rf"\b({'|'.join(WEEKDAGEN)})[\s\-]+({_DAGDEEL_ALT})\b"), r"\1\2"),
    (re.compile(r"\bzo[\s\-]+(even|net)\b"), "zojuist"),
    (re.compile(r"\bdaar[\s\-]+net\b"), "zojuist"),
]


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _corrigeer(token: str) -> str:
    """A typo corrected towards a time word when it is close to one ("gisteraavond")."""
    if token in _DOELWOORDEN or token in _BEKENDE_WOORDEN or token in _SYNONIEMEN:
        return _SYNONIEMEN.get(token, token)
    if len(token) < 5 or not token.isalpha():
        return token
    match = get_close_matches(token, _DOELWOORDEN, n=1, cutoff=0.84)
    return match[0] if match else token


def normalize(text: str, *, corrigeer: bool = True) -> str:
    """Lower case, no accents, "'s avonds" as one token, digits split from letters, typos fixed."""
    text = _strip_accents(text.translate(_APOSTROFS).lower())
    text = _S_DAGDEEL_RE.sub(lambda m: f" s{m.group(1)} ", text)
    text = re.sub(r"(\d)([a-z])", r"\1 \2", text)
    text = re.sub(r"([a-z])(\d)", r"\1 \2", text)
    text = re.sub(r"[^a-z0-9:./\-\s]", " ", text)
    # Keep : . / - only between digits (times and dates); elsewhere they are punctuation.
    text = re.sub(r"(?<!\d)[:./\-]|[:./\-](?!\d)", " ", text)
    for pattern, replacement in _SAMENVOEGINGEN:
        text = pattern.sub(replacement, text)
    if not corrigeer:
        return " ".join(text.split())
    return " ".join(_corrigeer(token) for token in text.split())


# --- recurring and "don't know" -----------------------------------------------------------

_TIJDSEENHEDEN = (
    r"(?:dag|dagen|avond|avonden|nacht|nachten|ochtend|ochtenden|middag|middagen|morgen"
    r"|week|weken|weekend|weekenden|keer|uur|maand|jaar|zomer|winter|"
    + "|".join(WEEKDAGEN)
    + r")\w*"
)
_TERUGKEREND_RES = [
    re.compile(rf"\b(?:elke|iedere|ieder|elk|alle|bijna elke|om de) (?:\w+ )?{_TIJDSEENHEDEN}\b"),
    re.compile(
        r"\b(?:al|sinds) (?:(?:een|paar|aantal|heel|wat|ruim|bijna|zeker|enkele|meerdere|lange"
        r"|\d+|twee|drie|vier|vijf|zes|zeven|acht|negen|tien) ){0,3}"
        r"(?:dagen|weken|maanden|jaren|tijden|tijdje|tijd|maand|jaar|week"
        r"|nachten|avonden|ochtenden|middagen|weekenden)\b"
    ),
    # "drie avonden achter elkaar", "twee nachten op rij".
    re.compile(
        r"\b(?:\d+|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|een paar|paar|meerdere) "
        r"(?:dagen|nachten|avonden|ochtenden|middagen|weken|weekenden) (?:achter elkaar|op rij)\b"
    ),
    re.compile(
        r"\b(?:dagelijks|wekelijks|maandelijks|telkens|keer op keer|regelmatig|vaak|voortdurend"
        r"|continu|constant|structureel|herhaaldelijk|de hele tijd|altijd|avond aan avond"
        r"|nacht na nacht|dag in dag uit|doordeweeks|meerdere keren|steeds|elke keer"
        r"|iedere keer)\b"
    ),
    re.compile(rf"\b(?:{'|'.join(WEEKDAGEN)})(?:s|en|avonden|nachten|middagen|ochtenden)\b"),
    re.compile(r"\b(?:in|op|tijdens) de (?:weekenden|avonden|nachten|ochtenden|middagen)\b"),
    # "de afgelopen twee weken", "de laatste dagen", "de laatste tijd": a stretch, not a moment.
    re.compile(
        r"\b(?:afgelopen|laatste|voorbije|recente) (?:\w+ ){0,2}"
        r"(?:dagen|weken|maanden|jaren|nachten|avonden|ochtenden|weekenden|tijd)\b"
    ),
    # "vooral 's avonds", "meestal rond 11 uur", "soms op zondag": a habit.
    re.compile(
        r"\b(?:vooral|meestal|meestentijds|soms|af en toe|geregeld|vaak|altijd|iedere keer)"
        rf" (?:(?:{'|'.join(_S_DAGDELEN)})\b|(?:in|op|rond|om|na|tegen|tussen|tijdens) )"
    ),
    re.compile(r"\b(?:tegenwoordig|sinds kort|de laatste tijd)\b"),
]


def is_terugkerend(text: str) -> bool:
    """True for recurring or long-lasting nuisance: "elke avond", "al weken", "steeds weer"."""
    for s in {normalize(text, corrigeer=False), normalize(text)}:
        s = re.sub(r"\bnog steeds\b", " ", s)
        if any(pattern.search(s) for pattern in _TERUGKEREND_RES):
            return True
    return False


def terugkerend_tekst(text: str) -> str | None:
    """The words of a recurring or ongoing time in a longer message, as the resident said
    them: "de afgelopen twee weken, vooral 's avonds, hangen er jongeren" gives "afgelopen
    twee weken, vooral 's avonds". None when the message names no such time.

    Clock times and dagdelen near it come along ("elke avond rond 11 uur"); the rest of
    the message (the description) does not.
    """
    if not is_terugkerend(text):
        return None
    for corrigeer in (False, True):
        # Clause by clause, so the resident's commas stay: "al twee weken, vooral 's avonds".
        delen = [d for clause in re.split(r"[,;]", text) for d in _tijddelen(clause, corrigeer)]
        if delen:
            return _S_DAGDEEL_TEKST_RE.sub(r"'s \1", ", ".join(delen))[:200]
    return None


def _tijddelen(clause: str, corrigeer: bool) -> list[str]:
    """The time phrases in one clause, if it names a recurring time (else none of them)."""
    s = re.sub(
        r"\bnog steeds\b", lambda m: " " * len(m.group(0)), normalize(clause, corrigeer=corrigeer)
    )
    spans = [m.span() for pattern in _TERUGKEREND_RES for m in pattern.finditer(s)]
    spans += [m.span() for pattern in _TIJD_ERBIJ_RES for m in pattern.finditer(s)]
    spans += [m.span() for m in _UUR_RE.finditer(s) if _uur_plausibel(s, m)]
    delen: list[list[int]] = []
    for start, end in sorted(spans):
        if delen and not s[delen[-1][1] : start].strip():  # touching: one phrase
            delen[-1][1] = max(delen[-1][1], end)
        else:
            delen.append([start, end])
    return [s[start:end].strip() for start, end in delen]


_WEET_NIET_RE = re.compile(
    r"\b(?:weet (?:ik |het |ik het |je |ik dat |ik eigenlijk )?(?:niet|nie|niks|echt niet|het niet)"
    r"|weet ik veel|wist ik niet|geen (?:flauw |enkel )?(?:idee|benul|id)|onbekend|niet bekend"
    r"|maakt (?:niet|nie|niks) uit|maakt me niet uit|(?:sla|slaan) (?:\w+ )?over|overslaan"
    r"|skip|skippen|volgende vraag|kan ik me niet herinneren|herinner (?:ik )?me (?:dat )?niet"
    r"|(?:ben|is) (?:ik |het |me |dat )*vergeten|idk|geen antwoord|niet van toepassing|nvt|n v t)\b"
)
_WEET_NIET_VOLLEDIG = re.compile(r"\s*(?:nee|geen|niks|x|-+|\?+)[\s.!?]*")


def weet_niet(text: str) -> bool:
    """True when the resident does not know or wants to skip: "geen idee", "sla over"."""
    if _WEET_NIET_VOLLEDIG.fullmatch(text.lower()):
        return True
    return bool(_WEET_NIET_RE.search(normalize(text)))


# --- anchors: which day --------------------------------------------------------------------


@dataclass(frozen=True)
class _Dag:
    """Candidate days in order of preference; `expliciet` if it names one specific day."""

    dagen: tuple[date, ...]
    dagdeel: str | None = None
    expliciet: bool = True


@dataclass(frozen=True)
class _Periode:
    """A week or a weekend: a start day and its Dutch rendering."""

    dag: date
    tekst: str


_GISTER_RE = re.compile(rf"\b(eer)?gister(?:en)?({_DAGDEEL_ALT})?\b")
_VAN_RE = re.compile(rf"\bvan({_DAGDEEL_ALT})\b")
_NACHT_RE = re.compile(r"\b(?:afgelopen|vorige|deze) nacht\b")
_WEEKDAG_RE = re.compile(
    r"\b(?:(afgelopen|vorige|laatste|jongstleden|sinds) )?"
    rf"({'|'.join(WEEKDAGEN)})({_DAGDEEL_ALT})?\b"
    r"(?! ?(?:s|en)\b)"
)
_NACHT_VAN_RE = re.compile(rf"\bnacht van (?:{'|'.join(WEEKDAGEN)}) op ({'|'.join(WEEKDAGEN)})\b")
_VORIGE_WEEK_RE = re.compile(r"\b(?:vorige|verleden) week\b")
_WEEKEND_RE = re.compile(r"\b(?:(afgelopen|vorige|dit|het|in het|deze) )?weekend\b")
_AFGELOPEN_WEEK_RE = re.compile(r"\b(?:afgelopen|laatste) week\b")
_DEZE_WEEK_RE = re.compile(r"\bdeze week\b")


def _gister_anker(s: str, vandaag: date) -> _Dag | None:
    m = _GISTER_RE.search(s)
    if not m:
        return None
    dagen_terug = 2 if m.group(1) else 1
    dagdeel = DAGDELEN.get(m.group(2) or "")
    if dagdeel == "nacht":
        # "gisternacht": the night from yesterday to today; its small hours are today's.
        dagen_terug -= 1
    return _Dag((vandaag - timedelta(days=dagen_terug),), dagdeel)


def _vandaag_anker(s: str, vandaag: date) -> _Dag | None:
    m = _VAN_RE.search(s)
    if m:
        return _Dag((vandaag,), DAGDELEN[m.group(1)])
    if _NACHT_RE.search(s):
        return _Dag((vandaag,), "nacht")
    if re.search(r"\bvandaag\b", s):
        return _Dag((vandaag,))
    return None


def _nacht_van_anker(s: str, vandaag: date) -> _Dag | None:
    """ "de nacht van zaterdag op zondag": the night whose morning is Sunday."""
    m = _NACHT_VAN_RE.search(s)
    if not m:
        return None
    terug = (vandaag.weekday() - WEEKDAGEN.index(m.group(1))) % 7
    ochtend = vandaag - timedelta(days=terug)
    return _Dag((ochtend, ochtend - timedelta(days=7)), "nacht")


def _weekdag_anker(s: str, vandaag: date) -> _Dag | None:
    m = _WEEKDAG_RE.search(s)
    if not m:
        return None
    weekdag = WEEKDAGEN.index(m.group(2))
    dagdeel = DAGDELEN.get(m.group(3) or "")
    if _VORIGE_WEEK_RE.search(s):
        maandag = vandaag - timedelta(days=vandaag.weekday() + 7)
        dagen: tuple[date, ...] = (maandag + timedelta(days=weekdag),)
    else:
        terug = (vandaag.weekday() - weekdag) % 7
        if m.group(1) and terug == 0:
            terug = 7
        dag = vandaag - timedelta(days=terug)
        dagen = (dag, dag - timedelta(days=7))
    if dagdeel == "nacht":
        # "zaterdagnacht" is the night from Saturday to Sunday.
        dagen = tuple(d + timedelta(days=1) for d in dagen)
    return _Dag(dagen, dagdeel, expliciet=bool(m.group(1)) or bool(_VORIGE_WEEK_RE.search(s)))


def _maak_datum(jaar: int | None, maand: int, dag: int, vandaag: date) -> date | None:
    """The date, or without a year its most recent past occurrence; None if invalid/future."""
    try:
        if jaar is not None:
            jaar = jaar + 2000 if jaar < 100 else jaar
            datum = date(jaar, maand, dag)
            return datum if datum <= vandaag else None
        datum = date(vandaag.year, maand, dag)
        if datum > vandaag:
            datum = date(vandaag.year - 1, maand, dag)
        return datum
    except ValueError:
        return None


_MAAND_ALT = "|".join(sorted(MAAND_NUMMERS, key=len, reverse=True))
_TEKSTDATUM_RE = re.compile(
    rf"\b(\d{{1,2}})(?: (?:e|ste|de))? ({_MAAND_ALT})\b(?: (\d{{4}}))?(?![:.]\d)"
)
_ISODATUM_RE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_CIJFERDATUM_JAAR_RE = re.compile(r"\b(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})\b")
_CIJFERDATUM_RE = re.compile(
    r"(?<!tussen )(?<!van )\b(\d{1,2})[-/](\d{1,2})\b(?![-/.]\d)(?! ?(?:uur|u|h)\b)"
)
_DE_ZOVEELSTE_RE = re.compile(r"\bde (\d{1,2}) (?:e|ste|de)\b")


def _datum_anker(s: str, vandaag: date) -> _Dag | None:
    """A written date: "12 november", "12 nov 2025", "12/11/2026", "2026-11-12"."""
    datum = None
    if m := _TEKSTDATUM_RE.search(s):
        jaar = int(m.group(3)) if m.group(3) else None
        datum = _maak_datum(jaar, MAAND_NUMMERS[m.group(2)], int(m.group(1)), vandaag)
    elif m := _ISODATUM_RE.search(s):
        datum = _maak_datum(int(m.group(1)), int(m.group(2)), int(m.group(3)), vandaag)
    elif m := _CIJFERDATUM_JAAR_RE.search(s):
        datum = _maak_datum(int(m.group(4)), int(m.group(3)), int(m.group(1)), vandaag)
    else:
        return None
    return _Dag((datum,)) if datum else _Dag(())


def _korte_datum_anker(s: str, vandaag: date) -> _Dag | None:
    """Weaker date forms ("12-11", "de 12e"), used only when no day word is present."""
    if m := _CIJFERDATUM_RE.search(s):
        datum = _maak_datum(None, int(m.group(2)), int(m.group(1)), vandaag)
        return _Dag((datum,)) if datum else None
    if m := _DE_ZOVEELSTE_RE.search(s):
        dag = int(m.group(1))
        maand, jaar = vandaag.month, vandaag.year
        if dag > vandaag.day:
            maand, jaar = (12, jaar - 1) if maand == 1 else (maand - 1, jaar)
        datum = _maak_datum(jaar, maand, dag, vandaag)
        return _Dag((datum,)) if datum else None
    return None


def _periode_anker(s: str, vandaag: date) -> _Periode | None:
    """ "in het weekend", "vorig weekend", "vorige week", "afgelopen week"."""
    if m := _WEEKEND_RE.search(s):
        zaterdag = vandaag - timedelta(days=(vandaag.weekday() - 5) % 7)
        if m.group(1) == "vorige" and vandaag.weekday() >= 5:
            zaterdag -= timedelta(days=7)
        zondag = zaterdag + timedelta(days=1)
        voorvoegsel = "afgelopen weekend" if vandaag - zaterdag < timedelta(days=7) else "weekend"
        return _Periode(zaterdag, f"{voorvoegsel} ({_dagen_tekst(zaterdag, zondag, 'en')})")
    if _VORIGE_WEEK_RE.search(s):
        maandag = vandaag - timedelta(days=vandaag.weekday() + 7)
        zondag = maandag + timedelta(days=6)
        return _Periode(maandag, f"vorige week ({_dagen_tekst(maandag, zondag, 't/m')})")
    if _DEZE_WEEK_RE.search(s):
        maandag = vandaag - timedelta(days=vandaag.weekday())
        return _Periode(maandag, f"deze week (sinds {dag_tekst(maandag, vandaag)})")
    if _AFGELOPEN_WEEK_RE.search(s):
        begin = vandaag - timedelta(days=7)
        return _Periode(begin, f"afgelopen week (sinds {dag_tekst(begin, vandaag)})")
    return None


def _dag_anker(s: str, vandaag: date) -> _Dag | None:
    """The day the text names, most specific first."""
    vinders = (_datum_anker, _nacht_van_anker, _weekdag_anker, _gister_anker, _vandaag_anker)
    for vinder in vinders:
        if (anker := vinder(s, vandaag)) is not None:
            return anker
    return None


# --- clock times ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Klok:
    uur: int
    minuut: int
    twaalfuurs: bool  # 1..12 without a leading zero: could be am or pm
    met_minuten: bool


_GETAL = rf"(\d{{1,2}}|{'|'.join(sorted([*GETALLEN, *UREN_EN], key=len, reverse=True))})"
_UUR_VERBODEN_VOOR = {"al", "ruim", "bijna", "zeker", "wel", "dan", "binnen", "over", "paar"}
_UUR_VERBODEN_NA = {"lang", "geleden", "later", "per", "achter", "terug", "gewacht", "duurt"}
_HINT_VOORZETSELS = {
    "om",
    "rond",
    "rondom",
    "tegen",
    "omstreeks",
    "ongeveer",
    "circa",
    "ca",
    "vanaf",
    "sinds",
    "na",
    "tot",
    "tussen",
    "voor",
    "of",
    "was",
    "is",
    "werd",
    "precies",
    "klokslag",
    "stipt",
}
_GEEN_UUR_NA = (
    r"(?! (?:minuten|minuut|min|euro|meter|km|kilometer|jaar|dagen|weken|keer|maanden|procent"
    r"|personen|mensen|jongeren|kinderen|auto|autos|man|stuks|x)\b)"
)

_OVER_HALF_RE = re.compile(rf"\b{_GETAL} (?:minuten |min )?(over|voor) half {_GETAL}\b")
_KWART_RE = re.compile(rf"\bkwart (over|voor) {_GETAL}\b")
_OVER_RE = re.compile(rf"\b{_GETAL} (?:minuten |min )?(over|voor) {_GETAL}\b")
_HALF_RE = re.compile(rf"\bhalf {_GETAL}\b")
_HHMM_RE = re.compile(r"(?<![\d/\-.])\b(\d{1,2})[:.](\d{2})\b(?![.:/\-]\d)")
_U_MM_RE = re.compile(r"\b(\d{1,2}) (?:u|h|uur) (\d{2})\b")
_UUR_OF_RE = re.compile(rf"\buur of {_GETAL}\b")
# "tussen 10 en 11 uur", "10-11 uur": the start of the range
_BEREIK_RE = re.compile(rf"\b{_GETAL} ?(?:-|en|tot|a) ?{_GETAL} (?:uur|u|h|savonds|snachts)\b")
_UUR_RE = re.compile(rf"\b{_GETAL} (?:uur|u|h)\b")
_VOORZETSEL_RE = re.compile(
    rf"\b(?:om|rond|rondom|tegen|omstreeks|ongeveer|circa|ca|vanaf|sinds|na|tussen) {_GETAL}\b"
    rf"(?![:.]\d){_GEEN_UUR_NA}(?! (?:{_MAAND_ALT})\b)"  # "sinds 12 november" is a date
)


def _getal(token: str) -> int:
    if token.isdigit():
        return int(token)
    return GETALLEN.get(token) or UREN_EN[token]


def _klok(uur: int, minuut: int, *, cijfers: str = "", met_minuten: bool = False) -> _Klok | None:
    """A clock time; hours 1..12 (unless written "09") are read as 12-hour times."""
    if uur == 24:
        uur = 0
    if not (0 <= uur <= 23 and 0 <= minuut <= 59):
        return None
    twaalfuurs = 1 <= uur <= 12 and not cijfers.startswith("0")
    return _Klok(uur, minuut, twaalfuurs, met_minuten or minuut != 0)


def _half(uur: int) -> int:
    """ "half tien" is 9:30; "half een" is 12:30."""
    return 12 if uur == 1 else uur - 1


def _klok_van_woorden(s: str) -> _Klok | None:
    """ "tien over half 3", "kwart voor 8", "vijf over 9", "half elf"."""
    if m := _OVER_HALF_RE.search(s):
        minuten = _getal(m.group(1)) * (1 if m.group(2) == "over" else -1)
        return _verschoven(_half(_getal(m.group(3))), 30 + minuten)
    if m := _KWART_RE.search(s):
        return _verschoven(_getal(m.group(2)), 15 if m.group(1) == "over" else -15)
    for m in _OVER_RE.finditer(s):
        if _getal(m.group(1)) < 30:
            minuten = _getal(m.group(1)) * (1 if m.group(2) == "over" else -1)
            return _verschoven(_getal(m.group(3)), minuten)
    if m := _HALF_RE.search(s):
        return _klok(_half(_getal(m.group(1))), 30)
    return None


def _verschoven(uur: int, minuten: int) -> _Klok | None:
    """Hour plus a (possibly negative) number of minutes, kept on a 12-hour clock."""
    if not 1 <= uur <= 12 and not 13 <= uur <= 23:
        return None
    totaal = (uur * 60 + minuten) % (24 * 60)
    nieuw_uur, minuut = divmod(totaal, 60)
    if uur <= 12:
        nieuw_uur = nieuw_uur % 12 or 12
    return _klok(nieuw_uur, minuut)


def _uur_plausibel(s: str, m: re.Match[str]) -> bool:
    """ "al 2 uur", "twee uur lang", "een uur" (duration) are no clock times."""
    voor = s[: m.start()].split()[-1:]
    na = s[m.end() :].split()[:1]
    if (voor and voor[0] in _UUR_VERBODEN_VOOR) or (na and na[0] in _UUR_VERBODEN_NA):
        return False
    if m.group(1).isdigit():
        return True
    context = bool(voor and voor[0] in _HINT_VOORZETSELS) or bool(na and na[0] in _S_DAGDELEN)
    if m.group(1) == "een":
        return context
    return context or len(s.split()) <= 4 or _heeft_dagwoord(s)


def _heeft_dagwoord(s: str) -> bool:
    return bool(_GISTER_RE.search(s) or _VAN_RE.search(s) or re.search(r"\bvandaag\b", s))


def _klok_van_cijfers(s: str) -> _Klok | None:
    """ "23:15", "23.15", "23u15", "11 uur", "elf uur", "rond 11", "een uur of elf"."""
    for regex in (_HHMM_RE, _U_MM_RE):
        for m in regex.finditer(s):
            uur, minuut = int(m.group(1)), int(m.group(2))
            if klok := _klok(uur, minuut, cijfers=m.group(1), met_minuten=True):
                return klok
    for regex in (_UUR_OF_RE, _BEREIK_RE):
        if found := regex.search(s):
            return _klok(_getal(found.group(1)), 0, cijfers=found.group(1))
    for m in _UUR_RE.finditer(s):
        if _uur_plausibel(s, m) and (klok := _klok(_getal(m.group(1)), 0, cijfers=m.group(1))):
            return klok
    for m in _VOORZETSEL_RE.finditer(s):
        if m.group(1) != "een" and (klok := _klok(_getal(m.group(1)), 0, cijfers=m.group(1))):
            return klok
    return None


def _vind_klok(s: str) -> _Klok | None:
    if re.search(r"\bmiddernacht\b", s):
        return _Klok(0, 0, False, False)
    if re.search(r"\b(?:middaguur|tussen de middag|12 uur s middags)\b", s):
        return _Klok(12, 0, False, False)
    return _klok_van_woorden(s) or _klok_van_cijfers(s)


_LOS_DAGDEEL_RE = re.compile(
    rf"\b(?:{'|'.join(_S_DAGDELEN)})\b|\b(?:in|tijdens|op|gedurende|laat op|vroeg in|laat in)"
    r" de (?:ochtend|morgen|middag|avond|nacht)\b|\b(?:avond|nacht|ochtend)\b"
)


def _los_dagdeel(s: str) -> str | None:
    """A dagdeel named on its own: "'s avonds", "in de nacht", "laat op de avond"."""
    m = _LOS_DAGDEEL_RE.search(s)
    if not m:
        return None
    woord = m.group(0).split()[-1]
    return _S_DAGDELEN.get(woord) or DAGDELEN.get(woord)


# Parts of a time that come along with a recurring one (terugkerend_tekst).
_TIJD_ERBIJ_RES = [_HHMM_RE, _U_MM_RE, _BEREIK_RE, _VOORZETSEL_RE, _LOS_DAGDEEL_RE, _WEEKEND_RE]
_S_DAGDEEL_TEKST_RE = re.compile(rf"\bs({'|'.join(w[1:] for w in _S_DAGDELEN)})\b")

_BENADERING_RE = re.compile(
    r"\b(?:rond|rondom|omstreeks|ongeveer|circa|ca|tegen|zo n|zon|ergens|ofzo|of zo|plm"
    r"|pakweg|tussen|uur of)\b|\d ?- ?\d+ (?:uur|u|h)\b"
)

# --- resolving -----------------------------------------------------------------------------


def _momenten(dag: date, dagdeel: str | None, klok: _Klok) -> list[tuple[date, time]]:
    """Candidate moments for a clock time on a day, in order of preference.

    With "nacht" the day is the night's morning: "vannacht om 11 uur" is 23:00 the evening
    before. Without a dagdeel 1..6 reads as pm ("gisteren om 3 uur" is 15:00).
    """
    vorige, volgende = dag - timedelta(days=1), dag + timedelta(days=1)
    h, m = klok.uur, klok.minuut
    if not klok.twaalfuurs:
        if dagdeel == "nacht" and h >= 12:
            return [(vorige, time(h, m))]
        if dagdeel == "avond" and h < 5:
            return [(volgende, time(h, m))]
        return [(dag, time(h, m))]
    if dagdeel == "ochtend":
        return [(dag, time(h, m))]
    if dagdeel == "middag":
        return [(dag, time(h + 12 if h <= 7 else h, m))]
    if dagdeel == "avond":
        if h == 12 or h <= 4:
            return [(volgende, time(h % 12, m))]
        return [(dag, time(h + 12, m))]
    if dagdeel == "nacht":
        if h == 12 or h <= 6:
            return [(dag, time(h % 12, m))]
        return [(vorige, time(h + 12, m))]
    am, pm = (dag, time(h % 12, m)), (dag, time(h % 12 + 12, m))
    if h == 12:
        return [(dag, time(12, m)), am]
    return [pm, am] if h <= 6 else [am, pm]


def _nachtelijke_avond(anker: _Dag, klok: _Klok | None) -> _Dag:
    """ "zaterdag om half 12 's nachts" is Saturday 23:30: the night after the named day.

    Small hours stay on the named day ("gisteren om 2 uur 's nachts").
    """
    if klok is None or not (klok.uur >= 18 or (klok.twaalfuurs and 7 <= klok.uur <= 11)):
        return anker
    return _Dag(tuple(d + timedelta(days=1) for d in anker.dagen), None, anker.expliciet)


def _echt(moment: datetime) -> datetime:
    """The moment as the zone's clocks really showed it (a time in the spring gap moves on)."""
    return moment.astimezone(timezone.utc).astimezone(moment.tzinfo)


def _utc(moment: datetime) -> datetime:
    # Datetimes in one zone compare by their digits, ignoring `fold`: compare in UTC.
    return moment.astimezone(timezone.utc)


def _echte_momenten(dag: date, tijd: time, zone: tzinfo | None) -> list[datetime]:
    """The moments a clock time on a day names, latest first.

    In the autumn hour that happens twice (02:30 on 25 October 2026) that is two moments;
    a time in the skipped spring hour (02:30 on 29 March 2026) is read on the clock as it
    was before the change, so 03:30 summer time.
    """
    muur = datetime.combine(dag, tijd)
    eerste = _echt(muur.replace(tzinfo=zone))
    tweede = _echt(muur.replace(tzinfo=zone, fold=1))
    dubbel = eerste.replace(tzinfo=None) == muur == tweede.replace(tzinfo=None)
    if dubbel and eerste.utcoffset() != tweede.utcoffset():
        return [tweede, eerste]
    return [eerste]


def _dt(dag: date, tijd: time, now: datetime) -> datetime:
    """The (earliest) moment of a clock time on a day, in the zone of `now`."""
    return _echte_momenten(dag, tijd, now.tzinfo)[-1]


def _op_dag(anker: _Dag, dagdeel: str | None, klok: _Klok | None, now: datetime) -> datetime | None:
    """The first moment on the anchor's days that is not in the future."""
    for dag in anker.dagen:
        if klok is None:
            uur = DAGDEEL_START[dagdeel] if dagdeel else 0
            kandidaten = [(dag, time(uur))]
        else:
            kandidaten = _momenten(dag, dagdeel, klok)
        for kandidaat in kandidaten:
            for moment in _echte_momenten(*kandidaat, now.tzinfo):
                if _utc(moment) <= _utc(now):
                    return moment
    return None


def _meest_recent(dagdeel: str | None, klok: _Klok | None, now: datetime) -> datetime | None:
    """A clock time or dagdeel without a day: its most recent past occurrence."""
    vandaag = now.date()
    kandidaten: list[datetime] = []
    for dag in (vandaag + timedelta(days=1), vandaag, vandaag - timedelta(days=1)):
        if klok is None and dagdeel:
            kandidaten.append(_dt(dag, time(DAGDEEL_START[dagdeel]), now))
        elif klok is not None:
            for d, t in _momenten(dag, dagdeel, klok):
                kandidaten.extend(_echte_momenten(d, t, now.tzinfo))
    verleden = [k for k in kandidaten if _utc(k) <= _utc(now)]
    return max(verleden, key=_utc) if verleden else None


# --- rendering -----------------------------------------------------------------------------


def _datum_tekst(dag: date, vandaag: date) -> str:
    jaar = f" {dag.year}" if dag.year != vandaag.year else ""
    return f"{dag.day} {MAANDEN[dag.month - 1]}{jaar}"


def _dagen_tekst(eerste: date, laatste: date, voegwoord: str) -> str:
    """ "21 en 22 november", "31 oktober en 1 november"."""
    if eerste.month == laatste.month and eerste.year == laatste.year:
        return f"{eerste.day} {voegwoord} {laatste.day} {MAANDEN[laatste.month - 1]}"
    return (
        f"{eerste.day} {MAANDEN[eerste.month - 1]} {voegwoord} {laatste.day} "
        + MAANDEN[laatste.month - 1]
    )


def dag_tekst(dag: date, vandaag: date) -> str:
    """ "vandaag", "gisteren (21 november)", "maandag 16 november"."""
    verschil = (vandaag - dag).days
    if verschil == 0:
        return "vandaag"
    if verschil in (1, 2):
        woord = "gisteren" if verschil == 1 else "eergisteren"
        return f"{woord} ({_datum_tekst(dag, vandaag)})"
    return f"{WEEKDAGEN[dag.weekday()]} {_datum_tekst(dag, vandaag)}"


def _tekst(
    moment: datetime, precisie: Precisie, dagdeel: str | None, benaderd: bool, vandaag: date
) -> str:
    if precisie in ("minuut", "uur"):
        woord = "rond" if benaderd else "om"
        return f"{dag_tekst(moment.date(), vandaag)} {woord} {moment:%H:%M}"
    if precisie == "dagdeel" and dagdeel == "nacht":
        avond = moment.date() - timedelta(days=1)
        nacht = f"van {_dagen_tekst(avond, moment.date(), 'op')}"
        return f"afgelopen nacht ({nacht})" if moment.date() == vandaag else f"in de nacht {nacht}"
    if precisie == "dagdeel":
        return f"{dag_tekst(moment.date(), vandaag)} in de {dagdeel}"
    return dag_tekst(moment.date(), vandaag)


def _tijdstip(
    moment: datetime | None, klok: _Klok | None, dagdeel: str | None, s: str, now: datetime
) -> Tijdstip | None:
    if moment is None:
        return None
    if klok is not None:
        precisie: Precisie = "minuut" if klok.met_minuten else "uur"
    else:
        precisie = "dagdeel" if dagdeel else "dag"
    benaderd = bool(_BENADERING_RE.search(s))
    return Tijdstip(moment, precisie, _tekst(moment, precisie, dagdeel, benaderd, now.date()))


# --- relative: "nu", "10 minuten geleden" ----------------------------------------------------

_NU_RE = re.compile(
    r"\b(?:zojuist|net nog|op dit moment|momenteel|op het moment|op dit ogenblik|nu"
    r"(?! al\b)|net(?! (?:als|zo|niet|wel|na|voor|even|iets|op|over|een|de|het|boven|onder)\b))\b"
)
_GELEDEN_RE = re.compile(
    rf"\b(?:{_GETAL}|een half|half|anderhalf|paar|een paar|enkele|een) ?"
    r"(minuut|minuten|min|kwartier|uur|uren|dag|dagen|week|weken)"
    r" (?:geleden|terug)\b"
)
_EENHEID_MINUTEN = {"minuut": 1, "minuten": 1, "min": 1, "kwartier": 15, "uur": 60, "uren": 60}


def _aantal(m: re.Match[str]) -> float:
    woorden = m.group(0).split()[:-2]
    if m.group(1):
        return _getal(m.group(1))
    if "anderhalf" in woorden:
        return 1.5
    if "half" in woorden:
        return 0.5
    if "paar" in woorden or "enkele" in woorden:
        return 3 if m.group(2) in ("dag", "dagen") else 2
    return 1


def _geleden(s: str, now: datetime) -> Tijdstip | None:
    """ "10 minuten geleden", "een half uur geleden", "2 dagen terug", "een week geleden"."""
    m = _GELEDEN_RE.search(s)
    if not m:
        return None
    aantal, eenheid = _aantal(m), m.group(2)
    vandaag = now.date()
    if eenheid in _EENHEID_MINUTEN:
        # Counted back in UTC: "10 minuten geleden" just after a clock change is 10 minutes.
        moment = _utc(now.replace(second=0, microsecond=0))
        moment -= timedelta(minutes=round(aantal * _EENHEID_MINUTEN[eenheid]))
        moment = moment.astimezone(now.tzinfo)
        precisie: Precisie = "uur" if eenheid in ("uur", "uren") and aantal >= 1 else "minuut"
        benaderd = precisie == "uur"
        return Tijdstip(moment, precisie, _tekst(moment, precisie, None, benaderd, vandaag))
    dagen = round(aantal * (7 if eenheid.startswith("we") else 1))
    dag = vandaag - timedelta(days=dagen)
    return Tijdstip(_dt(dag, time(0), now), "dag", dag_tekst(dag, vandaag))


def _nu(now: datetime) -> Tijdstip:
    moment = now.replace(second=0, microsecond=0)
    return Tijdstip(moment, "minuut", f"vandaag om {moment:%H:%M}")


# --- entry points --------------------------------------------------------------------------


_SINDS_RE = re.compile(
    r"\bsinds (?:(?:afgelopen|vorige|verleden|jongstleden|deze|dit|het|de|begin|eind) )*"
    rf"(?:(?:eer)?gister|van(?:{_DAGDEEL_ALT})\b|vandaag|{'|'.join(WEEKDAGEN)}|week|weekend"
    r"|\d{1,2}\b)"
)


def _sinds(found: Tijdstip | None, s: str) -> Tijdstip | None:
    """ "sinds zaterdag": still going on since that day, which the rendering says."""
    if found is None or not _SINDS_RE.search(s):
        return found
    return Tijdstip(found.start, found.precisie, f"sinds {found.tekst}", doorlopend=True)


def parse_tijdstip(text: str, now: datetime, zone: ZoneInfo = AMSTERDAM) -> Tijdstip | None:
    """When the incident in `text` happened, never after `now`; None if the text names no time.

    Days and clock times are those of `zone` (the municipality's), whatever zone `now` is
    given in; a naive `now` is taken as that zone's local time. The result is in `zone`.
    """
    now = (now if now.tzinfo else now.replace(tzinfo=zone)).astimezone(zone)
    s = normalize(text)
    if not s:
        return None
    vandaag = now.date()
    anker = _dag_anker(s, vandaag)
    if is_terugkerend(text) and not (anker and anker.expliciet) and not _GELEDEN_RE.search(s):
        return None
    if anker is None and (geleden := _geleden(s, now)):
        return geleden
    klok = _vind_klok(s)
    if anker is None:
        anker = _korte_datum_anker(s, vandaag)
    dagdeel = anker.dagdeel if anker else None
    if dagdeel is None:
        dagdeel = _los_dagdeel(s)
        if anker is not None and dagdeel == "nacht":
            anker = _nachtelijke_avond(anker, klok)
    if anker is not None:
        return _sinds(_tijdstip(_op_dag(anker, dagdeel, klok, now), klok, dagdeel, s, now), s)
    if periode := _periode_anker(s, vandaag):
        return _sinds(Tijdstip(_dt(periode.dag, time(0), now), "dag", periode.tekst), s)
    if klok is not None or dagdeel is not None:
        return _tijdstip(_meest_recent(dagdeel, klok, now), klok, dagdeel, s, now)
    if _NU_RE.search(s):
        return _nu(now)
    return None
