"""Asking "Bedoelt u …?" instead of acting on a guess (issue #14, part 1), without a model:
the detector on crafted parse results, the buttons and the staff inbox's labelled example."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.clarify import ActionFaqKiezen, ActionVerduidelijken, clarified_text
from core.residents import choices
from rasa_plugins.nlu.clarify import AmbiguityDetector, Limits, candidates, clarification
from webapp.staff.inbox import choice_after
from webapp.staff.tracker import UserMessage

LIMITS = Limits()


def parse(ranking: list[tuple[str, float]], topics: list[tuple[str, float]] = ()) -> dict:
    """A parse result as the classifiers leave it: intent, ranking, FAQ topic ranking."""
    intents = [{"name": n, "confidence": c} for n, c in ranking]
    result: dict[str, Any] = {"intent": intents[0], "intent_ranking": intents}
    if topics:
        result["response_selector"] = {
            "faq": {
                "response": {"intent_response_key": topics[0][0]},
                "ranking": [{"intent_response_key": k, "confidence": c} for k, c in topics],
            }
        }
    return result


def test_a_sure_intent_is_acted_on() -> None:
    assert clarification(parse([("melding_doen", 0.82), ("verzoek_indienen", 0.1)]), LIMITS) is None


def test_a_sure_faq_topic_is_answered() -> None:
    sure = parse([("faq", 0.9), ("melding_doen", 0.05)], [("faq/pgb", 0.8), ("faq/trouwen", 0.1)])
    assert clarification(sure, LIMITS) is None


def test_a_low_business_intent_becomes_a_question_with_its_candidates() -> None:
    guess = parse(
        [("melding_doen", 0.41), ("faq", 0.35), ("verzoek_indienen", 0.2)],
        [("faq/afvalkalender", 0.9), ("faq/grofvuil", 0.1)],
    )
    offered = clarification(guess, LIMITS)
    assert [name for name, _ in offered] == [
        "melding_doen",
        "faq/afvalkalender",
        "verzoek_indienen",
    ]


def test_two_close_candidates_are_a_coin_toss() -> None:
    close = parse([("verzoek_indienen", 0.52), ("melding_doen", 0.46)])
    assert [n for n, _ in clarification(close, LIMITS)] == ["verzoek_indienen", "melding_doen"]


def test_two_close_faq_topics_are_a_coin_toss_too() -> None:
    """A sure "faq" with two equally likely topics: P(faq) * P(topic) decides."""
    topics = [("faq/kapvergunning", 0.48), ("faq/jongerenwerk", 0.44), ("faq/pgb", 0.08)]
    close = parse([("faq", 0.95), ("verzoek_indienen", 0.03)], topics)
    assert [n for n, _ in clarification(close, LIMITS)] == [
        "faq/kapvergunning",
        "faq/jongerenwerk",
    ]


@pytest.mark.parametrize(
    "intent",
    ["groeten", "bevestigen", "ontkennen", "informeren", "nlu_fallback", "smalltalk", "boosheid"],
)
def test_other_intents_are_never_questioned(intent: str) -> None:
    """A greeting, yes/no, a bare answer in a form or a fallback stays what it is, however
    unsure, and even with business intents close behind."""
    unsure = parse([(intent, 0.3), ("melding_doen", 0.29), ("faq", 0.2)], [("faq/pgb", 0.9)])
    assert clarification(unsure, LIMITS) is None


def test_at_most_three_candidates_and_only_likely_ones() -> None:
    many = parse(
        [("melding_doen", 0.3), ("verzoek_indienen", 0.28), ("status_opvragen", 0.2),
         ("faq", 0.15), ("groeten", 0.07)],
        [("faq/contact", 0.5), ("faq/openingstijden", 0.5)],
    )  # fmt: skip
    offered = clarification(many, LIMITS)
    assert [n for n, _ in offered] == ["melding_doen", "verzoek_indienen", "status_opvragen"]
    weak = parse([("melding_doen", 0.3), ("groeten", 0.65), ("verzoek_indienen", 0.05)])
    assert [n for n, _ in clarification(weak, LIMITS)] == ["melding_doen"]


def test_every_candidate_has_a_plain_dutch_label() -> None:
    found = candidates(parse([("faq", 0.6), ("melding_doen", 0.4)], [("faq/onbekend", 1.0)]))
    assert found == [("melding_doen", 0.4)]  # a topic without a label is never offered
    for name, text in choices.LABELS.items():
        assert "_" not in text and "/" not in text and text[0].isupper(), name


def test_the_component_rewrites_the_message() -> None:
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data={"text": "de bomen bij de school"})
    guess = parse([("verzoek_indienen", 0.4), ("melding_doen", 0.38)])
    for key, value in guess.items():
        message.set(key, value, add_to_output=True)
    config = AmbiguityDetector.get_default_config()
    (result,) = AmbiguityDetector(config).process([message])
    out = result.as_dict(only_output_properties=True)
    assert out["intent"]["name"] == "verduidelijken"
    assert out["intent_ranking"][1]["name"] == "verzoek_indienen"
    assert [c["keuze"] for c in out["verduidelijken"]["kandidaten"]] == [
        "verzoek_indienen",
        "melding_doen",
    ]
    assert out["verduidelijken"]["herkend"]["name"] == "verzoek_indienen"


# --- the action ----------------------------------------------------------------------------


def tracker(latest: dict[str, Any], events: list[dict[str, Any]] = ()) -> Tracker:
    return Tracker("inwoner", {}, latest, list(events), False, None, {}, "action_listen")


async def test_the_question_offers_labels_and_iets_anders() -> None:
    latest = {
        "text": "snoeien bij de school",
        "intent": {"name": "verduidelijken", "confidence": 0.4},
        "verduidelijken": {
            "kandidaten": [
                {"keuze": "verzoek_indienen", "zekerheid": 0.4},
                {"keuze": "faq/jongerenwerk", "zekerheid": 0.35},
            ]
        },
    }
    dispatcher = CollectingDispatcher()
    await ActionVerduidelijken().run(dispatcher, tracker(latest), {})
    (message,) = dispatcher.messages
    assert message["response"] == "utter_bedoelt_u"
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        ("Iets aan de gemeente vragen", "/verzoek_indienen"),
        ("Wat het jongerenwerk doet", '/faq{"sleutel":"jongerenwerk"}'),
        ("Iets anders", "/ontkennen"),
    ]


async def test_without_candidates_it_asks_to_rephrase() -> None:
    dispatcher = CollectingDispatcher()
    await ActionVerduidelijken().run(dispatcher, tracker({"intent": {}}), {})
    assert dispatcher.messages[0]["response"] == "utter_vraag_herformuleren"


@pytest.mark.parametrize(
    "sleutel,response",
    [
        ("paspoort_id_kaart", "utter_faq/paspoort_id_kaart"),
        ("bestaat_niet", "utter_vraag_herformuleren"),
    ],
)
async def test_a_chosen_topic_gets_its_answer(sleutel: str, response: str) -> None:
    latest = {"text": f'/faq{{"sleutel":"{sleutel}"}}', "intent": {"name": "faq"},
              "entities": [{"entity": "sleutel", "value": sleutel}]}  # fmt: skip
    dispatcher = CollectingDispatcher()
    await ActionFaqKiezen().run(dispatcher, tracker(latest), {})
    assert dispatcher.messages[0]["response"] == response


def test_a_form_chosen_by_button_starts_from_the_words_it_answered() -> None:
    said = {"event": "user", "text": "de heg groeit over de stoep",
            "parse_data": {"intent": {"name": "verduidelijken"}}}  # fmt: skip
    button = {"event": "user", "text": "/melding_doen", "parse_data": {"intent": {}}}
    latest = {"text": "/melding_doen", "intent": {"name": "melding_doen"}}
    assert clarified_text(tracker(latest, [said, button])) == "de heg groeit over de stoep"
    plain = {**said, "parse_data": {"intent": {"name": "melding_doen"}}}
    assert clarified_text(tracker(latest, [plain, button])) == ""


# --- the staff inbox -------------------------------------------------------------------------


def user(id: int, text: str, intent: str, sender: str = "a") -> UserMessage:
    return UserMessage(id, sender, float(id), text, intent, 0.4, intent)


def test_the_residents_choice_labels_the_inbox_example() -> None:
    asked = user(1, "snoeien bij de school", "verduidelijken")
    assert choice_after(asked, user(2, '/faq{"sleutel":"kapvergunning"}', "faq/kapvergunning"))
    assert choice_after(asked, user(2, "/melding_doen", "melding_doen")) == "melding_doen"
    assert choice_after(asked, user(2, "/ontkennen", "ontkennen")) is None  # "Iets anders"
    assert choice_after(asked, user(2, "ik bedoel iets anders", "informeren")) is None
    assert choice_after(asked, user(2, "/melding_doen", "melding_doen", sender="b")) is None
    plain = user(1, "lamp kapot", "melding_doen")
    assert choice_after(plain, user(2, "/melding_doen", "melding_doen")) is None


def test_a_topic_button_is_read_back_as_its_topic() -> None:
    import json
    from types import SimpleNamespace

    from webapp.staff.tracker import user_message

    data = {
        "event": "user",
        "text": '/faq{"sleutel":"kapvergunning"}',
        "parse_data": {
            "intent": {"name": "faq", "confidence": 1.0},
            "entities": [{"entity": "sleutel", "value": "kapvergunning"}],
        },
    }
    row = SimpleNamespace(id=7, sender_id="a", timestamp=1.0, data=json.dumps(data))
    assert user_message(row).intent == "faq/kapvergunning"
    asked = {
        "event": "user",
        "text": "boom snoeien",
        "parse_data": {
            "intent": {"name": "verduidelijken", "confidence": 0.4},
            "verduidelijken": {"kandidaten": [{"keuze": "verzoek_indienen", "zekerheid": 0.4}]},
        },
    }
    row = SimpleNamespace(id=6, sender_id="a", timestamp=1.0, data=json.dumps(asked))
    assert user_message(row).predicted == "verzoek_indienen"
