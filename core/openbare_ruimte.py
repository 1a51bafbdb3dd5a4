"""The gemeente's public spaces: its extract of the BAG "openbare ruimte" register.

`openbare_ruimte.csv` next to the content file (docs/openbare_ruimte.md) lists every
street with its house number ranges, postcodes and a point. Balie recognises street
names by it (also those without a usual ending: "Vogelzang", "Hoogte"), finds the
street of a postcode, and proposes the street a resident probably meant ("Ringwg").
One loader for every process, cached until the file changes; without a file the list
is empty and every street is taken as typed.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from core import content

FILE_NAME = "openbare_ruimte.csv"
# Near misses: how alike two names must be (difflib's ratio over the normalised names).
NEAR = 0.84
# "Stationstraat" for the Stationsweg: the same name with another ending.
SAME_STEM = 0.9
ENDINGS = (
    "straat|straatje|laan|laantje|weg|plein|pleintje|singel|kade|gracht|dijk|pad|hof|dreef"
    "|steeg|markt|ring|baan|wal|erf|allee|oever|veld|park|hoven|tuin|brink"
)
_ENDING_RE = re.compile(rf"({ENDINGS})$")
_ARTICLES = ("de ", "het ", "'t ")
# How residents shorten the titles in street names.
_ABBREVIATIONS = {
    "burg": "burgemeester",
    "st": "sint",
    "pr": "prins",
    "mr": "meester",
    "dr": "dokter",
    "past": "pastoor",
    "kon": "koningin",
    "v": "van",
    "t": "het",
}


def key(name: str) -> str:
    """A street name as compared: lower case, no accents, spaces or punctuation, titles
    written out ("Burg. v. Dijklaan" and "burgemeester van dijk laan" are one name)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", plain.replace("'t", "het"))
    return "".join(_ABBREVIATIONS.get(w, w) for w in words)


def stem(name_key: str) -> str:
    """The name without its ending: "stationsweg" -> "stations"."""
    return _ENDING_RE.sub("", name_key)


@dataclass(frozen=True)
class Nummerreeks:
    """House numbers van..tot (odd, even or all) with one postcode and a point."""

    van: int
    tot: int
    reeks: str  # "oneven", "even" or "" (every number)
    postcode: str
    rd: tuple[float, float]
    wgs84: tuple[float, float]

    def bevat(self, nummer: int) -> bool:
        if not self.van <= nummer <= self.tot:
            return False
        return self.reeks == "" or (nummer % 2 == 1) == (self.reeks == "oneven")


@dataclass(frozen=True)
class OpenbareRuimte:
    naam: str
    type: str
    woonplaats: str
    reeksen: tuple[Nummerreeks, ...] = ()
    # A point on the space itself, for spaces without addresses (a square, a park).
    punt: tuple[float, float] | None = None

    def reeks_van(self, huisnummer: str | None) -> Nummerreeks | None:
        nummer = _nummer(huisnummer)
        return next((r for r in self.reeksen if nummer and r.bevat(nummer)), None)


