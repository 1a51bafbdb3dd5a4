"""Recognising and normalising Dutch values (no running stack needed)."""

from __future__ import annotations

import itertools

import phonenumbers
import pytest

from core.dutch import patterns
from rasa_plugins.nlu.register import aanspreekvorm


@pytest.mark.parametrize(
    "text,expected",
    [
        ("M-2026-000042", "M-2026-000042"),
        ("m2026000042", "M-2026-000042"),
        ("v 2026 17", "V-2026-000017"),
        ("V/2025/001234", "V-2025-001234"),
        ("mijn melding is m-2026-42", "M-2026-000042"),
        ("X-2026-000042", None),
        ("2026000042", None),
    ],
)
def test_zaaknummer(text: str, expected: str | None) -> None:
    assert patterns.normalize_zaaknummer(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1234 AB", "1234 AB"),
        ("1234ab", "1234 AB"),
        ("4321 xy", "4321 XY"),
        ("0123 AB", None),
        ("1234 SS", None),
        ("12345 AB", None),
        ("1234", None),
    ],
)
def test_postcode(text: str, expected: str | None) -> None:
    assert patterns.normalize_postcode(text) == expected


def test_postcode_is_not_a_number_and_a_word() -> None:
    assert patterns.find_postcodes("in 2026 en later") == []
    assert [m.value for m in patterns.find_postcodes("postcode 4321 AB")] == ["4321 AB"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("12", "12"),
        ("12a", "12A"),
        ("12 A", "12A"),
        ("12-2", "12-2"),
        ("12 - 2", "12-2"),
        ("3 bis", "3-bis"),
        ("14 hs", "14-hs"),
        ("abc", None),
    ],
)
def test_huisnummer(text: str, expected: str | None) -> None:
    assert patterns.normalize_huisnummer(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("0612345678", "+31612345678"),
        ("06-12345678", "+31612345678"),
        ("+31 6 1234 5678", "+31612345678"),
        ("010-1234567", "+31101234567"),
        ("0031 20 123 4567", "+31201234567"),
        ("12345", None),
        ("06-1234", None),
    ],
)
def test_telefoonnummer(text: str, expected: str | None) -> None:
    assert patterns.normalize_telefoonnummer(text) == expected


def test_exact_entities_in_one_sentence_do_not_overlap() -> None:
    text = "Over M-2026-000042: ik woon op 4321 AB, mail a.b@example.nl of bel 06 12345678"
    found = [(m.entity, m.value) for m in patterns.find_exact(text)]
    assert found == [
        ("zaaknummer", "M-2026-000042"),
        ("postcode", "4321 AB"),
        ("email", "a.b@example.nl"),
        ("telefoonnummer", "+31612345678"),
    ]


def test_house_number_after_street() -> None:
    text = "het is Kerkstraat 12 - 2 bij de kerk"
    match = patterns.find_huisnummer_after(text, text.index(" 12"))
    assert match is not None and (match.value, text[match.start : match.end]) == ("12-2", "12 - 2")


def test_learned_entities_are_normalised_and_completed() -> None:
    from rasa_plugins.nlu.entities import DutchEntityExtractor

    text = "lamp kapot op kerkstraat 12a, postcode 4321ab"
    learned = [
        {"entity": "straat", "start": 14, "end": 24, "value": "kerkstraat", "extractor": "DIET"},
        {"entity": "postcode", "start": 39, "end": 43, "value": "4321", "extractor": "DIET"},
    ]
    result = {e["entity"]: e["value"] for e in DutchEntityExtractor().extract(text, learned)}
    assert result == {"straat": "Kerkstraat", "huisnummer": "12A", "postcode": "4321 AB"}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("hoi kun je me helpen", "je"),
        ("ff vragen, hoe werkt dat", "je"),
        ("Kunt u mij helpen?", "u"),
        ("zijn jullie morgen open", None),
        ("goedemiddag meneer", "u"),
        ("paspoort verlopen", None),
    ],
)
def test_aanspreekvorm(text: str, expected: str | None) -> None:
    assert aanspreekvorm(text) == expected


def test_preload_reads_the_word_list_once() -> None:
    """The servers call preload as they start; a code looked up later reads nothing more."""
    patterns._code_shaped_words.cache_clear()
    patterns.preload()
    assert patterns._code_shaped_words.cache_info().currsize == 1
    assert "hebben" in patterns._code_shaped_words()
    assert patterns.find_controlecode("code hebben") is None
    assert patterns._code_shaped_words.cache_info().misses == 1


def test_no_phone_number_has_fewer_than_five_digits() -> None:
    """find_telefoonnummers skips texts with fewer than 5 digits without asking
    phonenumbers: it would find nothing there either."""
    for length in range(1, 5):
        for digits in itertools.product("0123456789", repeat=length):
            number = "".join(digits)
            for text in (number, f"+{number}", f"bel {number[:2]} {number[2:]}"):
                found = phonenumbers.PhoneNumberMatcher(
                    text, "NL", leniency=phonenumbers.Leniency.VALID
                )
                assert not found.has_next(), text
    assert patterns.find_telefoonnummers("de gemeente: 14 020")[0].value == "+3114020"
