"""SignalenBackend against the fake Signalen served on 127.0.0.1."""

from __future__ import annotations

import asyncio
import io
import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from PIL import Image

from actions.backends import backend_of
from actions.backends.base import (
    Attachment,
    BackendRejected,
    BackendThrottled,
    BackendUnavailable,
    Contact,
    Locatie,
    NewCase,
)
from actions.backends.signalen import SignalenBackend, SignalenConfig, load_categories, map_state
from actions.settings import ActionSettings
from core.caseapi.models import ReportIn
from core.settings import ConfigError
from tests.fakes import LoopbackServer, serve
from tests.fakes.signalen import REFERENCE, FakeSignalen
from tests.webapp import case_api, ledger

CATEGORIES = load_categories(REFERENCE)
UTRECHT = Locatie(
    straat="Oudegracht",
    huisnummer="12A",
    postcode="3511 AB",
    plaats="Utrecht",
    lat=52.0907,
    lon=5.1214,
    omschrijving="bij de brug",
)


def melding(**changes: Any) -> NewCase:
    case = NewCase(
        type="melding",
        omschrijving="Er ligt een berg grofvuil naast de container.",
        kanaal="telegram",
        controlecode="AB3D7K",
        idempotency_key=uuid.uuid4().hex,
        categorie="grofvuil",
        locatie=UTRECHT,
        melder="telegram:12345",
    )
    return case.copy(update=changes)


def image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, kind)
    return out.getvalue()


@pytest_asyncio.fixture
async def ledger_url(tmp_path) -> AsyncIterator[str]:
    """The web app's Case API, which keeps the receipts."""
    async with case_api(f"sqlite:///{tmp_path / 'balie.sqlite'}", tmp_path) as url:
        yield url


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[tuple[FakeSignalen, LoopbackServer]]:
    signalen = FakeSignalen()
    server = await serve(signalen.app())
    yield signalen, server
    await server.close()


def make_backend(url: str, ledger_url: str, **options: Any) -> SignalenBackend:
    return SignalenBackend(url, ledger(ledger_url), categories=CATEGORIES, timeout=2.0, **options)


@pytest_asyncio.fixture
async def backend(fake, ledger_url) -> AsyncIterator[SignalenBackend]:
    signalen = make_backend(fake[1].url, ledger_url)
    yield signalen
    await signalen.close()


async def test_create_sends_what_signalen_accepts(fake, backend) -> None:
    signalen, _ = fake
    status = await backend.create_case(
        melding(contact=Contact(naam="Jan", email="jan@example.nl", telefoon="+31612345678"))
    )
    assert re.fullmatch(r"M-\d{4}-\d{6}", status.identificatie)
    assert status.status == "gemeld" and status.categorie == "grofvuil"
    [signal] = signalen.signals.values()
    assert signal["category"] == ("afval", "grofvuil")
    assert signal["location"]["geometrie"] == {"type": "Point", "coordinates": [5.1214, 52.0907]}
    assert signal["location"]["address"] == {
        "openbare_ruimte": "Oudegracht",
        "huisnummer": 12,
        "huisletter": "A",
        "postcode": "3511AB",
        "woonplaats": "Utrecht",
    }
    assert signal["reporter"] == {
        "sharing_allowed": False,
        "email": "jan@example.nl",
        "phone": "+31612345678",
    }
    assert "bij de brug" in signal["text_extra"] and "Jan" not in str(signal)
    receipt = await backend.ledger.find(status.identificatie)
    assert receipt.external_id == signal["uuid"] and receipt.backend == "signalen"


async def test_without_consent_no_contact_details(fake, backend) -> None:
    await backend.create_case(melding())
    [signal] = fake[0].signals.values()
    assert signal["reporter"] == {"sharing_allowed": False}


async def test_retry_gives_the_same_case(fake, backend) -> None:
    case = melding()
    first = await backend.create_case(case)
    again = await backend.create_case(case)
    together = await asyncio.gather(*(backend.create_case(case) for _ in range(3)))
    assert {first.identificatie, again.identificatie} | {s.identificatie for s in together} == {
        first.identificatie
    }
    assert len(fake[0].signals) == 1


