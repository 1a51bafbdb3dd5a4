"""Whether a melding is "already reported": the built-in search on SQLite and PostgreSQL,
extra reports and who follows a case, and the Case API routes (auth, bad input)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa
from aiohttp import web
from rasa_sdk.executor import CollectingDispatcher

from actions.duplicaat import ActionAskDuplicaat, datum_tekst
from actions.melding import ActionMeldingIndienen, ValidateMeldingForm
from core import nearby as rules_of
from core.caseapi.models import CaseIn, LocatieIn, NearbyIn, ReportIn
from core.clock import utcnow
from tests.client import events, say
from tests.conftest import make_settings
from tests.databases import sqlite_database
from tests.images import jpeg_bytes
from tests.local_server import serving
from tests.test_forms import DOMAIN, run, slots_of, tracker, user
from tests.test_guessing import action_server, action_settings
from tests.webapp import AUTH, TOKEN, client, serve
from webapp.api import STORE_KEY
from webapp.app import create_app
from webapp.cases import nearby
from webapp.cases.models import Case
from webapp.cases.store import CaseStore, Filters
from webapp.push import PUSHER_KEY

RULES = rules_of.NearbyRules()
# Molenweg 3 is in the extract (content/openbare_ruimte.csv): 52.007164, 5.017888.
MOLENWEG = {"straat": "Molenweg", "huisnummer": "3"}
LAMP = "straatverlichting-openbare-klok"


def melding(locatie: dict, categorie: str = "grofvuil", **extra) -> CaseIn:  # type: ignore[type-arg]
    return CaseIn.parse_obj(
        {
            "type": "melding",
            "omschrijving": "Er ligt een berg grofvuil naast de container.",
            "categorie": categorie,
            "locatie": locatie,
            "kanaal": "telegram",
            "melder": "telegram:1",
            **extra,
        }
    )


@pytest_asyncio.fixture
async def store(db_url):
    store = CaseStore.from_url(db_url)
    yield store
    await store.close()


async def found(store: CaseStore, locatie: dict, categorie: str = "grofvuil") -> list[str]:  # type: ignore[type-arg]
    cases = await nearby.find_open_nearby(store, categorie, LocatieIn(**locatie), RULES)
    return [c.identificatie for c in cases]


def test_typed_addresses_get_the_point_of_their_row() -> None:
    assert rules_of.point_of("Molenweg", "3", None) == (52.007164, 5.017888)
    assert rules_of.point_of("molenweg", "40", None) == (52.008203, 5.015324)  # even, 36-70
    assert rules_of.point_of(None, None, "2341 NW") == (52.00705, 5.017745)
    assert rules_of.point_of("Nergensweg", "1", None) is None
    assert 15 < rules_of.distance_m((52.007164, 5.017888), (52.00705, 5.017745)) < 17


async def test_same_street_postcode_or_radius_finds_the_open_melding(store) -> None:
    case, _, _ = await store.create(melding(MOLENWEG))
    # The typed address was given its point from the extract.
    assert (case.lat, case.lon) == (52.007164, 5.017888)
    ident = case.identificatie
    # Same street, a few numbers on; the same main category under another sub category.
    assert await found(store, {"straat": "molenweg", "huisnummer": "13"}) == [ident]
    assert await found(store, {"straat": "Molenweg", "huisnummer": "13"}, "huisafval") == [ident]
    # Too far up the street, and a shared point beyond the radius: not the same.
    assert await found(store, {"straat": "Molenweg", "huisnummer": "61"}) == []
    assert await found(store, {"lat": 52.0080, "lon": 5.0179}) == []
    # A shared point within 50 m, and the same postcode.
    assert await found(store, {"lat": 52.00730, "lon": 5.01800}) == [ident]
    other, _, _ = await store.create(melding({"postcode": "2341 AA", "straat": "Aan de Dijk"}))
    assert await found(store, {"postcode": "2341AA"}) == [other.identificatie]
    # Another main category, even at the same spot: not the same.
    assert await found(store, MOLENWEG, LAMP) == []


async def test_closed_old_and_verzoeken_are_left_out(store) -> None:
    old, _, _ = await store.create(melding(MOLENWEG))
    closed, _, _ = await store.create(melding(MOLENWEG))
    await store.create(CaseIn(type="verzoek", omschrijving="Een bankje bij Molenweg 3 graag"))
    await store.change_status(closed.identificatie, "afgehandeld", "Opgehaald.", "mia")
    async with store.sessions() as session, session.begin():
        await session.execute(
            sa.update(Case)
            .where(Case.id == old.id)
            .values(aangemaakt_op=utcnow() - timedelta(days=RULES.days + 1))
        )
    assert await found(store, MOLENWEG) == []
    wider = rules_of.NearbyRules(days=RULES.days + 2)
    cases = await nearby.find_open_nearby(store, "grofvuil", LocatieIn(**MOLENWEG), wider)
    assert [c.identificatie for c in cases] == [old.identificatie]


async def test_an_extra_report_counts_is_followed_and_is_idempotent(store) -> None:
    case, _, _ = await store.create(melding(MOLENWEG))
    upload = await store.stage_upload("vuil.jpg", "image/jpeg", jpeg_bytes())
    report = ReportIn(
        omschrijving="Nog steeds een berg vuil, nu ook matrassen.",
        kanaal="web",
        melder="web:abc",
        uploads=[upload.id, "verlopen-upload"],
    )
    added = await nearby.add_report(store, case.identificatie, report, idempotency_key="k1")
    again = await nearby.add_report(store, case.identificatie, report, idempotency_key="k1")
    assert added is not None and again is not None
    assert (added[1], again[1]) == (True, False) and again[0].melders == 2
    reports = await nearby.reports(store, case.identificatie)
    assert [(r.melder, r.kanaal) for r in reports] == [("web:abc", "web")]
    photos = await store.attachments(case.identificatie)
    assert [p.report_id for p in photos] == [reports[0].id]
    # The follower sees the status as its own reporter does; a stranger does not.
    assert await store.inzage(case.identificatie, melder="web:abc") is not None
    assert await store.inzage(case.identificatie, melder="web:other") is None
    assert await nearby.followers(store, case) == ["telegram:1", "web:abc"]
    await store.opt_out("telegram:1")
    assert await nearby.followers(store, case) == ["web:abc"]
    # Staff can sort by the number of reporters.
    single, _, _ = await store.create(melding({"postcode": "2341 AA"}))
    newest_first, _ = await store.list(nearby_filters())
    by_melders, _ = await store.list(nearby_filters(), by_melders=True)
    assert newest_first[0].identificatie == single.identificatie
    assert by_melders[0].identificatie == case.identificatie
    # A closed case takes no more reports.
    await store.change_status(case.identificatie, "geannuleerd", "Dubbel.", "mia")
    with pytest.raises(nearby.ReportRefused):
        await nearby.add_report(store, case.identificatie, report, idempotency_key="k2")
    assert await nearby.add_report(store, "M-2026-999999", report) is None


async def test_one_resident_reporting_twice_is_one_melder(store) -> None:
    """Their words are kept each time; the count staff sort by stays one per chat."""
    case, _, _ = await store.create(melding(MOLENWEG))  # by telegram:1
    ident = case.identificatie

    async def report(melder: str | None, key: str) -> int:
        text = ReportIn(omschrijving="Het ligt er nog steeds.", kanaal="web", melder=melder)
        added = await nearby.add_report(store, ident, text, idempotency_key=key)
        assert added is not None and added[1]
        return added[0].melders  # type: ignore[no-any-return]

    assert await report("web:buur", "k1") == 2
    assert await report("web:buur", "k2") == 2  # the same neighbour again, next day
    assert await report("telegram:1", "k3") == 2  # the first reporter, once more
    assert await report(None, "k4") == 3  # nobody to recognise: counted
    assert await report("telegram:2", "k5") == 4
    assert len(await nearby.reports(store, ident)) == 5  # every report kept
    assert await nearby.followers(store, case) == ["telegram:1", "web:buur", "telegram:2"]


def nearby_filters() -> Filters:
    return Filters(type="melding")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_case_api_routes(db_url, tmp_path) -> None:
    async with serve(db_url, tmp_path) as (_, settings):
        base = f"{settings.web_url}/api/v1"
        api = client(base)
        try:
            case = await api.create_case(_new_case())
            near = await api.open_nearby(
                NearbyIn(categorie="grofvuil", locatie=LocatieIn(lat=52.00716, lon=5.01789))
            )
            assert [c.identificatie for c in near] == [case.identificatie]
            # What the resident may see: status and date, nothing of who reported it.
            assert "melder" not in near[0].json() and "omschrijving" not in near[0].json()
            report = ReportIn(omschrijving="Ook bij mij om de hoek.", melder="rest:buur")
            seen = await api.add_report(case.identificatie, report, "sleutel-1")
            assert seen is not None and seen.identificatie == case.identificatie
            assert (await api.case(case.identificatie)).melders == 2  # type: ignore[union-attr]
            assert await api.add_report("M-2026-999999", report, "sleutel-2") is None
        finally:
            await api.close()
        async with aiohttp.ClientSession() as http:
            url = f"{base}/cases/nabij"
            body = {"categorie": "grofvuil", "locatie": MOLENWEG}
            async with http.post(url, json=body) as resp:
                assert resp.status == 401
            bad = [
                {"categorie": "bestaat-niet", "locatie": MOLENWEG},
                {"categorie": "grofvuil", "locatie": {}},
                {"categorie": "grofvuil", "locatie": {"lat": 52.0}},
                {"categorie": "grofvuil"},
                {"categorie": True, "locatie": MOLENWEG},
            ]
            for wrong in bad:
                async with http.post(url, json=wrong, headers=AUTH) as resp:
                    assert resp.status == 422, wrong
            async with http.post(url, data="{", headers=AUTH | _json()) as resp:
                assert resp.status == 400
            extra = f"{base}/cases/{case.identificatie}/meldingen"
            async with http.post(extra, json={"omschrijving": "Hier ook."}) as resp:
                assert resp.status == 401
            for wrong in (
                {"omschrijving": "x"},
                {"omschrijving": "Hier ook.", "uploads": [1]},
                {"omschrijving": "Hier ook.", "melder": "geen melder"},
                {"omschrijving": "Hier ook.", "tijdstip": "2999-01-01T00:00:00+01:00"},
            ):
                async with http.post(extra, json=wrong, headers=AUTH) as resp:
                    assert resp.status == 422, wrong
            await api_status(http, base, case.identificatie)
            async with http.post(extra, json={"omschrijving": "Hier ook."}, headers=AUTH) as resp:
                assert resp.status == 409


def _new_case():  # type: ignore[no-untyped-def]
    from core.caseapi.models import NewCase

    return NewCase(
        **melding(MOLENWEG).dict(exclude={"controlecode"}),
        controlecode="HX4T9B",
        idempotency_key="eerste",
    )


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


async def api_status(http: aiohttp.ClientSession, base: str, identificatie: str) -> None:
    body = {"status": "geannuleerd", "toelichting": "Dubbel gemeld."}
    async with http.patch(f"{base}/cases/{identificatie}", json=body, headers=AUTH) as resp:
        assert resp.status == 200


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_status_change_reaches_every_reporter_who_follows(db_url, tmp_path) -> None:
    pushed: list[tuple[str, str]] = []

    async def trigger(request: web.Request) -> web.Response:
        body = await request.json()
        pushed.append((request.match_info["sender"], body["entities"]["zaaknummer"]))
        return web.json_response({})

    rasa = web.Application()
    rasa.router.add_post("/conversations/{sender}/trigger_intent", trigger)
    async with serving(rasa) as port:
        async with serve(db_url, tmp_path, rasa_port=port) as (app, settings):
            store = app[STORE_KEY]
            case, _, _ = await store.create(melding(MOLENWEG))
            report = ReportIn(omschrijving="Hier ook, bij nummer 5.", melder="web:buur")
            await nearby.add_report(store, case.identificatie, report)
            async with aiohttp.ClientSession(headers=AUTH) as http:
                url = f"{settings.web_url}/api/v1/cases/{case.identificatie}"
                async with http.patch(url, json={"status": "in_behandeling"}) as resp:
                    assert resp.status == 200
                    assert (await resp.json())["melders"] == 2
            await app[PUSHER_KEY].close()  # waits for the pushes in the background
    assert sorted(pushed) == [("1", case.identificatie), ("buur", case.identificatie)]


# -- the melding form (actions/duplicaat.py), driven as the action server runs it ---------


@pytest_asyncio.fixture
async def balie(tmp_path, monkeypatch):
    """The web app on SQLite and the action server's Delivery reaching its Case API."""
    with sqlite_database(tmp_path) as url:
        async with serve(url, tmp_path) as (app, settings):
            actions = action_settings(
                tmp_path,
                outbox_url=f"sqlite:///{tmp_path / 'outbox.sqlite'}",
                web_port=settings.web_port,
                configured_api_token=TOKEN,
            )
            async with action_server(actions):
                yield app[STORE_KEY]


