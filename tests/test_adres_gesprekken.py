"""Addresses and form answers in real conversations over REST, checked in the Case API.

A bare answer to "Waar is het?" or "Wanneer was het?" is the answer, whatever the NLU
makes of it; streets are checked against Lindewaard's list (content/openbare_ruimte.csv).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.openbare_ruimte import straatlijst
from tests.test_conversations import CaseApi, Resident, receipt

pytestmark = [pytest.mark.stack, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture
def api(http, stack) -> CaseApi:
    return CaseApi(http, stack)


LIJST = straatlijst(Path(__file__).resolve().parent.parent / "content" / "openbare_ruimte.csv")
DESCRIPTIONS = [
    "Er ligt een grote berg grofvuil naast de container",
    "De lantaarnpaal brandt niet meer, het is daar erg donker",
    "Er zit een diep gat in het fietspad, gevaarlijk voor fietsers",
]


async def to_location_question(resident: Resident, description: str) -> None:
    await resident.says(description)
    if resident.buttons and "Waar is het" not in resident.text:
        await resident.clicks(resident.buttons[0]["title"])  # the proposed category
    assert "Waar is het" in resident.text, resident.text


async def finish(resident: Resident, api: CaseApi) -> dict:
    if "foto" in resident.text:
        await resident.clicks("Geen foto")
    await resident.clicks("Nee, liever niet")
    ident, _ = receipt(await resident.clicks("Ja, versturen"))
    return await api.get(ident)


@pytest.mark.parametrize(
    ("waar", "straat", "wanneer"),
    [
        ("Stationsweg", "Stationsweg", "vandaag"),
        ("Kortenhoeven", "Kortenhoeven", "gisteravond"),
        ("bij de Dreef", "De Dreef", "al weken"),
        ("hoogte", "Hoogte", "net"),
    ],
)
async def test_a_bare_street_and_a_bare_time_are_answers(
    http, stack, api, waar: str, straat: str, wanneer: str
) -> None:
    inwoner = Resident(http, stack)
    await to_location_question(inwoner, DESCRIPTIONS[0])
    reply = await inwoner.says(waar)
    assert "Wanneer was het" in reply, reply
    reply = await inwoner.says(wanneer)
    assert "foto" in reply, reply
    case = await finish(inwoner, api)
    assert case["locatie"]["straat"] == straat
    assert case["locatie"]["plaats"] == "Lindewaard"


async def test_the_house_number_after_bij_nummer_is_kept(http, stack, api) -> None:
    inwoner = Resident(http, stack)
    await to_location_question(inwoner, DESCRIPTIONS[1])
    await inwoner.says("Vogelzang bij nummer 9")
    await inwoner.says("gisteren")
    case = await finish(inwoner, api)
    ruimte = LIJST.zoek("Vogelzang")
    assert ruimte
    reeks = ruimte.reeks_van("9")
    assert case["locatie"]["straat"] == "Vogelzang" and case["locatie"]["huisnummer"] == "9"
    assert reeks and case["locatie"]["postcode"] == reeks.postcode


async def test_a_landmark_then_a_street_keeps_both(http, stack, api) -> None:
    inwoner = Resident(http, stack)
    await to_location_question(inwoner, DESCRIPTIONS[2])
    reply = await inwoner.says("bij het zebrapad voor de school")
    assert "straat" in reply, reply  # the landmark is kept, the street asked
    await inwoner.says("Ringweg")
    await inwoner.says("gisterochtend")
    case = await finish(inwoner, api)
    assert case["locatie"]["straat"] == "Ringweg"
    assert "zebrapad" in case["locatie"]["omschrijving"]


@pytest.mark.parametrize(("typed", "meant", "answer"), [("Ringwg 14", "Ringweg", "Ja")])
async def test_a_near_miss_is_confirmed(http, stack, api, typed, meant, answer) -> None:
    inwoner = Resident(http, stack)
    await to_location_question(inwoner, DESCRIPTIONS[0])
    reply = await inwoner.says(typed)
    assert f"Bedoelt u de {meant}?" in reply, reply
    assert {b["title"] for b in inwoner.buttons} == {"Ja", "Nee"}
    reply = await inwoner.clicks(answer)
    assert "Wanneer was het" in reply, reply
    await inwoner.says("weet ik niet")
    case = await finish(inwoner, api)
    assert case["locatie"]["straat"] == meant and case["locatie"]["huisnummer"] == "14"


async def test_no_to_a_near_miss_keeps_the_street_as_typed(http, stack, api) -> None:
    inwoner = Resident(http, stack)
    await to_location_question(inwoner, DESCRIPTIONS[1])
    assert "Bedoelt u de Stationsweg?" in await inwoner.says("stationstraat 5")
    await inwoner.clicks("Nee")
    await inwoner.says("vandaag")
    case = await finish(inwoner, api)
    assert case["locatie"]["straat"] == "Stationstraat" and case["locatie"]["huisnummer"] == "5"


async def test_a_postcode_with_a_number_is_shown_in_its_proper_form(http, stack, api) -> None:
    ruimte = LIJST.zoek("Kerkstraat")
    assert ruimte
    reeks = ruimte.reeksen[0]
    inwoner = Resident(http, stack)
    await to_location_question(inwoner, DESCRIPTIONS[0])
    await inwoner.says(f"{reeks.postcode.replace(' ', '').lower()} {reeks.van}")
    await inwoner.says("vandaag")
    await inwoner.clicks("Geen foto")
    summary = await inwoner.clicks("Nee, liever niet")
    assert f"Kerkstraat {reeks.van}, {reeks.postcode} Lindewaard" in summary, summary
    assert f"{reeks.van} {reeks.postcode}" not in summary
    ident, _ = receipt(await inwoner.clicks("Ja, versturen"))
    case = await api.get(ident)
    assert case["locatie"]["postcode"] == reeks.postcode
    assert case["locatie"]["huisnummer"] == str(reeks.van)


async def test_a_clear_question_still_interrupts_the_form(http, stack) -> None:
    inwoner = Resident(http, stack)
    await to_location_question(inwoner, DESCRIPTIONS[2])
    reply = await inwoner.says("hoe vraag ik een paspoort aan?")
    assert "Waar is het" in reply or "verder" in reply, reply
    assert "paspoort" in reply.lower(), reply
    reply = await inwoner.says("Vogelzang 3")
    assert "Wanneer was het" in reply, reply
