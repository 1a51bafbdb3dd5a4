"""Personal data in stored conversations: masked before Rasa writes it, real where it is needed.

The first part runs Balie's tracker store (rasa_plugins/tracker_store.py) on its own, on a
temporary SQLite database, with Dutch sentences full of personal data: nothing of it may
reach the `events` table in the clear, while what is not personal data (case numbers,
dates, times, streets of a melding) stays as it was. The second part is a resident of
the real running stack: the case system gets her real name, phone number and e-mail
address, the tracker database none of them, and the staff console shows them masked.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from core import ROOT
from core.db import create_engine, sync_url
from core.dutch.patterns import find_exact
from core.privacy import masking

SECRET = "test-secret-for-the-tracker-store"
CONTACT = {
    "naam": "Fenna Wijnbergen",
    "email": "fenna.wijnbergen@voorbeeld-mail.nl",
    "telefoon": "+31613572468",
}
# Names a resident typed into the call-back form during the conversation (she corrected it).
NAMES = ["Pieter-Jan van den Berg", "Ayşe Yılmaz"]
GEMEENTE = {"gemeente_telefoon": "14 0123", "gemeente_email": "info@lindewaard.example"}

# (what the resident typed, what of it must not be stored)
PERSONAL = [
    ("Mijn e-mailadres is jan.devries@example.nl", ["jan.devries"]),
    ("mail maar naar J.Bakker+gemeente@hotmail.com, dat lees ik vaker", ["bakker+gemeente"]),
    ("U kunt mij bellen op 06-24681357 na vijf uur", ["24681357"]),
    ("mijn nummer: 06 24 68 13 57", ["24 68 13 57"]),
    ("bel me op +31 6 1357 2468 als er iets is", ["1357 2468"]),
    ("Mijn vaste nummer is 020-7654321", ["7654321"]),
    ("overdag ben ik bereikbaar op 010 234 56 78", ["234 56 78"]),
    ("telefoon 0031 70 345 6789 (werk)", ["345 6789"]),
    ("of via 085 - 123 45 67", ["123 45 67"]),
    ("Dat is mijn Belgische gsm: +32 470 12 34 56", ["470 12 34 56"]),
    ("Mijn BSN is 111222333", ["111222333"]),
    ("burgerservicenummer 1234.56.782 van mijn moeder", ["1234.56.782"]),
    ("ons bsn: 2322 62 536", ["2322 62 536"]),
    ("Mijn rekeningnummer is NL91 ABNA 0417 1643 00", ["0417 1643"]),
    ("stort het terug op NL20INGB0001234567 graag", ["NL20INGB0001234567"]),
    ("Belgische rekening BE68 5390 0754 7034", ["5390 0754 7034"]),
    ("mijn iban is DE89 3704 0044 0532 0130 00", ["0532 0130"]),
    ("Ik woon op 3512 JE 14", ["3512 JE"]),
    ("postcode 2511CV, de brief kwam niet aan", ["2511CV"]),
    ("Mijn adres is Dorpsstraat 12, 7411 AB Deventer", ["7411 AB"]),
    ("mijn zoon (bsn 123456782) en ik wonen op 1011 AB 1a", ["123456782", "1011 AB"]),
    ("e-mail: k.el-amrani@gemeente-post.nl, tel. 06-87654321", ["el-amrani", "87654321"]),
    ("mijn naam is Fenna Wijnbergen", ["Fenna", "Wijnbergen"]),
    (
        "Fenna Wijnbergen, fenna.wijnbergen@voorbeeld-mail.nl, 06 13572468",
        ["Fenna", "Wijnbergen", "voorbeeld-mail", "13572468"],
    ),
    ("Met vriendelijke groet, Pieter-Jan van den Berg", ["Pieter-Jan", "van den Berg"]),
    ("groetjes, pieter-jan", ["pieter-jan"]),
    ("Dit is Ayşe Yılmaz, mijn mail is ayse.yilmaz@example.com", ["Ayşe", "Yılmaz", "yilmaz"]),
    ("Kan de heer Wijnbergen mij terugbellen?", ["Wijnbergen"]),
]
# Not personal data: stored exactly as typed.
HARMLESS = [
    "Wat is de status van M-2026-000042?",
    "mijn zaaknummer is m2026000042, ik wacht nog steeds",
    "Het gebeurde op 12-03-2026 om 14.30 uur",
    "gisteren rond 22:15 bij het speeltuintje",
    "De lantaarnpaal voor Kerkstraat 12 is al een week kapot",
    "bij huisnummer 45 ligt al 3 weken grofvuil",
    "in 2026 en 2027 zijn er 12 lantaarnpalen vervangen",
    "de bus van 14.30 naar de Parkweg 1 reed niet",
    "Er staan 250 fietsen bij Stationsplein 3",
    "wanneer is het gemeentehuis open op 5 mei?",
    "Is de milieustraat op zaterdag 1 juni open van 9.00 tot 16.00?",
    "ik heb 2 vragen over de afvalkalender van 2026",
]


@pytest.fixture(scope="module")
def domain():
    from rasa.shared.core.domain import Domain

    return Domain.load(ROOT / "domain.yml")


def tracker_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.sqlite'}"


@pytest.fixture
def store(domain, tmp_path):
    from rasa_plugins.tracker_store import MaskingTrackerStore

    return MaskingTrackerStore(domain=domain, host=tracker_url(tmp_path), secret=SECRET)


def rows(url: str, sender: str | None = None) -> list[Any]:
    engine = sa.create_engine(url)
    query = "SELECT sender_id, type_name, data FROM events"
    query += " WHERE sender_id = :sender ORDER BY id" if sender else " ORDER BY id"
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(query), {"sender": sender} if sender else {}))
    finally:
        engine.dispose()


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def assert_not_stored(stored: list[Any], secrets: list[str]) -> None:
    """Neither in the raw column nor in any string of its JSON (escaped characters)."""
    for row in stored:
        texts = [row.data, *strings(json.loads(row.data))]
        for secret in secrets:
            found = [t for t in texts if secret.lower() in t.lower()]
            assert not found, f"{secret!r} stored in a {row.type_name} event: {found[0]!r}"


def entities(text: str) -> list[dict[str, Any]]:
    return [
        {"entity": m.entity, "start": m.start, "end": m.end, "value": m.value}
        for m in find_exact(text)
    ]


async def a_turn(store, sender: str, text: str):
    """The resident says text inside the melding form; Balie repeats it in the summary."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    tracker = await store.get_or_create_tracker(sender)
    for name, value in GEMEENTE.items():
        tracker.update(SlotSet(name, value))
    for name in NAMES:
        tracker.update(SlotSet("naam", name))
    tracker.update(SlotSet("contact", CONTACT))
    tracker.update(
        UserUttered(
            text,
            {"name": "informeren", "confidence": 0.42},
            entities(text),
            parse_data={
                "intent": {"name": "informeren", "confidence": 0.42},
                "entities": entities(text),
                "text": text,
            },
            input_channel="rest",
        )
    )
    tracker.update(ActionExecuted("melding_form"))
    tracker.update(SlotSet("omschrijving", text))
    tracker.update(
        BotUttered(
            f"Dit is uw melding:\n- Wat: {text}",
            data={"buttons": [{"title": "Ja, versturen", "payload": "/bevestigen"}]},
            metadata={"utter_action": "utter_melding_samenvatting", "omschrijving": text},
        )
    )
    await store.save(tracker)
    return tracker


