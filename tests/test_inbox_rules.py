"""The inbox's rules and the console's labels, without a web app.

Every intent of domain.yml and every FAQ topic has a Dutch name; only residents' own
sentences reach the inbox; a deterministic share of confident ones comes by as a spot
check; numbers have a decimal comma.
"""

from __future__ import annotations

import yaml

from core import ROOT, labels
from core.residents import choices
from webapp.staff.console.render import band
from webapp.staff.inbox import Inbox, in_sample, is_code, resident_sentence
from webapp.staff.numbers import komma, procent
from webapp.staff.tracker import UserMessage


def message(text: str, intent: str = "hulp", confidence: float = 0.9) -> UserMessage:
    return UserMessage(1, "s", 0.0, text, intent, confidence, intent)


def test_every_intent_and_faq_topic_has_a_dutch_name() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    intents = [i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]]
    assert set(intents) <= set(labels.INTENTS), set(intents) - set(labels.INTENTS)
    topics = {r.split("/", 1)[1] for r in domain["responses"] if r.startswith("utter_faq/")}
    assert topics == set(labels.FAQ_TOPICS)
    assert labels.naam("faq/paspoort_id_kaart") == "Paspoort en ID-kaart (vraag)"
    assert labels.naam("melding_doen") == "Melding openbare ruimte"
    assert labels.naam("faq/hondenbelasting") == "Hondenbelasting (vraag)"  # staff topic
    # The resident's button words come from the same source.
    assert choices.label("faq/pgb") == labels.FAQ_TOPICS["pgb"].keuze
    assert all(choices.is_business(c) for c in choices.LABELS)


def test_only_residents_sentences_reach_the_inbox() -> None:
    assert resident_sentence(message("waar kan ik mijn paspoort aanvragen"))
    assert not resident_sentence(message('/faq{"sleutel":"pgb"}', "faq"))
    assert not resident_sentence(message("[locatie]"))
    assert not resident_sentence(message("AB3D7K"))
    assert not resident_sentence(message("M-2026-000042 ab3d7k"))
    assert not resident_sentence(message("M-2026-000042 [controlecode]"))
    assert not resident_sentence(message("EXTERNAL", "EXTERNAL_afgeleverd"))
    assert resident_sentence(message("straat"))  # a word, not a code
    assert is_code("HKMNPQ") and not is_code("bedrag")


def test_a_deterministic_share_of_confident_messages_is_a_spot_check() -> None:
    texts = [f"vraag nummer {n}" for n in range(2000)]
    sampled = [t for t in texts if in_sample(t, 0.05)]
    assert 50 < len(sampled) < 150
    assert sampled == [t for t in texts if in_sample(t, 0.05)]  # no flicker
    assert not any(in_sample(t, 0.0) for t in texts)
    box = Inbox(None, None, threshold=0.6, sample=1.0)  # type: ignore[arg-type]
    assert box.spot_check(message("hoe laat zijn jullie open", confidence=0.95))
    assert not box.spot_check(message("hoe laat", confidence=0.3))  # unsure, not a sample
    assert not box.spot_check(message("/groeten", confidence=1.0))


def test_numbers_have_a_decimal_comma_and_confidence_a_meaning() -> None:
    assert procent(0.415) == "41,5%" and procent(None) == "–"
    assert komma(0.91) == "0,91" and komma(1.5, 1, sign=True) == "+1,5"
    assert band(0.95, 0.6) == "Balie was zeker"
    assert band(0.45, 0.6) == "Balie twijfelde"
    assert band(0.2, 0.6) == "Balie begreep het niet"
    assert band(0.7, 0.6, "nlu_fallback") == "Balie begreep het niet"
