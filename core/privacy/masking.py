"""Personal data in free text: find it, and mask it before it is stored, shown or trained on.

Finds e-mail addresses, phone numbers, postcodes (with the house number after them),
BSNs (nine digits passing the elfproef) and IBANs (valid check digits). Names cannot be
found by a pattern: callers that know them (the tracker store knows the names residents
typed into a form) pass them in. Controlecodes neither: six letters and digits are also
an ordinary Dutch word ("STRAAT"), so a code is masked where it is known to be one (the
caller passes the codes it knows: the bot announced it, the status form asked for it)
or where the text itself says so ("controlecode is K7P2QX", "de code AB3D7K" with a
digit or in capitals). Case numbers such as M-2026-000042 are not personal data and are
left alone, and so is whatever lies within a `public` text (the municipality's own phone
number, e-mail address and visiting address). A point the resident shared is not
hidden but coarsened to about 100 m in the summary's "gedeelde locatie (lat, lon)".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from core.codes import ALPHABET as CODE_ALPHABET
from core.codes import LENGTH as CODE_LENGTH
from core.codes import normalize_code
from core.dutch import patterns

# What staff see in place of the data.
LABELS = {
    "email": "[e-mailadres]",
    "telefoonnummer": "[telefoonnummer]",
    "adres": "[postcode en huisnummer]",
    "postcode": "[postcode]",
    "bsn": "[BSN]",
    "iban": "[IBAN]",
    "naam": "[naam]",
    "controlecode": "[controlecode]",
}
# An encrypted value in the tracker store (rasa_plugins/tracker_store.py): never shown.
ENCRYPTED_PREFIX = "enc:v1:"
ENCRYPTED_LABEL = "[versleuteld]"
ENCRYPTED_RE = re.compile(re.escape(ENCRYPTED_PREFIX) + r"[A-Za-z0-9_\-=]*")
# Neutral stand-ins of the same shape, for training examples: the classifier still
# sees "an e-mail address here", nobody's real one.
STAND_INS = {
    "email": "naam@voorbeeld.nl",
    "telefoonnummer": "0612345678",
    "adres": "1234 AB 1",
    "postcode": "1234 AB",
    "bsn": "123456789",  # fails the elfproef on purpose
    "iban": "NL00BANK0123456789",  # fails the check digits on purpose
    "naam": "Jan Jansen",
    "controlecode": "AB12CD",  # never a code: codes have no 1
}
NAMES = {
    "email": "e-mailadres",
    "telefoonnummer": "telefoonnummer",
    "adres": "postcode en huisnummer",
    "postcode": "postcode",
    "bsn": "BSN",
    "iban": "IBAN",
    "naam": "naam",
    "controlecode": "controlecode",
}
_LABEL_RE = re.compile("|".join(re.escape(label) for label in LABELS.values()))
_KIND_OF_LABEL = {label: kind for kind, label in LABELS.items()}
# Parts of a name that say nothing about who it is: not masked on their own.
_NOT_A_NAME = {
    "de", "den", "der", "van", "von", "het", "ter", "ten", "te", "la", "le", "du", "da",
    "di", "del", "al", "el", "op", "in", "'t", "en", "dhr", "mevr", "mw", "meneer",
    "mevrouw", "heer", "familie", "fam",
}  # fmt: skip
_MAX_NAME_WORDS = 6

# A code as typed: six code characters, maybe in two groups ("ab3 d7k", "AB3-D7K").
_HALF = CODE_LENGTH // 2
_CODE_CHARS = f"[{CODE_ALPHABET}{CODE_ALPHABET.lower()}]"
CODE_TOKEN_RE = re.compile(
    rf"(?<![\w-]){_CODE_CHARS}{{{_HALF}}}[ \-.]?{_CODE_CHARS}{{{CODE_LENGTH - _HALF}}}(?![\w-])"
)
# The text says a code follows: "controlecode is K7P2QX", "de code: AB3D7K".
_CODE_CONTEXT_RE = re.compile(
    r"\b(?:controle)?code\b(?:\s+(?:is|was|luidt|wordt|nummer))?\s*[:=]?\s*$", re.I
)
# "gedeelde locatie (52.37403, 4.88969)": the summary of a shared point.
_SHARED_POINT_RE = re.compile(r"(gedeelde locatie \()(-?\d{1,3}\.\d+), (-?\d{1,3}\.\d+)(\))")
COARSE_DECIMALS = 3  # about 100 m

BSN_RE = re.compile(r"(?<![\d\-/])(\d{4})[ .]?(\d{2})[ .]?(\d{3})(?![\d\-/])")
IBAN_RE = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?)\b", re.I)


@dataclass(frozen=True)
class Found:
    kind: str
    start: int
    end: int


def elfproef(digits: str) -> bool:
    """The BSN check: 9*d1 + 8*d2 + ... + 2*d8 - d9 is a multiple of 11 (and not 0)."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    total -= int(digits[8])
    return total % 11 == 0 and total != 0