# --- the tracker store on its own ----------------------------------------------------------


def test_the_sentences_hold_real_personal_data() -> None:
    """The set is only worth something if its numbers would pass a real check."""
    assert len(PERSONAL) >= 25
    for bsn in ("111222333", "123456782", "232262536"):
        assert masking.elfproef(bsn)
    for iban in ("NL91ABNA0417164300", "NL20INGB0001234567", "BE68539007547034"):
        assert masking.iban_valid(iban)


@pytest.mark.parametrize(("text", "secrets"), PERSONAL, ids=[f"p{i}" for i in range(len(PERSONAL))])
async def test_personal_data_never_reaches_the_events_table(store, tmp_path, text, secrets):
    await a_turn(store, "inwoner", text)
    stored = rows(tracker_url(tmp_path))
    assert_not_stored(stored, secrets)
    # Nor anything of the contact details and names from the forms.
    assert_not_stored(stored, [CONTACT["email"], "13572468", "Fenna", "Pieter-Jan", "Yılmaz"])
    user = next(json.loads(r.data) for r in stored if r.type_name == "user")
    assert "[" in user["text"] and user["parse_data"]["text"] == user["text"]
    # Read back, the conversation has the real values where Rasa needs them.
    tracker = await store.retrieve("inwoner")
    assert tracker.get_slot("omschrijving") == text
    assert tracker.get_slot("contact") == CONTACT and tracker.get_slot("naam") == NAMES[-1]
    assert tracker.latest_message.text == user["text"]


