"""Rasa component: notices whether the resident writes formal ("u") or informal ("je").

Balie answers formally unless the resident writes informally. The component adds an
`aanspreekvorm` entity ("je" or "u") when a message clearly shows one; the slot of
that name then selects the response variation.
"""

from __future__ import annotations

import re

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_plugins.nlu.component import RuleBasedExtractor

INFORMAL = re.compile(
    r"\b(je|jij|jou|jouw|joh|ff|effe|hoi|hey|hee|yo|doei|thx|thanks)\b",
    re.IGNORECASE,
)
FORMAL = re.compile(r"\b(u|uw|zou u|kunt u|heeft u|bent u|meneer|mevrouw|geachte)\b", re.IGNORECASE)


def aanspreekvorm(text: str) -> str | None:
    """'je', 'u', or None when the text shows neither (or both)."""
    informal, formal = bool(INFORMAL.search(text)), bool(FORMAL.search(text))
    if informal == formal:
        return None
    return "je" if informal else "u"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class AanspreekvormDetector(RuleBasedExtractor):
    """Adds the `aanspreekvorm` entity the resident's wording shows."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            vorm = aanspreekvorm(text)
            if vorm:
                entity = {"entity": "aanspreekvorm", "value": vorm, "start": 0, "end": len(text)}
                entities = [*message.get(ENTITIES, []), *self.add_extractor_name([entity])]
                message.set(ENTITIES, entities, add_to_output=True)
        return messages
