"""The form base (actions/forms.py) driven through rasa-sdk's own Tracker and dispatcher.

The validation actions run as the action server runs them: `run` with the real domain,
a tracker as Rasa sends it, and the SlotSet events they return. A guard keeps every
module in actions/ on rasa-sdk's public API, so an upgrade cannot break a form silently.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.forms import BaseForm
from actions.melding import ActionAskCategorie, ValidateMeldingForm
from actions.terugbellen import ValidateTerugbelForm
from actions.verzoek import ValidateVerzoekForm

ROOT = Path(__file__).resolve().parent.parent
DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def user(
    text: str,
    intent: str = "informeren",
    confidence: float = 0.9,
    entities: list[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A parsed message, as Rasa puts it in `latest_message`."""
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "metadata": metadata or {},
    }


def tracker(
    form: str,
    slots: dict[str, Any],
    message: dict[str, Any],
    candidates: list[dict[str, Any]] | None = None,
) -> Tracker:
    """The tracker Rasa sends a validation action: the user turn, then any slot candidates."""
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": message["text"], "parse_data": message, "timestamp": 1.0},
        *(candidates or []),
    ]
    return Tracker(
        "forms-test",
        dict(slots),
        message,
        events,
        False,
        None,
        {"name": form},
        "action_listen",
    )


async def run(form: BaseForm, state: Tracker) -> tuple[list[dict[str, Any]], list[str]]:
    """The events the form returns and the responses it uttered."""
    dispatcher = CollectingDispatcher()
    events = await form.run(dispatcher, state, DOMAIN)
    return events, [m["response"] for m in dispatcher.messages]


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    assert all(e["event"] == "slot" for e in events)
    return {e["name"]: e["value"] for e in events}


async def test_an_answer_is_validated_and_the_next_question_requested() -> None:
    state = tracker(
        "melding_form",
        {"requested_slot": "omschrijving"},
        user("Er ligt al dagen een berg grofvuil naast de container"),
    )
    events, said = await run(ValidateMeldingForm(), state)
    assert said == []
    assert events == [
        SlotSet("omschrijving", "Er ligt al dagen een berg grofvuil naast de container"),
    ]


async def test_a_poor_answer_gets_a_hint_and_is_asked_again() -> None:
    state = tracker("melding_form", {"requested_slot": "omschrijving"}, user("afval"))
    events, said = await run(ValidateMeldingForm(), state)
    assert said == ["utter_hint_omschrijving"]
    assert slots_of(events) == {
        "omschrijving": None,
        "pogingen": {"omschrijving": 1},
    }


async def test_the_last_poor_answer_stops_the_form() -> None:
    state = tracker(
        "melding_form",
        {"requested_slot": "omschrijving", "pogingen": {"omschrijving": 2}},
        user("afval"),
    )
    events, said = await run(ValidateMeldingForm(), state)
    assert said == ["utter_formulier_lukt_niet"]
    assert slots_of(events) == {
        "omschrijving": None,
        "formulier_gestopt": True,
        "pogingen": {"omschrijving": 3},
        "requested_slot": None,
    }


async def test_stop_ends_the_form_without_validating() -> None:
    state = tracker("melding_form", {"requested_slot": "locatie"}, user("stop", "stoppen"))
    events, said = await run(ValidateMeldingForm(), state)
    assert said == []
    # Extraction's side slot reaches the tracker although no validator returned it.
    assert events == [SlotSet("formulier_gestopt", True), SlotSet("requested_slot", None)]


async def test_a_question_in_between_is_answered_and_the_form_goes_on() -> None:
    state = tracker(
        "melding_form",
        {"requested_slot": "locatie", "onderbrekingen": 1},
        user("wat doet u eigenlijk?", "bot_vraag"),
    )
    events, said = await run(ValidateMeldingForm(), state)
    assert said == ["utter_bot_vraag", "utter_formulier_verder"]
    assert events == [SlotSet("onderbrekingen", 2)]


async def test_a_question_about_the_callback_itself_is_an_answer_in_the_callback_form() -> None:
    state = tracker(
        "terugbel_form",
        {"requested_slot": "naam"},
        user("Jan de Vries", "medewerker_spreken"),
    )
    events, said = await run(ValidateTerugbelForm(), state)
    assert said == []
    assert events == [SlotSet("naam", "Jan de Vries")]