@pytest.mark.parametrize("text", HARMLESS, ids=[f"h{i}" for i in range(len(HARMLESS))])
async def test_what_is_not_personal_data_is_stored_as_it_was(store, tmp_path, text):
    await a_turn(store, "inwoner", text)
    stored = [json.loads(r.data) for r in rows(tracker_url(tmp_path))]
    user = next(e for e in stored if e["event"] == "user")
    bot = next(e for e in stored if e["event"] == "bot")
    assert user["text"] == user["parse_data"]["text"] == text
    assert [e["value"] for e in user["parse_data"]["entities"]] == [
        e["value"] for e in entities(text)
    ]
    assert bot["text"] == f"Dit is uw melding:\n- Wat: {text}"
    assert bot["metadata"]["omschrijving"] == text
    omschrijving = next(e for e in stored if e["event"] == "slot" and e["name"] == "omschrijving")
    assert omschrijving["value"] == text  # nothing to hide: not encrypted either


async def test_slots_with_personal_data_are_encrypted_and_come_back(store, tmp_path) -> None:
    from rasa.shared.core.events import SlotSet

    tracker = await store.get_or_create_tracker("slots")
    values = {
        "contact": CONTACT,
        "naam": "Marieke Smit",
        "telefoon": "+31707654321",
        "locatie": {"straat": "Kerkstraat", "huisnummer": "12", "postcode": "7411 AB"},
        "omschrijving": "de stoep is kapot, bel mij op 06-24681357",
        "tijdstip": {"tekst": "gisteren om 14.30", "iso": "2026-03-12T14:30:00+01:00"},
        "categorie": "wegen-verkeer-straatmeubilair",
        "zaaknummer": "M-2026-000042",
        "gemeente_telefoon": "14 0123",
    }
    for name, value in values.items():
        tracker.update(SlotSet(name, value))
    tracker.update(SlotSet("locatie", {"straat": "Parkweg", "huisnummer": "1"}))
    await store.save(tracker)
    stored = {}
    for row in rows(tracker_url(tmp_path)):
        data = json.loads(row.data)
        if data["event"] == "slot":
            stored.setdefault(data["name"], []).append(data["value"])
    sealed = {"contact", "naam", "telefoon", "omschrijving"}
    for name in sealed:
        assert stored[name][0].startswith(masking.ENCRYPTED_PREFIX), name
    assert stored["locatie"][0].startswith(masking.ENCRYPTED_PREFIX)  # with a postcode
    assert stored["locatie"][1] == {"straat": "Parkweg", "huisnummer": "1"}  # without: as is
    for name in ("tijdstip", "categorie", "zaaknummer", "gemeente_telefoon"):
        assert stored[name] == [values[name]], name
    assert_not_stored(rows(tracker_url(tmp_path)), ["Marieke", "7654321", "24681357", "7411"])

    restored = await store.retrieve("slots")
    for name, value in values.items():
        if name != "locatie":
            assert restored.get_slot(name) == value, name
    full = await store.retrieve_full_tracker("slots")
    assert full.get_slot("contact") == CONTACT


