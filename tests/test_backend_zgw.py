"""ZgwBackend against the fake Open Zaak served on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import jwt
import pytest
import pytest_asyncio

from actions.backends import backend_of
from actions.backends.base import (
    Attachment,
    BackendRejected,
    BackendThrottled,
    BackendUnavailable,
    Locatie,
    NewCase,
)
from actions.backends.zgw import ZgwBackend, ZgwConfig, circle, elfproef
from actions.settings import ActionSettings
from core import clock, nearby
from core.caseapi.models import ReportIn
from core.settings import ConfigError
from tests.fakes import LoopbackServer
from tests.fakes.zgw import FakeZgw, serve_zgw
from tests.images import png_bytes
from tests.webapp import case_api, ledger

RSIN = "002564440"
SECRET = "een-lang-geheim-voor-de-tests-van-balie"


def case(**changes: Any) -> NewCase:
    base = NewCase(
        type="melding",
        omschrijving="De lantaarnpaal voor ons huis is al een week kapot en het is 's avonds erg "
        "donker op straat.",
        kanaal="web",
        controlecode="AB3D7K",
        idempotency_key=uuid.uuid4().hex,
        categorie="straatverlichting-openbare-klok",
        locatie=Locatie(
            straat="Oudegracht", huisnummer="12", postcode="3511 AB", lat=52.0907, lon=5.1214
        ),
        melder="web:sessie-1",
    )
    return base.copy(update=changes)


@pytest_asyncio.fixture
async def ledger_url(tmp_path) -> AsyncIterator[str]:
    """The web app's Case API, which keeps the receipts."""
    async with case_api(f"sqlite:///{tmp_path / 'balie.sqlite'}", tmp_path) as url:
        yield url


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[tuple[FakeZgw, LoopbackServer]]:
    """The fake Open Zaak with its Notificaties API."""
    zgw, server = await serve_zgw(secret=SECRET)
    yield zgw, server
    await server.close()


def config(zgw: FakeZgw, **changes: Any) -> ZgwConfig:
    base = ZgwConfig(
        zaken_url=f"{zgw.base_url}/zaken/api/v1",
        documenten_url=f"{zgw.base_url}/documenten/api/v1",
        client_id="balie",
        secret=SECRET,
        rsin=RSIN,
        zaaktypen={"melding": zgw.zaaktype_url("melding"), "verzoek": zgw.zaaktype_url("verzoek")},
        statustypen={
            "melding": zgw.statustype_url("melding", "Gemeld"),
            "verzoek": zgw.statustype_url("verzoek", "Ontvangen"),
        },
        informatieobjecttype=zgw.informatieobjecttype_url(),
        status_map={
            zgw.statustype_url("melding", "In behandeling"): "in_behandeling",
            zgw.statustype_url("melding", "Ingepland"): "ingepland",
            zgw.statustype_url("melding", "Afgehandeld"): "afgehandeld",
        },
        timeout=2.0,
    )
    return replace(base, **changes)


@pytest_asyncio.fixture
async def backend(fake, ledger_url) -> AsyncIterator[ZgwBackend]:
    zgw = ZgwBackend(config(fake[0]), ledger(ledger_url))
    yield zgw
    await zgw.close()


async def test_create_makes_a_zaak_with_status(fake, backend) -> None:
    zgw, _ = fake
    created = await backend.create_case(case())
    assert re.fullmatch(r"M-\d{4}-\d{6}", created.identificatie) and created.status == "gemeld"
    [zaak] = zgw.zaken.values()
    assert zaak["zaakgeometrie"] == {"type": "Point", "coordinates": [5.1214, 52.0907]}
    assert zaak["bronorganisatie"] == zaak["verantwoordelijkeOrganisatie"] == RSIN
    assert len(zaak["omschrijving"]) <= 80 and zaak["omschrijving"].endswith("…")
    assert "Oudegracht 12 3511 AB" in zaak["toelichting"]
    assert re.fullmatch(r"ZAAK-\d{4}-\d{10}", zaak["identificatie"])
    assert zaak["kenmerken"][0]["bron"] == "Balie"
    [status] = zgw.statussen.values()
    assert status["statustype"] == zgw.statustype_url("melding", "Gemeld")
    receipt = await backend.ledger.find(created.identificatie)
    assert receipt.external_url == zaak["url"] and receipt.backend == "zgw"
    verzoek = await backend.create_case(case(type="verzoek", onderwerp="Afvalpas aanvragen"))
    assert verzoek.identificatie.startswith("V-") and verzoek.onderwerp == "Afvalpas aanvragen"