def asked_next(slots: dict, before: dict) -> str | None:  # type: ignore[type-arg]
    """The slot asked next: the form's choice, or when its slots are the domain's list,
    Rasa's (the first empty one, as rasa-sdk leaves it to Rasa then)."""
    if "requested_slot" in slots:
        return slots["requested_slot"]  # type: ignore[no-any-return]
    state = FORM | before | slots
    required = DOMAIN["forms"]["melding_form"]["required_slots"]
    return next((slot for slot in required if state.get(slot) is None), None)


FORM = {
    "omschrijving": "Er ligt een berg grofvuil naast de container.",
    "categorie": "grofvuil",
    "locatie": {"straat": "Molenweg", "huisnummer": "5"},
    "tijdstip": {"tekst": "onbekend"},
}


def form_state(slots: dict, message: dict):  # type: ignore[no-untyped-def,type-arg]
    return tracker("melding_form", FORM | slots, message)


async def test_a_resident_follows_a_melding_already_reported(balie) -> None:
    first, _, _ = await balie.create(melding(MOLENWEG))
    # The photo answer: the search runs and the question comes next.
    events, said = await run(
        ValidateMeldingForm(),
        form_state({"requested_slot": "fotos"}, user("geen foto", "ontkennen")),
    )
    slots = slots_of(events)
    assert slots["duplicaat_kandidaat"]["identificatie"] == first.identificatie
    assert asked_next(slots, {"fotos": []}) == "duplicaat" and said == []
    asked = {**slots, "fotos": [], "requested_slot": "duplicaat"}  # as Rasa asks it
    dispatcher = CollectingDispatcher()
    await ActionAskDuplicaat().run(dispatcher, form_state(asked, user("geen foto")), DOMAIN)
    question = dispatcher.messages[0]
    assert question["response"] == "utter_ask_duplicaat"
    assert question["identificatie"] == first.identificatie and question["status"] == "gemeld"
    assert question["datum"] == datum_tekst(first.aangemaakt_op.isoformat())
    # "Nee, het is iets anders": the form goes on to the contact question.
    events, _ = await run(ValidateMeldingForm(), form_state(asked, user("/ontkennen", "ontkennen")))
    assert slots_of(events)["duplicaat"] is False
    assert asked_next(slots_of(events), asked) == "contact_toestemming"
    # "Ja, houd me op de hoogte": the form ends; no new case, a report on the first.
    answer = user("/bevestigen", "bevestigen")
    events, _ = await run(ValidateMeldingForm(), form_state(asked, answer))
    chosen = slots_of(events)
    assert chosen["duplicaat"] is True and chosen["requested_slot"] is None
    dispatcher = CollectingDispatcher()
    done = form_state(asked | chosen, answer)
    events = await ActionMeldingIndienen().run(dispatcher, done, DOMAIN)
    assert [m["response"] for m in dispatcher.messages] == ["utter_duplicaat_gevolgd"]
    assert {e["name"]: e["value"] for e in events}["zaaknummer"] == first.identificatie
    case = await balie.get(first.identificatie)
    assert case.melders == 2
    total = (await balie.list(nearby_filters()))[1]
    assert total == 1  # no second case
    # The follower's chat sees the status, as the reporter's own does.
    assert await balie.inzage(first.identificatie, melder="rest:forms-test") is not None


