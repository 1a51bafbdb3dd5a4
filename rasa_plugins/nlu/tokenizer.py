"""Tokenizer that uses spaCy's blank Dutch tokenizer and lookup lemmas.

No trained Dutch spaCy pipeline can be installed here, but `spacy.blank("nl")`
knows Dutch tokenization rules and spacy-lookups-data ships a Dutch lemma table,
so "lantaarnpalen" and "lantaarnpaal" share one feature.
"""

from __future__ import annotations

from typing import Any

import spacy
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message


def dutch_nlp() -> spacy.language.Language:
    """A blank Dutch pipeline with the lookup lemmatizer from spacy-lookups-data."""
    nlp = spacy.blank("nl")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


# Words that only link a message to the conversation ("trouwens, hoe kan ik jullie bellen")
# say nothing about what it asks, yet "trouwens" shares nearly every letter n-gram with
# "trouwen". Dropped wherever they stand, and "o ja" / "nog een vraag" at the start, as
# long as something is left.
FILLERS = frozenset({"trouwens", "overigens", "btw", "tussendoor", "ff", "effe"})
LEAD_INS = (
    ("o", "ja"),
    ("oh", "ja"),
    ("nog", "een", "vraag"),
    ("nog", "iets"),
    ("andere", "vraag"),
)


def without_fillers(tokens: list[Token]) -> list[Token]:
    words = [t.text.lower() for t in tokens]
    start = next((len(lead) for lead in LEAD_INS if tuple(words[: len(lead)]) == lead), 0)
    kept = [t for t in tokens[start:] if t.text.lower() not in FILLERS]
    return kept or tokens


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class DutchSpacyTokenizer(Tokenizer):
    """Splits Dutch text with spaCy's rules and sets each token's lemma."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._nlp = dutch_nlp()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> DutchSpacyTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute)
        doc = self._nlp(text)
        tokens = [
            Token(t.text, t.idx, lemma=t.lemma_.lower() or t.lower_)
            for t in doc
            if not t.is_space and not t.is_punct
        ]
        if not tokens:
            tokens = [Token(text, 0)]
        return self._apply_token_pattern(without_fillers(tokens))