async def test_changing_an_answer_clears_it_without_a_hint() -> None:
    state = tracker(
        "melding_form",
        {
            "requested_slot": "bevestiging",
            "locatie": {"straat": "Dorpsstraat", "huisnummer": "1"},
            "aanpassen_gevraagd": True,
        },
        user("ik wil de locatie aanpassen", entities=[{"entity": "aanpassen", "value": "locatie"}]),
    )
    events, said = await run(ValidateMeldingForm(), state)
    # A slot cleared to None is no answer: no "please give a location" hint for it.
    assert said == []
    assert events == [
        SlotSet("locatie", None),
        SlotSet("locatie_hint", None),
        SlotSet("locatie_voorstel", None),
        SlotSet("locatie_straat", None),
        SlotSet("bevestiging", None),
        SlotSet("aanpassen_gevraagd", None),
    ]


async def test_slot_candidates_cleared_by_rasa_are_not_validated() -> None:
    # The form starting: the start action cleared the slots and prefilled the place.
    place = {"straat": "Dorpsstraat", "huisnummer": "12"}
    state = tracker(
        "verzoek_form",
        {"omschrijving": None, "locatie": place},
        user("/verzoek_indienen", "verzoek_indienen"),
        candidates=[SlotSet("omschrijving", None), SlotSet("locatie", place)],
    )
    events, said = await run(ValidateVerzoekForm(), state)
    assert said == []
    assert events == [SlotSet("locatie", place)]


async def test_a_validator_may_set_more_than_its_own_slot() -> None:
    state = tracker(
        "verzoek_form",
        {"requested_slot": "contact_toestemming", "omschrijving": "x", "locatie": {}},
        user("ja, bel me op 0612345678", "bevestigen"),
    )
    events, said = await run(ValidateVerzoekForm(), state)
    assert said == []
    assert slots_of(events) == {
        "contact_toestemming": True,
        "contact": {"telefoon": "+31612345678"},
        "requested_slot": "bevestiging",
    }


async def test_validation_sees_the_extracted_answer_in_the_tracker() -> None:
    state = tracker(
        "terugbel_form",
        {"requested_slot": "telefoon", "naam": "Jan"},
        user("06 1234 5678"),
    )
    form = ValidateTerugbelForm()
    events, _ = await run(form, state)
    assert events == [SlotSet("telefoon", "+31612345678")]
    # The answers are on the tracker too, as rasa-sdk leaves them for the next step.
    assert state.get_slot("telefoon") == "+31612345678"


@pytest.mark.parametrize("photo", [True, False])
async def test_a_caption_is_added_to_the_description_and_answers_nothing_else(photo) -> None:
    """Also when the channel refused the photo itself: the caption's words are kept."""
    caption = "Hij knippert al dagen & zoemt"
    metadata: dict[str, Any] = {"bijschrift": caption}
    if photo:
        metadata["foto"] = {"upload_id": "0b6f2c1e-7d0e-4c55-9a55-3f1f7a0c9e11"}
    state = tracker(
        "melding_form",
        {"requested_slot": "locatie", "omschrijving": "De lantaarnpaal is kapot"},
        user(caption, metadata=metadata),
    )
    events, said = await run(ValidateMeldingForm(), state)
    slots = slots_of(events)
    assert slots["omschrijving"] == f"De lantaarnpaal is kapot\n{caption}"
    assert "locatie" not in slots and said == []
    assert ("fotos" in slots) == photo


# --- the category question ---------------------------------------------------------


def said_as(response: str, aanspreekvorm: str | None, **values: Any) -> str:
    """The response's text as Rasa picks it for this form of address."""
    for variant in DOMAIN["responses"][response]:
        wanted = [c["value"] for c in variant.get("condition", []) if c["name"] == "aanspreekvorm"]
        if not wanted or aanspreekvorm in wanted:
            return str(variant["text"]).format(**values)
    raise AssertionError(f"no variant of {response} for {aanspreekvorm}")