@dataclass
class Straatlijst:
    """The extract, indexed by normalised name and by postcode."""

    ruimtes: list[OpenbareRuimte] = field(default_factory=list)
    _by_key: dict[str, list[OpenbareRuimte]] = field(default_factory=dict)
    _by_postcode: dict[str, list[tuple[OpenbareRuimte, Nummerreeks]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for ruimte in self.ruimtes:
            self._by_key.setdefault(key(ruimte.naam), []).append(ruimte)
            lower = ruimte.naam.lower()
            for article in _ARTICLES:  # "De Dreef" is also just "Dreef"
                if lower.startswith(article):
                    self._by_key.setdefault(key(ruimte.naam[len(article) :]), []).append(ruimte)
            for reeks in ruimte.reeksen:
                self._by_postcode.setdefault(reeks.postcode, []).append((ruimte, reeks))
        self.max_words = max((len(r.naam.split()) for r in self.ruimtes), default=0)

    def __bool__(self) -> bool:
        return bool(self.ruimtes)

    @functools.cached_property
    def midden(self) -> tuple[float, float] | None:
        """The middle of the gemeente (WGS84): where a map starts without cases; worked
        out once per list (the list is cached until its file changes)."""
        points = [r.wgs84 for ruimte in self.ruimtes for r in ruimte.reeksen if any(r.wgs84)]
        if not points:
            return None
        return (
            sum(p[0] for p in points) / len(points),
            sum(p[1] for p in points) / len(points),
        )

    def namen(self) -> list[str]:
        return sorted({r.naam for r in self.ruimtes})

    def zoek(self, naam: str, postcode: str | None = None) -> OpenbareRuimte | None:
        """The space of this name; of several (a Kerkstraat in two villages) the one with
        this postcode, else the first."""
        found = self._by_key.get(key(naam), [])
        if postcode:
            for ruimte in found:
                if any(r.postcode == postcode for r in ruimte.reeksen):
                    return ruimte
        return found[0] if found else None

    def bij_postcode(
        self, postcode: str, huisnummer: str | None = None
    ) -> tuple[OpenbareRuimte, Nummerreeks | None] | None:
        """The street of a postcode (with the number's range when it has one)."""
        found = self._by_postcode.get(postcode, [])
        nummer = _nummer(huisnummer)
        for ruimte, reeks in found:
            if nummer and reeks.bevat(nummer):
                return ruimte, reeks
        if found and len({r.naam for r, _ in found}) == 1:
            return found[0][0], None
        return None

    def bijna(self, naam: str) -> OpenbareRuimte | None:
        """The street a resident probably meant by a name that is not on the list."""
        typed = key(naam)
        if len(typed) < 5 or typed in self._by_key:
            return None
        best: tuple[tuple[float, float], str] | None = None
        for candidate in self._by_key:
            score = _likeness(typed, candidate)
            if score[0] >= NEAR and (best is None or score > best[0]):
                best = (score, candidate)
        return self._by_key[best[1]][0] if best else None

    def in_tekst(self, text: str, *, bare: bool = False) -> tuple[OpenbareRuimte, int, int] | None:
        """The longest street name in text, with where it starts and ends.

        A name that is also an ordinary word ("hoogte", "brink", "singel") counts when
        it is written with a capital or has a street ending, or, in a bare answer to
        "Waar is het?", when it is all the answer says.
        """
        best: tuple[int, OpenbareRuimte, int, int] | None = None
        for start, end, span in _spans(text, self.max_words):
            found = self._by_key.get(key(span))
            if not found:
                continue
            strong = span[0].isupper() or _has_ending(key(span))
            if not strong and not (bare and _only_name(text, start, end)):
                continue
            if best is None or (end - start) > (best[3] - best[2]):
                best = (0, found[0], start, end)
        return (best[1], best[2], best[3]) if best else None

    def bijna_in_tekst(
        self, text: str, skip: Callable[[int, str], bool] = lambda start, span: False
    ) -> tuple[OpenbareRuimte, int, int] | None:
        """A near miss among the words of a short answer ("ringwg 14", "bij de Vogelzan");
        `skip(start, span)` leaves out what is no street ("het schoolplein")."""
        best: tuple[tuple[float, float], OpenbareRuimte, int, int] | None = None
        for start, end, span in _spans(text, max(1, min(self.max_words, 4))):
            typed = key(span)
            if len(typed) < 5 or typed.isdigit() or skip(start, span):
                continue
            for candidate, ruimtes in self._by_key.items():
                score = (1.0, 1.0) if typed == candidate else _likeness(typed, candidate)
                if score[0] >= NEAR and (best is None or score > best[0]):
                    best = (score, ruimtes[0], start, end)
        return (best[1], best[2], best[3]) if best else None


def _has_ending(name_key: str) -> bool:
    """ "kerkstraat" has a street ending; "wal" is only the ending itself."""
    return stem(name_key) not in ("", name_key)


def _likeness(typed: str, candidate: str) -> tuple[float, float]:
    """How alike two names are, and their plain likeness to break ties.

    A name with another ending counts as nearly the same ("stationstraat" for the
    Stationsweg: the resident remembered the name, not its ending).
    """
    if abs(len(typed) - len(candidate)) > 6:
        return (0.0, 0.0)
    plain = SequenceMatcher(None, typed, candidate).ratio()
    typed_stem, candidate_stem = stem(typed), stem(candidate)
    score = plain
    if typed_stem != typed and len(typed_stem) >= 4 and len(candidate_stem) >= 4:
        stems = SequenceMatcher(None, typed_stem, candidate_stem).ratio()
        score = max(score, SAME_STEM * stems if stems < 1 else SAME_STEM)
    return (score, plain)


_FILLER = re.compile(
    r"^\s*(?:(?:in|op|aan|bij|langs|naast|voor|achter|tegenover|de|het|'t|straat|adres|is)\s+)*",
    re.IGNORECASE,
)
_TAIL = re.compile(
    r"^[\s,]*(?:(?:(?:bij|voor|naast|tegenover)\s+)?(?:het\s+)?(?:huis\s?)?(?:nummer|nr\.?|no\.?)?"
    r"\s*\d{1,5}\s?[a-zA-Z]?\b)?"
    r"[\s,]*(?:[1-9]\d{3}\s?[A-Za-z]{2})?[\s.!,]*$"
)


def _only_name(text: str, start: int, end: int) -> bool:
    """Is the name all the answer says, but for "in de", a house number or a postcode?"""
    before = text[:start]
    return _FILLER.sub("", before).strip() == "" and bool(_TAIL.match(text[end:]))


def _spans(text: str, max_words: int) -> Iterator[tuple[int, int, str]]:
    """Every run of up to max_words words: (start, end, text)."""
    words = list(re.finditer(r"[\w'’.\-]+", text))
    for i in range(len(words)):
        for j in range(i, min(len(words), i + max_words)):
            start, end = words[i].start(), words[j].end()
            span = text[start:end].rstrip(".")
            yield start, start + len(span), span


def _nummer(huisnummer: str | None) -> int | None:
    m = re.match(r"\d+", huisnummer or "")
    return int(m.group(0)) if m else None


def _float(value: str) -> float:
    return float(value) if value else 0.0


def read(path: Path) -> Straatlijst:
    """Parse the extract: one row per range of house numbers (none for a square or park)."""
    spaces: dict[tuple[str, str], tuple[str, list[Nummerreeks], tuple[float, float] | None]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter=";"):
            naam, plaats = row["openbare_ruimte"].strip(), row["woonplaats"].strip()
            kind, reeksen, punt = spaces.setdefault((naam, plaats), (row["type"], [], None))
            wgs84 = (_float(row["lat"]), _float(row["lon"]))
            if row["huisnummer_van"]:
                reeksen.append(
                    Nummerreeks(
                        van=int(row["huisnummer_van"]),
                        tot=int(row["huisnummer_tot"]),
                        reeks=row["reeks"],
                        postcode=row["postcode"],
                        rd=(_float(row["rd_x"]), _float(row["rd_y"])),
                        wgs84=wgs84,
                    )
                )
            spaces[(naam, plaats)] = (kind, reeksen, punt or wgs84)
    return Straatlijst(
        [
            OpenbareRuimte(naam, kind, plaats, tuple(reeksen), punt)
            for (naam, plaats), (kind, reeksen, punt) in spaces.items()
        ]
    )


_cache: dict[Path, tuple[float, Straatlijst]] = {}


def default_path() -> Path:
    """Next to the content file (BALIE_CONTENT_FILE): one gemeente's content together."""
    return content.content_file().parent / FILE_NAME


def straatlijst(path: Path | None = None) -> Straatlijst:
    """The gemeente's list, read once and again only when the file changes."""
    path = path or default_path()
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return Straatlijst()
    cached = _cache.get(path)
    if cached and cached[0] == mtime:
        return cached[1]
    lijst = read(path)
    _cache[path] = (mtime, lijst)
    return lijst
