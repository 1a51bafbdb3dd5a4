"""The conversation suite (tests/conversations/*.yml) against the real stack.

`make converse` runs it and prints the success rate and every failed conversation with
its transcript. Issue #14's goal is 97%; MIN_SUCCESS is the rate measured when the suite
was written, so it fails on a regression (raise it as Balie improves; docs/nlu.md).
"""

from __future__ import annotations

import pytest

from tests.conversation_suite import load_suite, play_all, report
from tests.training_data import nlu_examples, normalise

MIN_SUCCESS = 0.85  # measured 83/95 = 87.4% before the address work merged (docs/nlu.md); goal 0.97
STEP_KEYS = {"say", "choose", "optional", "fill", "expect"}
EXPECT_KEYS = {"says", "says_any", "not_says", "buttons_any", "form", "faq", "person"}
EXPECT_KEYS |= {"out_of_scope"}
CASE_KEYS = {"type", "categorie", "straat", "huisnummer", "postcode", "email", "telefoon"}
CASE_KEYS |= {"omschrijving", "not_in_omschrijving", "tijdstip"}
CONVERSATION_KEYS = {"name", "source", "case", "turns", "expect_case", "expect_no_case"}


def test_the_suite_is_well_formed_and_not_training_data() -> None:
    conversations = load_suite()
    assert len(conversations) >= 80
    names = [c["name"] for c in conversations]
    assert len(names) == len(set(names))
    examples = {normalise(text) for _, text in nlu_examples()}
    for conversation in conversations:
        assert set(conversation) <= CONVERSATION_KEYS, conversation["name"]
        assert set(conversation.get("expect_case") or {}) <= CASE_KEYS, conversation["name"]
        for step in conversation["turns"]:
            assert set(step) <= STEP_KEYS, (conversation["name"], step)
            assert set(step.get("expect") or {}) <= EXPECT_KEYS, (conversation["name"], step)
            said = normalise(str(step.get("say", "")))
            assert said not in examples or len(said.split()) <= 3, (conversation["name"], said)


@pytest.mark.stack
@pytest.mark.asyncio(loop_scope="session")
async def test_the_conversation_suite_succeeds(stack, http) -> None:
    outcomes = await play_all(load_suite(), http, stack)
    print("\n" + report(outcomes))
    rate = sum(o.ok for o in outcomes) / len(outcomes)
    assert rate >= MIN_SUCCESS