async def test_retry_gives_the_same_zaak(fake, backend) -> None:
    submission = case()
    first = await backend.create_case(submission)
    again = await asyncio.gather(*(backend.create_case(submission) for _ in range(3)))
    assert {c.identificatie for c in again} == {first.identificatie}
    assert len(fake[0].zaken) == 1


async def test_get_case_needs_code_or_own_channel(fake, backend) -> None:
    ident = (await backend.create_case(case())).identificatie
    assert (await backend.get_case(ident, controlecode="AB3D7K")).status == "gemeld"
    assert await backend.get_case(ident, melder="web:sessie-1") is not None
    assert await backend.get_case(ident, controlecode="AB3D7Z") is None
    assert await backend.get_case(ident) is None
    assert await backend.get_case("M-2026-999999", controlecode="AB3D7K") is None
    [listed] = await backend.list_cases("web:sessie-1")
    assert listed.identificatie == ident
    assert await backend.list_cases("web:someone-else") == []


async def test_status_changes_are_read_back(fake, backend) -> None:
    zgw, _ = fake
    ident = (await backend.create_case(case())).identificatie
    [zaak_uuid] = zgw.zaken
    zgw.set_status(
        zaak_uuid, zgw.statustype_url("melding", "Ingepland"), "Maandag komt de monteur."
    )
    status = await backend.get_case(ident, controlecode="AB3D7K")
    assert status.status == "ingepland" and status.toelichting == "Maandag komt de monteur."
    zgw.set_status(zaak_uuid, zgw.statustype_url("melding", "Afgehandeld"), "De lamp brandt.")
    status = await backend.get_case(ident, controlecode="AB3D7K")
    assert status.status == "afgehandeld" and zgw.zaken[zaak_uuid]["einddatum"]


async def test_unmapped_statustypes(fake, ledger_url) -> None:
    zgw, _ = fake
    backend = ZgwBackend(config(zgw, status_map={}), ledger(ledger_url))
    try:
        ident = (await backend.create_case(case())).identificatie
        [zaak_uuid] = zgw.zaken
        zgw.set_status(zaak_uuid, zgw.statustype_url("melding", "Ingepland"))
        assert (await backend.get_case(ident, controlecode="AB3D7K")).status == "in_behandeling"
        zgw.set_status(zaak_uuid, zgw.statustype_url("melding", "Afgehandeld"))
        # No mapping, but an einddatum: the zaak is closed.
        assert (await backend.get_case(ident, controlecode="AB3D7K")).status == "afgehandeld"
    finally:
        await backend.close()


async def test_photo_becomes_a_document_of_the_zaak(fake, backend) -> None:
    zgw, _ = fake
    ident = (await backend.create_case(case())).identificatie
    photo = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
    await backend.add_attachment(ident, Attachment("lamp.png", "image/png", photo))
    [document] = zgw.documenten.values()
    assert document["taal"] == "dut" and document["formaat"] == "image/png"
    assert document["bestandsnaam"] == "lamp.png" and document["bestandsomvang"] == len(photo)
    assert zgw.contents[document["url"].rsplit("/", 1)[1]] == photo
    [zio] = zgw.zios.values()
    [zaak] = zgw.zaken.values()
    assert zio["zaak"] == zaak["url"] and zio["informatieobject"] == document["url"]
    with pytest.raises(BackendRejected):
        await backend.add_attachment("M-2026-999999", Attachment("x.png", "image/png", photo))


async def test_long_description_is_kept_in_full(fake, backend) -> None:
    text = "Het lawaai begint elke avond om tien uur. " * 40
    await backend.create_case(case(type="verzoek", omschrijving=text))
    [zaak] = fake[0].zaken.values()
    assert len(zaak["toelichting"]) <= 1000
    [document] = fake[0].documenten.values()
    assert fake[0].contents[document["url"].rsplit("/", 1)[1]] == text.encode()


async def test_throttle_gives_retry_after(fake, backend) -> None:
    fake[0].faults.fail("throttled", delay=120)
    submission = case()
    with pytest.raises(BackendThrottled) as caught:
        await backend.create_case(submission)
    assert caught.value.retryable and caught.value.retry_after == 120
    assert await backend.ledger.by_key(submission.idempotency_key) is None


