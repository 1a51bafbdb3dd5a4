"""Personal data at rest: controlecodes, contact details, shared points and file modes.

First the parts on their own: the tracker store masks a controlecode where the
conversation says it is one (Balie announced it, the status form asked for it) and
leaves ordinary Dutch words of the same shape alone; the outbox and the widget's
transcript are encrypted, on SQLite and PostgreSQL, and rows from before are upgraded
without losing a waiting report; files are the owner's only. Then a resident of the
real stack (SQLite, and a second stack on PostgreSQL) reports through the widget with
the case system down, hears the code, and someone asks the status with it: nothing of
it is stored or shown to staff in the clear, while the resident's reload shows it all.
"""

from __future__ import annotations

import json
import os
import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from actions.outbox import Outbox, entries
from core.db import create_engine, session_factory, sync_url
from core.privacy import masking, sealing
from core.privacy.permissions import secure_tree
from core.privacy.sealing import Sealer, personal_data_key
from core.settings import Settings
from tests.test_privacy import rows, tracker_url
from webapp.chat.log import BOT, RESIDENT, ChatLog

SECRET = "test-secret-for-data-at-rest"
CODE = "HX4T9B"  # never an ordinary word: it has a digit (see ORDINARY for those that are)
CONTACT = {
    "naam": "Fenna Wijnbergen",
    "email": "fenna@voorbeeld-mail.nl",
    "telefoon": "+31613572468",
}
CONTACT_SECRETS = ["Fenna", "Wijnbergen", "voorbeeld-mail", "13572468"]
# Six letters of the code alphabet, in capitals or after "code": ordinary Dutch all the same.
ORDINARY = [
    "De STRAAT bij het gemaal is afgesloten",
    "Wat is de code van de fietsenstalling?",
    "de code werkt niet meer, de poort blijft dicht",
    "de code is net weg uit mijn hoofd",
    "er zwerft een kat door de tuin, WAAKST u even mee?",
    "Het BEDRAG klopt niet op de aanslag",
    "kenteken 12-ABC-3 staat al weken op de stoep",
]


def sealer() -> Sealer:
    return Sealer(personal_data_key(SECRET.encode()))


def unsealed(text: str) -> str:
    """What is readable: without encrypted values (random letters that may spell anything)."""
    return masking.ENCRYPTED_RE.sub("", text)


def codes_in(text: str) -> list[str]:
    """Every way the code could be written down."""
    low = unsealed(text).lower()
    return [form for form in ("hx4t9b", "hx4 t9b", "hx4-t9b") if form in low]


@pytest.fixture
def store(tmp_path):
    from rasa.shared.core.domain import Domain

    from core import ROOT
    from rasa_plugins.tracker_store import MaskingTrackerStore

    domain = Domain.load(ROOT / "domain.yml")
    return MaskingTrackerStore(domain=domain, host=tracker_url(tmp_path), secret=SECRET)


def user(text: str, metadata: dict[str, Any] | None = None) -> Any:
    from rasa.shared.core.events import UserUttered

    parse = {"intent": {"name": "nlu_fallback", "confidence": 0.3}, "entities": [], "text": text}
    return UserUttered(text, parse["intent"], [], parse_data=parse, metadata=metadata)


# --- controlecodes in the tracker store ----------------------------------------------------