async def test_another_key_empties_the_personal_slots_and_the_conversation_goes_on(
    domain, store, tmp_path
) -> None:
    from rasa_plugins.tracker_store import MaskingTrackerStore

    await a_turn(store, "sleutel", "bel mij op 06-24681357")
    other = MaskingTrackerStore(domain=domain, host=tracker_url(tmp_path), secret="another")
    tracker = await other.retrieve("sleutel")
    assert tracker is not None
    assert tracker.get_slot("contact") is None and tracker.get_slot("omschrijving") is None
    assert tracker.get_slot("gemeente_telefoon") == "14 0123"
    await a_turn(other, "sleutel", "nog een vraag")  # saving on top of it works
    assert (await other.retrieve("sleutel")).get_slot("omschrijving") == "nog een vraag"


async def test_a_name_given_later_is_masked_in_the_messages_before_it(store, tmp_path) -> None:
    from rasa.shared.core.events import BotUttered, SlotSet, UserUttered

    tracker = await store.get_or_create_tracker("later")
    tracker.update(UserUttered("Goedemiddag, u spreekt met Joris Hoekstra", {"name": "groeten"}))
    tracker.update(BotUttered("Goedemiddag! Waarmee kan ik helpen?"))
    await store.save(tracker)
    assert "Joris" in rows(tracker_url(tmp_path))[-2].data  # not known as a name yet

    tracker = await store.retrieve("later")
    tracker.update(UserUttered("Joris Hoekstra", {"name": "nlu_fallback"}))
    tracker.update(SlotSet("naam", "Joris Hoekstra"))
    await store.save(tracker)
    stored = rows(tracker_url(tmp_path))
    assert_not_stored(stored, ["Joris", "Hoekstra"])
    texts = [json.loads(r.data)["text"] for r in stored if r.type_name == "user"]
    assert texts == ["Goedemiddag, u spreekt met [naam]", "[naam]"]


async def test_the_municipalitys_own_details_are_not_masked(store, tmp_path) -> None:
    from rasa.shared.core.events import BotUttered, SlotSet

    tracker = await store.get_or_create_tracker("gemeente")
    for name, value in GEMEENTE.items():
        tracker.update(SlotSet(name, value))
    text = "U kunt de gemeente bellen op 14 0123 of mailen naar info@lindewaard.example."
    tracker.update(BotUttered(text, metadata={"utter_action": "utter_terugbellen_aanbieden"}))
    await store.save(tracker)
    bot = next(json.loads(r.data) for r in rows(tracker_url(tmp_path)) if r.type_name == "bot")
    assert bot["text"] == text


async def test_the_event_broker_gets_the_events_as_stored(domain, tmp_path) -> None:
    from rasa.core.tracker_store import TrackerStore, check_if_tracker_store_async
    from rasa.utils.endpoints import EndpointConfig

    from tests.brokers import CollectingBroker

    broker = CollectingBroker()
    # As Rasa builds it from endpoints.yml: the class by its path, `url` as host.
    config = yaml.safe_load((ROOT / "endpoints.yml").read_text())["tracker_store"]
    assert config["type"] == "rasa_plugins.tracker_store.MaskingTrackerStore"
    store = TrackerStore.create(
        EndpointConfig(url=tracker_url(tmp_path), type=config["type"], secret=SECRET),
        domain,
        broker,
    )
    assert type(store).__name__ == "MaskingTrackerStore"  # not Rasa's in-memory fallback
    assert check_if_tracker_store_async(store) and store.event_broker is broker
    await a_turn(store, "omroep", "mail mij op jan.devries@example.nl")
    kinds = [e["event"] for e in broker.published]
    assert "user" in kinds and "bot" in kinds and "slot" in kinds
    assert all(e["sender_id"] == "omroep" for e in broker.published)
    published = json.dumps(broker.published, ensure_ascii=False)
    assert "jan.devries" not in published and "Fenna" not in published
    assert "[e-mailadres]" in published
    # The next turn publishes only what is new: the nine events a_turn adds.
    before = len(broker.published)
    await a_turn(store, "omroep", "dank u")
    assert len(broker.published) - before == 9


