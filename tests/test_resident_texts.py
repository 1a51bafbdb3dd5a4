"""What residents read outside Rasa's responses (core/residents/texts.py): Dutch, formal
"u", short sentences, and every sentence in use.

Rule-of-thumb checks for B1 (tests/test_readability.py scores them with textstat too):
sentences of at most 20 words and about 15 on average, no word longer than a Dutch
compound such as "internetverbinding".
"""

from __future__ import annotations

import re

import pytest

from core import ROOT
from core.residents import commands, texts

TELEFOON = "14 0123"


def all_texts() -> dict[str, str]:
    found = {
        name: value
        for name, value in vars(texts).items()
        if name.isupper() and isinstance(value, str)
    }
    found["too_long"] = texts.too_long(1000)
    found["unavailable"] = texts.unavailable(TELEFOON)
    found["too_many_conversations"] = texts.too_many_conversations(TELEFOON)
    return found


TEXTS = all_texts()
DUTCH = set(
    "de het een en of u uw ik mij mijn wij ons onze niet geen is zijn van in op met over "
    "voor dat die dit deze er wat als dan ook nog weer te kan kunt wilt heeft ja nee".split()
)
ENGLISH = set("the and you your please with this that error try again not".split())
INFORMAL = re.compile(r"\b(je|jij|jou|jouw|jullie)\b", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+|\n+")


def words(text: str) -> list[str]:
    return re.findall(r"[\wéèëïöü']+", text.lower())


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text) if words(s)]


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_every_text_is_dutch(name: str) -> None:
    found = set(words(TEXTS[name]))
    assert found & DUTCH, f"{name}: no Dutch word in {TEXTS[name]!r}"
    assert not found & ENGLISH, f"{name}: English in {TEXTS[name]!r}"


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_every_text_says_u_not_je(name: str) -> None:
    assert not INFORMAL.search(TEXTS[name]), f"{name}: informal in {TEXTS[name]!r}"


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_sentences_are_short(name: str) -> None:
    lengths = [len(words(s)) for s in sentences(TEXTS[name])]
    assert max(lengths) <= 20, f"{name}: a sentence of {max(lengths)} words"
    assert sum(lengths) / len(lengths) <= 15, f"{name}: long sentences on average"
    assert max(len(w) for w in words(TEXTS[name])) <= 20, name


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_texts_are_finished(name: str) -> None:
    """No template left over, no stray spaces; a sentence ends with its punctuation."""
    text = TEXTS[name]
    assert "{" not in text and "}" not in text, name
    assert "  " not in text and text == text.rstrip(), name
    if len(sentences(text)) > 1:
        assert text.rstrip()[-1] in ".!?", name


def test_labels_are_short() -> None:
    """Button titles, the menu and the placeholder fit on a phone's screen."""
    for label in (texts.FORGET_YES, texts.FORGET_NO, texts.SHARE_LOCATION, texts.TYPE_ADDRESS):
        assert len(label) <= 30, label
    for _, description in commands.MENU:
        assert 0 < len(description) <= 64, description  # Telegram allows 256


def test_numbers_in_texts_come_from_their_settings() -> None:
    assert "1000" in texts.too_long(1000)
    assert TELEFOON in texts.unavailable(TELEFOON)
    assert TELEFOON in texts.too_many_conversations(TELEFOON)
    assert "10 MB" in texts.PHOTO_TOO_BIG


def test_every_text_is_used() -> None:
    """A sentence no channel says is dead copy."""
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for package in ("core", "rasa_plugins", "webapp", "actions")
        for path in (ROOT / package).rglob("*.py")
        if path.name != "texts.py"
    )
    unused = [
        name
        for name in vars(texts)
        if not name.startswith("_")
        and (name.isupper() or callable(vars(texts)[name]))
        and vars(texts)[name] is not texts.limit_text
        and not re.search(rf"\btexts\.{name}\b", sources)
    ]
    assert not unused