async def test_codes_are_masked_where_the_conversation_says_so(store, tmp_path) -> None:
    from rasa.shared.core.events import BotUttered, SlotSet

    # Balie announces a new case's code: the response's values say which one it is.
    tracker = await store.get_or_create_tracker("melder")
    tracker.update(user("ja, versturen"))
    tracker.update(
        BotUttered(
            f"Uw melding is geregistreerd onder nummer M-2026-000042. "
            f"Uw controlecode is {CODE}. Bewaar het nummer en de code goed.",
            metadata={
                "utter_action": "utter_zaak_aangemaakt",
                "identificatie": "M-2026-000042",
                "controlecode": CODE,
            },
        )
    )
    await store.save(tracker)

    # Someone else asks the status: the code comes before the form asks (not yet known to
    # be one), then as the answer to the form's question, in lower case with a space.
    tracker = await store.get_or_create_tracker("vrager")
    tracker.update(user(f"status M-2026-000042 {CODE.lower()}"))
    for text in ORDINARY:
        tracker.update(user(text))
    tracker.update(SlotSet("requested_slot", "controlecode"))
    tracker.update(BotUttered("Wat is de controlecode die u kreeg toen u M-2026-000042 indiende?"))
    await store.save(tracker)
    tracker = await store.retrieve("vrager")
    tracker.update(user("ik ben hem kwijt"))  # an answer, and no code: "ben hem" stays
    tracker.update(user("hx4 t9b"))
    tracker.update(SlotSet("controlecode", "hx4 t9b"))
    tracker.update(SlotSet("controlecode", CODE))
    tracker.update(SlotSet("requested_slot", None))
    tracker.update(user("BEDANKT"))  # the form is done: a code-shaped word is a word again
    # A code typed with the number, never the slot's (a wrong one): masked all the same.
    tracker.update(user("status van m 2026 000042, code 7qx-9pm"))
    tracker.update(user("V-2026-000004 en 7QX9PM"))
    await store.save(tracker)

    stored = rows(tracker_url(tmp_path))
    for row in stored:
        assert not codes_in(row.data), row.data
    texts = {
        json.loads(r.data).get("text") for r in stored if r.type_name in ("user", "bot") if r.data
    }
    assert "status M-2026-000042 [controlecode]" in texts  # masked once the code was known
    assert "[controlecode]" in texts
    assert "status van m 2026 000042, code [controlecode]" in texts
    assert "V-2026-000004 en [controlecode]" in texts
    assert any("Uw controlecode is [controlecode]." in (t or "") for t in texts)
    for text in [*ORDINARY, "BEDANKT", "ik ben hem kwijt"]:
        assert text in texts, text  # ordinary Dutch stays as it was
    slots = [json.loads(r.data) for r in stored if r.type_name == "slot"]
    code_slots = [s["value"] for s in slots if s["name"] == "controlecode" and s["value"]]
    assert code_slots and all(v.startswith(masking.ENCRYPTED_PREFIX) for v in code_slots)
    # The dialogue still has the real value.
    assert (await store.retrieve("vrager")).get_slot("controlecode") == CODE


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_dutch_is_no_code(text: str) -> None:
    assert masking.mask(text) == text
    assert masking.mask(text, codes=[CODE]) == text


def test_the_text_itself_can_say_it_is_a_code() -> None:
    assert masking.mask("mijn zaaknummer is m2026000042 en de code AB3D7K") == (
        "mijn zaaknummer is m2026000042 en de code [controlecode]"
    )
    assert masking.mask("Uw controlecode is K7P2QX.") == "Uw controlecode is [controlecode]."
    assert masking.mask("controlecode: ab3-d7k") == "controlecode: [controlecode]"
    assert masking.only_masked("M-2026-000042 [controlecode]")
    assert masking.only_masked("[controlecode]")
    assert not masking.only_masked("wat is de status van M-2026-000042?")


async def test_a_shared_point_is_coarsened_for_staff_and_precise_for_the_case(
    store, tmp_path
) -> None:
    from rasa.shared.core.events import BotUttered, SlotSet

    point = {"lat": 52.0907374, "lon": 5.1214201}
    tracker = await store.get_or_create_tracker("punt")
    tracker.update(user("Mijn locatie (gedeeld via de browser)", {"locatie": point}))
    tracker.update(SlotSet("locatie", point))
    tracker.update(
        BotUttered(
            "Dit is uw melding:\n- Waar: gedeelde locatie (52.09074, 5.12142)",
            metadata={"locatie": "gedeelde locatie (52.09074, 5.12142)"},
        )
    )
    await store.save(tracker)
    stored = [json.loads(r.data) for r in rows(tracker_url(tmp_path))]
    raw = json.dumps(stored)
    assert "52.0907" not in raw and "5.1214" not in raw
    message = next(e for e in stored if e["event"] == "user")
    assert message["metadata"]["locatie"] == {"lat": 52.091, "lon": 5.121}
    assert next(e for e in stored if e["event"] == "bot")["text"].endswith("(52.091, 5.121)")
    slot = next(e for e in stored if e["event"] == "slot" and e["name"] == "locatie")
    assert slot["value"].startswith(masking.ENCRYPTED_PREFIX)
    assert (await store.retrieve("punt")).get_slot("locatie") == point


# --- the outbox and the widget's transcript, on both databases -----------------------------