async def test_nothing_nearby_asks_nothing(balie) -> None:
    await balie.create(melding(MOLENWEG, categorie=LAMP))
    events, _ = await run(
        ValidateMeldingForm(),
        form_state({"requested_slot": "fotos"}, user("geen foto", "ontkennen")),
    )
    slots = slots_of(events)
    assert slots["duplicaat"] is False and "identificatie" not in slots["duplicaat_kandidaat"]
    assert asked_next(slots, {"fotos": []}) == "contact_toestemming"


# -- over the real stack: a resident follows a melding already reported -----------------


@pytest.mark.stack
@pytest.mark.asyncio(loop_scope="session")
async def test_a_resident_follows_over_the_rest_channel(stack, http, case_system, tmp_path) -> None:
    """The session stack has "already reported?" off (tests/conftest.py): for this test
    the action server's Case API is a web app of its own, with it on."""
    data = tmp_path / "web"
    data.mkdir()
    with sqlite_database(tmp_path) as url:
        own = make_settings(
            data,
            configured_database_url=url,
            configured_api_token=stack.api_token(),
            configured_rasa_token=stack.rasa_token(),
            rasa_port=stack.rasa_port,
        )
        app = create_app(own)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, own.host, own.web_port).start()
        try:
            store = app[STORE_KEY]
            first_melder = f"rest:eerste-{uuid.uuid4().hex[:8]}"
            first, _, _ = await store.create(
                melding({"straat": "Parkweg", "huisnummer": "1"}, LAMP, melder=first_melder)
            )
            before, case_system.target = case_system.target, own.web_url
            try:
                await follow_over_rest(http, stack, store, own.web_url, first.identificatie)
            finally:
                case_system.target = before
        finally:
            await runner.cleanup()