async def test_get_case_needs_code_or_own_channel(fake, backend) -> None:
    created = await backend.create_case(melding())
    ident = created.identificatie
    assert (await backend.get_case(ident, controlecode="AB3D7K")).status == "gemeld"
    assert (await backend.get_case(ident.lower(), controlecode="ab3 d7k")) is not None
    assert (await backend.get_case(ident, melder="telegram:12345")) is not None
    assert await backend.get_case(ident, controlecode="ZZZZZZ") is None
    assert await backend.get_case(ident, melder="telegram:999") is None
    assert await backend.get_case("M-2026-999999", controlecode="AB3D7K") is None


async def test_status_changes_are_read_back(fake, backend) -> None:
    created = await backend.create_case(melding())
    [signal_id] = fake[0].signals
    fake[0].set_state(signal_id, "b")
    # The public API only says OPEN or CLOSED.
    assert (await backend.get_case(created.identificatie, controlecode="AB3D7K")).status == "gemeld"
    fake[0].set_state(signal_id, "o")
    status = await backend.get_case(created.identificatie, controlecode="AB3D7K")
    assert status.status == "afgehandeld" and status.gewijzigd_op is not None
    with pytest.raises(ValueError):
        fake[0].set_state(signal_id, "ingepland")  # the workflow forbids o -> ingepland


def test_workflow_states_map_to_balie_statuses() -> None:
    assert map_state("m") == map_state("i") == map_state("OPEN") == "gemeld"
    assert map_state("b") == map_state("h") == map_state("reopened") == "in_behandeling"
    assert map_state("ingepland") == "ingepland"
    assert map_state("o") == map_state("CLOSED") == "afgehandeld"
    assert map_state("a") == "geannuleerd"


async def test_list_cases_newest_first(fake, backend) -> None:
    first = await backend.create_case(melding())
    second = await backend.create_case(melding(categorie="afval/veeg-zwerfvuil"))
    await backend.create_case(melding(melder="web:other"))
    listed = await backend.list_cases("telegram:12345")
    assert [c.identificatie for c in listed] == [second.identificatie, first.identificatie]


async def test_photos_are_attached(fake, backend) -> None:
    created = await backend.create_case(melding())
    await backend.add_attachment(
        created.identificatie, Attachment("foto.png", "image/png", image("PNG"))
    )
    await backend.add_attachment(
        created.identificatie, Attachment("foto.webp", "image/webp", image("WEBP"))
    )
    [signal] = fake[0].signals.values()
    assert [(a["filename"], a["content_type"]) for a in signal["attachments"]] == [
        ("foto.png", "image/png"),
        ("foto.jpg", "image/jpeg"),  # Signalen takes no WebP
    ]
    fake[0].set_state(signal["uuid"], "b")
    with pytest.raises(BackendRejected, match="Public uploads not allowed"):
        await backend.add_attachment(
            created.identificatie, Attachment("foto.png", "image/png", image("PNG"))
        )
    with pytest.raises(BackendRejected):
        await backend.add_attachment("M-2026-999999", Attachment("f.png", "image/png", b""))


async def test_throttle_gives_retry_after(ledger_url) -> None:
    signalen = FakeSignalen(throttle=2)
    server = await serve(signalen.app())
    backend = make_backend(server.url, ledger_url)
    try:
        await backend.create_case(melding())
        await backend.create_case(melding())
        case = melding()
        with pytest.raises(BackendThrottled) as caught:
            await backend.create_case(case)
        assert caught.value.retryable and 3500 < caught.value.retry_after <= 3600
        assert "60 an hour" in str(caught.value)
        assert await backend.ledger.by_key(case.idempotency_key) is None
        signalen.reset_throttle()
        assert (await backend.create_case(case)).status == "gemeld"
    finally:
        await backend.close()
        await server.close()


@pytest.mark.parametrize("mode", ["down", "error", "unavailable", "slow"])
async def test_outage_is_retryable(fake, backend, mode) -> None:
    fake[0].faults.fail(mode, delay=5.0)
    case = melding()
    with pytest.raises(BackendUnavailable) as caught:
        await backend.create_case(case)
    assert caught.value.retryable
    fake[0].faults.clear()
    assert await backend.ledger.by_key(case.idempotency_key) is None
    assert (await backend.create_case(case)).status == "gemeld"


