"""Rasa component: notices when the resident addresses Balie informally ("je").

Balie answers formally ("u") unless the resident speaks to Balie with "je" or "jij"
(issue #14, part 7). Dutch also uses "je" impersonally, for anyone: "een boom waardoor
je niks ziet", "als je daar loopt", "heb je een vergunning nodig?". That is not
addressing Balie, so a bare "je" counts only in the shapes that are about Balie:

- "jij", "jou", "jouw" and informal greetings or thanks ("hoi", "ff", "dank je");
- "je" with the resident as object: "kun je me helpen", "wil je mij bellen";
- "je" as the one who knows, helps or tells: "weet je ...", "kun je uitleggen ...";
- "je" closing a question to Balie: "hoe gaat het met je?", "wat kun je allemaal?".

The component adds an `aanspreekvorm` entity "je" only: the slot it fills starts
empty (formal) and, once a resident has said "je", stays "je" for the conversation,
whatever later messages say.
"""

from __future__ import annotations

import re

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from rasa_plugins.nlu.component import RuleBasedExtractor

# Informal in any position: only said to the one you talk to, never "anyone".
INFORMAL = re.compile(
    r"\b(jij|jou|jouw|joh|ff|effe|hoi|hey|hee|yo|doei|thx|thanks|dank je|bedankt he)\b",
    re.IGNORECASE,
)
# Verbs of what Balie does for the resident: "kun je uitleggen", "weet je".
_BALIE_DOES = (
    r"helpen|vertellen|zeggen|uitleggen|opzoeken|zoeken|nakijken|checken|regelen|"
    r"doorgeven|doorsturen|sturen|bellen|mailen|laten weten|geven|tonen|laten zien"
)
ADDRESSED = re.compile(
    # the resident as object right after "je": "kun je me helpen", "wil je ons bellen"
    r"\bje\s+(?:\w+\s+)?(?:me|mij|ons)\b"
    # Balie's knowing or understanding: "weet je", "snap je wat ik bedoel"
    r"|\b(?:weet|ken|snap|begrijp|hoor|bedoel|zie)\s+je\b(?!\s+\w+\s+(?:als|wanneer)\b)"
    # "kun je ... uitleggen": Balie does it
    rf"|\b(?:kun|kan|wil|zou|mag)\s+je\b[^.?!]*?\b(?:{_BALIE_DOES})\b"
    # a question to Balie that ends on "je": "hoe gaat het met je?", "wat kun je?"
    r"|\b(?:met|van|aan|kun|kan|doe|ben|heb)\s+je(?:\s+allemaal|\s+eigenlijk|\s+zo)?\s*[?!.]*\s*$",
    re.IGNORECASE,
)
FORMAL = re.compile(r"\b(u|uw|zou u|kunt u|heeft u|bent u|meneer|mevrouw|geachte)\b", re.IGNORECASE)


def informal(text: str) -> bool:
    """Does the resident speak to Balie with "je"? An impersonal "je" does not count."""
    return bool(INFORMAL.search(text) or ADDRESSED.search(text))


def aanspreekvorm(text: str) -> str | None:
    """'je', 'u', or None when the text shows neither (or both)."""
    is_informal, is_formal = informal(text), bool(FORMAL.search(text))
    if is_informal == is_formal:
        return None
    return "je" if is_informal else "u"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class AanspreekvormDetector(RuleBasedExtractor):
    """Adds the `aanspreekvorm` entity "je" when the resident addresses Balie informally."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            # Only "je" is set: formal is the default, and "je", once said, stays.
            if aanspreekvorm(text) == "je":
                entity = {"entity": "aanspreekvorm", "value": "je", "start": 0, "end": len(text)}
                entities = [*message.get(ENTITIES, []), *self.add_extractor_name([entity])]
                message.set(ENTITIES, entities, add_to_output=True)
        return messages