async def ask_categorie(omschrijving: str, aanspreekvorm: str | None = None) -> tuple[str, list]:
    """What the category question says, and its buttons' titles, for this description."""
    slots = {"requested_slot": "categorie", "omschrijving": omschrijving}
    if aanspreekvorm:
        slots["aanspreekvorm"] = aanspreekvorm
    dispatcher = CollectingDispatcher()
    state = tracker("melding_form", slots, user(omschrijving))
    await ActionAskCategorie().run(dispatcher, state, DOMAIN)
    [message] = dispatcher.messages
    values = {k: v for k, v in message.items() if k == "categorie_naam"}
    text = said_as(message["response"], aanspreekvorm, **values)
    return text, [b["title"] for b in message["buttons"]]


@pytest.mark.parametrize(
    ("omschrijving", "first", "plausible"),
    [
        (
            "de lantaarnpaal bij de ingang van het park is kapot",
            "Straatverlichting / openbare klok",
            {"Straatmeubilair", "Overig Wegen, verkeer, straatmeubilair"},
        ),
        (
            "de prullenbak bij de bushalte puilt uit",
            "Prullenbak is vol",
            {"Prullenbak is kapot", "Container is vol", "Straatmeubilair"},
        ),
        (
            "een fietswrak staat al weken tegen de lantaarnpaal",
            "Fietswrak",
            {
                "Straatverlichting / openbare klok",
                "Auto- / scooter- / bromfiets(wrak)",
                "Straatmeubilair",
            },
        ),
        (
            "hondenpoep op de stoep",
            "Honden(poep)",
            {"Wildplassen / poepen / overgeven", "Onderhoud stoep, straat en fietspad"},
        ),
        ("ratten in de tuin", "Ratten", set()),
        (
            "het verkeerslicht op de kruising is kapot",
            "Verkeerslicht",
            {"Straatverlichting / openbare klok", "Verkeersoverlast / Verkeerssituaties"},
        ),
    ],
)
async def test_the_category_question_offers_the_best_match_and_real_alternatives(
    omschrijving: str, first: str, plausible: set[str]
) -> None:
    text, buttons = await ask_categorie(omschrijving)
    # One question, about the proposal, which is the first button.
    assert text.count("?") == 1 and first in text, text
    assert buttons[0] == first and buttons[-1] == "Iets anders"
    alternatives = buttons[1:-1]
    # Only alternatives the description points at too, at most three, none twice.
    assert set(alternatives) <= plausible, alternatives
    assert len(alternatives) <= 3 and len(set(buttons)) == len(buttons)
    if len(plausible) >= 2:
        assert len(alternatives) >= 1


async def test_a_word_that_only_hints_brings_no_alternative() -> None:
    # "kapot" is a hint for bins and containers, not a reason to offer them for a lamp.
    for omschrijving in ("de straatlamp is kapot", "de lantaarnpaal is kapot"):
        _, buttons = await ask_categorie(omschrijving)
        assert buttons[0] == "Straatverlichting / openbare klok"
        assert not {"Container is kapot", "Prullenbak is kapot"} & set(buttons), buttons


async def test_the_category_question_says_u_or_je_as_the_resident_does() -> None:
    formal, buttons = await ask_categorie("er ligt veel zwerfvuil op straat")
    informal, same = await ask_categorie("er ligt veel zwerfvuil op straat", "je")
    assert buttons == same and buttons[0] == "Veeg- / zwerfvuil"
    assert "uw melding" in formal and " je " not in formal and formal.count("?") == 1
    assert "je melding" in informal and "uw" not in informal and informal.count("?") == 1
    # Nothing recognised: the open question, with "Iets anders" only.
    text, buttons = await ask_categorie("blabla")
    assert buttons == ["Iets anders"] and text.count("?") == 1


# --- the guard: rasa-sdk's public API only ---------------------------------------------