async def test_unreachable_server(ledger_url) -> None:
    server = await serve(FakeSignalen().app())
    url = server.url
    await server.close()
    backend = make_backend(url, ledger_url)
    try:
        with pytest.raises(BackendUnavailable):
            await backend.create_case(melding())
    finally:
        await backend.close()


async def test_bad_request_is_rejected_with_the_reason(fake, backend) -> None:
    paris = UTRECHT.copy(update=dict(lat=48.8566, lon=2.3522))
    with pytest.raises(BackendRejected, match="bounding box") as caught:
        await backend.create_case(melding(locatie=paris))
    assert not caught.value.retryable
    with pytest.raises(BackendRejected, match="sub category"):
        await backend.create_case(melding(categorie="bestaat-niet"))
    with pytest.raises(BackendRejected, match="sub category"):
        await backend.create_case(melding(categorie="overlast-van-dieren/grofvuil"))
    with pytest.raises(BackendRejected, match="verzoek"):
        await backend.create_case(melding(type="verzoek"))
    assert fake[0].signals == {}


async def test_unknown_address_is_sent_without_it(fake, backend) -> None:
    fake[0].invalid_streets.add("Nergensstraat")
    created = await backend.create_case(
        melding(locatie=UTRECHT.copy(update=dict(straat="Nergensstraat")))
    )
    assert created.status == "gemeld"
    first, second = fake[0].received
    assert "address" in first["location"] and "address" not in second["location"]
    assert "Nergensstraat 12A 3511 AB Utrecht" in second["text_extra"]


async def test_address_without_point(fake, ledger_url) -> None:
    no_point = UTRECHT.copy(update=dict(lat=None, lon=None))
    plain = make_backend(fake[1].url, ledger_url)
    with_default = make_backend(fake[1].url, ledger_url, default_point=(52.0907, 5.1214))
    try:
        with pytest.raises(BackendRejected, match="point on the map"):
            await plain.create_case(melding(locatie=no_point))
        with pytest.raises(BackendRejected, match="point on the map"):
            await with_default.create_case(melding(locatie=None))
        await with_default.create_case(melding(locatie=no_point))
    finally:
        await plain.close()
        await with_default.close()
    [signal] = fake[0].signals.values()
    assert signal["location"]["geometrie"]["coordinates"] == [5.1214, 52.0907]
    assert "standaardpunt" in signal["text_extra"]


async def test_the_fake_enforces_the_real_rules(fake, backend) -> None:
    """Payloads that break Signalen's rules are refused, so the happy paths above prove fit."""
    good = backend.payload(melding())
    swapped = {**good, "location": {"geometrie": {"type": "Point", "coordinates": [52.09, 5.12]}}}
    bad_category = {
        **good,
        "category": {
            "sub_category": f"{fake[1].url}/signals/v1/public/terms/categories/"
            "afval/sub_categories/fietswrak"
        },
    }
    cases: list[tuple[dict[str, Any], str]] = [
        ({**good, "priority": {"priority": "high"}}, "Extra properties present"),
        ({**good, "text": "x" * 3001}, "no more than 3000"),
        ({**good, "text": "  "}, "blank"),
        (swapped, "bounding box"),
        (bad_category, "does not exist"),
        ({k: v for k, v in good.items() if k != "reporter"}, "reporter"),
        ({**good, "reporter": {"email": "geen-adres"}}, "valid email"),
        ({**good, "incident_date_start": "22-11-2026"}, "wrong format"),
        ({**good, "source": "Telefoon"}, "Invalid source"),
    ]
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{fake[1].url}/signals/v1/public/signals/", json=good) as resp:
            assert resp.status == 201
        for body, reason in cases:
            url = f"{fake[1].url}/signals/v1/public/signals/"
            async with session.post(url, json=body) as resp:
                assert resp.status == 400, reason
                assert reason in await resp.text()


async def test_ledger_keeps_the_first_receipt(ledger_url) -> None:
    """Two processes recording the same submission: one receipt, no number used up."""
    first, second = ledger(ledger_url), ledger(ledger_url)
    try:
        submission = melding()
        ident = await first.record("signalen", submission, "uuid-1")
        assert await second.record("signalen", submission, "uuid-2") == ident
        assert (await first.by_key(submission.idempotency_key)).external_id == "uuid-1"
        following = await second.record("signalen", melding(), "uuid-3")
        assert int(following[-6:]) == int(ident[-6:]) + 1
        assert [r.identificatie for r in await first.for_melder("telegram:12345")] == [
            following,
            ident,
        ]
        assert await first.authorize(ident, "AB3D7K") is not None
        assert await first.authorize(ident, None, "telegram:12345") is not None
        assert await first.authorize(ident, "AB3D7Z") is None
    finally:
        await first.close()
        await second.close()


