"""Rasa component: exact Dutch entities by rule, and normalised values for all.

DIET learns the fuzzy entities (straat, plaats, tijdstip, huisnummer). Values with
a fixed shape (zaaknummer, postcode, e-mail, phone) are found here by rule, and a
house number right after a recognised street or postcode is added if DIET missed it.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from core.dutch import patterns
from rasa_plugins.nlu.component import RuleBasedExtractor

EXACT = {"zaaknummer", "postcode", "email", "telefoonnummer"}


def _overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


def _normalised(entity: dict[str, Any]) -> dict[str, Any] | None:
    """Clean up a learned entity's value; None drops it."""
    value = str(entity.get("value", "")).strip(" ,.;:!?")
    if entity["entity"] == "huisnummer":
        value = patterns.normalize_huisnummer(value) or ""
    elif entity["entity"] in {"straat", "plaats"}:
        # Residents type "kerkstraat"; the case system wants "Kerkstraat".
        value = value[:1].upper() + value[1:]
    return {**entity, "value": value} if value else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class DutchEntityExtractor(RuleBasedExtractor):
    """Adds rule-based Dutch entities and normalises learned ones."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            message.set(
                ENTITIES,
                self.extract(message.get(TEXT) or "", message.get(ENTITIES, [])),
                add_to_output=True,
            )
        return messages

    def extract(self, text: str, learned: list[dict[str, Any]]) -> list[dict[str, Any]]:
        exact = self.add_extractor_name(
            [
                {
                    "entity": m.entity,
                    "start": m.start,
                    "end": m.end,
                    "value": m.value,
                    "confidence_entity": 1.0,
                }
                for m in patterns.find_exact(text)
            ]
        )
        # The rules are authoritative for the exact kinds; learned guesses over them go.
        kept = [
            e
            for e in learned
            if e.get("entity") not in EXACT and not any(_overlaps(e, x) for x in exact)
        ]
        kept = [n for e in kept if (n := _normalised(e))]
        entities = kept + exact
        entities += self._house_numbers(text, entities)
        return sorted(entities, key=lambda e: e["start"])

    def _house_numbers(self, text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if any(e["entity"] == "huisnummer" for e in entities):
            return []
        for anchor in entities:
            if anchor["entity"] not in {"straat", "postcode"}:
                continue
            match = patterns.find_huisnummer_after(text, anchor["end"])
            if match and not any(
                match.start < e["end"] and e["start"] < match.end for e in entities
            ):
                return self.add_extractor_name(
                    [
                        {
                            "entity": "huisnummer",
                            "start": match.start,
                            "end": match.end,
                            "value": match.value,
                            "confidence_entity": 1.0,
                        }
                    ]
                )
        return []