@pytest.mark.parametrize("mode", ["down", "error", "unavailable", "slow"])
async def test_outage_is_retryable(fake, backend, mode) -> None:
    fake[0].faults.fail(mode, delay=5.0)
    submission = case()
    with pytest.raises(BackendUnavailable) as caught:
        await backend.create_case(submission)
    assert caught.value.retryable
    fake[0].faults.clear()
    assert (await backend.create_case(submission)).status == "gemeld"
    assert len(fake[0].zaken) == 1


async def test_refusals_carry_the_reason(fake, ledger_url) -> None:
    zgw, _ = fake
    wrong_type = config(
        zgw, zaaktypen={"melding": f"{zgw.base_url}/catalogi/api/v1/zaaktypen/{uuid.uuid4()}"}
    )
    wrong_secret = config(zgw, secret="een-verkeerd-geheim-van-minstens-32-bytes")
    for cfg, reason in ((wrong_type, "zaaktype"), (wrong_secret, "credentials")):
        backend = ZgwBackend(cfg, ledger(ledger_url))
        try:
            with pytest.raises(BackendRejected, match=reason) as caught:
                await backend.create_case(case())
            assert not caught.value.retryable
        finally:
            await backend.close()
    backend = ZgwBackend(
        config(zgw, zaaktypen={"melding": zgw.zaaktype_url("melding")}), ledger(ledger_url)
    )
    try:
        with pytest.raises(BackendRejected, match="no zaaktype"):
            await backend.create_case(case(type="verzoek"))
    finally:
        await backend.close()
    assert zgw.zaken == {}


def test_config_checks_the_rsin(fake) -> None:
    assert elfproef(RSIN) and elfproef("517439943") and not elfproef("123456789")
    with pytest.raises(ValueError, match="elfproef"):
        config(fake[0], rsin="123456789")
    with pytest.raises(ValueError, match="unknown statuses"):
        config(fake[0], status_map={"https://x/statustypen/1": "klaar"})


async def test_the_fake_enforces_the_real_rules(fake, backend) -> None:
    """Requests that break the ZGW rules are refused, so the happy paths above prove fit."""
    zgw, server = fake
    good = backend.zaak_payload(case(), "2026-01-15")
    url = f"{server.url}/zaken/api/v1/zaken"
    crs = {"Accept-Crs": "EPSG:4326", "Content-Crs": "EPSG:4326"}

    def auth(secret: str = SECRET, **claims: Any) -> dict[str, str]:
        payload = {"iss": "balie", "iat": int(time.time()), "client_id": "balie", **claims}
        return {"Authorization": f"Bearer {jwt.encode(payload, secret, algorithm='HS256')}"}

    cases: list[tuple[dict[str, str], dict[str, Any], int, str]] = [
        ({**auth(), **crs}, good, 201, ""),
        ({**auth(), "Accept-Crs": "EPSG:4326"}, good, 412, "Content-Crs"),
        ({**auth(), **crs, "Content-Crs": "EPSG:28992"}, good, 406, "niet ondersteund"),
        ({**auth("x" * 32), **crs}, good, 403, "Signature"),
        ({**auth(iat=int(time.time()) - 7200), **crs}, good, 403, "expired"),
        ({**crs}, good, 403, "niet opgegeven"),
        ({**auth(), **crs}, {**good, "bronorganisatie": "123456789"}, 400, "elfproef"),
        ({**auth(), **crs}, {**good, "omschrijving": "x" * 81}, 400, "omschrijving"),
        ({**auth(), **crs}, {**good, "toelichting": "x" * 1001}, 400, "toelichting"),
        ({**auth(), **crs}, {**good, "startdatum": "15-01-2026"}, 400, "startdatum"),
        ({**auth(), **crs}, {k: v for k, v in good.items() if k != "zaaktype"}, 400, "zaaktype"),
        (
            {**auth(), **crs},
            {**good, "zaakgeometrie": {"type": "Point", "coordinates": [52.09, 5.12]}},
            400,
            "zaakgeometrie",
        ),
    ]
    async with aiohttp.ClientSession() as session:
        for headers, body, expected, reason in cases:
            async with session.post(url, json=body, headers=headers) as resp:
                text = await resp.text()
                assert resp.status == expected, (reason, text)
                assert reason in text
        zaak_url = next(iter(zgw.zaken.values()))["url"]
        status = {
            "zaak": zaak_url,
            "statustype": zgw.statustype_url("verzoek", "Ontvangen"),  # not of this zaaktype
            "datumStatusGezet": "2026-01-15T10:00:00+00:00",
        }
        async with session.post(
            f"{server.url}/zaken/api/v1/statussen", json=status, headers=auth()
        ) as resp:
            assert resp.status == 400 and "zaaktype" in await resp.text()
        document = {
            "bronorganisatie": RSIN,
            "creatiedatum": "2026-01-15",
            "titel": "foto",
            "auteur": "melder",
            "taal": "nl",
            "informatieobjecttype": zgw.informatieobjecttype_url(),
            "inhoud": base64.b64encode(b"abc").decode(),
        }
        async with session.post(
            f"{server.url}/documenten/api/v1/enkelvoudiginformatieobjecten",
            json=document,
            headers=auth(),
        ) as resp:
            assert resp.status == 400 and "taal" in await resp.text()


