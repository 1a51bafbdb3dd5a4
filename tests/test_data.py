"""The training data keeps the NLU contract and Rasa finds nothing to warn about."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter

import yaml

from core import ROOT
from core.residents import choices
from tests.training_data import (
    HELDOUT,
    nlu_examples,
    normalise,
    persona_sentences,
    xsid_utterances,
)

CONTRACT_INTENTS = [
    "groeten",
    "afscheid",
    "bedanken",
    "bevestigen",
    "ontkennen",
    "hulp",
    "stoppen",
    "bot_vraag",
    "medewerker_spreken",
    "melding_doen",
    "verzoek_indienen",
    "status_opvragen",
    "informeren",
]
BIG_INTENTS = {
    "melding_doen",
    "verzoek_indienen",
    "status_opvragen",
    "medewerker_spreken",
    "informeren",
}
FAQ_KEYS = [
    "openingstijden",
    "contact",
    "afspraak_maken",
    "paspoort_id_kaart",
    "rijbewijs",
    "verhuizing",
    "geboorteaangifte",
    "trouwen",
    "uittreksel_brp",
    "afvalkalender",
    "grofvuil",
    "parkeervergunning",
    "omgevingsvergunning",
    "kapvergunning",
    "evenementenvergunning",
    "pgb",
    "wmo_zorgloket",
    "jongerenwerk",
    "wijksteunpunt",
    "wegwerkzaamheden",
    "ondernemersloket",
]
CONTRACT_ENTITIES = [
    "zaaknummer",
    "postcode",
    "huisnummer",
    "straat",
    "plaats",
    "email",
    "telefoonnummer",
    "tijdstip",
]


def test_rasa_data_validate_is_clean() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rasa",
            "data",
            "validate",
            "--fail-on-warnings",
            "--data",
            "nlu_data",
            "--domain",
            "domain.yml",
            "--config",
            "config.yml",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    # Two kinds of warning are Rasa 3.6's own doing, not problems in the data:
    # - it derives a domain for the retrieval intent `faq` from the NLU data and then
    #   reports it as duplicated with domain.yml, which must declare it for the rules;
    # - it only counts responses used in stories and rules, not those the forms ask
    #   (`utter_ask_*`) or the custom actions send. Those must really be used, though;
    # - it expects every intent in the NLU data, but `EXTERNAL_*` intents are sent by
    #   the action server, never typed, nor the intent the clarify component sets when
    #   Balie is unsure (rasa_plugins/nlu/clarify.py).
    used_in_code = "\n".join(p.read_text() for p in (ROOT / "actions").rglob("*.py"))
    warnings = [
        w
        for w in output.split("UserWarning: ")[1:]
        if not w.startswith(
            "The following duplicated intents have been found across multiple domain files: faq\n"
        )
        and not _used_outside_dialogues(w, used_in_code)
        and not w.startswith("The intent 'EXTERNAL_")
        and not w.startswith(f"The intent '{choices.CLARIFY_INTENT}' ")
    ]
    assert warnings == [], output[-4000:]
    assert result.returncode == 0, output[-4000:]


def _used_outside_dialogues(warning: str, code: str) -> bool:
    match = re.match(r"The utterance '(utter_\w+)' is not used in any story or rule", warning)
    if not match:
        return False
    name = match.group(1)
    return name.startswith("utter_ask_") or f'"{name}"' in code


def test_every_contract_intent_has_enough_examples() -> None:
    counts = Counter(intent for intent, _ in nlu_examples())
    for intent in CONTRACT_INTENTS:
        assert counts[intent] >= (30 if intent in BIG_INTENTS else 10), (intent, counts[intent])
    for key in FAQ_KEYS:
        assert counts[f"faq/{key}"] >= 10, (key, counts[f"faq/{key}"])


def test_domain_declares_the_contract() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    assert set(CONTRACT_INTENTS) | {"faq"} <= set(domain["intents"])
    assert set(CONTRACT_ENTITIES) <= set(domain["entities"])
    faq_responses = {r for r in domain["responses"] if r.startswith("utter_faq/")}
    assert faq_responses == {f"utter_faq/{key}" for key in FAQ_KEYS}


def test_no_example_is_repeated() -> None:
    texts = Counter(normalise(text) for _, text in nlu_examples())
    assert [t for t, n in texts.items() if n > 1] == []


def test_persona_sentences_are_not_training_data() -> None:
    examples = {normalise(text) for _, text in nlu_examples()}
    copied = [s for s in persona_sentences() if normalise(s) in examples]
    assert copied == []


def test_xsid_evaluation_sentences_are_not_training_data() -> None:
    examples = {normalise(text) for _, text in nlu_examples()}
    assert [s for s in xsid_utterances() if normalise(s) in examples] == []


def test_held_out_utterances_are_not_training_data() -> None:
    examples = {normalise(text) for _, text in nlu_examples()}
    held_out = nlu_examples(HELDOUT)
    assert len(held_out) >= 300
    assert [text for _, text in held_out if normalise(text) in examples] == []


def test_every_placeholder_is_a_slot_filled_from_the_content_file() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    content = yaml.safe_load((ROOT / "content" / "gemeente.yml").read_text())
    placeholders = set(re.findall(r"\{(\w+)\}", yaml.safe_dump(domain["responses"])))
    # The rest are values the actions pass when they send the response.
    code = "\n".join(p.read_text() for p in (ROOT / "actions").rglob("*.py"))
    passed = set(re.findall(r"\b(\w+)=", code)) | set(re.findall(r'"(\w+)": ', code))
    assert placeholders - set(domain["slots"]) <= passed
    gemeente_slots = {s for s in domain["slots"] if s.startswith("gemeente_")}
    assert {f"gemeente_{key}" for key in content["gemeente"]} == gemeente_slots