async def test_rasas_fail_safe_wrapper_reads_and_writes_through_it(store, tmp_path) -> None:
    from rasa.core.tracker_store import FailSafeTrackerStore

    safe = FailSafeTrackerStore(store)
    await a_turn(safe, "veilig", "bel 06-24681357")
    assert (await safe.retrieve("veilig")).get_slot("contact") == CONTACT
    assert rows(tracker_url(tmp_path), "veilig")
    assert_not_stored(rows(tracker_url(tmp_path)), ["24681357"])


async def test_the_staff_console_reads_masked_text_and_no_slot_values(store, tmp_path) -> None:
    from webapp.staff.tracker import TrackerReader

    await a_turn(store, "console", "mijn naam is Fenna Wijnbergen, bel 06-24681357")
    # A row written before masking existed is masked when it is shown.
    engine = sa.create_engine(tracker_url(tmp_path))
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO events (sender_id, type_name, timestamp, data) "
                "VALUES ('console', 'bot', 1e10, :data)"
            ),
            {"data": json.dumps({"event": "bot", "text": "Genoteerd: piet@example.org"})},
        )
    engine.dispose()
    async_engine = create_engine(tracker_url(tmp_path))
    try:
        reader = TrackerReader(async_engine)
        summaries, _ = await reader.conversations()
        turns = await reader.conversation(summaries[0].first_id)
    finally:
        await async_engine.dispose()
    shown = "\n".join(t.text for t in turns)
    assert "[naam]" in shown and "[telefoonnummer]" in shown and "[e-mailadres]" in shown
    for secret in ("Fenna", "24681357", "piet@", masking.ENCRYPTED_PREFIX, "voorbeeld-mail"):
        assert secret not in shown


# --- the whole stack --------------------------------------------------------------------


