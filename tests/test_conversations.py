"""Residents report, request and ask the status over the REST channel of the real stack.

Every scenario checks what the resident reads and the case that ends up in the
case system, through the Case API.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import aiohttp
import pytest

from core.settings import Settings
from tests.client import events, full_intent, say
from tests.images import jpeg_bytes

pytestmark = [pytest.mark.stack, pytest.mark.asyncio(loop_scope="session")]

IDENT_RE = re.compile(r"\b([MV]-\d{4}-\d{6})\b")
CODE_RE = re.compile(r"controlecode is ([A-Z0-9]{6})")


class Resident:
    """One conversation, as a resident has it."""

    def __init__(self, http: aiohttp.ClientSession, stack: Settings) -> None:
        self.http, self.stack = http, stack
        self.sender = f"inwoner-{uuid.uuid4().hex[:10]}"
        self.replies: list[dict[str, Any]] = []

    async def says(self, text: str, metadata: dict[str, Any] | None = None) -> str:
        self.replies = await say(self.http, self.stack, self.sender, text, metadata)
        return self.text

    @property
    def text(self) -> str:
        return "\n".join(r.get("text", "") for r in self.replies)

    @property
    def buttons(self) -> list[dict[str, str]]:
        return [b for r in self.replies for b in r.get("buttons", [])]

    async def clicks(self, title: str) -> str:
        button = next((b for b in self.buttons if b["title"] == title), None)
        assert button, f"no button {title!r} in {self.buttons}"
        return await self.says(button["payload"])

    async def intent(self) -> str:
        user = [e for e in await events(self.http, self.stack, self.sender) if e["event"] == "user"]
        return full_intent(user[-1]["parse_data"])


class CaseApi:
    def __init__(self, http: aiohttp.ClientSession, stack: Settings) -> None:
        self.http = http
        self.base = f"{stack.web_url}/api/v1"
        self.headers = {"Authorization": f"Bearer {stack.api_token()}"}

    async def get(self, ident: str) -> dict[str, Any]:
        async with self.http.get(f"{self.base}/cases/{ident}", headers=self.headers) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    async def find(self, text: str) -> list[dict[str, Any]]:
        params = {"zoek": text, "per_page": "50"}
        async with self.http.get(f"{self.base}/cases", headers=self.headers, params=params) as resp:
            assert resp.status == 200, await resp.text()
            return (await resp.json())["items"]

    async def patch(self, ident: str, status: str, toelichting: str) -> None:
        body = {"status": status, "toelichting": toelichting}
        async with self.http.patch(
            f"{self.base}/cases/{ident}", json=body, headers=self.headers
        ) as resp:
            assert resp.status == 200, await resp.text()

    async def stage_photo(self, data: bytes) -> str:
        headers = self.headers | {"Content-Type": "image/jpeg"}
        async with self.http.post(f"{self.base}/uploads", data=data, headers=headers) as resp:
            assert resp.status == 201, await resp.text()
            return (await resp.json())["upload_id"]

    async def callbacks(self) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.base}/terugbelverzoeken", headers=self.headers) as resp:
            return (await resp.json())["items"]


@pytest.fixture
def api(http, stack) -> CaseApi:
    return CaseApi(http, stack)


def receipt(text: str) -> tuple[str, str]:
    ident, code = IDENT_RE.search(text), CODE_RE.search(text)
    assert ident and code, text
    return ident.group(1), code.group(1)


async def test_aisha_submits_a_verzoek_and_later_asks_its_status(http, stack, api) -> None:
    aisha = Resident(http, stack)
    await aisha.says(
        "In de Schoolstraat wordt veel te hard gereden, terwijl het een 30 km zone is. "
        "Kunnen er drempels komen?"
    )
    assert await aisha.intent() == "verzoek_indienen"
    # Description and street came with the first message: only consent is asked.
    assert "contact" in aisha.text
    await aisha.clicks("Nee, liever niet")
    assert "Schoolstraat" in aisha.text and "drempels" in aisha.text
    ident, code = receipt(await aisha.clicks("Ja, versturen"))
    assert ident.startswith("V-")
    case = await api.get(ident)
    assert case["type"] == "verzoek" and case["status"] == "gemeld"
    assert case["locatie"]["straat"] == "Schoolstraat" and case["kanaal"] == "rest"
    assert "drempels" in case["onderwerp"] and case["contact"] is None

    await api.patch(
        ident, "in_behandeling", "We bekijken samen met de school welke maatregel past."
    )
    # A week later, from another device: the code is needed.
    later = Resident(http, stack)
    await later.says(f"hoe staat het met mijn verzoek {ident}")
    assert await later.intent() == "status_opvragen"
    assert "controlecode" in later.text
    answer = await later.says(code.lower())
    assert "in behandeling" in answer and "samen met de school" in answer
    # From the same conversation she made it in, she is recognised.
    own = await aisha.says(f"wat is de status van {ident.replace('-', '').lower()}")
    assert "in behandeling" in own and "controlecode" not in own


async def test_neighbour_reports_youth_nuisance_with_contact(http, stack, api) -> None:
    buur = Resident(http, stack)
    await buur.says(
        "bij het basketbalveldje hangen elke avond jongeren die herrie maken en troep achterlaten"
    )
    assert await buur.intent() == "melding_doen"
    assert "Jongerenoverlast" in [b["title"] for b in buur.buttons]
    await buur.clicks("Jongerenoverlast")
    assert "Waar is het" in buur.text
    await buur.says("bij het basketbalveldje in het park")
    assert "straat" in buur.text  # a landmark alone is not enough: which street?
    await buur.says("Sportlaan 4")
    # "elke avond" came with the first message: the time is not asked again.
    assert "Wanneer" not in buur.text and "foto" in buur.text
    # The channel stores the photo and passes its id along with the message.
    upload_id = await api.stage_photo(jpeg_bytes())
    await buur.says("[foto]", metadata={"foto": {"upload_id": upload_id}})
    await buur.clicks("Ja")
    await buur.says("mijn mail is buurman.jansen@example.nl")
    summary = buur.text
    assert "Sportlaan 4" in summary and "buurman.jansen@example.nl" in summary
    ident, _ = receipt(await buur.clicks("Ja, versturen"))
    case = await api.get(ident)
    assert case["categorie"] == "jongerenoverlast"
    assert case["locatie"]["straat"] == "Sportlaan" and case["locatie"]["huisnummer"] == "4"
    assert case["locatie"]["omschrijving"] == "bij het basketbalveldje in het park"
    assert "elke avond" in case["omschrijving"]
    assert case["contact"]["email"] == "buurman.jansen@example.nl"
    assert [b["content_type"] for b in case["bijlagen"]] == ["image/jpeg"]


async def test_what_was_said_once_is_understood_the_first_time(http, stack, api) -> None:
    kees = Resident(http, stack)
    await kees.says(
        "Goedemorgen, de afgelopen twee weken, vooral 's avonds, rijden er scooters over het "
        "fietspad in de Sportlaan. Met vriendelijke groet, Kees"
    )
    assert await kees.intent() == "melding_doen"
    await kees.clicks(kees.buttons[0]["title"])
    if "Waar is het" in kees.text or "Waar in de Sportlaan" in kees.text:
        await kees.says("Sportlaan 8")
    # The time came with the first message: never asked again.
    assert "Wanneer" not in kees.text and "foto" in kees.text
    await kees.clicks("Geen foto")
    summary = await kees.clicks("Nee, liever niet")
    assert "afgelopen twee weken, vooral 's avonds" in summary
    assert "Goedemorgen" not in summary and "vriendelijke groet" not in summary
    ident, code = receipt(await kees.clicks("Ja, versturen"))
    case = await api.get(ident)
    assert case["omschrijving"].startswith("de afgelopen twee weken")
    assert "Kees" not in case["omschrijving"] and "Goedemorgen" not in case["omschrijving"]
    assert "Wanneer: afgelopen twee weken, vooral 's avonds" in case["omschrijving"]
    assert case["tijdstip"] is None  # a stretch of time, not one made-up moment

    # Number and code in one message, any order and case: the code is not asked again.
    later = Resident(http, stack)
    spaced = ident.lower().replace("-", " ")
    answer = await later.says(
        f"mijn code is {code[:3].lower()}-{code[3:].lower()} en het nummer {spaced}"
    )
    assert f"De status van melding {ident}" in answer, answer
    assert "controlecode" not in answer
    first = Resident(http, stack)
    answer = await first.says(f"wat is de status van {ident} met code {code}?")
    assert f"De status van melding {ident}" in answer, answer


async def test_broken_street_light_gets_the_right_category(http, stack, api) -> None:
    inwoner = Resident(http, stack)
    await inwoner.says("de lantaarnpaal bij de ingang van het park is kapot")
    assert await inwoner.intent() == "melding_doen"
    assert "Straatverlichting" in inwoner.text
    await inwoner.says("ja klopt")
    await inwoner.says("Parkweg 1, 1234 AB")
    await inwoner.clicks("Weet ik niet")
    await inwoner.clicks("Geen foto")
    await inwoner.clicks("Nee, liever niet")
    # Not quite right: change the place before sending.
    assert "Dit is uw melding" not in await inwoner.clicks("Nee, iets aanpassen")
    assert "Wat wilt u aanpassen" in inwoner.text
    await inwoner.clicks("Locatie")
    assert "Parkweg 3" in await inwoner.says("Parkweg 3, 1234 AB")
    ident, _ = receipt(await inwoner.says("ja"))
    case = await api.get(ident)
    assert case["categorie"] == "straatverlichting-openbare-klok"
    assert case["locatie"]["postcode"] == "1234 AB" and case["locatie"]["huisnummer"] == "3"
    assert case["tijdstip"] is None


async def test_stop_cancels_the_form_without_a_case(http, stack, api) -> None:
    inwoner = Resident(http, stack)
    await inwoner.says("er ligt een enorme berg afval op de stoep voor de bibliotheek")
    await inwoner.says("Bibliotheekplein 2")
    before = await api.find("berg afval op de stoep voor de bibliotheek")
    reply = await inwoner.says("laat maar")
    assert "niets verstuurd" in reply
    assert await api.find("berg afval op de stoep voor de bibliotheek") == before == []
    # The conversation goes on normally afterwards.
    await inwoner.says("wanneer is het gemeentehuis open?")
    assert await inwoner.intent() == "faq/openingstijden"


async def test_a_question_mid_form_is_answered_and_the_form_resumes(http, stack, api) -> None:
    inwoner = Resident(http, stack)
    await inwoner.says("Er zit een groot gat in de weg bij de bushalte, gevaarlijk voor fietsers")
    await inwoner.clicks(inwoner.buttons[0]["title"])
    assert "Waar is het" in inwoner.text
    reply = await inwoner.says("wacht, eerst een vraag: wanneer is het gemeentehuis open?")
    assert "open" in reply and "Waar is het" in reply  # answered, then asked again
    await inwoner.says("Stationsweg 10")
    await inwoner.says("gisterochtend")
    await inwoner.clicks("Geen foto")
    await inwoner.clicks("Nee, liever niet")
    ident, _ = receipt(await inwoner.clicks("Ja, versturen"))
    case = await api.get(ident)
    assert case["locatie"]["straat"] == "Stationsweg" and case["tijdstip"]


async def test_wrong_code_and_unknown_case_get_the_same_answer(http, stack, api) -> None:
    maker = Resident(http, stack)
    await maker.says("Kan er een extra prullenbak komen bij het bankje aan de Vijverlaan?")
    await maker.clicks("Nee, liever niet")
    ident, code = receipt(await maker.clicks("Ja, versturen"))
    wrong = code[::-1] if code[::-1] != code else "ABCDEF"

    guesser = Resident(http, stack)
    await guesser.says(f"status van {ident}")
    wrong_answer = await guesser.says(wrong)
    other = Resident(http, stack)
    await other.says("status van V-2026-987654")
    unknown_answer = await other.says(wrong)
    # The same neutral answer; then the code is asked again for the number they typed.
    assert wrong_answer.splitlines()[0] == unknown_answer.splitlines()[0]
    assert "kan geen melding of verzoek vinden" in wrong_answer
    # Guessing is limited per conversation: after a few wrong codes even the right one is refused.
    answers = [await guesser.says(guess) for guess in ("ZZZZZZ", "YYYYYY", "XXXXXX", "WWWWWW")]
    assert "te vaak" in answers[-1]
    refused = await guesser.says(f"status van {ident}")
    assert "te vaak" in refused and "gemeld" not in refused


async def test_call_back_request_without_medical_details(http, stack, api) -> None:
    ouder = Resident(http, stack)
    await ouder.says("Ik wil graag iemand van het zorgloket spreken")
    assert await ouder.intent() == "medewerker_spreken"
    await ouder.clicks("Ja, bel mij terug")
    assert "niets over uw situatie" in ouder.text
    await ouder.says("Linda de Vries")
    await ouder.says("06-12345678")
    reply = await ouder.says("morgenochtend")
    assert "belt u terug" in reply
    callbacks = [c for c in await api.callbacks() if c["naam"] == "Linda de Vries"]
    assert len(callbacks) == 1 and callbacks[0]["telefoon"] == "+31612345678"


async def test_case_system_down_the_report_is_delivered_later_exactly_once(
    http, stack, api, case_system
) -> None:
    inwoner = Resident(http, stack)
    await inwoner.says("Er staat al drie dagen een fietswrak tegen het hek van de speeltuin")
    await inwoner.clicks(inwoner.buttons[0]["title"])
    await inwoner.says("Speeltuinstraat 3")
    await inwoner.says("maandag")
    await inwoner.clicks("Geen foto")
    await inwoner.clicks("Nee, liever niet")
    case_system.mode = "down"
    try:
        reply = await inwoner.clicks("Ja, versturen")
        assert "niet bereikbaar" in reply and "veilig bewaard" in reply
        assert CODE_RE.search(reply)
        await asyncio.sleep(3)
        assert await api.find("fietswrak tegen het hek van de speeltuin") == []
    finally:
        case_system.mode = "up"
    for _ in range(60):
        found = await api.find("fietswrak tegen het hek van de speeltuin")
        if found:
            break
        await asyncio.sleep(1)
    await asyncio.sleep(8)  # let any further retries happen: still one case
    found = await api.find("fietswrak tegen het hek van de speeltuin")
    assert len(found) == 1, found
    # The resident's own channel sees it, and the code it was given works.
    status = await inwoner.says("wat is de status van mijn melding?")
    assert found[0]["identificatie"] in status