async def test_point_outside_the_box_is_sent_once(fake, backend) -> None:
    with pytest.raises(BackendRejected, match="bounding box"):
        await backend.create_case(
            melding(locatie=UTRECHT.copy(update=dict(lat=48.8566, lon=2.3522)))
        )
    assert len(fake[0].received) == 1


async def test_incident_time_is_sent_with_the_local_offset(fake, backend) -> None:
    """incident_date_start is ISO 8601 with an offset: the gemeente's, on both sides of DST."""
    signalen, _ = fake
    for utc in (
        (2026, 11, 21, 22, 0),
        (2026, 7, 1, 9, 15),
        (2026, 10, 25, 0, 30),
        (2026, 10, 25, 1, 30),
    ):
        await backend.create_case(melding(tijdstip=datetime(*utc, tzinfo=timezone.utc)))
    assert [s["incident_date_start"] for s in signalen.signals.values()] == [
        "2026-11-21T23:00:00+01:00",
        "2026-07-01T11:15:00+02:00",
        "2026-10-25T02:30:00+02:00",  # the autumn hour twice: told apart by the offset
        "2026-10-25T02:30:00+01:00",
    ]


async def test_the_action_server_reads_signalen_settings_only_when_chosen(tmp_path) -> None:
    env = {
        "BALIE_DATA_DIR": str(tmp_path),
        "BALIE_SIGNALEN_URL": "https://api.meldingen.example.nl",
        "BALIE_SIGNALEN_CATEGORIES": str(REFERENCE),
        "BALIE_SIGNALEN_DEFAULT_POINT": "52.0907, 5.1214",
        "BALIE_SIGNALEN_TIMEOUT": "2,5",
    }
    assert ActionSettings.from_env(env).signalen is None  # the built-in case system
    settings = ActionSettings.from_env(env | {"BALIE_BACKEND": "signalen"})
    assert settings.signalen == SignalenConfig(
        url="https://api.meldingen.example.nl",
        categories_file=REFERENCE,
        default_point=(52.0907, 5.1214),
        timeout=2.5,
    )
    backend = backend_of(settings)
    try:
        assert isinstance(backend, SignalenBackend)
        assert backend.default_point == (52.0907, 5.1214) and backend.source == "online"
        assert backend.categories("grofvuil") == CATEGORIES("grofvuil") is not None
    finally:
        await backend.close()
    for name, value in (
        ("BALIE_SIGNALEN_URL", ""),
        ("BALIE_SIGNALEN_DEFAULT_POINT", "Utrecht"),
        ("BALIE_SIGNALEN_TIMEOUT", "snel"),
    ):
        with pytest.raises(ConfigError, match=name):
            ActionSettings.from_env(env | {"BALIE_BACKEND": "signalen", name: value})


# -- already reported: the private API's search, and following a melding ------------------


@pytest_asyncio.fixture
async def private(ledger_url) -> AsyncIterator[tuple[FakeSignalen, SignalenBackend]]:
    signalen = FakeSignalen(private_token="geheim")
    server = await serve(signalen.app())
    backend = make_backend(server.url, ledger_url, token="geheim")
    yield signalen, backend
    await backend.close()
    await server.close()


def _signal(fake: FakeSignalen, identificatie_url: str | None) -> dict[str, Any]:
    number = int((identificatie_url or "").rsplit("/", 1)[1])
    found = fake.by_number(number)
    assert found is not None
    return found


