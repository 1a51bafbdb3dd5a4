"""Balie understands residents the first time (issue #14).

A case number and its controlecode in one message are both taken; a time already said in
the first message of a melding is not asked again, and a recurring or ongoing one is kept
in the resident's words; greetings and closings are not part of the description. The
parsing is tested on its own, the forms through their real validation, in-process.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.melding import ActionMeldingStarten, ValidateMeldingForm
from actions.status import ValidateStatusForm
from core import clock
from core.dutch.beleefdheid import zonder_aanhef_en_groet
from core.dutch.patterns import find_controlecode
from core.dutch.tijdstip import parse_tijdstip, terugkerend_tekst
from tests import test_guessing
from tests.test_forms import DOMAIN, run, slots_of, tracker, user

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=AMS)  # a Saturday
case_api = test_guessing.case_api

# --- 1. a code with the number -----------------------------------------------------------


@pytest.mark.parametrize(
    "text,code",
    [
        ("m-2026-000123 code ab3-k7p", "AB3K7P"),
        ("mijn code is ab3k7p en het nummer M 2026 000123", "AB3K7P"),
        ("V-2026-000004, AB3K7P", "AB3K7P"),
        ("wat is de status van M-2026-000123 met code AB3K7P?", "AB3K7P"),
        ("nummer V 2026 4 en controlecode: 7QX 9PM", "7QX9PM"),
        ("M-2026-000123 met AB3 K7P graag", "AB3K7P"),
        ("code HX4-T9B voor m2026000123", "HX4T9B"),
        ("M-2026-000123 code: kxpqrt", "KXPQRT"),  # letters only, but after "code"
        ("M-2026-000123 controlecode is KXPQRT", "KXPQRT"),
        ("zaak M/2026/000123 ab-3k-7p", "AB3K7P"),
        ("Ab3k7P. M-2026-000123", "AB3K7P"),
        # Letters only, in lower case, right beside the number: a code unless it is a word.
        ("al iets gedaan met mn melding? uwyabp m-2026-000035", "UWYABP"),
        ("m-2026-000035, zqtwxk", "ZQTWXK"),
        ("M-2026-000035 met code uwy-abp", "UWYABP"),  # letters only, lower case, cued
    ],
)
def test_a_code_is_found_in_a_sentence(text: str, code: str) -> None:
    assert find_controlecode(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "wat is de status van M-2026-000123",  # "status": a word, no digit, no cue
        "mijn nummer is M-2026-223344",  # nothing taken from inside the number
        "M 2026 223344 graag de status",
        "m2026223344",
        "status nummer hebben",
        "ik ben mijn code kwijt",
        "de code nummer weet ik niet",  # "nummer" after "code": a word, not a code
        "M-2026-000123, postcode 5678 XY",
        "M-2026-000123 met hx4 tbk",  # "met hx4" nor "hx4 tbk": halves not typed as code
        "mail ab3k7p@example.nl",
        "het was om 23:45 uur, ik heb 2 kinderen",
        "de 2e 34",
        "code ABCDEI",  # I is not in the code alphabet
        "code A0B1C2",  # nor 0 and 1
        "m-2026-000035 status graag",  # words beside the number stay words
        "nummer M-2026-000035 hebben",
        "mijn melding m-2026-000035 gedaan?",
        "bedankt m-2026-000035 zegt u",
    ],
)
def test_no_code_is_read_into_words_or_numbers(text: str) -> None:
    assert find_controlecode(text) is None


def status_tracker(text: str, slots: dict[str, Any], number: str | None) -> Any:
    entities = [{"entity": "zaaknummer", "value": number}] if number else []
    state = tracker("status_form", slots, user(text, intent="status_opvragen", entities=entities))
    state.events[1]["input_channel"] = "rest"
    return state


async def test_the_first_message_fills_number_and_code(case_api) -> None:
    number, code = await test_guessing.new_case(case_api)
    low = code.lower()
    text = f"wat is de status van {number.lower()} met code {low[:3]}-{low[3:]}?"
    # action_status_starten set the number from the entity; the form runs on activation.
    state = status_tracker(text, {"zaaknummer": number}, number)
    events, said = await run(ValidateStatusForm(), state)
    slots = slots_of(events)
    assert slots["zaak_status"]["identificatie"] == number, said
    assert slots["controlecode"] == code
    assert "utter_hint_controlecode" not in said


async def test_number_and_code_in_any_order_while_asked_for_the_number(case_api) -> None:
    number, code = await test_guessing.new_case(case_api)
    spaced = number.replace("-", " ")
    text = f"mijn code is {code[:3]} {code[3:]} en het nummer {spaced}"
    state = status_tracker(text, {"requested_slot": "zaaknummer"}, None)
    events, said = await run(ValidateStatusForm(), state)
    slots = slots_of(events)
    assert slots.get("zaak_status", {}).get("identificatie") == number, (said, slots)


async def test_a_wrong_code_with_the_number_counts_as_a_try(case_api) -> None:
    number, _ = await test_guessing.new_case(case_api)
    state = status_tracker(f"{number}, {test_guessing.WRONG[:5]}2", {}, number)
    events, said = await run(ValidateStatusForm(), state)
    assert said == ["utter_status_niet_gevonden"]
    slots = slots_of(events)
    assert slots["status_mislukt"] == 1 and slots["controlecode"] is None, slots


async def test_a_number_alone_still_asks_for_the_code(case_api) -> None:
    number, _ = await test_guessing.new_case(case_api)
    state = status_tracker(f"wat is de status van {number}", {}, number)
    events, said = await run(ValidateStatusForm(), state)
    slots = slots_of(events)
    assert said == []
    assert slots["zaaknummer"] == number and slots.get("controlecode") is None
    assert "zaak_status" not in slots


# --- 2. a time already said ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text,said",
    [
        ("De buren maken al een week herrie", "al een week"),
        ("de lamp brandt al drie avonden niet", "al drie avonden"),
        ("twee nachten op rij lawaai van de bouwplaats", "twee nachten op rij"),
        ("Elke avond staat er een auto met draaiende motor voor de deur", "elke avond"),
        (
            "de afgelopen twee weken, vooral 's avonds, hangen er jongeren bij de speeltuin",
            "afgelopen twee weken, vooral 's avonds",
        ),
        (
            "Sinds twee weken, vooral s avonds, staat de muziek hard",
            "sinds twee weken, vooral 's avonds",
        ),
        ("Elke nacht rond 2 uur rijden er scooters door de straat", "elke nacht rond 2 uur"),
        ("De laatste tijd ligt er steeds glas op het fietspad", "de laatste tijd, steeds"),
        ("al drie dagen ligt er een kapotte fiets", "al drie dagen"),
        ("In de weekenden is het erg druk en rumoerig", "in de weekenden"),
    ],
)
def test_a_recurring_time_is_kept_as_said(text: str, said: str) -> None:
    assert parse_tijdstip(text, NOW) is None  # no single moment made up
    assert terugkerend_tekst(text) == said


@pytest.mark.parametrize(
    "text",
    [
        "De lamp is nog steeds kapot",
        "gisteravond om 11 uur was er lawaai",
        "Er ligt afval naast de container",
        "vorige week is de boom omgewaaid",
        "de laatste keer was het ook zo",
    ],
)
def test_no_recurring_time_where_there_is_none(text: str) -> None:
    assert terugkerend_tekst(text) is None


@pytest.mark.parametrize(
    "text,tekst,iso",
    [
        (
            "Sinds zaterdag ligt er afval naast de container",
            "sinds zaterdag 28 november",
            "2026-11-28",
        ),
        ("sinds gisteren ligt er een boom op de weg", "sinds gisteren (4 december)", "2026-12-04"),
        (
            "Al sinds donderdagavond knippert de lamp",
            "sinds eergisteren (3 december) in de avond",
            "2026-12-03",
        ),
        ("sinds 12 november ligt er afval", "sinds donderdag 12 november", "2026-11-12"),
    ],
)
def test_since_a_day_is_that_day_and_still_going_on(text: str, tekst: str, iso: str) -> None:
    found = parse_tijdstip(text, NOW)
    assert found is not None and found.doorlopend
    assert (found.tekst, found.start.date().isoformat()) == (tekst, iso)


def test_since_a_year_is_no_day() -> None:
    found = parse_tijdstip("ik woon hier sinds 2010 en gisteren lag er afval", NOW)
    assert found is not None and not found.doorlopend and found.tekst == "gisteren (4 december)"


async def start(text: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(clock, "now", lambda: NOW)
    dispatcher = CollectingDispatcher()
    state = tracker("melding_form", {}, user(text, intent="melding_doen"))
    events = await ActionMeldingStarten().run(dispatcher, state, DOMAIN)
    return {e["name"]: e["value"] for e in events}


@pytest.mark.parametrize(
    "text,tijdstip",
    [
        ("De buren maken al een week herrie in de tuin", {"tekst": "al een week"}),
        ("Elke avond staat er een scooter te ronken in het portiek", {"tekst": "elke avond"}),
        (
            "de afgelopen twee weken, vooral 's avonds, hangen jongeren bij de bankjes rond",
            {"tekst": "afgelopen twee weken, vooral 's avonds"},
        ),
        (
            "vanochtend rond 8 uur is er een lantaarnpaal omgereden",
            {"iso": "2026-12-05T08:00:00+01:00", "tekst": "vandaag rond 08:00"},
        ),
        (
            "Sinds zaterdag ligt er afval naast de container",
            {
                "iso": "2026-11-28T00:00:00+01:00",
                "tekst": "sinds zaterdag 28 november",
                "doorlopend": True,
            },
        ),
    ],
)
async def test_the_first_message_fills_the_time(
    text: str, tijdstip: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    slots = await start(text, monkeypatch)
    assert slots["tijdstip"] == tijdstip
    # The form takes it as it is and asks the next question, not the time.
    form = ValidateMeldingForm()
    state = tracker("melding_form", slots | {"requested_slot": "locatie"}, user("Kerkstraat 1"))
    state.events.extend({"event": "slot", "name": k, "value": v} for k, v in slots.items() if v)
    events, said = await run(form, state)
    assert "utter_hint_tijdstip" not in said
    assert slots_of(events).get("requested_slot") != "tijdstip"


# --- 3. what staff read -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,kept",
    [
        (
            "Goedemorgen, de lantaarnpaal voor mijn huis is kapot.",
            "de lantaarnpaal voor mijn huis is kapot.",
        ),
        (
            "Hallo Balie! Er ligt grofvuil naast de container.",
            "Er ligt grofvuil naast de container.",
        ),
        (
            "Geachte heer/mevrouw,\nDe stoep is verzakt. Met vriendelijke groet, Jan de Vries",
            "De stoep is verzakt.",
        ),
        (
            "Beste gemeente, er staat een auto zonder kenteken. Alvast bedankt!",
            "er staat een auto zonder kenteken.",
        ),
        ("De boom is omgewaaid mvg", "De boom is omgewaaid"),
        ("Er ligt afval bij de glasbak. Groetjes, Piet", "Er ligt afval bij de glasbak."),
        ("Hallo ik wil melden dat de lamp kapot is", "ik wil melden dat de lamp kapot is"),
        ("De lamp is kapot, dank u wel", "De lamp is kapot"),
        ("Beste, de put is verstopt. Gr. Anja", "de put is verstopt."),
        ("De lamp is kapot.\n\nMet vriendelijke groet,\nJan Jansen", "De lamp is kapot."),
        ("Goedenavond allemaal: de speeltuin is vernield", "de speeltuin is vernield"),
        # Content that looks like a greeting or closing stays.
        ("Dag en nacht staat de muziek hard", "Dag en nacht staat de muziek hard"),
        (
            "Bedankt voor het weghalen van de boom, maar nu ligt er weer afval",
            "Bedankt voor het weghalen van de boom, maar nu ligt er weer afval",
        ),
        ("Er ligt 500 gr afval op straat", "Er ligt 500 gr afval op straat"),
        ("De lamp is kapot, dank zij de storm", "De lamp is kapot, dank zij de storm"),
        (
            "Beste manier om dit op te lossen is de put te legen",
            "Beste manier om dit op te lossen is de put te legen",
        ),
    ],
)
def test_greetings_and_closings_are_stripped_at_the_edges(text: str, kept: str) -> None:
    assert zonder_aanhef_en_groet(text) == kept


@pytest.mark.parametrize("text", ["Goedemorgen!", "Hallo Balie,", "Alvast bedankt, Jan", "mvg"])
def test_only_a_greeting_is_no_description(text: str) -> None:
    assert zonder_aanhef_en_groet(text) == ""


async def test_the_description_staff_read_has_no_greeting(monkeypatch: pytest.MonkeyPatch) -> None:
    slots = await start(
        "Goedemiddag, er ligt al dagen een matras naast de container. Met vriendelijke groet, Els",
        monkeypatch,
    )
    assert slots["omschrijving"] == "er ligt al dagen een matras naast de container."
    form = ValidateMeldingForm()
    answer = "Beste gemeente,\nDe stoeptegels liggen los bij de school.\nAlvast bedankt!"
    events, said = await run(
        form, tracker("melding_form", {"requested_slot": "omschrijving"}, user(answer))
    )
    assert said == []
    assert slots_of(events)["omschrijving"] == "De stoeptegels liggen los bij de school."


async def test_a_greeting_alone_is_asked_for_a_description(monkeypatch: pytest.MonkeyPatch) -> None:
    slots = await start("Goedemorgen, ik wil graag iets melden", monkeypatch)
    assert slots["omschrijving"] is None
    form = ValidateMeldingForm()
    state = tracker(
        "melding_form", {"requested_slot": "omschrijving"}, user("Hallo Balie, goedemorgen!")
    )
    events, said = await run(form, state)
    assert said == ["utter_hint_omschrijving"]
    assert slots_of(events)["omschrijving"] is None
