"""The durable outbox and its worker: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from actions import delivery as delivery_module
from actions import outbox as outbox_module
from actions.backends.base import (
    BackendRejected,
    BackendUnavailable,
    CaseStatus,
    Locatie,
    NewCase,
)
from actions.delivery import Delivery
from actions.outbox import Entry, Outbox, run_worker
from actions.settings import ActionSettings
from core.codes import new_code
from core.db import create_engine
from core.privacy.sealing import sealer
from core.settings import Settings

SETTINGS = Settings(secret_key="test-secret-outbox")


def open_outbox(url: str) -> Outbox:
    return Outbox(create_engine(url), sealer(SETTINGS))


@pytest.fixture
async def outbox(tmp_path):
    box = open_outbox(f"sqlite:///{tmp_path / 'outbox.sqlite'}")
    yield box
    await box.close()


async def test_an_entry_is_stored_once_per_key(outbox) -> None:
    first = await outbox.put("k1", "case", {"omschrijving": "a"}, "sender-1")
    again = await outbox.put("k1", "case", {"omschrijving": "b"}, "sender-1")
    assert first.payload == again.payload == {"omschrijving": "a"}
    assert [e.key for e in await outbox.pending_for("sender-1")] == ["k1"]


async def test_failures_back_off_and_rejections_are_kept(outbox, monkeypatch) -> None:
    await outbox.put("k1", "case", {}, None)
    await outbox.put("k2", "case", {}, None)
    assert await outbox.due() == []  # leased to the submitting action for a while
    now = datetime.now(timezone.utc).timestamp()
    monkeypatch.setattr(outbox_module, "_now", lambda: now + outbox_module.LEASE + 1)
    assert {e.key for e in await outbox.due()} == {"k1", "k2"}
    await outbox.failed("k1", "down")
    await outbox.failed("k1", "down", retry_after=120)
    await outbox.rejected("k2", "bad category")
    entry = await outbox.get("k1")
    assert entry.attempts == 2 and entry.state == "pending" and entry.last_error == "down"
    assert await outbox.due() == []  # backing off now
    assert (await outbox.get("k2")).state == "rejected"
    assert await outbox.counts() == {"pending": 1, "rejected": 1}


async def test_the_worker_retries_until_delivered_then_stops(outbox, monkeypatch) -> None:
    monkeypatch.setattr(outbox_module, "FIRST_RETRY", 0.05)
    monkeypatch.setattr(outbox_module, "LEASE", 0)
    await outbox.put("k1", "case", {"n": 1}, "s")
    await outbox.put("k2", "case", {"n": 2}, "s")
    calls: list[str] = []
    notified: list[str] = []

    async def deliver(entry: Entry) -> dict:
        calls.append(entry.key)
        if entry.key == "k2":
            raise BackendRejected("never valid")
        if calls.count("k1") < 3:
            raise BackendUnavailable("down")
        return {"identificatie": "M-2026-000001"}

    async def notify(entry: Entry, result: dict) -> None:
        notified.append(entry.key)

    worker = asyncio.ensure_future(run_worker(outbox, deliver, notify, interval=0.02))
    for _ in range(200):
        if notified:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)
    worker.cancel()
    assert calls.count("k1") == 3 and calls.count("k2") == 1
    assert notified == ["k1"]
    assert (await outbox.get("k1")).result == {"identificatie": "M-2026-000001"}


async def test_action_servers_sharing_one_outbox_deliver_each_entry_once(
    db_url, monkeypatch
) -> None:
    """A cluster's action servers run a worker each on the same table (BALIE_OUTBOX_URL)."""
    monkeypatch.setattr(outbox_module, "LEASE", 0.5)
    boxes = [open_outbox(db_url) for _ in range(2)]
    keys = [f"k{i}" for i in range(12)]
    for key in keys:
        await boxes[0].put(key, "case", {"key": key}, "s")
    await asyncio.sleep(0.6)  # the submitting actions' leases run out: all due now
    delivered: list[str] = []
    notified: list[str] = []

    async def deliver(entry: Entry) -> dict:
        delivered.append(entry.key)
        await asyncio.sleep(0.05)  # a slow case system: the other worker looks meanwhile
        return {"identificatie": entry.key}

    async def notify(entry: Entry, result: dict) -> None:
        notified.append(entry.key)

    workers = [
        asyncio.ensure_future(run_worker(box, deliver, notify, interval=0.01)) for box in boxes
    ]
    for _ in range(300):
        if len(notified) >= len(keys):
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)
    for worker in workers:
        worker.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    assert sorted(delivered) == sorted(keys) and sorted(notified) == sorted(keys)
    assert await boxes[1].counts() == {"delivered": len(keys)}
    for box in boxes:
        await box.close()


class OneCaseSystem:
    """A case system that keeps the code of the first submission, as Balie's own does."""

    name = "fake"

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        self.down = False

    async def create_case(self, case):  # type: ignore[no-untyped-def]
        if self.down:
            raise BackendUnavailable("down")
        self.codes.setdefault(case.idempotency_key, case.controlecode)
        return CaseStatus(
            identificatie="M-2026-000042",
            type="melding",
            status="gemeld",
            aangemaakt_op=datetime.now(timezone.utc),
        )


@pytest.mark.parametrize("first_down", [False, True])
async def test_a_repeated_submission_announces_the_code_the_case_has(
    outbox, first_down: bool
) -> None:
    """Rasa retries an action, or a resident confirms twice: same key, a new random code
    in the retry's case. The resident must never hear a code the case does not have."""
    cases = OneCaseSystem()
    delivery = Delivery(cases, None, outbox, SETTINGS)  # type: ignore[arg-type]

    def case() -> NewCase:
        return NewCase(
            type="melding",
            omschrijving="Lantaarnpaal bij de school is kapot.",
            kanaal="web",
            controlecode=new_code(),
            idempotency_key="melding-same",
            categorie="straatverlichting-openbare-klok",
            locatie=Locatie(straat="Schoolstraat"),
        )

    cases.down = first_down
    first = await delivery.submit_case(case(), "sender-1")
    assert first.state == ("queued" if first_down else "delivered")
    cases.down = False
    again = await delivery.submit_case(case(), "sender-1")
    assert again.state == "delivered"
    assert first.controlecode == cases.codes["melding-same"]
    if first_down:  # queued, never told with a number: the stored code
        assert again.controlecode == first.controlecode
    else:  # told already and dropped from the outbox: no code rather than a wrong one
        assert again.controlecode is None


def test_the_outbox_is_a_file_in_the_data_directory_unless_configured(tmp_path) -> None:
    data = {"BALIE_DATA_DIR": str(tmp_path)}
    assert ActionSettings.from_env(data).outbox_url == f"sqlite:///{tmp_path / 'outbox.sqlite'}"
    own = {"BALIE_OUTBOX_PATH": str(tmp_path / "eigen.sqlite"), "BALIE_OUTBOX_URL": " "}
    assert ActionSettings.from_env(data | own).outbox_url == f"sqlite:///{own['BALIE_OUTBOX_PATH']}"
    shared = "postgresql://balie@db.example.nl/balie"  # a cluster's action servers share one
    assert ActionSettings.from_env(data | own | {"BALIE_OUTBOX_URL": shared}).outbox_url == shared


def test_an_action_outside_a_set_up_action_server_says_so() -> None:
    """rasa-sdk makes the actions; `python -m actions` installs what they need first."""
    with pytest.raises(RuntimeError, match="not set up"):
        delivery_module.delivery()