async def test_dates_are_dutch_dates_and_the_incident_time_is_local(
    fake, db_url, tmp_path, monkeypatch
) -> None:
    """At 23:30 UTC on 21 November it is already the 22nd in the gemeente (clock injected)."""
    zgw, _ = fake
    moment = datetime(2026, 11, 21, 23, 30, tzinfo=timezone.utc)
    monkeypatch.setattr(clock, "now", lambda: moment.astimezone(ZoneInfo("Europe/Amsterdam")))
    async with case_api(db_url, tmp_path) as api:
        backend = ZgwBackend(config(zgw), ledger(api))
        try:
            created = await backend.create_case(
                case(tijdstip=datetime(2026, 11, 21, 22, 0, tzinfo=timezone.utc))
            )
            receipt = await backend.ledger.find(created.identificatie)
        finally:
            await backend.close()
    [zaak] = zgw.zaken.values()
    assert zaak["startdatum"] == zaak["registratiedatum"] == "2026-11-22"
    assert "Tijdstip volgens melder: 21-11-2026 23:00" in zaak["toelichting"]
    [status] = zgw.statussen.values()
    assert datetime.fromisoformat(status["datumStatusGezet"]) == moment
    assert receipt.aangemaakt_op == moment and created.aangemaakt_op == moment


async def test_the_action_server_reads_zgw_settings_only_when_chosen(tmp_path) -> None:
    base = "https://openzaak.example.nl"
    env = {
        "BALIE_DATA_DIR": str(tmp_path),
        "BALIE_ZGW_ZAKEN_URL": f"{base}/zaken/api/v1",
        "BALIE_ZGW_CLIENT_ID": "balie",
        "BALIE_ZGW_SECRET": SECRET,
        "BALIE_ZGW_RSIN": RSIN,
        "BALIE_ZGW_ZAAKTYPE_VERZOEK": f"{base}/catalogi/api/v1/zaaktypen/2",
        "BALIE_ZGW_STATUS_MAP": f'{{"{base}/catalogi/api/v1/statustypen/5": "ingepland"}}',
        "BALIE_ZGW_TIMEOUT": "2,5",
    }
    assert ActionSettings.from_env(env).zgw is None  # the built-in case system
    settings = ActionSettings.from_env(env | {"BALIE_BACKEND": "zgw"})
    assert settings.zgw == ZgwConfig(
        zaken_url=f"{base}/zaken/api/v1",
        client_id="balie",
        secret=SECRET,
        rsin=RSIN,
        zaaktypen={"verzoek": f"{base}/catalogi/api/v1/zaaktypen/2"},
        status_map={f"{base}/catalogi/api/v1/statustypen/5": "ingepland"},
        timeout=2.5,
    )
    assert SECRET not in repr(settings)  # settings may be logged; the secret never is
    backend = backend_of(settings)
    try:
        assert isinstance(backend, ZgwBackend) and backend.config == settings.zgw
    finally:
        await backend.close()
    for name, value in (
        ("BALIE_ZGW_SECRET", ""),
        ("BALIE_ZGW_RSIN", "123456789"),
        ("BALIE_ZGW_ZAAKTYPE_VERZOEK", ""),
        ("BALIE_ZGW_STATUS_MAP", "{kapot"),
        ("BALIE_ZGW_STATUS_MAP", '{"x": "klaar"}'),
        ("BALIE_ZGW_TIMEOUT", "0"),
    ):
        with pytest.raises(ConfigError, match=name):
            ActionSettings.from_env(env | {"BALIE_BACKEND": "zgw", name: value})