@pytest.mark.stack
async def test_resident_gives_contact_details_the_case_gets_them_the_tracker_not(
    http, stack
) -> None:
    from tests.client import events, say
    from tests.staff_helpers import Client, create_users

    sender = f"privacy-{uuid.uuid4().hex[:10]}"
    naam, email, mobiel, vast = (
        "Fenna Wijnbergen",
        "fenna.wijnbergen@voorbeeld-mail.nl",
        "06 24 68 13 57",
        "070 345 6789",
    )

    async def says(text: str) -> list[dict[str, Any]]:
        return await say(http, stack, sender, text)

    def text_of(replies: list[dict[str, Any]]) -> str:
        return "\n".join(r.get("text", "") for r in replies)

    def button(replies: list[dict[str, Any]], title: str | None = None) -> str:
        buttons = [b for r in replies for b in r.get("buttons", [])]
        found = [b for b in buttons if title is None or b["title"] == title]
        assert found, f"no button {title!r} in {buttons}"
        return found[0]["payload"]

    replies = await says("Er zit een groot gat in de weg bij de bushalte, gevaarlijk voor fietsers")
    replies = await says(button(replies))  # the proposed category
    assert "Waar is het" in text_of(replies)
    await says("Stationsweg 10")
    replies = await says("gisterochtend")
    replies = await says(button(replies, "Geen foto"))
    replies = await says(button(replies, "Ja"))  # consent
    replies = await says(f"mijn naam is {naam}, mail {email} of bel {mobiel}")
    summary = text_of(replies)
    assert naam in summary and email in summary and "+31624681357" in summary
    # Sent in the next turn: from the conversation as Rasa read it back from the store.
    receipt = text_of(await says(button(replies, "Ja, versturen")))
    ident = re.search(r"\b(M-\d{4}-\d{6})\b", receipt)
    assert ident, receipt
    ident = ident.group(1)

    headers = {"Authorization": f"Bearer {stack.api_token()}"}
    async with http.get(f"{stack.web_url}/api/v1/cases/{ident}", headers=headers) as resp:
        case = await resp.json()
    contact = case["contact"]
    assert (contact["naam"], contact["email"], contact["telefoon"]) == (
        naam,
        email,
        "+31624681357",
    )
    # The status, asked in the same chat, needs no code.
    status = text_of(await says(f"wat is de status van {ident}"))
    assert "gemeld" in status and "controlecode" not in status

    # Then she asks to be called back: the name again, a landline this time.
    replies = await says("Ik wil graag iemand van de gemeente spreken")
    await says(button(replies, "Ja, bel mij terug"))
    await says(naam)
    await says(vast)
    assert "belt u terug" in text_of(await says("morgenochtend"))
    async with http.get(f"{stack.web_url}/api/v1/terugbelverzoeken", headers=headers) as resp:
        callbacks = [c for c in (await resp.json())["items"] if c["naam"] == naam]
    assert callbacks and callbacks[-1]["telefoon"] == "+31703456789"

    # The tracker database: none of it in the clear, personal slots encrypted.
    # Where the stack's Rasa writes (core/settings.py Settings.tracker_database_url; the stack
    # runs with BALIE_DATABASE_URL="").
    database = f"sqlite:///{stack.data_dir / 'balie.sqlite'}"
    url = sync_url(os.environ.get("BALIE_TRACKER_DATABASE_URL") or database)
    stored = rows(url.render_as_string(hide_password=False), sender)
    assert len(stored) > 20
    secrets = [naam, "Fenna", "Wijnbergen", email, "voorbeeld-mail", "24681357", "24 68 13 57"]
    assert_not_stored(stored, [*secrets, "3456789", "345 6789"])
    raw = "\n".join(r.data for r in stored)
    assert "[naam]" in raw and "[e-mailadres]" in raw and "[telefoonnummer]" in raw
    assert masking.ENCRYPTED_PREFIX in raw

    # Rasa reads the conversation back: working, with the real slot values.
    tracker_events = await events(http, stack, sender)
    contact_values = [
        e["value"] for e in tracker_events if e["event"] == "slot" and e["name"] == "contact"
    ]
    assert {"naam": naam, "email": email, "telefoon": "+31624681357"} in contact_values
    tracker_url = f"{stack.rasa_url}/conversations/{sender}/tracker"
    async with http.get(tracker_url, headers=stack.rasa_auth()) as resp:
        tracker = await resp.json()
    assert {"event": "slot", "name": "zaaknummer", "value": ident} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in tracker["events"]
    ]
    assert tracker["latest_message"]["text"] == "morgenochtend"
    assert not any(
        str(s.get("value", "")).startswith(masking.ENCRYPTED_PREFIX)
        for s in tracker_events
        if s["event"] == "slot"
    )

    # The staff console: masked, no encrypted blobs.
    await create_users(database, {"privacy-tom": ["trainer"]})
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        query = sa.text("SELECT MIN(id) FROM events WHERE sender_id = :sender")
        first = conn.execute(query, {"sender": sender}).scalar()
    engine.dispose()
    tom = Client(stack.web_url)
    try:
        await tom.login("privacy-tom")
        status_code, page = await tom.get(f"/staff/gesprekken/{first}")
    finally:
        await tom.close()
    assert status_code == 200
    assert "[naam]" in page and "[e-mailadres]" in page and ident in page
    for secret in ("Fenna", "Wijnbergen", "voorbeeld-mail", "24681357", "3456789", "enc:v1"):
        assert secret not in page
