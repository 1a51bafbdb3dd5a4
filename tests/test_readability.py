"""Every text a resident reads stays at B1 (issue #14): scored as it is shown, per text set,
against limits set just at today's level (bot/readability.py LIMITS, figures in docs/nlu.md).

Fast: no stack, no model. The sets are every variant of every response in domain.yml
(FAQ answers apart) and the Dutch Balie's Python says itself (core/residents/texts.py).
"""

from __future__ import annotations

import re
import statistics
from typing import Any

import pytest
import textstat
import yaml

from bot import readability
from bot.readability import LIMITS, SCORED_FROM_WORDS, Figures, Text
from core import ROOT

ROWS = readability.scored()
DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


MARKDOWN_LINK = re.compile(r"\[[^\]\n]+\]\([^)\s]+\)")  # as core/links.py, before filling in


def rows_of(kind: str) -> list[tuple[Text, Figures]]:
    return [(t, f) for t, f in ROWS if t.set == kind]


def test_every_set_is_collected() -> None:
    names = {t.name for t, _ in ROWS}
    assert len(rows_of("faq")) == 2 * len([r for r in DOMAIN["responses"] if "utter_faq/" in r])
    assert "utter_hulp (je)" in names and "utter_hulp" in names
    assert {"texts.FORGET_ASK", "texts.too_long()", "texts.unavailable()"} <= names


@pytest.mark.parametrize("kind", readability.SETS)
def test_texts_are_scored_as_a_resident_reads_them(kind: str) -> None:
    """Settings filled in, links as their words: no braces, brackets or addresses left."""
    known = readability.values()
    for text, _ in rows_of(kind):
        shown = readability.read_as_resident(text.raw, known)
        assert not re.search(r"[{}]|\]\(|://", shown), (text.name, shown)


@pytest.mark.parametrize("kind", readability.SETS)
def test_every_text_is_within_its_sets_limits(kind: str) -> None:
    limits = LIMITS[kind]
    over = []
    for text, f in rows_of(kind):
        if f.words >= SCORED_FROM_WORDS and f.score < limits.min_score:
            over.append(f"{text.name}: Flesch–Douma {f.score} < {limits.min_score}")
        if f.longest_sentence > limits.sentence_words:
            over.append(f"{text.name}: a sentence of {f.longest_sentence} words")
        if f.words > limits.text_words:
            over.append(f"{text.name}: {f.words} words")
        if f.lines > limits.lines:
            over.append(f"{text.name}: {f.lines} lines")
        if f.first_sentence > limits.first_sentence_words:
            over.append(f"{text.name}: first sentence of {f.first_sentence} words")
    assert over == [], "\n".join(over)


@pytest.mark.parametrize("kind", readability.SETS)
def test_the_set_is_as_easy_as_today(kind: str) -> None:
    mean = statistics.mean(f.score for _, f in rows_of(kind))
    assert mean >= LIMITS[kind].mean_score, f"{kind}: mean Flesch–Douma {mean:.1f}"


def test_faq_answers_are_short_and_start_with_the_answer() -> None:
    for text, f in rows_of("faq"):
        assert f.lines <= 6 and f.words <= 100, text.name
        assert f.first_sentence <= 16, text.name
        assert f.score >= 55, text.name


def test_jargon_is_gone_from_the_answers() -> None:
    """Words a resident at B1 does not know, replaced or explained in the rewrite."""
    jargon = re.compile(r"\b(leges|BABS|herplantplicht|omgevingsplan|vergunninggebied|ontheffing"
                        r"|zaaksysteem|vooroverleg|basisregistratie)\b", re.IGNORECASE)  # fmt: skip
    for text, _ in ROWS:
        assert not jargon.search(text.raw), (text.name, jargon.search(text.raw))


def test_details_are_behind_a_link() -> None:
    for text, _ in rows_of("faq"):
        assert "](" in text.raw, f"{text.name}: no link to the details"
        bare = MARKDOWN_LINK.sub("", text.raw)  # an address outside a link is read out as is
        assert not re.search(r"\bwww\.|https?://|\{gemeente_website\}", bare), text.name


# --- the measure itself ------------------------------------------------------------------


def test_syllables_come_from_dutch_hyphenation() -> None:
    assert textstat.syllable_count("gemeentehuis") == 4
    assert textstat.syllable_count("omgevingsvergunning") == 6


def test_the_score_is_textstats_flesch_douma_on_plain_text() -> None:
    """Where textstat's own sentence count is right (no dots inside words, no two-word
    sentences), Balie's count gives the same Flesch–Douma."""
    plain = "U vraagt een paspoort aan bij de balie. Maak daarvoor eerst een afspraak online."
    assert readability.measure(plain).score == pytest.approx(
        textstat.flesch_reading_ease(plain), abs=0.1
    )


@pytest.mark.parametrize(
    "raw,shown",
    [
        ("Kijk op [de pagina Trouwen]({gemeente_website}/trouwen).", "Kijk op de pagina Trouwen."),
        ("- Bellen: {gemeente_telefoon}\n- Mailen", "Bellen: 14 0123\nMailen"),
        ("Open van 8.30 tot 17.00 uur.", "Open van 8.30 tot 17.00 uur."),
    ],
)
def test_a_text_is_read_as_shown(raw: str, shown: str) -> None:
    assert readability.read_as_resident(raw, readability.values()) == shown


def test_sentences_end_at_punctuation_and_lines_not_inside_numbers() -> None:
    shown = "Open van 8.30 tot 17.00 uur. Mail info@lindewaard.example!\nBellen: 14 0123"
    assert readability.sentences(shown) == [
        "Open van 8.30 tot 17.00 uur.",
        "Mail info@lindewaard.example!",
        "Bellen: 14 0123",
    ]
    figures = readability.measure(shown)
    assert (figures.sentences, figures.words, figures.longest_sentence) == (3, 11, 6)


def test_a_missing_sample_value_is_named() -> None:
    with pytest.raises(KeyError, match="nieuw_veld"):
        readability.read_as_resident("Uw {nieuw_veld}.", readability.values())


def test_the_report_prints_every_set() -> None:
    out = readability.report(ROOT, worst=2)
    for kind in readability.SETS:
        assert f"{kind}: " in out
    assert "Flesch–Douma mean" in out and "longest sentence" in out
