"""Balie says "je" only to a resident who says "je" to Balie (issue #14, part 7).

Dutch "je" is often impersonal ("een tak waardoor je niks ziet"): that is no reason to
drop "u". Fast: the rules only, no model.
"""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from rasa_plugins.nlu.register import AanspreekvormDetector, aanspreekvorm


@pytest.mark.parametrize(
    "text",
    [
        "hoi kun je me helpen",
        "kun je mij vertellen wanneer het afval wordt opgehaald",
        "weet jij waar ik een paspoort kan halen",
        "weet je wanneer het gemeentehuis open is?",
        "hoe gaat het met je?",
        "wat kun je allemaal",
        "dank je wel!",
        "kan je uitleggen hoe dat werkt",
        "wil je mij terugbellen",
        "ff vragen, hoe werkt dat",
    ],
)
def test_addressing_balie_informally_is_je(text: str) -> None:
    assert aanspreekvorm(text) == "je"


@pytest.mark.parametrize(
    "text",
    [
        "er hangt een tak over het fietspad waardoor je niks ziet",
        "als je daar loopt struikel je over de losse tegels",
        "heb je een vergunning nodig voor een dakkapel",
        "wat moet je doen als je paspoort verlopen is",
        "hoe vraag je een parkeervergunning aan",
        "de lantaarnpaal is kapot, je ziet 's avonds geen hand voor ogen",
        "je kan er niet meer langs met de kinderwagen",
        "kun je daar gratis parkeren",
        "zijn jullie morgen open",
    ],
)
def test_an_impersonal_je_is_not_addressing_balie(text: str) -> None:
    assert aanspreekvorm(text) is None


@pytest.mark.parametrize("text", ["Kunt u mij helpen?", "goedemiddag meneer", "heeft u mijn mail"])
def test_formal_writing_is_u(text: str) -> None:
    assert aanspreekvorm(text) == "u"


def entity_values(text: str) -> list[str]:
    (message,) = AanspreekvormDetector().process([Message(data={"text": text})])
    return [e["value"] for e in message.get("entities", []) if e["entity"] == "aanspreekvorm"]


def test_only_je_is_marked_so_that_it_stays_once_chosen() -> None:
    """The slot fills from this entity: formal is its empty default, and a later formal
    message must not switch a conversation that went to "je" back to "u"."""
    assert entity_values("hoi, kun je me helpen?") == ["je"]
    assert entity_values("Kunt u mij helpen?") == []
    assert entity_values("een tak waardoor je niks ziet") == []
