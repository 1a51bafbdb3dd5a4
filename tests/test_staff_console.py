"""The staff console in the real web app (no Rasa): access, sessions, every page's work.

Each role gets exactly its pages: no login means the login page (or 401 for a form),
the wrong role means 403. Forms need the session's CSRF token. Five wrong passwords
make that name wait from that client address; unknown names get the same answers.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa

from core.caseapi.models import CallbackIn, CaseIn, ReportIn
from core.db import sync_url
from tests.browser import axe_violations, describe, launch
from tests.conftest import free_port
from tests.images import jpeg_bytes, png_bytes
from tests.staff_helpers import (
    PASSWORD,
    Client,
    create_users,
    fake_evaluation,
    fake_model,
    fake_staff_evaluation,
    settings_in,
    web_app,
)
from webapp.cases import nearby
from webapp.cases.store import CaseStore
from webapp.staff.config import StaffConfig
from webapp.staff.jobs import TRAIN, Jobs
from webapp.staff.registry import Registry
from webapp.staff.tracker import EVENTS
from webapp.staff.users import Users

pytestmark = pytest.mark.asyncio(loop_scope="session")

USERS = {
    "mia": ["medewerker"],
    "tom": ["trainer"],
    "bea": ["beheerder"],
    "lot": ["trainer"],  # gets locked out
    "uit": ["trainer"],  # logs out / is disabled
}
# Which role each part of the console needs (None: any logged-in user).
AREAS = [
    ("/staff/zaken", "medewerker"),
    ("/staff/kaart", "medewerker"),
    ("/staff/live", "medewerker"),
    ("/staff/terugbellen", "medewerker"),
    ("/staff/gesprekken", "trainer"),
    ("/staff/inbox", "trainer"),
    ("/staff/voorbeelden", "trainer"),
    ("/staff/training", "trainer"),
    ("/staff/modellen", "trainer"),
    ("/staff/overzicht", "trainer"),
    ("/staff/overzicht.csv", "trainer"),
    ("/staff/accounts", "beheerder"),
    ("/staff/wachtwoord", None),
    ("/staff/uitloggen", None),
]
SAMPLE_PARTS = {"identificatie": "M-2026-000001", "foto": "1", "id": "1", "naam": "onbekend"}


class Console:
    def __init__(self, base: str, settings, tmp: Path) -> None:  # type: ignore[no-untyped-def]
        self.base, self.settings, self.tmp = base, settings, tmp
        self.clients: list[Client] = []

    async def client(self, user: str | None = None, address: str | None = None) -> Client:
        client = Client(self.base, address)
        self.clients.append(client)
        if user:
            status, _ = await client.login(user)
            assert status == 200, f"{user} could not log in"
        return client


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def console(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Console]:
    tmp = tmp_path_factory.mktemp("console")
    port = free_port()
    settings = settings_in(
        tmp,
        port,
        staff=StaffConfig(data_file=tmp / "staff.yml"),
        # The tests play clients at other addresses through X-Forwarded-For.
        trusted_proxies=(ipaddress.ip_network("127.0.0.1"),),
    )
    async with web_app(settings, port) as base:
        await create_users(settings.database_url, USERS)
        found = Console(base, settings, tmp)
        yield found
        for client in found.clients:
            await client.close()


def console_routes(app_routes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(m, p) for m, p in app_routes if p.startswith("/staff/")]


@pytest.fixture(scope="module")
def routes() -> list[tuple[str, str]]:
    """(method, path) of every console route, with sample values for its parameters."""
    from webapp.app import create_app

    app = create_app(settings_in(Path("/nonexistent"), 1))
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        template = info.get("path") or info.get("formatter") or ""
        if route.method in ("GET", "POST") and template.startswith("/staff/"):
            path = re.sub(r"\{(\w+)(:[^}]*)?\}", lambda m: SAMPLE_PARTS[m[1]], template)
            found.append((route.method, path))
    assert len(found) > 25
    return found


def needed_role(path: str) -> str | None:
    if path in ("/staff/", "/staff/inloggen"):
        return None
    for prefix, role in AREAS:
        if path == prefix or path.startswith(prefix + "/"):
            return role
    raise AssertionError(f"{path}: add it to AREAS with the role it needs")


async def test_without_login_pages_redirect_and_forms_get_401(console: Console, routes) -> None:  # type: ignore[no-untyped-def]
    anonymous = await console.client()
    for method, path in routes:
        if path == "/staff/inloggen":
            continue
        if method == "GET":
            status, location = await anonymous.get(path, follow=False)
            assert status == 303 and location.startswith("/staff/inloggen"), (path, status)
        else:
            status, page = await anonymous.post(path, {})
            assert status == 401 and "Niet ingelogd" in page, (path, status)


@pytest.mark.parametrize("user", ["mia", "tom", "bea"])
async def test_every_page_checks_the_role(console: Console, routes, user: str) -> None:  # type: ignore[no-untyped-def]
    client = await console.client(user)
    roles = set(USERS[user])
    for method, path in routes:
        role = needed_role(path)
        if path in ("/staff/inloggen", "/staff/uitloggen"):
            continue
        allowed = role is None or role in roles or "beheerder" in roles
        if method == "GET":
            status, page = await client.get(path, follow=False)
        elif not allowed:
            status, page = await client.post(path, {})
        else:
            continue  # allowed forms are exercised by the tests below
        if allowed:
            assert status not in (401, 403) and status != 303, (user, path, status)
        else:
            assert status == 403 and "Geen toegang" in page, (user, path, status)


async def test_forms_need_the_csrf_token_of_the_session(console: Console) -> None:
    stranger = await console.client()
    status, page = await stranger.post(
        "/staff/inloggen", {"gebruikersnaam": "tom", "wachtwoord": PASSWORD}, csrf=False
    )
    assert status == 403 and "verlopen" in page
    tom = await console.client("tom")
    form = {"tekst": "is het stadhuis op zondag dicht", "intent": "faq/openingstijden"}
    status, _ = await tom.post("/staff/voorbeelden", form, csrf=False)
    assert status == 403
    status, _ = await tom.post(
        "/staff/voorbeelden", [*form.items(), ("csrf", "vervalst")], csrf=False
    )
    assert status == 403
    async with tom.http.post(
        tom.base + "/staff/voorbeelden",
        data={**form, "csrf": tom.csrf},
        headers={"Origin": "https://kwaadwillend.example"},
    ) as resp:
        assert resp.status == 403
    # Another user's token does not work either.
    other = await console.client("bea")
    status, _ = await tom.post(
        "/staff/voorbeelden", [*form.items(), ("csrf", other.csrf)], csrf=False
    )
    assert status == 403


async def test_session_cookie_is_httponly_samesite_strict_and_scoped(console: Console) -> None:
    client = await console.client()
    async with client.http.get(client.base + "/staff/inloggen") as resp:
        cookie = resp.headers["Set-Cookie"]
        assert resp.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert resp.headers["Cache-Control"] == "no-store"
    assert "balie_staff=" in cookie and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie and "Path=/staff" in cookie


async def test_wrong_passwords_make_that_name_wait_from_that_address_only(
    console: Console,
) -> None:
    guesser = await console.client(address="203.0.113.7")
    for attempt in range(5):
        status, page = await guesser.login("lot", "verkeerd-wachtwoord")
        assert status == 401 and "Onjuiste gebruikersnaam of wachtwoord" in page, attempt
    status, page = await guesser.login("lot")  # the right password: this address waits
    assert status == 401 and "Te veel mislukte pogingen" in page
    # Lot at her own desk is not locked out by someone guessing elsewhere.
    lot = await console.client(address="198.51.100.20")
    status, page = await lot.login("lot")
    assert status == 200 and "Welkom, lot" in page
    # The accounts page shows the wait; a beheerder lifts it.
    bea = await console.client("bea")
    status, page = await bea.get("/staff/accounts")
    assert "na mislukte pogingen" in page
    store = CaseStore.from_url(console.settings.database_url)
    try:
        lot_id = (await Users(store.sessions).by_name("lot")).id
    finally:
        await store.close()
    status, page = await bea.post(f"/staff/accounts/{lot_id}", {"actie": "ontgrendelen"})
    assert status == 200 and "is ontgrendeld" in page
    status, page = await guesser.login("lot")
    assert status == 200 and "Welkom, lot" in page


async def test_unknown_and_known_names_get_the_same_answers_after_the_same_work(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webapp.staff import passwords

    verified: list[str] = []
    real = passwords.verify_code

    async def counting(hashed: str, password: str) -> bool:
        verified.append(hashed)
        return await real(hashed, password)

    monkeypatch.setattr(passwords, "verify_code", counting)

    def same(page: str, name: str) -> str:
        page = re.sub(r'name="csrf" value="[^"]+"', "", page).replace(name, "NAAM")
        return re.sub(r"\d\d:\d\d", "HH:MM", page)  # a minute may turn in between

    known, unknown = (
        await console.client(address="192.0.2.1"),
        await console.client(address="192.0.2.1"),
    )
    for attempt in range(7):  # wrong passwords, then the waits
        before = len(verified)
        status_known, page_known = await known.login("tom", "verkeerd-wachtwoord")
        assert len(verified) == before + 1, attempt  # one argon2 check
        status_unknown, page_unknown = await unknown.login("niemand", "verkeerd-wachtwoord")
        assert len(verified) == before + 2, attempt
        assert status_known == status_unknown == 401
        assert same(page_known, "tom") == same(page_unknown, "niemand"), attempt
    assert "Te veel mislukte pogingen" in page_unknown


async def test_logout_ends_the_session_everywhere(console: Console) -> None:
    first, second = await console.client("uit"), await console.client("uit")
    copied = aiohttp.CookieJar(unsafe=True)
    copied.update_cookies(first.http.cookie_jar.filter_cookies(first.base + "/staff/"))
    status, page = await first.post("/staff/uitloggen", {})
    assert status == 200 and "U bent uitgelogd" in page
    for client in (first, second):
        status, location = await client.get("/staff/", follow=False)
        assert status == 303 and location.startswith("/staff/inloggen")
    async with aiohttp.ClientSession(cookie_jar=copied) as stolen:
        async with stolen.get(first.base + "/staff/", allow_redirects=False) as resp:
            assert resp.status == 303
    assert (await first.login("uit"))[0] == 200


async def test_beheerder_manages_accounts_and_it_is_logged(console: Console) -> None:
    bea = await console.client("bea")
    status, page = await bea.post(
        "/staff/accounts",
        [("gebruikersnaam", "nieuw"), ("wachtwoord", "kort"), ("rollen", "trainer")],
    )
    assert status == 400 and "minstens 12 tekens" in page
    status, page = await bea.post(
        "/staff/accounts",
        [("gebruikersnaam", "Nieuw"), ("wachtwoord", PASSWORD), ("rollen", "trainer")],
    )
    assert "Account &#39;nieuw&#39; is aangemaakt" in page
    nieuw = await console.client("nieuw")
    assert (await nieuw.get("/staff/inbox"))[0] == 200
    user_id = re.findall(
        r'<th scope="row">nieuw</th>\s*<td>\s*<form method="post" action="/staff/accounts/(\d+)"',
        page,
    )[0]
    await bea.post(f"/staff/accounts/{user_id}", [("actie", "rollen"), ("rollen", "medewerker")])
    assert (await nieuw.get("/staff/inbox"))[0] == 403  # roles count at once
    assert (await nieuw.get("/staff/zaken"))[0] == 200
    await bea.post(f"/staff/accounts/{user_id}", {"actie": "blokkeren"})
    assert (await nieuw.get("/staff/zaken", follow=False))[
        0
    ] == 303  # a disabled account's session ends
    assert (await nieuw.login("nieuw"))[0] == 401
    # The last beheerder cannot switch itself off.
    own = re.findall(
        r'<th scope="row">bea</th>\s*<td>\s*<form method="post" action="/staff/accounts/(\d+)"',
        page,
    )[0]
    status, page = await bea.post(f"/staff/accounts/{own}", {"actie": "blokkeren"})
    assert "minstens één actieve beheerder" in page
    status, page = await bea.get("/staff/accounts")
    assert "account_aangemaakt" in page and "account_blokkeren" in page


async def test_password_change(console: Console) -> None:
    store = CaseStore.from_url(console.settings.database_url)
    try:
        await Users(store.sessions).create("wim", PASSWORD, ["medewerker"])
    finally:
        await store.close()
    wim = await console.client("wim")
    status, page = await wim.post(
        "/staff/wachtwoord", {"huidig": "fout", "nieuw": "x" * 12, "herhaling": "x" * 12}
    )
    assert status == 400 and "huidige wachtwoord klopt niet" in page
    new = "nog-een-lang-wachtwoord-7"
    status, page = await wim.post(
        "/staff/wachtwoord", {"huidig": PASSWORD, "nieuw": new, "herhaling": new}
    )
    assert status == 200 and "Uw wachtwoord is gewijzigd" in page
    assert (await wim.get("/staff/zaken"))[0] == 200  # this session goes on
    assert (await (await console.client()).login("wim", new))[0] == 200


# --- cases ---------------------------------------------------------------------------------


async def make_case(console: Console, **extra) -> str:  # type: ignore[no-untyped-def]
    store = CaseStore.from_url(console.settings.database_url)
    try:
        data = {
            "type": "melding",
            "categorie": "straatverlichting-openbare-klok",
            "omschrijving": "De lantaarnpaal bij de speeltuin is kapot.",
            "locatie": {"straat": "Dorpsstraat", "huisnummer": "7", "lat": 52.1, "lon": 5.12},
            "kanaal": "telegram",
            "melder": "telegram:4242",
            "contact": {"naam": "Jan", "email": "jan@example.com"},
            **extra,
        }
        case, _, _ = await store.create(CaseIn.parse_obj(data))
        await store.add_attachment(case.identificatie, "lamp.jpg", "image/jpeg", jpeg_bytes())
        return case.identificatie
    finally:
        await store.close()


async def test_medewerker_finds_reads_and_handles_a_case(console: Console) -> None:
    identificatie = await make_case(console)
    other = await make_case(
        console, type="verzoek", categorie=None, kanaal="web", onderwerp="Bankje"
    )
    mia = await console.client("mia")
    _, page = await mia.get("/staff/zaken?type=melding&kanaal=telegram&status=gemeld")
    assert identificatie in page and other not in page
    _, page = await mia.get("/staff/zaken?zoek=speeltuin&categorie=straatverlichting-openbare-klok")
    assert identificatie in page
    _, page = await mia.get("/staff/zaken?vanaf=2999-01-01")
    assert identificatie not in page

    _, page = await mia.get(f"/staff/zaken/{identificatie.lower().replace('-', '')}")
    assert "Dorpsstraat 7" in page and "52.100000, 5.120000" in page and "jan@example.com" in page
    photo = re.search(rf'<img src="(/staff/zaken/{identificatie}/fotos/\d+)"', page)[1]
    async with mia.http.get(mia.base + photo) as resp:
        assert resp.status == 200 and resp.content_type == "image/jpeg"
        assert await resp.read() == jpeg_bytes()
    # Only transitions the lifecycle allows are offered.
    offered = re.findall(
        r'<option value="(\w+)">', page.split('id="status"')[1].split("</select>")[0]
    )
    assert offered == ["gemeld", "in_behandeling", "ingepland", "afgehandeld", "geannuleerd"]

    _, page = await mia.post(
        f"/staff/zaken/{identificatie}/status",
        {"status": "afgehandeld", "toelichting": "De lamp is vervangen."},
    )
    assert (
        "De status is nu &#39;afgehandeld&#39;" in page
        and "De melder krijgt hiervan bericht" in page
    )
    assert "De lamp is vervangen." in page and ">mia<" in page
    _, page = await mia.post(f"/staff/zaken/{identificatie}/status", {"status": "gemeld"})
    assert "Deze statuswijziging kan niet" in page
    status, _ = await mia.get("/staff/zaken/M-2026-999999")
    assert status == 404
    # The audit log says who changed what, from which status to which.
    _, page = await (await console.client("bea")).get("/staff/accounts")
    row = re.search(
        rf"<tr><td>[^<]+</td><td>mia</td><td>status_gewijzigd</td><td>{identificatie}</td>\s*<td>([^<]+)</td>",
        page,
    )
    assert row and row[1] == "van: gemeld; naar: afgehandeld"


async def test_medewerker_handles_call_back_requests(console: Console) -> None:
    store = CaseStore.from_url(console.settings.database_url)
    try:
        callback, _ = await store.create_callback(
            CallbackIn(naam="Fatima", telefoon="0612345678", onderwerp="parkeervergunning")
        )
    finally:
        await store.close()
    mia = await console.client("mia")
    _, page = await mia.get("/staff/terugbellen")
    assert "Fatima" in page and "parkeervergunning" in page
    _, page = await mia.post(f"/staff/terugbellen/{callback.id}", {"status": "gebeld"})
    assert "gebeld" in page and "Fatima" not in page  # no longer open
    _, page = await mia.get("/staff/terugbellen?status=gebeld")
    assert "Fatima" in page


# --- conversations, inbox, examples --------------------------------------------------------


def user_event(text: str, intent: str, confidence: float, topic: str | None = None) -> dict:
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "entities": [],
    }
    if intent == "nlu_fallback":
        parse["intent_ranking"].append({"name": "medewerker_spreken", "confidence": 0.25})
    if topic:
        parse["response_selector"] = {
            "faq": {"response": {"intent_response_key": topic, "confidence": 0.5}}
        }
    return {"event": "user", "text": text, "parse_data": parse, "input_channel": "telegram"}


def add_events(console: Console, sender: str, events: list[dict]) -> None:
    engine = sa.create_engine(sync_url(console.settings.database_url))
    EVENTS.metadata.create_all(engine)
    with engine.begin() as conn:
        for event in events:
            conn.execute(
                EVENTS.insert().values(
                    sender_id=sender,
                    type_name=event["event"],
                    timestamp=time.time(),
                    intent_name=(event.get("parse_data") or {}).get("intent", {}).get("name"),
                    data=json.dumps(event),
                )
            )
    engine.dispose()


async def test_trainer_reads_conversations_with_personal_data_masked(console: Console) -> None:
    add_events(
        console,
        "tg-1",
        [
            user_event("mijn bsn is 111222333 en mail naar piet@example.org", "informeren", 0.91),
            {
                "event": "bot",
                "text": "Dank u, piet@example.org",
                "metadata": {"utter_action": "utter_dank"},
            },
        ],
    )
    tom = await console.client("tom")
    _, page = await tom.get("/staff/gesprekken")
    conversation = re.findall(r'href="(/staff/gesprekken/\d+)"', page)[0]
    # Named by date, channel and first message, masked.
    name = re.search(rf'href="{conversation}">([^<]+)</a>', page)[1]
    assert "Telegram: “mijn bsn is [BSN] en mail naar [e-mailadres]”" in name
    assert re.match(r"\d\d-\d\d-\d{4} \d\d:\d\d, ", name) and "111222333" not in page
    _, page = await tom.get(conversation)
    assert "111222333" not in page and "piet@example.org" not in page
    assert "[BSN]" in page and "[e-mailadres]" in page
    assert 'Balie was zeker</span> <span class="secundair">(91,0%)</span>' in page
    assert "Algemene informatievraag" in page and "utter_dank" in page
    first = int(conversation.rsplit("/", 1)[1])
    assert (await tom.get(f"/staff/gesprekken/{first + 1}"))[0] == 404  # not a first event


async def test_conversation_reads_as_a_conversation(console: Console) -> None:
    def pressed(payload: str, intent: str, sleutel: str | None = None) -> dict:
        event = user_event(payload, intent, 1.0)
        if sleutel:
            event["parse_data"]["entities"] = [{"entity": "sleutel", "value": sleutel}]
        return event

    add_events(
        console,
        "tg-knoppen",
        [
            user_event("er is iets kapot in de straat", "verduidelijken", 0.5),
            {
                "event": "bot",
                "text": "Waar gaat uw melding over?",
                "data": {
                    "buttons": [
                        {"title": "Straatverlichting", "payload": '/kies{"categorie":"licht"}'},
                        {"title": "Afval", "payload": '/kies{"categorie":"afval"}'},
                    ]
                },
            },
            pressed('/kies{"categorie":"licht"}', "kies"),
            pressed('/faq{"sleutel":"pgb"}', "faq", "pgb"),  # no button offered: its label
            {
                "event": "user",
                "text": "EXTERNAL: EXTERNAL_status_gewijzigd",
                "parse_data": {"intent": {"name": "EXTERNAL_status_gewijzigd"}},
                "input_channel": "telegram",
            },
            {
                "event": "bot",
                "text": "Er is nieuws over uw melding M-1: de status is nu 'In behandeling'.",
                "metadata": {"utter_action": "utter_status_bericht"},
            },
        ],
    )
    tom = await console.client("tom")
    _, page = await tom.get("/staff/gesprekken")
    link = re.search(r'href="(/staff/gesprekken/\d+)">([^<]*er is iets kapot in de straat)', page)
    assert link, "the conversation is not named by its first message"
    _, page = await tom.get(link[1])
    assert "koos: <strong>Straatverlichting</strong>" in page
    assert "koos: <strong>Hoe het zit met een pgb</strong>" in page
    assert "statusbericht verstuurd" in page and "EXTERNAL" not in page
    assert "/kies" not in page and "zekerheid 1,00" not in page


async def test_trainer_works_through_the_inbox(console: Console) -> None:
    add_events(
        console,
        "tg-2",
        [
            user_event("kan ik een dakkapel plaatsen", "faq", 0.41, "faq/kapvergunning"),
            user_event("bel me op 0687654321 over de stoep", "nlu_fallback", 0.3),
            user_event("Kan ik een dakkapel plaatsen?", "faq", 0.38, "faq/kapvergunning"),
            user_event("/bevestigen", "bevestigen", 1.0),
            user_event("goedemorgen", "groeten", 0.97),
            user_event("openingstijden", "faq", 0.2, "faq/openingstijden"),
            user_event("wat moet ik hiermee", "hulp", 0.5),
        ],
    )
    tom = await console.client("tom")
    _, page = await tom.get("/staff/inbox")
    items = dict(
        (text, int(number))
        for number, text in re.findall(r'<h2 class="bericht" id="bericht-(\d+)">([^<]+)</h2>', page)
    )
    assert "/bevestigen" not in items and "goedemorgen" not in items
    assert "bel me op [telefoonnummer] over de stoep" in items
    assert "Kan ik een dakkapel plaatsen?" in items and "2 keer gevraagd" in page
    assert "kan ik een dakkapel plaatsen" not in items  # the same question: one item
    assert "Wil een medewerker spreken" in page and "Balie begreep het niet" in page
    # The trainer chooses: nothing is preselected, and no choice is not saved.
    assert 'value="" selected>Kies de juiste intentie' in page
    assert not re.search(r'<option value="[^"]+" selected', page)
    unchosen = f"/staff/inbox/{items['wat moet ik hiermee']}"
    _, refused = await tom.post(unchosen, {"actie": "opslaan"})
    assert "Kies eerst een intentie" in refused and ">wat moet ik hiermee<" in refused

    # Correct: the predicted FAQ topic was wrong.
    _, page = await tom.post(
        f"/staff/inbox/{items['Kan ik een dakkapel plaatsen?']}",
        {"intent": "faq/omgevingsvergunning", "actie": "opslaan"},
    )
    assert "Opgeslagen als voorbeeld voor “Omgevingsvergunning (vraag)”" in page
    # Confirm, with the phone number replaced by a stand-in. With it the sentence looks
    # more like Balie's examples of a phone number (informeren): saved once confirmed.
    phone = f"/staff/inbox/{items['bel me op [telefoonnummer] over de stoep']}"
    _, page = await tom.post(phone, {"intent": "medewerker_spreken", "actie": "opslaan"})
    assert "Weet u het zeker?" in page and "Algemene informatievraag" in page
    assert "0687654321" not in page and "bel me op 0612345678 over de stoep" in page
    _, page = await tom.post(
        phone, {"intent": "medewerker_spreken", "actie": "opslaan", "bevestigd": "ja"}
    )
    assert "bel me op 0612345678 over de stoep" in page  # the stand-in, not the resident's
    assert "Opgeslagen als voorbeeld" in page
    # Already an example under another intent: refused, stays in the inbox.
    _, page = await tom.post(
        f"/staff/inbox/{items['openingstijden']}", {"intent": "groeten", "actie": "opslaan"}
    )
    assert "staat al als voorbeeld onder “Openingstijden (vraag)” (faq/openingstijden)" in page
    _, page = await tom.post(f"/staff/inbox/{items['wat moet ik hiermee']}", {"actie": "verwerpen"})
    assert "verworpen" in page
    assert ">wat moet ik hiermee<" not in page and ">openingstijden<" in page

    staff_file = (console.tmp / "staff.yml").read_text()
    assert "- Kan ik een dakkapel plaatsen?" in staff_file and "0687654321" not in staff_file
    # Every decision is in the audit log, with the text as the trainer saw it (masked).
    _, page = await (await console.client("bea")).get("/staff/accounts")
    logged = re.findall(r"<td>tom</td><td>(inbox_\w+)</td><td>([^<]*)</td>", page)
    assert sorted(logged) == [
        ("inbox_bevestigd", "bel me op [telefoonnummer] over de stoep"),
        ("inbox_gecorrigeerd", "Kan ik een dakkapel plaatsen?"),
        ("inbox_verworpen", "wat moet ik hiermee"),
    ]
    assert "0687654321" not in page
    from webapp.staff.training import load_nlu

    examples = {
        (m.get("intent_response_key") or m.get("intent"), m.get("text"))
        for m in load_nlu([console.tmp / "staff.yml"]).intent_examples
    }
    assert ("faq/omgevingsvergunning", "Kan ik een dakkapel plaatsen?") in examples


async def test_trainer_adds_examples_and_a_faq_answer(console: Console) -> None:
    tom = await console.client("tom")
    status, page = await tom.post(
        "/staff/voorbeelden", {"tekst": "mail mij op kees@example.com", "intent": "informeren"}
    )
    assert status == 400 and "persoonsgegevens (e-mailadres)" in page
    status, page = await tom.post(
        "/staff/voorbeelden", {"tekst": "OPENINGSTIJDEN!", "intent": "faq/openingstijden"}
    )
    assert "stond al" in page
    status, page = await tom.post(
        "/staff/voorbeelden",
        {"tekst": "[zijn](straat) jullie er ook op zaterdag", "intent": "faq/openingstijden"},
    )
    assert "Voorbeeld toegevoegd" in page and "zijn jullie er ook op zaterdag" in page

    async def faq(key: str, answer: str, questions: str) -> tuple[int, str]:
        form = {"sleutel": key, "antwoord": answer, "vragen": questions}
        return await tom.post("/staff/voorbeelden/faq", form)

    status, page = await faq("hondenbelasting", "Zie {gemeente_website}.", "een\n")
    assert status == 400 and "minstens twee voorbeeldvragen" in page
    status, page = await faq(
        "hondenbelasting",
        "Voor elke hond betaalt u hondenbelasting. Kijk op {gemeente_website}.",
        "hoeveel hondenbelasting betaal ik\nmoet ik belasting betalen voor mijn hond",
    )
    assert "(faq/hondenbelasting) is opgeslagen" in page
    _, page = await tom.get("/staff/inbox")
    assert "faq/hondenbelasting" in page  # a label to choose from now
    _, page = await faq("openingstijden", "Altijd open, dag en nacht.", "a b\nc d")
    assert "Er is al een antwoord voor faq/openingstijden" in page

    from webapp.staff.training import load_nlu

    data = load_nlu([console.tmp / "staff.yml"])
    assert "utter_faq/hondenbelasting" in data.responses
    status, page = await tom.post(
        "/staff/voorbeelden/verwijderen",
        {"intent": "faq/openingstijden", "tekst": "zijn jullie er ook op zaterdag"},
    )
    assert "Voorbeeld verwijderd" in page and "zijn jullie er ook op zaterdag" not in page


# --- training jobs, models, the model server -----------------------------------------------


async def test_models_promotion_rule_and_rollback_in_the_console(console: Console) -> None:
    models = console.settings.models_dir
    registry = Registry(models)
    for name, score in (("oud", 0.80), ("beter", 0.85), ("slechter", 0.70)):
        registry.register(fake_model(models, name))
        fake_evaluation(models, name, score)
    registry.set_live("oud", door="test", actie="start")

    tom = await console.client("tom")
    _, page = await tom.get("/staff/modellen/slechter")
    worse = "scoort slechter dan het live model: gemiddelde score (macro-F1) 70,0% tegen 80,0%"
    assert worse in page
    assert "Toch live zetten" not in page  # only for a beheerder
    _, page = await tom.post("/staff/modellen/slechter/promoveren", {})
    assert "Niet gepromoveerd" in page and registry.live().name == "oud"

    _, page = await tom.get("/staff/modellen/beter")
    assert "scoort niet slechter" in page and "85,0%" in page and "80,0%" in page
    # No held-out staff examples scored yet: it says so, and how they come.
    assert "nog geen achtergehouden voorbeelden" in page
    # The confusion of full intents, FAQ topics included, as a table in Dutch.
    matrix = page[
        page.index('<table class="verwarring"') : page.index(
            "</table>", page.index('<table class="verwarring"')
        )
    ]
    assert (
        "<caption" in matrix
        and 'scope="row">Persoonsgebonden budget (pgb) (vraag) <code>faq/pgb</code>' in matrix
    )
    assert '<td class="goed niveau-5">8</td>' in matrix  # 8 of 10 right: darkest
    assert '<td class="fout niveau-2">2</td>' in matrix  # 2 of 10 to another topic
    assert "8 van 10" in matrix and "<img" not in page
    # The live model got a held-out staff example wrong that this one gets right.
    fake_staff_evaluation(models, "beter", [True, True, True])
    fake_staff_evaluation(models, "oud", [True, False, True])
    _, page = await tom.get("/staff/modellen/beter")
    assert "+33,3 punt op uw nieuwe voorbeelden" in page
    assert "3 van de 3 goed (100,0%), het live model 2 (66,7%)" in page
    assert "piet1@example.org" not in page and "[e-mailadres]" in page
    assert "fout: Melding openbare ruimte" in page
    assert "+5,0 punt" in page  # per intent, with a decimal comma
    _, page = await tom.post("/staff/modellen/beter/promoveren", {})
    assert "Model beter is nu live" in page and registry.live().name == "beter"

    bea = await console.client("bea")
    _, page = await bea.get("/staff/modellen/slechter")
    assert "Toch live zetten" in page
    _, page = await bea.post("/staff/modellen/slechter/promoveren", {"overrulen": "ja"})
    assert "Geef een reden" in page and registry.live().name == "beter"
    _, page = await bea.post(
        "/staff/modellen/slechter/promoveren", {"overrulen": "ja", "reden": "noodgeval"}
    )
    assert "scores overruled" in page and registry.live().name == "slechter"
    assert registry.history()[0]["overruled"] and registry.history()[0]["door"] == "bea"

    _, page = await tom.post("/staff/modellen/terugdraaien", {})
    assert "model beter is weer live" in page and registry.live().name == "beter"
    _, page = await tom.get("/staff/modellen")
    assert "teruggedraaid" in page and "noodgeval" in page


async def test_model_server_answers_rasa_with_etags(console: Console) -> None:
    url = console.base + "/models/live.tar.gz"
    token = console.settings.api_token()
    registry = Registry(console.settings.models_dir)
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            assert resp.status == 401
        async with http.get(url, headers={"Authorization": "Bearer fout"}) as resp:
            assert resp.status == 401
        auth = {"Authorization": f"Bearer {token}"}
        registry.register(fake_model(console.settings.models_dir, "eerste"))
        registry.set_live("eerste", door="test")
        async with http.get(url, headers=auth) as resp:
            assert resp.status == 200 and resp.headers["filename"] == "eerste.tar.gz"
            etag = resp.headers["ETag"]
            assert await resp.read() == registry.get("eerste").file.read_bytes()
        async with http.get(url, headers={**auth, "If-None-Match": etag}) as resp:
            assert resp.status == 304
        registry.register(fake_model(console.settings.models_dir, "tweede"))
        registry.set_live("tweede", door="test")
        async with http.get(url, headers={**auth, "If-None-Match": etag}) as resp:
            assert resp.status == 200 and resp.headers["ETag"] != etag
            assert resp.headers["filename"] == "tweede.tar.gz"


async def test_training_job_page_shows_progress_and_only_one_job_runs(console: Console) -> None:
    jobs = Jobs(console.settings.data_dir / "staff" / "jobs", console.settings.models_dir)
    job = jobs.create(TRAIN, "tom")
    tom = await console.client("tom")
    _, page = await tom.get(f"/staff/training/{job.id}")
    assert "Wachten op start" not in page and "Voorbereiden" in page
    job.note("Beoordelen van model x.")
    job.update(
        pid=__import__("os").getpid(),
        stage="trainen",
        label="Trainen: onderdeel 3 van 10",
        percent=40,
        verwacht=360,
    )
    _, page = await tom.get(f"/staff/training/{job.id}")
    assert 'value="40"' in page and "Trainen: onderdeel 3 van 10" in page
    assert "Een training duurt meestal ongeveer 6 minuten; nog ongeveer 6 minuten" in page
    phases = re.findall(r"<li[^>]*>(\w+)<span", page[page.index('class="fasen"') :])
    assert phases == ["Voorbereiden", "Trainen", "Beoordelen"]
    assert re.search(r'<li aria-current="step">Trainen<span class="sr-only">: bezig', page)
    assert re.search(r"\d\d:\d\d:\d\d \[balie\] Beoordelen van model x.", page)
    async with tom.http.get(f"{tom.base}/staff/training/{job.id}/status") as resp:
        state = await resp.json()
    assert state["status"] == "bezig" and state["percent"] == 40
    assert [f["stand"] for f in state["fasen"]] == ["gedaan", "bezig", "nog niet"]
    assert "duurt meestal ongeveer 6 minuten" in state["stand"]
    _, page = await tom.post("/staff/training", {})
    assert "Er loopt al een training" in page  # nothing was started
    job.update(
        status="mislukt",
        fout="rasa train stopte met code 1: InvalidConfigException",
        klaar_op=time.time(),
    )
    _, page = await tom.get(f"/staff/training/{job.id}")
    assert "De taak is mislukt" in page and "InvalidConfigException" in page
    assert "Er is niets veranderd aan het live model" in page
    done = jobs.create(TRAIN, "tom")
    done.update(status="klaar", stage="klaar", klaar_op=done.state().gestart + 312)
    _, page = await tom.get(f"/staff/training/{done.id}")
    assert "Klaar na 5 min 12 s." in page and "duurt meestal" not in page


async def test_overview_for_trainers_and_beheerders_only(console: Console) -> None:
    add_events(
        console,
        "web-overzicht",
        [
            user_event("mag mijn kat op de maan", "nlu_fallback", 0.2),
            user_event("mag mijn hond op de maan", "nlu_fallback", 0.2),
            user_event("openingstijden", "faq", 0.9, "faq/openingstijden"),
        ],
    )
    for name in ("tom", "bea"):
        client = await console.client(name)
        status, page = await client.get("/staff/overzicht?per=week&kanaal=telegram")
        assert status == 200 and "Overzicht" in page
        assert "faq/openingstijden" in page and "mag mijn kat op de maan" in page
        assert "/staff/overzicht/gesprekken.svg?per=week&amp;kanaal=telegram" in page
        status, svg = await client.get("/staff/overzicht/gesprekken.svg")
        assert status == 200 and "<svg" in svg
        status, text = await client.get("/staff/overzicht.csv")
        assert status == 200 and "onderwerp,faq/openingstijden" in text
        assert (await client.get("/staff/overzicht?per=jaar"))[0] == 400
        assert (await client.get("/staff/overzicht?van=gisteren"))[0] == 400
    mia = await console.client("mia")
    for path in ("/staff/overzicht", "/staff/overzicht.csv", "/staff/overzicht/gesprekken.svg"):
        assert (await mia.get(path))[0] == 403


async def test_trainer_pages_pass_axe_in_chromium(console: Console) -> None:
    """The overview with its chart, a model page with its heat map, a job's progress and
    a conversation."""
    from playwright.async_api import async_playwright

    add_events(console, "web-axe", [user_event("mag mijn vis op de maan", "nlu_fallback", 0.2)])
    models = console.settings.models_dir
    registry = Registry(models)
    for name, score in (("axe-live", 0.8), ("axe-nieuw", 0.82)):
        registry.register(fake_model(models, name))
        fake_evaluation(models, name, score)
    registry.set_live("axe-live", door="test")
    fake_staff_evaluation(models, "axe-nieuw", [True, True, False, True])
    fake_staff_evaluation(models, "axe-live", [False, True, False, True])
    jobs = Jobs(console.settings.data_dir / "staff" / "jobs", console.settings.models_dir)
    job = jobs.create(TRAIN, "tom")
    job.update(status="klaar", stage="klaar", percent=100, klaar_op=job.state().gestart + 300)
    add_events(console, "web-axe-gesprek", [user_event("hoi", "groeten", 0.9)])
    tom = await console.client("tom")
    _, listing = await tom.get("/staff/gesprekken")
    conversation = re.findall(r'href="(/staff/gesprekken/\d+)"', listing)[0]
    problems: list[str] = []
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            page = await browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if "Content" in m.text else None)
            page.on("response", lambda r: problems.append(r.url) if r.status >= 400 else None)
            await page.goto(console.base + "/staff/inloggen")
            await page.fill("#gebruikersnaam", "tom")
            await page.fill("#wachtwoord", PASSWORD)
            await page.click("button[type=submit]")
            await page.goto(console.base + "/staff/overzicht")
            # The chart is an <img> from a console route: it loads under the strict CSP.
            assert await page.evaluate("document.querySelector('main img, img').naturalWidth") > 0
            violations = await axe_violations(page)
            assert violations == [], describe(violations)
            for path in ("/staff/modellen/axe-nieuw", f"/staff/training/{job.id}", conversation):
                await page.goto(console.base + path)
                violations = await axe_violations(page)
                assert violations == [], f"{path}: {describe(violations)}"
        finally:
            await browser.close()
    assert problems == []


async def test_medewerker_sees_and_sorts_by_the_number_of_reporters(console: Console) -> None:
    followed = await make_case(console, omschrijving="Een kapotte lamp op de hoek.")
    single = await make_case(console, omschrijving="Nog een lamp, later gemeld.")
    store = CaseStore.from_url(console.settings.database_url)
    try:
        upload = await store.stage_upload("hoek.png", "image/png", png_bytes())
        report = ReportIn(
            omschrijving="Hier ook donker, bel me op 06-12345678.",
            kanaal="web",
            melder="web:buur",
            uploads=[upload.id],
        )
        await nearby.add_report(store, followed, report)
    finally:
        await store.close()
    mia = await console.client("mia")
    _, page = await mia.get("/staff/zaken?zoek=lamp")
    assert page.index(single) < page.index(followed)  # newest first
    assert "2 melders" in page and "1 melder<" in page
    _, page = await mia.get("/staff/zaken?zoek=lamp&sorteer=melders")
    assert page.index(followed) < page.index(single)
    assert '<strong aria-current="true">meeste melders eerst</strong>' in page
    _, page = await mia.get(f"/staff/zaken/{followed}")
    extra = page.split('id="meldingen"')[1].split("<h2>")[0]
    # The second report with its own photo; the phone number masked, the chat not shown.
    assert "Hier ook donker" in extra and "12345678" not in extra and "web:buur" not in extra
    assert re.search(rf'<img src="/staff/zaken/{followed}/fotos/\d+"', extra)
    # Both reporters hear a status change.
    _, page = await mia.post(f"/staff/zaken/{followed}/status", {"status": "in_behandeling"})
    assert "De 2 melders krijgen hiervan bericht" in page