def iban_valid(text: str) -> bool:
    iban = text.replace(" ", "").upper()
    if not 15 <= len(iban) <= 34:
        return False
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _ibans(text: str) -> list[Found]:
    return [Found("iban", m.start(1), m.end(1)) for m in IBAN_RE.finditer(text) if iban_valid(m[1])]


def _bsns(text: str) -> list[Found]:
    return [
        Found("bsn", m.start(), m.end())
        for m in BSN_RE.finditer(text)
        if elfproef("".join(m.groups()))
    ]


def _addresses(text: str) -> list[Found]:
    found = []
    for match in patterns.find_postcodes(text):
        number = patterns.find_huisnummer_after(text, match.end)
        if number:
            found.append(Found("adres", match.start, number.end))
        else:
            found.append(Found("postcode", match.start, match.end))
    return found


def _simple(kind: str, matches: list[patterns.Match]) -> list[Found]:
    return [Found(kind, m.start, m.end) for m in matches]


def name_variants(name: str) -> list[str]:
    """What of a name to look for: all of it and, for a name of a few words, each part
    that identifies ('Linda de Vries' -> 'Linda de Vries', 'Linda', 'Vries')."""
    full = " ".join(str(name).split())
    if len(full) < 2 or not any(c.isalpha() for c in full):
        return []
    variants = [full]
    words = full.split(" ")
    if 1 < len(words) <= _MAX_NAME_WORDS:
        for word in words:
            word = word.strip('.,;:!?()"')
            if len(word) >= 3 and word.lower() not in _NOT_A_NAME and word not in variants:
                variants.append(word)
    return variants


def _names(text: str, names: Iterable[str]) -> list[Found]:
    variants = {v for name in names for v in name_variants(name)}
    found = []
    for variant in sorted(variants, key=len, reverse=True):  # the whole name first
        pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, variant.split(" "))) + r"(?!\w)"
        found += [Found("naam", m.start(), m.end()) for m in re.finditer(pattern, text, re.I)]
    return found


def code_pattern(code: str) -> re.Pattern[str]:
    """A known code as a resident may type it: any case, a space or dash inside."""
    sep = r"[ \-.]?"
    return re.compile(r"(?<![\w-])" + sep.join(map(re.escape, code)) + r"(?![\w-])", re.IGNORECASE)


def _codes(text: str, codes: Iterable[str]) -> list[Found]:
    found = [
        Found("controlecode", m.start(), m.end())
        for code in codes
        for m in code_pattern(code).finditer(text)
    ]
    for m in CODE_TOKEN_RE.finditer(text):
        announced = _CODE_CONTEXT_RE.search(text[max(0, m.start() - 40) : m.start()])
        if announced and _looks_typed_as_code(m[0]):
            found.append(Found("controlecode", m.start(), m.end()))
    return found


def _looks_typed_as_code(token: str) -> bool:
    # Lower-case letters only are still ordinary words ("code is net weg", "ben hem").
    return any(c.isdigit() for c in token) or token.upper() == token


def code_tokens(text: str) -> list[str]:
    """The codes in a text known to be an answer to "what is your code?": all of it
    ("hx4 t9b"), or a code in it written as one ("de code is HX4T9B")."""
    whole = normalize_code(text)
    if whole:
        return [whole]
    return [
        code
        for m in CODE_TOKEN_RE.finditer(text)
        if _looks_typed_as_code(m[0]) and (code := normalize_code(m[0]))
    ]


def coarsen(value: float) -> float:
    return round(float(value), COARSE_DECIMALS)


