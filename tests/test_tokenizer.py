"""The Dutch tokenizer drops words that only link a message to the conversation."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_plugins.nlu.tokenizer import DutchSpacyTokenizer


@pytest.fixture(scope="module")
def tokenizer() -> DutchSpacyTokenizer:
    return DutchSpacyTokenizer(DutchSpacyTokenizer.get_default_config())


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("trouwens, hoe kan ik de gemeente bellen?", "hoe kan ik de gemeente bellen"),
        ("hoe kan ik jullie overigens mailen", "hoe kan ik jullie mailen"),
        ("O ja, wanneer is het stadhuis open", "wanneer is het stadhuis open"),
        ("nog een vraag: wat kost een paspoort", "wat kost een paspoort"),
        ("wij willen trouwen", "wij willen trouwen"),  # "trouwen" is the question
        ("o ja", "o ja"),  # nothing else: kept as it is
        ("trouwens", "trouwens"),
    ],
)
def test_fillers_are_dropped(tokenizer: DutchSpacyTokenizer, text: str, words: str) -> None:
    tokens = tokenizer.tokenize(Message({TEXT: text}), TEXT)
    assert " ".join(t.text for t in tokens).lower() == words
    # Offsets still point into the resident's own text (entities are cut from it).
    assert all(text[t.start : t.end] == t.text for t in tokens)
