"""Exact Dutch patterns: case identifiers, postcodes, house numbers, e-mail, phone.

Pure functions shared by the NLU extractor and the actions, so a value is
recognised and normalised the same way wherever it comes in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from core.codes import ALPHABET as CODE_ALPHABET
from core.codes import normalize_code
from core.dutch.lexicon import lemma_list_words

# M-2026-000042, m2026000042, "v 2026 42", "M/2026/000042"
ZAAKNUMMER_RE = re.compile(r"\b([MV])[\s\-_./]?(20\d{2})[\s\-_./]?(\d{1,6})\b", re.IGNORECASE)
# Dutch postcodes never start with 0 and never use the letter pairs SA, SD, SS.
POSTCODE_RE = re.compile(r"\b([1-9]\d{3})(\s?)([A-Za-z]{2})\b")
EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")
# A house number right after a street name or postcode: 12, 12a, 12 A, 12-2, 12 bis, 14 hs
HUISNUMMER_RE = re.compile(
    r"\s*(?:nr\.?|nummer)?\s*(\d{1,5})(?:\s?([A-Za-z])\b|\s?-\s?(\w{1,4})\b|\s(bis|hs|huis|boven)\b)?",
    re.IGNORECASE,
)
_FORBIDDEN_POSTCODE_LETTERS = {"SA", "SD", "SS"}
# A controlecode as residents type it inside a sentence: "AB3K7P", "ab3 k7p", "AB3-K7P",
# "ab-3k-7p". Overlapping candidates ("met AB3 K7P" holds "met AB3" too) are all tried.
_PIECE = r"[A-Za-z2-9]"
_CODE_CANDIDATE_RE = re.compile(
    rf"(?<![\w@/\-])(?=({_PIECE}{{6}}|{_PIECE}{{3}}[ \-.]{_PIECE}{{3}}"
    rf"|{_PIECE}{{2}}[\-.]{_PIECE}{{2}}[\-.]{_PIECE}{{2}})(?![\w@/\-]|\.\w))"
)
# The resident says a code follows: "code AB3K7P", "controlecode is ...", "code: ...".
_CODE_CUE_RE = re.compile(
    r"\b(?:controle|toegangs|verificatie)?\s?code\b(?:\s+(?:is|was|luidt|nummer))?\s*[:=]?\s*$",
    re.IGNORECASE,
)
_POSTCODE_SHAPE_RE = re.compile(r"\d{4}\s?[A-Za-z]{2}")
# Two-letter Dutch words that follow a number in ordinary sentences ("in 2026 al ...").
_COMMON_TWO_LETTER_WORDS = {
    "al",
    "de",
    "en",
    "er",
    "in",
    "is",
    "je",
    "ik",
    "na",
    "nu",
    "of",
    "om",
    "op",
    "te",
    "we",
    "ze",
    "zo",
    "ja",
    "uw",
    "dr",
    "ca",
    "km",
    "uu",
    "kg",
    "cm",
    "mm",
    "ha",
}


@dataclass(frozen=True)
class Match:
    entity: str
    start: int
    end: int
    value: str


def normalize_zaaknummer(text: str) -> str | None:
    """'m2026000042' -> 'M-2026-000042'; None when the text holds no identifier."""
    m = ZAAKNUMMER_RE.search(text.strip())
    if not m:
        return None
    return f"{m.group(1).upper()}-{m.group(2)}-{int(m.group(3)):06d}"


def normalize_postcode(text: str) -> str | None:
    """'1234ab' -> '1234 AB'; None when it is not a valid Dutch postcode."""
    m = POSTCODE_RE.fullmatch(text.strip())
    if not m or m.group(3).upper() in _FORBIDDEN_POSTCODE_LETTERS:
        return None
    return f"{m.group(1)} {m.group(3).upper()}"


def _huisnummer_value(m: re.Match[str]) -> str:
    number, letter, addition, word = m.groups()
    if letter:
        return f"{int(number)}{letter.upper()}"
    if addition or word:
        return f"{int(number)}-{(addition or word).lower()}"
    return str(int(number))


def normalize_huisnummer(text: str) -> str | None:
    """'12a' -> '12A', '12 - 2' -> '12-2', '3 bis' -> '3-bis'."""
    m = HUISNUMMER_RE.fullmatch(text.strip())
    return _huisnummer_value(m) if m else None


def normalize_telefoonnummer(text: str) -> str | None:
    """A Dutch or international phone number in E.164 ('+31612345678'), else None."""
    try:
        number = phonenumbers.parse(text, "NL")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _plausible_code(token: str, cued: bool) -> bool:
    """Could a resident have meant this token as a code, given whether "code" came before it?

    Six letters from the code alphabet are also ordinary words ("status", "nummer", "hebben"):
    without a digit a token is a code only right after the word "code", and even then not a
    lower-case Dutch word.
    """
    code = normalize_code(token)
    if code is None:
        return False
    has_digit = any(c.isdigit() for c in code)
    has_letter = any(c.isalpha() for c in code)
    if cued:
        if has_digit:
            return True
        return token.upper() == token or code.lower() not in _code_shaped_words()
    # Without a cue: letters and digits mixed, and not a postcode ("5678 XY"); split by a
    # space, each half typed as a code ("met AB3 K7P" holds "met AB3": "met" is a word).
    pieces = token.split(" ")
    if len(pieces) > 1 and not all(any(c.isdigit() for c in p) or p.isupper() for p in pieces):
        return False
    return has_digit and has_letter and not _POSTCODE_SHAPE_RE.fullmatch(token)


# Words around a case number that the lemma list below lacks.
_STATUS_WORDS = {"status", "gedaan", "beste", "ergens", "groet", "mvg"}


@lru_cache(maxsize=1)
def _code_shaped_words() -> frozenset[str]:
    """Dutch words of six letters that a code could be spelt with ("hebben", "nummer"),
    from the lemma list spaCy's Dutch lookups ship (spacy-lookups-data)."""
    letters = set(CODE_ALPHABET.lower()) - set("23456789")
    words = lemma_list_words() | _STATUS_WORDS
    return frozenset(w for w in words if len(w) == 6 and set(w) <= letters)


