"""Balie answers in the resident's register (issue #14, part 7): every response that says
"u" has an informal variant for a resident who writes "je", with the same content.

Rasa picks the variant whose condition matches the `aanspreekvorm` slot
(rasa_plugins/nlu/register.py fills it); the others have no condition.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from core import ROOT

DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
RESPONSES: dict[str, list[dict[str, Any]]] = DOMAIN["responses"]
JE = {"type": "slot", "name": "aanspreekvorm", "value": "je"}
FORMAL = re.compile(r"\b(u|uw)\b", re.IGNORECASE)
LINK = re.compile(r"\]\(([^)\s]+)\)")
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def je_variants(name: str) -> list[dict[str, Any]]:
    return [v for v in RESPONSES[name] if JE in (v.get("condition") or [])]


def plain_variants(name: str) -> list[dict[str, Any]]:
    return [v for v in RESPONSES[name] if not v.get("condition")]


def words_of(variant: dict[str, Any]) -> str:
    """What the resident reads of a variant: its text and its buttons' titles."""
    titles = [b.get("title", "") for b in variant.get("buttons") or []]
    return "\n".join([variant.get("text") or "", *titles])


def says_u(name: str) -> bool:
    return any(FORMAL.search(words_of(v)) for v in plain_variants(name))


FORMAL_RESPONSES = sorted(name for name in RESPONSES if says_u(name))
FAQ = sorted(name for name in RESPONSES if name.startswith("utter_faq/"))


def test_there_is_something_to_check() -> None:
    assert len(FORMAL_RESPONSES) > 40 and len(FAQ) == 21


@pytest.mark.parametrize("name", sorted(set(FORMAL_RESPONSES) | set(FAQ)))
def test_a_response_that_says_u_has_one_je_variant(name: str) -> None:
    assert len(je_variants(name)) == 1, f"{name}: no informal variant"
    assert plain_variants(name), f"{name}: no variant without a condition"


@pytest.mark.parametrize("name", sorted(n for n in RESPONSES if je_variants(n)))
def test_the_je_variant_never_says_u(name: str) -> None:
    (je,) = je_variants(name)
    assert not FORMAL.search(words_of(je)), f"{name}: {FORMAL.search(words_of(je))}"
    if says_u(name):  # adapted, not copied: "Kiest u" became "Kies je" or "Kies"
        assert all(words_of(je) != words_of(v) for v in plain_variants(name)), name


@pytest.mark.parametrize("name", FAQ)
def test_the_je_variant_of_an_faq_answer_says_the_same(name: str) -> None:
    """Same links, numbers and lines: only the register differs."""
    (je,) = je_variants(name)
    (u,) = plain_variants(name)
    assert LINK.findall(je["text"]) == LINK.findall(u["text"]), name
    assert NUMBER.findall(je["text"]) == NUMBER.findall(u["text"]), name
    assert len(je["text"].splitlines()) == len(u["text"].splitlines()), name
    placeholders = re.compile(r"\{\w+\}")
    assert placeholders.findall(je["text"]) == placeholders.findall(u["text"]), name


# --- on the real stack: the FAQ answer comes in the resident's register -------------------


@pytest.mark.stack
@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize(
    "question,informal",
    [
        ("hoe verleng ik mijn paspoort? kun jij me helpen", True),
        ("Kunt u mij vertellen hoe ik mijn paspoort verleng?", False),
    ],
)
async def test_an_faq_answer_comes_in_the_residents_register(
    http: Any, stack: Any, question: str, informal: bool
) -> None:
    from tests.test_conversations import Resident

    resident = Resident(http, stack)
    reply = await resident.says(question)
    assert await resident.intent() == "faq/paspoort_id_kaart"
    assert ("vraag je aan" in reply) is informal, reply
    assert ("vraagt u aan" in reply) is not informal, reply
    assert bool(FORMAL.search(reply)) is not informal, reply