async def test_open_meldingen_nearby_by_the_private_api(private) -> None:
    fake, backend = private
    assert backend.can_follow is True
    first = await backend.create_case(melding())
    near = await backend.find_open_nearby("grofvuil", Locatie(lat=52.09085, lon=5.1215))
    assert [c.identificatie for c in near] == [first.identificatie]
    assert near[0].status == "gemeld"
    query = fake.private_searches[-1]
    assert query.getall("maincategory_slug") == [CATEGORIES("grofvuil")]
    assert "m" in query.getall("status") and "o" not in query.getall("status")
    assert "created_after" in query
    # Far away, no address: not the same.
    assert await backend.find_open_nearby("grofvuil", Locatie(lat=52.1, lon=5.13)) == []
    # The same street a few house numbers on, or the same postcode, without a point.
    street = Locatie(straat="Oudegracht", huisnummer="20")
    assert [c.identificatie for c in await backend.find_open_nearby("grofvuil", street)] == [
        first.identificatie
    ]
    assert (
        await backend.find_open_nearby("grofvuil", street.copy(update={"huisnummer": "40"})) == []
    )
    postcode = Locatie(straat="Elders", huisnummer="1", postcode="3511AB")
    assert len(await backend.find_open_nearby("grofvuil", postcode)) == 1
    # Another main category is another matter.
    assert await backend.find_open_nearby("straatverlichting-openbare-klok", street) == []
    # Newest first.
    second = await backend.create_case(melding())
    near = await backend.find_open_nearby("grofvuil", street)
    assert [c.identificatie for c in near] == [second.identificatie, first.identificatie]


async def test_closed_old_and_foreign_meldingen_do_not_count(private) -> None:
    fake, backend = private
    closed = await backend.create_case(melding())
    receipt = await backend.ledger.find(closed.identificatie)
    assert receipt is not None
    _signal(fake, receipt.external_url)["status"]["state"] = "o"
    old = await backend.create_case(melding())
    receipt = await backend.ledger.find(old.identificatie)
    assert receipt is not None
    _signal(fake, receipt.external_url)["created_at"] = "2020-01-01T10:00:00+00:00"
    # A melding someone made elsewhere (no receipt at Balie).
    other = dict(_signal(fake, receipt.external_url), id=99, uuid=str(uuid.uuid4()))
    other["created_at"] = other["updated_at"]
    fake.signals[other["uuid"]] = other
    assert await backend.find_open_nearby("grofvuil", UTRECHT) == []


async def test_without_a_token_no_search_and_no_following(fake, backend) -> None:
    signalen, _ = fake
    await backend.create_case(melding())
    assert backend.can_follow is False
    assert await backend.find_open_nearby("grofvuil", UTRECHT) == []
    assert signalen.private_searches == []


async def test_the_private_api_failing_gives_none(private, ledger_url) -> None:
    fake, backend = private
    await backend.create_case(melding())
    wrong = make_backend(backend.base_url, ledger_url, token="fout")
    try:
        assert await wrong.find_open_nearby("grofvuil", UTRECHT) == []  # 403
    finally:
        await wrong.close()
    fake.faults.fail("error")
    assert await backend.find_open_nearby("grofvuil", UTRECHT) == []


async def test_a_resident_follows_a_signalen_melding(private) -> None:
    fake, backend = private
    first = await backend.create_case(melding())
    api = backend.ledger.api
    photo = await api.stage_upload(image("PNG"), "image/png")
    report = ReportIn(
        omschrijving="Hier ligt ook nog een bank bij.",
        tijdstip=datetime(2026, 12, 1, 21, 30, tzinfo=timezone.utc),
        kanaal="telegram",
        melder="telegram:77",
        uploads=[photo.upload_id],
    )
    seen = await backend.add_report(first.identificatie, report, "volg-1")
    assert seen is not None and seen.identificatie == first.identificatie
    receipt = await backend.ledger.find(first.identificatie)
    assert receipt is not None
    signal = _signal(fake, receipt.external_url)
    [note] = signal["notes"]
    assert note["text"].startswith("Nog een melding via Balie (telegram), ")
    assert "gebeurd: 01-12-2026 22:30" in note["text"]
    assert note["text"].endswith(": Hier ligt ook nog een bank bij.")
    assert [a["content_type"] for a in signal["attachments"]] == ["image/png"]
    assert [c.identificatie for c in await backend.list_cases("telegram:77")] == [
        first.identificatie
    ]
    assert await backend.add_report("M-2026-999999", report, "volg-2") is None
    with pytest.raises(BackendRejected):
        await backend.add_report(first.identificatie, ReportIn(omschrijving="Hier ook."), "k")