def coarsen_points(text: str) -> str:
    """'gedeelde locatie (52.37403, 4.88969)' -> 'gedeelde locatie (52.374, 4.890)'."""
    if "gedeelde locatie (" not in text:
        return text
    return _SHARED_POINT_RE.sub(
        lambda m: f"{m[1]}{coarsen(float(m[2])):.3f}, {coarsen(float(m[3])):.3f}{m[4]}", text
    )


def _public_spans(text: str, public: Iterable[str]) -> list[tuple[int, int]]:
    spans = []
    for value in public:
        value = str(value).strip()
        start = text.find(value) if value else -1
        while start >= 0:
            spans.append((start, start + len(value)))
            start = text.find(value, start + 1)
    return spans


def find(
    text: str,
    names: Iterable[str] = (),
    public: Iterable[str] = (),
    codes: Iterable[str] = (),
) -> list[Found]:
    """Every piece of personal data in text, without overlaps, in order.

    names: the names (of residents) to find as well; codes: the controlecodes known in
    this conversation; public: texts that are nobody's personal data (the
    municipality's own phone number): nothing within them is found.
    """
    # Case numbers first, only to keep their digits from looking like phone numbers.
    taken: list[Found] = _simple("zaaknummer", patterns.find_zaaknummers(text))
    for candidates in (
        _ibans(text),
        _simple("email", patterns.find_emails(text)),
        _bsns(text),
        _simple("telefoonnummer", patterns.find_telefoonnummers(text)),
        _addresses(text),
        _names(text, names) if names else [],
        _codes(text, codes),
    ):
        for item in candidates:
            if not any(item.start < t.end and t.start < item.end for t in taken):
                taken.append(item)
    personal = [f for f in taken if f.kind != "zaaknummer"]
    # The stand-ins are not anybody's data: masked text stays acceptable.
    personal = [f for f in personal if text[f.start : f.end] != STAND_INS.get(f.kind)]
    if public:
        spans = _public_spans(text, public)
        personal = [f for f in personal if not any(s <= f.start and f.end <= e for s, e in spans)]
    return sorted(personal, key=lambda f: f.start)


def kinds(text: str) -> list[str]:
    """Dutch names of the kinds of personal data in text, for messages to staff."""
    return sorted({NAMES[f.kind] for f in find(text)})


def _replace(
    text: str,
    replacements: dict[str, str],
    names: Iterable[str],
    public: Iterable[str],
    codes: Iterable[str] = (),
) -> str:
    out, last = [], 0
    for item in find(text, names, public, codes):
        out.append(text[last : item.start])
        out.append(replacements[item.kind])
        last = item.end
    out.append(text[last:])
    return "".join(out)


def mask(
    text: str,
    *,
    names: Iterable[str] = (),
    public: Iterable[str] = (),
    codes: Iterable[str] = (),
) -> str:
    """For storing and display: 'mail jan@x.nl' -> 'mail [e-mailadres]'.

    Encrypted values ('enc:v1:...') become '[versleuteld]', a shared point is coarsened.
    Masking masked text changes nothing.
    """
    if ENCRYPTED_PREFIX in text:
        text = ENCRYPTED_RE.sub(ENCRYPTED_LABEL, text)
    return coarsen_points(_replace(text, LABELS, names, public, codes))


def stand_in(text: str, *, names: Iterable[str] = (), public: Iterable[str] = ()) -> str:
    """For training: 'mail jan@x.nl' -> 'mail naam@voorbeeld.nl'.

    Masked text works too: 'mail [e-mailadres]' -> 'mail naam@voorbeeld.nl'.
    """
    text = _replace(text, STAND_INS, names, public)
    return _LABEL_RE.sub(lambda m: STAND_INS[_KIND_OF_LABEL[m[0]]], text)


def only_masked(text: str) -> bool:
    """True when nothing but masked data is left ('[naam]', '[e-mailadres], [telefoonnummer]',
    'M-2026-000042 [controlecode]': case numbers count as data next to a label)."""
    rest = _LABEL_RE.sub("", ENCRYPTED_RE.sub("", text))
    if rest == text:
        return False
    for found in reversed(patterns.find_zaaknummers(rest)):
        rest = rest[: found.start] + rest[found.end :]
    return not any(c.isalnum() for c in rest)