def raw_outbox(url: str) -> dict[str, Any]:
    engine = sa.create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            return {r.key: r for r in conn.execute(sa.select(entries))}
    finally:
        engine.dispose()


async def test_the_outbox_keeps_payloads_encrypted_and_drops_them_after_delivery(db_url) -> None:
    box = Outbox(create_engine(db_url), sealer())
    payload = {"type": "melding", "omschrijving": "gat", "controlecode": CODE, "contact": CONTACT}
    try:
        queued = await box.put("later", "case", payload, "s1")
        direct = await box.put("nu", "case", payload, "s1")
        raw = raw_outbox(db_url)
        for row in raw.values():
            assert row.payload.startswith(masking.ENCRYPTED_PREFIX)
            assert not codes_in(row.payload)
            assert not [s for s in CONTACT_SECRETS if s.lower() in unsealed(row.payload).lower()]
        assert (await box.get("later")).payload == payload  # the worker reads it all

        # Delivered right away: the action tells the code now, nothing personal stays.
        await box.delivered(direct, {"identificatie": "M-2026-000001"})
        assert (await box.get("nu")).payload == {"type": "melding"}
        # Delivered from the queue: the code stays until the resident has been told it.
        await box.delivered(queued, {"identificatie": "M-2026-000002"}, announce=True)
        later = await box.get("later")
        assert later.payload == {"type": "melding", "controlecode": CODE}
        await box.announced(later)
        assert (await box.get("later")).payload == {"type": "melding"}
        assert sealer().open(raw_outbox(db_url)["later"].payload) == {"type": "melding"}
    finally:
        await box.close()


async def test_outbox_rows_from_before_encryption_are_upgraded_and_not_lost(db_url) -> None:
    old = Outbox(create_engine(db_url), sealer())
    await old._setup()
    payload = {"type": "melding", "omschrijving": "gat", "controlecode": CODE, "contact": CONTACT}
    engine = sa.create_engine(sync_url(db_url))
    with engine.begin() as conn:
        for key, state in (("wacht", "pending"), ("klaar", "delivered"), ("fout", "rejected")):
            conn.execute(
                entries.insert().values(
                    key=key,
                    kind="case",
                    sender="s1",
                    payload=json.dumps(payload),  # as written before encryption
                    state=state,
                    attempts=0,
                    next_attempt=0.0,
                    created=1.0,
                )
            )
    engine.dispose()
    await old.close()

    box = Outbox(create_engine(db_url), sealer())  # an action server starting
    try:
        assert [e.key for e in await box.due()] == ["wacht"]  # the waiting report is there
        assert (await box.get("wacht")).payload == payload
        assert (await box.get("fout")).payload == payload
        assert (await box.get("klaar")).payload == {"type": "melding"}
        for row in raw_outbox(db_url).values():
            assert row.payload.startswith(masking.ENCRYPTED_PREFIX)
            assert not codes_in(row.payload) and "Fenna" not in unsealed(row.payload)
    finally:
        await box.close()


async def test_the_widget_transcript_is_encrypted_and_read_back(db_url) -> None:
    engine = create_engine(db_url)
    chat = ChatLog(session_factory(engine), sealer())
    try:
        conversation, _, _ = await chat.open(None)
        mine = f"ik ben {CONTACT['naam']}, bel {CONTACT['telefoon']}"
        theirs = f"Uw controlecode is {CODE}."
        await chat.append(conversation.id, RESIDENT, {"text": mine}, "m1")
        buttons = [{"title": "Ja", "payload": "/bevestigen"}]
        await chat.append(conversation.id, BOT, {"text": theirs, "buttons": buttons}, None)
        async with engine.connect() as conn:
            stored = list(await conn.execute(sa.text("SELECT bericht FROM chat_entries")))
        for (bericht,) in stored:
            assert bericht.startswith(masking.ENCRYPTED_PREFIX)
            assert unsealed(bericht) == ""
        assert [e.bericht["text"] for e in await chat.after(conversation.id, 0)] == [mine, theirs]
        assert await chat.offered(conversation.id, "/bevestigen")

        # A message stored before encryption: still read, then encrypted at start.
        async with engine.begin() as conn:
            await conn.execute(
                sa.text("UPDATE chat_entries SET bericht = :b WHERE seq = 1"),
                {"b": json.dumps({"text": mine})},
            )
        assert (await chat.after(conversation.id, 0))[0].bericht["text"] == mine
        assert await chat.seal_plain_rows() == 1
        assert await chat.seal_plain_rows() == 0
        assert (await chat.after(conversation.id, 0))[0].bericht["text"] == mine
        async with engine.connect() as conn:
            stored = list(await conn.execute(sa.text("SELECT bericht FROM chat_entries")))
        assert all(b.startswith(masking.ENCRYPTED_PREFIX) for (b,) in stored)
    finally:
        await engine.dispose()