def preload() -> None:
    """Read the word list now. Reading it takes about half a second: the action server and
    the Rasa server call this as they start, so the first resident who types a code does
    not wait for it inside the event loop. Elsewhere (tests, tools) it loads on first use."""
    _code_shaped_words()


def _next_to_case_number(blanked: str, start: int, end: int) -> bool:
    """Only spaces and punctuation between the token and a (blanked) case number."""
    before = re.search(r"#[\s,.;:!?]*$", blanked[:start])
    after = re.match(r"[\s,.;:!?]*#", blanked[end:])
    return bool(before or after)


def find_controlecode(text: str) -> str | None:
    """The controlecode typed somewhere in a sentence ("M-2026-000123 code ab3-k7p"), or None.

    Case numbers are blanked first, so no code is read from inside one. A token counts when
    it has letters and digits, or when the word "code" comes right before it; a token after
    "code" wins over one without.
    """
    blanked = ZAAKNUMMER_RE.sub(lambda m: "#" * len(m.group(0)), text)
    blanked = EMAIL_RE.sub(lambda m: "#" * len(m.group(0)), blanked)
    best: tuple[int, str] | None = None
    for m in _CODE_CANDIDATE_RE.finditer(blanked):
        token = m.group(1)
        cued = bool(_CODE_CUE_RE.search(blanked[max(0, m.start() - 40) : m.start()]))
        if not _plausible_code(token, cued):
            # A code of letters only, typed in lower case right beside the case number
            # ("uwyabp m-2026-000035"): a code unless it is a word.
            beside = _next_to_case_number(blanked, m.start(1), m.start(1) + len(token))
            if not (beside and token.isalpha() and len(token) == 6):
                continue
            if token.lower() in _code_shaped_words() or normalize_code(token) is None:
                continue
        rank = 0 if cued else 1
        if best is None or rank < best[0]:
            best = (rank, normalize_code(token) or "")
    return best[1] if best else None


def find_zaaknummers(text: str) -> list[Match]:
    return [
        Match("zaaknummer", m.start(), m.end(), normalize_zaaknummer(m.group(0)) or "")
        for m in ZAAKNUMMER_RE.finditer(text)
    ]


def find_postcodes(text: str) -> list[Match]:
    found = []
    for m in POSTCODE_RE.finditer(text):
        letters = m.group(3)
        # "1234 en" is a number followed by a word; "1234 AB" and "1234ab" are postcodes.
        if m.group(2) and letters.islower() and letters in _COMMON_TWO_LETTER_WORDS:
            continue
        value = normalize_postcode(m.group(0))
        if value:
            found.append(Match("postcode", m.start(), m.end(), value))
    return found


def find_emails(text: str) -> list[Match]:
    return [Match("email", m.start(), m.end(), m.group(0).lower()) for m in EMAIL_RE.finditer(text)]


# No valid phone number has fewer than 5 digits (NL "14 0xx"; abroad, country code and
# number: 6 or more, by phonenumbers' metadata). Masking sees every text, most without.
FIVE_DIGITS_RE = re.compile(r"\d(?:\D*\d){4}")


def find_telefoonnummers(text: str) -> list[Match]:
    if not FIVE_DIGITS_RE.search(text):
        return []
    found = []
    for m in phonenumbers.PhoneNumberMatcher(text, "NL", leniency=phonenumbers.Leniency.VALID):
        value = phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164)
        found.append(Match("telefoonnummer", m.start, m.end, value))
    return found


def find_huisnummer_after(text: str, position: int) -> Match | None:
    """The house number that directly follows a street name or postcode ending at position."""
    m = HUISNUMMER_RE.match(text, position)
    if not m:
        return None
    return Match("huisnummer", m.start(1), m.end(), _huisnummer_value(m))


def find_exact(text: str) -> list[Match]:
    """All exact entities in text, without overlaps (earlier kinds win)."""
    found: list[Match] = []
    for finder in (find_zaaknummers, find_emails, find_postcodes, find_telefoonnummers):
        for match in finder(text):
            if not any(match.start < f.end and f.start < match.end for f in found):
                found.append(match)
    return sorted(found, key=lambda m: m.start)