def rasa_sdk_names(tree: ast.Module) -> set[str]:
    """Local names bound to rasa_sdk modules or objects by the module's imports."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {
                (a.asname or a.name).split(".")[0] for a in node.names if a.name == "rasa_sdk"
            }
            names |= {a.asname for a in node.names if a.name.startswith("rasa_sdk.") and a.asname}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rasa_sdk"):
            names |= {a.asname or a.name for a in node.names}
    return names


def private_uses(source: str) -> list[str]:
    """Private rasa-sdk names a module imports, reaches into, or patches onto a tracker."""
    tree = ast.parse(source)
    found = []
    sdk = rasa_sdk_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rasa_sdk"):
            module_parts = (node.module or "").split(".")
            found += [f"import {a.name}" for a in node.names if a.name.startswith("_")]
            found += [f"module {node.module}" for p in module_parts if p.startswith("_")]
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            if node.attr.startswith("__") and node.attr.endswith("__"):
                continue  # dunders (__name__, __init__) are Python's, not rasa-sdk's
            base = node.value
            from_sdk = isinstance(base, ast.Name) and base.id in sdk
            via_super = (
                isinstance(base, ast.Call)
                and isinstance(base.func, ast.Name)
                and base.func.id == "super"
            )
            # self._x, tracker._x: a private name of rasa-sdk's classes, on whatever object.
            if from_sdk or via_super or node.attr in SDK_PRIVATE:
                found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name in SDK_PRIVATE:
                found.append(f"line {node.lineno}: overrides {node.name}")
        elif isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in TRACKER_METHODS:
                    found.append(f"line {node.lineno}: patches .{target.attr}")
    return found


def sdk_members(*classes: type) -> set[str]:
    return {name for cls in classes for klass in cls.__mro__ for name in vars(klass)}


EMPTY_TRACKER = Tracker("", {}, {}, [], False, None, {}, None)
SDK_PRIVATE = {
    name
    for name in sdk_members(FormValidationAction, Tracker) | set(vars(EMPTY_TRACKER))
    if name.startswith("_") and not name.endswith("__")
}
TRACKER_METHODS = {name for name, value in vars(Tracker).items() if callable(value)}


def test_the_guard_finds_what_it_is_for() -> None:
    bad = """
from rasa_sdk.forms import _private
from rasa_sdk import forms
class F(FormValidationAction):
    async def run(self, dispatcher, tracker, domain):
        tracker.slots_to_validate = lambda: {}
        forms._helper()
        await self._extract_validation_events(dispatcher, tracker, domain)
        return await super()._extract_slot("x", dispatcher, tracker, domain)
    def _is_mapped_to_form(self, value):
        return tracker._paused
