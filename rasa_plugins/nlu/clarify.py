"""Rasa component: ask "Bedoelt u …?" rather than act on a guess (issue #14, part 1).

A business intent at 0.45-0.55 confidence used to start the wrong form or answer the
wrong FAQ. This component runs after the classifiers: when the best business candidate
(melding, verzoek, status, or a FAQ topic) is unsure, or hardly better than the next
one, the message becomes the intent `verduidelijken` and keeps its 2-3 best candidates
under the `verduidelijken` key of the parse data (which Rasa keeps in the tracker), so
`action_verduidelijken` can offer them as buttons. Only business intents are ever
rewritten: a greeting, "ja"/"nee", a bare answer or a fallback stays what it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

from core.residents.choices import (
    BUSINESS_INTENTS,
    CANDIDATES_KEY,
    CLARIFY_INTENT,
    FAQ_INTENT,
    label,
)

RESPONSE_SELECTOR = "response_selector"


@dataclass(frozen=True)
class Limits:
    # Below `threshold` the best candidate is a guess; within `margin` of the next it is
    # a coin toss. Candidates below `floor` are not worth a button.
    threshold: float = 0.45
    margin: float = 0.10
    floor: float = 0.10
    most: int = 3


def candidates(parse: dict[str, Any]) -> list[tuple[str, float]]:
    """Business intents and FAQ topics, best first, with their confidence.

    A FAQ topic's confidence is P(faq) * P(topic | faq): a sure "faq" with two equally
    likely topics is as unsure as two intents at 0.5.
    """
    found: list[tuple[str, float]] = []
    for ranked in parse.get(INTENT_RANKING_KEY) or []:
        name = ranked.get("name")
        confidence = float(ranked.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
        if name in BUSINESS_INTENTS:
            found.append((name, confidence))
        elif name == FAQ_INTENT:
            selected = (parse.get(RESPONSE_SELECTOR) or {}).get(FAQ_INTENT) or {}
            for topic in selected.get("ranking") or []:
                key = topic.get("intent_response_key") or ""
                share = float(topic.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
                found.append((key, confidence * share))
    known = [(name, confidence) for name, confidence in found if label(name)]
    return sorted(known, key=lambda c: -c[1])


def clarification(parse: dict[str, Any], limits: Limits) -> list[tuple[str, float]] | None:
    """The candidates to offer when the message is a guess, or None to act on it."""
    intent = (parse.get(INTENT) or {}).get("name")
    if intent not in (*BUSINESS_INTENTS, FAQ_INTENT):
        return None
    found = candidates(parse)
    if not found:
        return None
    best = found[0][1]
    close = len(found) > 1 and best - found[1][1] < limits.margin
    if best >= limits.threshold and not close:
        return None
    offered = [c for c in found if c[1] >= limits.floor][: limits.most]
    return offered or found[:1]


def clarified(parse: dict[str, Any], offered: list[tuple[str, float]]) -> dict[str, Any]:
    """The parse data's new intent, ranking and candidates: what `Message.set` writes."""
    intent = {"name": CLARIFY_INTENT, PREDICTED_CONFIDENCE_KEY: offered[0][1]}
    return {
        INTENT: intent,
        INTENT_RANKING_KEY: [intent, *(parse.get(INTENT_RANKING_KEY) or [])],
        CANDIDATES_KEY: {
            "kandidaten": [{"keuze": name, "zekerheid": round(c, 4)} for name, c in offered],
            "herkend": parse.get(INTENT),
        },
    }


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class AmbiguityDetector(GraphComponent, IntentClassifier):
    """Turns a guessed business intent into `verduidelijken` with its candidates."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        defaults = Limits()
        return {
            "threshold": defaults.threshold,
            "margin": defaults.margin,
            "floor": defaults.floor,
            "most": defaults.most,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        self.limits = Limits(
            threshold=float(config["threshold"]),
            margin=float(config["margin"]),
            floor=float(config["floor"]),
            most=int(config["most"]),
        )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> AmbiguityDetector:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            parse = {
                INTENT: message.get(INTENT),
                INTENT_RANKING_KEY: message.get(INTENT_RANKING_KEY),
                RESPONSE_SELECTOR: message.get(RESPONSE_SELECTOR),
            }
            offered = clarification(parse, self.limits)
            if offered:
                for key, value in clarified(parse, offered).items():
                    message.set(key, value, add_to_output=True)
        return messages