async def test_open_meldingen_near_a_place_are_found_with_zaken_zoek(fake, backend) -> None:
    zgw, _ = fake
    lamp = await backend.create_case(case())  # 52.0907, 5.1214
    await backend.create_case(case(locatie=Locatie(lat=52.0950, lon=5.1214)))  # ~480 m north
    await backend.create_case(case(categorie="grofvuil"))  # another main category
    await backend.create_case(case(type="verzoek", categorie=None))  # another zaaktype
    closed = await backend.create_case(case())
    closed_uuid = list(zgw.zaken)[-1]
    zgw.set_status(closed_uuid, zgw.statustype_url("melding", "Afgehandeld"), "Gemaakt.")
    assert (await backend.get_case(closed.identificatie, controlecode="AB3D7K")).status == (
        "afgehandeld"
    )
    # A zaak not made by Balie: no receipt, so no category Balie can compare.
    zgw.zaken["vreemd"] = {**next(iter(zgw.zaken.values())), "kenmerken": [], "einddatum": None}
    near = await backend.find_open_nearby(
        "straatverlichting-openbare-klok", Locatie(lat=52.09075, lon=5.12145)
    )
    assert [c.identificatie for c in near] == [lamp.identificatie]
    assert near[0].status == "gemeld"


async def test_a_resident_follows_a_zaak_found_nearby(fake, backend, ledger_url) -> None:
    zgw, _ = fake
    assert backend.can_follow is True  # the Documenten API takes the report
    lamp = await backend.create_case(case())
    api = backend.ledger.api
    photo = await api.stage_upload(png_bytes(), "image/png")
    report = ReportIn(
        omschrijving="Ook bij nummer 14 is de lamp uit, al sinds zondag.",
        tijdstip=datetime(2026, 12, 1, 21, 30, tzinfo=timezone.utc),
        kanaal="telegram",
        melder="telegram:77",
        uploads=[photo.upload_id],
    )
    seen = await backend.add_report(lamp.identificatie, report, "volg-1")
    assert seen is not None and seen.identificatie == lamp.identificatie
    assert seen.status == "gemeld"
    text, picture = zgw.documenten.values()
    body = zgw.contents[text["url"].rsplit("/", 1)[1]].decode("utf-8")
    assert "Ook bij nummer 14 is de lamp uit" in body and "01-12-2026 22:30" in body
    assert picture["formaat"] == "image/png"
    receipt = await backend.ledger.find(lamp.identificatie)
    assert receipt is not None
    zaak_url = receipt.external_url
    assert {z["informatieobject"] for z in zgw.zios.values() if z["zaak"] == zaak_url} == {
        text["url"],
        picture["url"],
    }
    # The follower reads the status as their own and sees it among their cases.
    assert (await backend.get_case(lamp.identificatie, melder="telegram:77")) is not None
    assert [c.identificatie for c in await backend.list_cases("telegram:77")] == [
        lamp.identificatie
    ]
    # The same submission again stores nothing more at Balie.
    assert await backend.add_report(lamp.identificatie, report, "volg-1") is not None
    assert await backend.add_report("M-2026-999999", report, "volg-2") is None
    # A verzoek cannot be followed; nor can a resident without a chat.
    verzoek = await backend.create_case(case(type="verzoek", categorie=None))
    with pytest.raises(BackendRejected):
        await backend.add_report(verzoek.identificatie, report, "volg-3")
    with pytest.raises(BackendRejected):
        await backend.add_report(lamp.identificatie, ReportIn(omschrijving="Hier ook."), "k")


async def test_without_the_documenten_api_a_zaak_cannot_be_followed(fake, ledger_url) -> None:
    zgw = ZgwBackend(config(fake[0], documenten_url=None), ledger(ledger_url))
    try:
        assert zgw.can_follow is False
    finally:
        await zgw.close()


def test_the_search_circle_holds_the_radius_in_every_direction() -> None:
    point = (52.0907, 5.1214)
    ring = circle(point, 50)["coordinates"][0]
    for lon, lat in ring:
        assert 50 <= nearby.distance_m(point, (lat, lon)) <= 53
