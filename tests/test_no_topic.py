"""A question that fits no FAQ topic, without a model: the retrieval classifier hands it
to the intent that came next (issue #14), on crafted classifier output."""

from __future__ import annotations

import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from core.dutch.lexicon import dutch_words, known_share
from rasa_plugins.nlu.classifier import LinearSvmClassifier

TRAINED = {"vocabulary": ["hoe", "ik", "aan", "bij", "de", "wat", "is", "van"]}


def intent_classifier() -> LinearSvmClassifier:
    config = LinearSvmClassifier.get_default_config()
    return LinearSvmClassifier(config, None, None, meta=TRAINED)  # type: ignore[arg-type]


def faq_classifier() -> LinearSvmClassifier:
    config = {**LinearSvmClassifier.get_default_config(), "retrieval_intent": "faq"}
    config["topic_threshold"] = 0.4
    return LinearSvmClassifier(config, None, None, meta=TRAINED)  # type: ignore[arg-type]


def message(text: str, ranking: list[tuple[str, float]]) -> Message:
    intents = [{"name": n, "confidence": c} for n, c in ranking]
    result = Message(data={TEXT: text})
    result.set(INTENT, intents[0])
    result.set(INTENT_RANKING_KEY, intents)
    result.set(TOKENS_NAMES[TEXT], [Token(w, 0) for w in text.split()])
    return result


def after(text: str, ranking: list[tuple[str, float]], topic: float = 0.3) -> dict:
    parsed = message(text, ranking)
    faq_classifier()._without_topic(parsed, topic)
    return parsed.get(INTENT)


def test_a_question_for_another_organisation_is_out_of_scope() -> None:
    ranking = [("faq", 0.62), ("buiten_bereik", 0.28), ("informeren", 0.04)]
    intent = after("hoe vraag ik kinderbijslag aan bij de svb", ranking)
    assert intent["name"] == "buiten_bereik"
    # The question's share counts for it, so no later threshold turns it into a fallback.
    assert intent["confidence"] == pytest.approx(0.90)


@pytest.mark.parametrize(
    "noise", ["ik wil de qwzp van mijn vrbk trlz", "lorem ipsum dolor sit amet", "qwerty"]
)
def test_keyboard_noise_and_other_languages_still_fall_back(noise: str) -> None:
    ranking = [("faq", 0.55), ("buiten_bereik", 0.35)]
    assert after(noise, ranking)["name"] == "nlu_fallback"


def test_a_faint_out_of_scope_runner_up_falls_back() -> None:
    ranking = [("faq", 0.79), ("buiten_bereik", 0.16), ("hulp", 0.02)]
    assert after("waar plan ik een tijdstip voor de balie", ranking)["name"] == "nlu_fallback"


def test_a_business_runner_up_is_taken_and_leads_the_ranking() -> None:
    ranking = [("faq", 0.47), ("status_opvragen", 0.45), ("melding_doen", 0.14)]
    parsed = message("ik heb een lamp doorgegeven, gebeurt er nog wat", ranking)
    faq_classifier()._without_topic(parsed, 0.38)
    assert parsed.get(INTENT)["name"] == "status_opvragen"
    # Without the void FAQ reading, which would make FallbackClassifier call it ambiguous.
    assert [r["name"] for r in parsed.get(INTENT_RANKING_KEY)] == [
        "status_opvragen",
        "melding_doen",
    ]


def test_a_faint_business_runner_up_falls_back() -> None:
    ranking = [("faq", 0.68), ("medewerker_spreken", 0.15), ("verzoek_indienen", 0.09)]
    assert after("ik wil een grotere container aanvragen", ranking)["name"] == "nlu_fallback"


def test_a_fitting_topic_stays_an_faq() -> None:
    ranking = [("faq", 0.62), ("buiten_bereik", 0.28)]
    assert after("hoe vraag ik een paspoort aan", ranking, topic=0.8)["name"] == "faq"


def test_dutch_words_come_from_the_lemma_list() -> None:
    assert {"kinderbijslag", "fietsen", "lantaarnpaal"} <= dutch_words()
    assert known_share(["qwzp", "fiets"]) == 0.5
    assert known_share(["hoe"], also=frozenset({"hoe"})) == 1.0
    assert known_share([]) == 0.0


@pytest.mark.parametrize(
    "text,intent",
    [
        ("tralala hopsa", "nlu_fallback"),
        ("je suis tres fatigue aujourd'hui", "nlu_fallback"),
        ("hoe laat vertrekt de trein naar utrecht", "buiten_bereik"),
        ("speel de nieuwe van snelle", "buiten_bereik"),
    ],
)
def test_out_of_scope_is_an_answer_to_words_not_to_noise(text: str, intent: str) -> None:
    parsed = message(text, [("buiten_bereik", 0.66), ("faq", 0.19)])
    intent_classifier()._fall_back_when_unknown(parsed)
    assert parsed.get(INTENT)["name"] == intent