async def follow_over_rest(http, stack, store: CaseStore, web_url: str, identificatie: str) -> None:  # type: ignore[no-untyped-def]
    sender = f"volger-{uuid.uuid4().hex[:8]}"

    async def says(text: str) -> list[dict]:  # type: ignore[type-arg]
        return await say(http, stack, sender, text)

    def text(replies: list[dict]) -> str:  # type: ignore[type-arg]
        return "\n".join(r.get("text", "") for r in replies)

    def click(replies: list[dict], title: str) -> str:  # type: ignore[type-arg]
        found = [b["payload"] for r in replies for b in r.get("buttons", []) if b["title"] == title]
        assert found, f"no button {title!r} in {replies}"
        return found[0]

    await says("de lantaarnpaal bij de ingang van het park is kapot")
    await says("ja klopt")
    replies = await says("Parkweg 1")
    replies = await says(click(replies, "Weet ik niet"))
    replies = await says(click(replies, "Geen foto"))
    asked = text(replies)
    assert f"al gemeld, onder nummer {identificatie}. De status is nu: gemeld." in asked
    assert "Wilt u berichten over die melding krijgen?" in asked
    replies = await says(click(replies, "Ja, houd me op de hoogte"))
    assert f"Uw melding is toegevoegd aan {identificatie}" in text(replies)
    case = await store.get(identificatie)
    assert case is not None and case.melders == 2
    assert (await store.list(Filters(type="melding")))[1] == 1  # no second case
    # Staff change the status: the follower's conversation hears it too.
    body = {"status": "ingepland", "toelichting": "Morgen komt de monteur."}
    headers = {"Authorization": f"Bearer {stack.api_token()}"}
    async with http.patch(
        f"{web_url}/api/v1/cases/{identificatie}", json=body, headers=headers
    ) as resp:
        assert resp.status == 200
    news = f"Er is nieuws over uw melding {identificatie}"
    said: list[str] = []
    for _ in range(60):  # pushed in the background: Rasa runs the conversation on
        said = [
            e.get("text") or "" for e in await events(http, stack, sender) if e["event"] == "bot"
        ]
        if any(news in t for t in said):
            break
        await asyncio.sleep(0.5)
    assert any(news in t and "Morgen komt de monteur." in t for t in said), said


async def test_the_search_comes_in_the_turn_the_place_becomes_known(balie) -> None:
    """Time and photo came with the first message: the place is the last answer, and
    the question about the case found is the very next one."""
    first, _, _ = await balie.create(melding(MOLENWEG))
    before = {"locatie": None, "fotos": ["foto-1"], "requested_slot": "locatie"}
    events, _ = await run(ValidateMeldingForm(), form_state(before, user("Molenweg 5")))
    slots = slots_of(events)
    assert slots["locatie"]["straat"] == "Molenweg"
    assert slots["duplicaat_kandidaat"]["identificatie"] == first.identificatie
    assert asked_next(slots, before) == "duplicaat"