# --- file modes ------------------------------------------------------------------------------


def loose_modes(root: Path) -> list[str]:
    """Everything under root that the group or others may read, write or enter."""
    found = []
    for path in [root, *root.rglob("*")]:
        info = path.lstat()
        if not stat.S_ISLNK(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
            found.append(f"{path.relative_to(root)} {oct(stat.S_IMODE(info.st_mode))}")
    return found


def test_existing_files_are_tightened_and_links_left_alone(tmp_path) -> None:
    data, elsewhere = tmp_path / "data", tmp_path / "elders.txt"
    (data / "logs").mkdir(parents=True)
    (data / "logs").chmod(0o755)
    data.chmod(0o755)
    for name, mode in (("balie.sqlite", 0o644), ("logs/web.log", 0o664), ("run.sh", 0o755)):
        (data / name).write_text("x")
        (data / name).chmod(mode)
    elsewhere.write_text("x")
    elsewhere.chmod(0o644)
    (data / "link").symlink_to(elsewhere)
    assert secure_tree(data) == 5
    assert loose_modes(data) == []
    assert stat.S_IMODE((data / "run.sh").stat().st_mode) == 0o700
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o644  # not ours to change
    assert secure_tree(data) == 0


# --- the whole stack --------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    settings: Settings
    database: str  # cases, conversations and widget transcripts
    outbox: str
    case_system: Any  # tests.fakes.proxy.SwitchableProxy


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def deployment(request, test_model, tmp_path_factory) -> Iterator[Deployment]:
    if request.param == "sqlite":
        stack: Settings = request.getfixturevalue("stack")
        tracker = os.environ.get("BALIE_TRACKER_DATABASE_URL")
        database = f"sqlite:///{stack.data_dir / 'balie.sqlite'}"
        if tracker:
            pytest.skip("the shared stack keeps conversations elsewhere")
        outbox = f"sqlite:///{stack.data_dir / 'outbox.sqlite'}"
        yield Deployment(stack, database, outbox, request.getfixturevalue("case_system"))
        return
    from tests.conftest import RunningStack, free_port, make_settings
    from tests.databases import postgres_database
    from tests.fakes.proxy import SwitchableProxy

    settings = make_settings(tmp_path_factory.mktemp("postgres-stack"))
    proxy = SwitchableProxy(settings.web_url, free_port()).start()
    try:
        with postgres_database() as url:
            env = {
                "BALIE_CASE_API_URL": f"{proxy.url}/api/v1",
                "BALIE_DATABASE_URL": url,
                "BALIE_TRACKER_DATABASE_URL": "",
                "BALIE_OUTBOX_URL": url,  # one outbox shared by a cluster's action servers
            }
            running = RunningStack(settings, test_model.path, env)
            running.wait_ready()
            try:
                yield Deployment(settings, url, url, proxy)
            finally:
                running.stop()
    finally:
        proxy.stop()


class WidgetResident:
    """A resident in the widget, over the WebSocket protocol a browser speaks."""

    def __init__(self, http: Any, settings: Settings) -> None:
        self.http, self.settings = http, settings
        self.ws: Any = None
        self.token: str | None = None
        self.buttons: list[dict[str, str]] = []

    async def connect(self) -> list[dict[str, Any]]:
        """(Re)load the page: the transcript as the widget shows it."""
        if self.ws is not None:
            await self.ws.close()
        url = f"{self.settings.web_url}/chat/ws"
        self.ws = await self.http.ws_connect(url, origin=self.settings.web_url)
        await self.ws.send_json({"type": "hello", "session": self.token, "after": 0})
        welcome = await self.ws.receive_json(timeout=30)
        assert welcome["type"] == "welcome", welcome
        self.token = welcome["session"]
        frames = []
        while (frame := await self.ws.receive_json(timeout=30))["type"] != "synced":
            frames.append(frame)
        return [f for f in frames if f["type"] == "message"]

    async def says(self, text: str, *, button: str | None = None) -> str:
        frame: dict[str, Any] = {"type": "message", "id": uuid.uuid4().hex, "text": text}
        if button is not None:
            found = [b for b in self.buttons if b["title"] == button]
            assert found, f"no button {button!r} in {self.buttons}"
            frame.update(text=found[0]["payload"], label=button, button=True)
        await self.ws.send_json(frame)
        replies = []
        while (got := await self.ws.receive_json(timeout=60)) != {"type": "typing", "on": False}:
            if got["type"] == "message" and got["from"] == "bot":
                replies.append(got)
        self.buttons = [b for r in replies for b in r.get("buttons", [])]
        return "\n".join(r.get("text", "") for r in replies)

    async def clicks(self, title: str) -> str:
        return await self.says("", button=title)

    def sender(self, database: str) -> str:
        """Rasa's conversation id of this widget conversation."""
        from webapp.chat.log import token_hash

        engine = sa.create_engine(sync_url(database))
        try:
            with engine.connect() as conn:
                return conn.execute(
                    sa.text("SELECT sender FROM chat_sessions WHERE id = :id"),
                    {"id": token_hash(self.token or "")},
                ).scalar_one()
        finally:
            engine.dispose()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def outbox_row(deployment: Deployment, marker: str) -> Any:
    """The outbox row of this test's melding (its description holds the marker)."""
    box = sealer_of(deployment)
    for row in raw_outbox(deployment.outbox).values():
        if marker in json.dumps(box.open_json(row.payload)):
            return row
    return None


def sealer_of(deployment: Deployment) -> Sealer:
    """The stack's key: BALIE_SECRET_KEY, or the key file in its data directory."""
    return sealing.sealer(deployment.settings)


async def eventually(check, what: str, seconds: int = 90):  # type: ignore[no-untyped-def]
    import asyncio

    for _ in range(seconds * 2):
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.5)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.mark.stack
@pytest.mark.asyncio(loop_scope="session")
async def test_a_report_and_a_status_lookup_leave_no_code_or_contact_in_the_clear(
    http, deployment: Deployment
) -> None:
    import re

    from tests.staff_helpers import Client, create_users
    from webapp.staff.inbox import Inbox
    from webapp.staff.tracker import TrackerReader

    marker = uuid.uuid4().hex[:8]
    naam, email, mobiel = "Fenna Wijnbergen", f"fenna.{marker}@voorbeeld-mail.nl", "06 24 68 13 57"
    secrets = ["Fenna", "Wijnbergen", email, "voorbeeld-mail", "24681357", "24 68 13 57"]
    stack = deployment.settings

    # A resident reports in the widget, with contact details, while the case system is down.
    melder = WidgetResident(http, stack)
    await melder.connect()
    omschrijving = f"Er zit een groot gat in de weg bij bushalte {marker}, gevaarlijk voor fietsers"
    await melder.says(omschrijving)
    await melder.clicks(melder.buttons[0]["title"])  # the proposed category
    await melder.says("Stationsweg 10")
    await melder.says("gisterochtend")
    await melder.clicks("Geen foto")
    await melder.clicks("Ja")  # consent to contact
    summary = await melder.says(f"mijn naam is {naam}, mail {email} of bel {mobiel}")
    assert naam in summary and email in summary
    deployment.case_system.mode = "down"
    try:
        queued = await melder.clicks("Ja, versturen")
        assert "veilig bewaard" in queued, queued
        code = re.search(r"controlecode is ([A-Z2-9]{6})", queued)
        assert code, queued
        code = code.group(1)
        # Waiting in the outbox: encrypted, though it holds the contact details and the code.
        pending = outbox_row(deployment, marker)
        assert pending is not None and pending.state == "pending"
        assert pending.payload.startswith(masking.ENCRYPTED_PREFIX)
        assert unsealed(pending.payload) == ""
        assert sealer_of(deployment).open(pending.payload)["contact"]["naam"] == naam
    finally:
        deployment.case_system.mode = "up"

    # Delivered later; the resident is told the number and code; then only "type" stays.
    async def announced() -> Any:
        row = raw_outbox(deployment.outbox).get(pending.key)
        done = row is not None and row.state == "delivered"
        return (
            row if done and "controlecode" not in sealer_of(deployment).open(row.payload) else None
        )

    delivered = await eventually(announced, "the delivered report to be announced")
    assert sealer_of(deployment).open(delivered.payload) == {"type": "melding"}
    ident = json.loads(delivered.result)["identificatie"]

    # A reload shows the resident their own words, the number and the code (the
    # announcement reaches the transcript just after the action has run).
    async def reloaded() -> str | None:
        transcript = "\n".join(f.get("text", "") for f in await melder.connect())
        return transcript if ident in transcript else None

    transcript = await eventually(reloaded, "the announcement in the transcript", seconds=30)
    assert f"mijn naam is {naam}, mail {email}" in transcript
    assert ident in transcript and code in transcript

    # Someone else asks the status with number and code (one wrong try, then lower case).
    vrager = WidgetResident(http, stack)
    await vrager.connect()
    asked = await vrager.says(f"wat is de status van {ident}?")
    assert "controlecode" in asked, asked
    wrong = "".join(reversed(code)) if code[::-1] != code else "K7P2QX"
    assert "kan geen" in (await vrager.says(wrong)).lower()
    status = await vrager.says(f"{code[:3].lower()} {code[3:].lower()}")
    assert ident in status and "gemeld" in status, status

    senders = [melder.sender(deployment.database), vrager.sender(deployment.database)]
    await melder.close()
    await vrager.close()

    def in_clear(texts: list[str]) -> list[str]:
        forms = [code, f"{code[:3]} {code[3:]}", wrong, *secrets]
        return [
            f"{s!r} in {t[:200]!r}"
            for t in map(unsealed, texts)
            for s in forms
            if s.lower() in t.lower()
        ]

    # Rasa's events: nothing of it.
    engine = sa.create_engine(sync_url(deployment.database))
    try:
        with engine.connect() as conn:
            stored = list(
                conn.execute(
                    sa.text("SELECT data FROM events WHERE sender_id IN (:a, :b)"),
                    {"a": senders[0], "b": senders[1]},
                )
            )
            transcripts = [
                r.bericht for r in conn.execute(sa.text("SELECT bericht FROM chat_entries"))
            ]
            first_ids = [
                conn.execute(
                    sa.text("SELECT MIN(id) FROM events WHERE sender_id = :s"), {"s": s}
                ).scalar()
                for s in senders
            ]
    finally:
        engine.dispose()
    assert len(stored) > 30
    assert in_clear([r.data for r in stored]) == []
    assert "[controlecode]" in "\n".join(r.data for r in stored)
    # The widget's transcript: all of it encrypted.
    assert transcripts and all(t.startswith(masking.ENCRYPTED_PREFIX) for t in transcripts)
    assert in_clear(transcripts) == []
    # The outbox, after delivery.
    assert in_clear([r.payload for r in raw_outbox(deployment.outbox).values()]) == []

    # What staff see: the conversations and the NLU inbox (every message counted as unsure).
    await create_users(deployment.database, {f"trainer-{marker}": ["trainer"]})
    trainer = Client(stack.web_url)
    try:
        await trainer.login(f"trainer-{marker}")
        pages = [(await trainer.get(f"/staff/gesprekken/{i}"))[1] for i in first_ids]
        inbox_page = (await trainer.get("/staff/inbox"))[1]
    finally:
        await trainer.close()
    assert all(ident in page for page in pages) and "[controlecode]" in pages[1]
    assert in_clear([*pages, inbox_page]) == []
    reader = create_engine(deployment.database)
    try:
        inbox = Inbox(TrackerReader(reader), session_factory(reader), threshold=1.01)
        items = await inbox.items(limit=5000)
    finally:
        await reader.dispose()
    texts = [i.masked for i in items if i.message.sender_id in senders]
    assert in_clear(texts) == []
    assert not [t for t in texts if masking.only_masked(t)]  # "[controlecode]" is no example
    assert any(marker in t for t in texts)  # the inbox did see this conversation

    # And every file of the stack is its owner's only.
    assert loose_modes(stack.data_dir) == []
    assert loose_modes(stack.models_dir) == []
    assert stat.S_IMODE(stack.data_dir.stat().st_mode) == 0o700