"""
    assert len(private_uses(bad)) == 7


def test_the_guard_knows_the_private_names_it_looks_for() -> None:
    assert {"_extract_validation_events", "_extract_slot", "_paused"} <= SDK_PRIVATE


@pytest.mark.parametrize(
    "path", sorted((ROOT / "actions").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_actions_use_only_the_public_rasa_sdk_api(path: Path) -> None:
    assert private_uses(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("slot", "text", "intent"),
    [
        ("locatie", "Stationsweg", "faq"),
        ("locatie", "Vogelzang 3", "buiten_bereik"),
        ("locatie", "bij het zebrapad voor de school", "faq"),
        ("tijdstip", "vandaag", "buiten_bereik"),
        ("tijdstip", "al weken", "faq"),
        ("contact_toestemming", "nee hoor", "buiten_bereik"),
    ],
)
async def test_an_answer_that_fits_the_question_beats_a_digression(slot, text, intent) -> None:
    state = tracker(
        "melding_form",
        {"requested_slot": slot, "omschrijving": "De lantaarnpaal is kapot"},
        user(text, intent, 0.95),
    )
    events, said = await run(ValidateMeldingForm(), state)
    assert "utter_formulier_verder" not in said
    assert "onderbrekingen" not in slots_of(events)


async def test_a_clear_question_still_interrupts_even_when_it_names_a_time() -> None:
    state = tracker(
        "melding_form",
        {"requested_slot": "tijdstip", "onderbrekingen": 0},
        user("wanneer is het gemeentehuis vandaag open?", "faq", 0.95),
    )
    events, said = await run(ValidateMeldingForm(), state)
    assert said[-1] == "utter_formulier_verder"
    assert events == [SlotSet("onderbrekingen", 1)]


async def test_a_near_miss_is_asked_and_yes_takes_the_listed_street() -> None:
    state = tracker("melding_form", {"requested_slot": "locatie"}, user("Ringwg 14"))
    events, _ = await run(ValidateMeldingForm(), state)
    asked = slots_of(events)["locatie_voorstel"]
    assert asked["voorstel"]["straat"] == "Ringweg" and asked["getypt"]["straat"] == "Ringwg"
    state = tracker(
        "melding_form",
        {"requested_slot": "locatie", "locatie_voorstel": asked},
        user("/bevestigen", "bevestigen"),
    )
    events, _ = await run(ValidateMeldingForm(), state)
    locatie = slots_of(events)["locatie"]
    assert locatie["straat"] == "Ringweg" and locatie["huisnummer"] == "14"


SCHOOLSTRAAT = {"straat": "Schoolstraat", "plaats": "Lindewaard"}


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("22", "informeren", {"huisnummer": "22"}),
        ("bij nummer 14a", "informeren", {"huisnummer": "14A"}),
        (
            "bij nummer 9, voor de school",
            "informeren",
            {"huisnummer": "9", "omschrijving": "bij nummer 9, voor de school"},
        ),
        (
            "bij de ingang van de school",
            "informeren",
            {"omschrijving": "bij de ingang van de school"},
        ),
        ("weet ik niet", "ontkennen", {}),
        ("/ontkennen", "ontkennen", {}),
    ],
)
async def test_where_in_the_street_from_the_first_message(text, intent, expected) -> None:
    # "de Schoolstraat staat blank" named the street: the form asks where in it.
    state = tracker(
        "melding_form",
        {"requested_slot": "locatie", "locatie_straat": SCHOOLSTRAAT},
        user(text, intent, 0.95),
    )
    events, said = await run(ValidateMeldingForm(), state)
    assert said == []
    slots = slots_of(events)
    assert slots["locatie"] == SCHOOLSTRAAT | expected
    assert slots["locatie_straat"] is None


async def test_another_address_answers_where_in_the_street_too() -> None:
    state = tracker(
        "melding_form",
        {"requested_slot": "locatie", "locatie_straat": SCHOOLSTRAAT},
        user("Ringweg 14"),
    )
    events, _ = await run(ValidateMeldingForm(), state)
    slots = slots_of(events)
    assert slots["locatie"]["straat"] == "Ringweg" and slots["locatie"]["huisnummer"] == "14"
    assert slots["locatie_straat"] is None


async def test_no_answer_to_where_in_the_street_keeps_the_street_in_the_end() -> None:
    slots: dict[str, Any] = {"requested_slot": "locatie", "locatie_straat": SCHOOLSTRAAT}
    for _ in range(3):
        events, _ = await run(ValidateMeldingForm(), tracker("melding_form", slots, user("xq")))
        slots |= slots_of(events)
    assert slots["locatie"] == SCHOOLSTRAAT and not slots.get("formulier_gestopt")


@pytest.mark.parametrize(
    ("answer", "slot"),
    [("Dorpsstraat 14", "locatie"), ("Kerkstraat 3", "locatie"), ("sinds gisteren", "tijdstip")],
)
async def test_a_place_or_time_given_at_the_category_question_is_kept(
    answer, slot, monkeypatch
) -> None:
    """Asked the kind of melding, the resident says where or when: that answers the later
    question (a street's "straat" is no category) and accepts the proposed kind; without a
    proposal, the kind is asked again."""

    async def nothing_nearby(tracker: Tracker) -> dict[str, Any]:
        return {}  # the duplicate search is tests/test_duplicates.py's

    monkeypatch.setattr("actions.melding.duplicaat.search", nothing_nearby)
    for omschrijving, categorie in [
        ("de lantaarnpaal doet het niet meer", "straatverlichting-openbare-klok"),
        ("blabla", None),
    ]:
        state = tracker(
            "melding_form",
            {"requested_slot": "categorie", "omschrijving": omschrijving},
            user(answer, entities=[]),
        )
        events, said = await run(ValidateMeldingForm(), state)
        slots = slots_of(events)
        assert slots[slot]
        assert slots.get("categorie") == categorie
        if categorie is None:
            # Rasa asks the first empty slot of the domain's list: the kind again.
            assert slots.get("requested_slot", "categorie") == "categorie"
        assert said == []


async def test_a_typed_category_is_still_the_category() -> None:
    state = tracker(
        "melding_form",
        {"requested_slot": "categorie", "omschrijving": "de lantaarnpaal doet het niet meer"},
        user("straatverlichting"),
    )
    slots = slots_of((await run(ValidateMeldingForm(), state))[0])
    assert slots["categorie"] == "straatverlichting-openbare-klok"
    assert slots.get("locatie") is None
