"""Personal data in free text: find it, and mask it before staff see or train on it.

Finds e-mail addresses, phone numbers, postcodes (with the house number after them),
BSNs (nine digits passing the elfproef) and IBANs (valid check digits). Case numbers
such as M-2026-000042 are not personal data and are left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.nlu import patterns

# What staff see in place of the data.
LABELS = {
    "email": "[e-mailadres]",
    "telefoonnummer": "[telefoonnummer]",
    "adres": "[postcode en huisnummer]",
    "postcode": "[postcode]",
    "bsn": "[BSN]",
    "iban": "[IBAN]",
}
# Neutral stand-ins of the same shape, for training examples: the classifier still
# sees "an e-mail address here", nobody's real one.
STAND_INS = {
    "email": "naam@voorbeeld.nl",
    "telefoonnummer": "0612345678",
    "adres": "1234 AB 1",
    "postcode": "1234 AB",
    "bsn": "123456789",  # fails the elfproef on purpose
    "iban": "NL00BANK0123456789",  # fails the check digits on purpose
}
NAMES = {
    "email": "e-mailadres",
    "telefoonnummer": "telefoonnummer",
    "adres": "postcode en huisnummer",
    "postcode": "postcode",
    "bsn": "BSN",
    "iban": "IBAN",
}

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


def find(text: str) -> list[Found]:
    """Every piece of personal data in text, without overlaps, in order."""
    # Case numbers first, only to keep their digits from looking like phone numbers.
    taken: list[Found] = _simple("zaaknummer", patterns.find_zaaknummers(text))
    for candidates in (
        _ibans(text),
        _simple("email", patterns.find_emails(text)),
        _bsns(text),
        _simple("telefoonnummer", patterns.find_telefoonnummers(text)),
        _addresses(text),
    ):
        for item in candidates:
            if not any(item.start < t.end and t.start < item.end for t in taken):
                taken.append(item)
    personal = [f for f in taken if f.kind != "zaaknummer"]
    # The stand-ins are not anybody's data: masked text stays acceptable.
    personal = [f for f in personal if text[f.start : f.end] != STAND_INS.get(f.kind)]
    return sorted(personal, key=lambda f: f.start)


def kinds(text: str) -> list[str]:
    """Dutch names of the kinds of personal data in text, for messages to staff."""
    return sorted({NAMES[f.kind] for f in find(text)})


def _replace(text: str, replacements: dict[str, str]) -> str:
    out, last = [], 0
    for item in find(text):
        out.append(text[last : item.start])
        out.append(replacements[item.kind])
        last = item.end
    out.append(text[last:])
    return "".join(out)


def mask(text: str) -> str:
    """For display: 'mail jan@x.nl' -> 'mail [e-mailadres]'."""
    return _replace(text, LABELS)


def stand_in(text: str) -> str:
    """For training: 'mail jan@x.nl' -> 'mail naam@voorbeeld.nl'."""
    return _replace(text, STAND_INS)
