"""The status form's reading of a controlecode, without a running stack."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.status import ValidateStatusForm


def tracker(text: str, intent: str, confidence: float = 0.9) -> Tracker:
    message = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": [],
        "response_selector": {
            "faq": {"response": {"intent_response_key": "faq/pgb", "confidence": confidence}}
        },
    }
    return Tracker(
        "status-test",
        {"requested_slot": "controlecode", "zaaknummer": "M-2026-000042"},
        message,
        [],
        False,
        None,
        {"name": "status_form"},
        "status_form",
    )


async def test_a_code_is_the_answer_even_when_it_reads_like_a_question() -> None:
    dispatcher = CollectingDispatcher()
    form = ValidateStatusForm()
    extracted = await form.extract_controlecode(dispatcher, tracker("pgb 7xk", "faq"), {})
    assert extracted == {"controlecode": "pgb 7xk"}
    assert dispatcher.messages == []  # no FAQ answer instead of the status


async def test_a_real_question_in_the_middle_is_still_answered() -> None:
    dispatcher = CollectingDispatcher()
    form = ValidateStatusForm()
    question = tracker("wat is een persoonsgebonden budget?", "faq")
    extracted = await form.extract_controlecode(dispatcher, question, {})
    assert "controlecode" not in extracted
    assert dispatcher.messages  # the question was answered; the form asks for the code again
