"""Status news from ZGW (Notificaties API) and Signalen (private API polling), pushed to the
resident's chat through the web app, against the loopback fakes and a stand-in Rasa."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from actions.backends.base import BackendRejected, BackendUnavailable, Locatie, NewCase
from actions.backends.signalen import (
    SignalenBackend,
    SignalenConfig,
    explain_state,
    load_categories,
    map_state,
)
from actions.backends.zgw import ZgwBackend, ZgwConfig
from actions.settings import ActionSettings
from actions.statusnieuws import CALLBACK_PATH, callback_paths, enabled
from actions.statusnieuws.signalen import SignalenStatusNews
from actions.statusnieuws.zgw import ZgwStatusNews
from core.caseapi.client import CaseApiClient
from core.caseapi.models import FollowIn, ReceiptIn, ReportIn, StatusNewsIn
from core.settings import ConfigError, Env
from tests import action_server
from tests.conftest import free_port
from tests.fakes import LoopbackServer, serve
from tests.fakes.notificaties import NOTIFICATIES
from tests.fakes.signalen import FakeSignalen
from tests.fakes.zgw import FakeZgw, serve_zgw
from tests.test_backend_zgw import RSIN, SECRET
from tests.test_backend_zgw import config as zgw_backend_config
from tests.webapp import TOKEN, client, ledger
from tests.webapp import serve as serve_web
from webapp.cases.migrate import migrate

CALLBACK_AUTH = "Bearer notificaties-van-open-zaak-0123456789"
PRIVATE_TOKEN = "signalen-prive-token-0123456789"
MELDER = "telegram:4242"


def melding(**changes: Any) -> NewCase:
    case = NewCase(
        type="melding",
        omschrijving="De lantaarnpaal bij de ingang van het park is kapot.",
        kanaal="telegram",
        controlecode="AB3D7K",
        idempotency_key=uuid.uuid4().hex,
        categorie="straatverlichting-openbare-klok",
        locatie=Locatie(straat="Oudegracht", huisnummer="12", lat=52.0907, lon=5.1214),
        melder=MELDER,
    )
    return case.copy(update=changes)


# -- the web app and a stand-in Rasa that records the pushes ---------------------------------


@dataclass
class Web:
    api_url: str
    web_port: int
    pushes: list[tuple[str, dict[str, Any]]]  # (sender, trigger_intent body)
    arrived: asyncio.Event

    async def settle(self, count: int, timeout: float = 5.0) -> None:
        """Wait until `count` pushes arrived (the web app pushes in the background)."""
        deadline = time.monotonic() + timeout
        while len(self.pushes) < count and time.monotonic() < deadline:
            self.arrived.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), deadline - time.monotonic())
        await asyncio.sleep(0.1)  # and no more than that


@pytest_asyncio.fixture
async def web_app(tmp_path: Path) -> AsyncIterator[Web]:
    db_url = f"sqlite:///{tmp_path / 'balie.sqlite'}"
    migrate(db_url)
    async with web_with_rasa(db_url, tmp_path) as found:
        yield found


@asynccontextmanager
async def web_with_rasa(db_url: str, tmp_path: Path) -> AsyncIterator[Web]:
    """The web app on a migrated `db_url`, and a stand-in Rasa that records the pushes."""
    async with serve_web(db_url, tmp_path) as (_, settings):
        found = Web(f"{settings.web_url}/api/v1", settings.web_port, [], asyncio.Event())

        async def trigger(request: web.Request) -> web.Response:
            found.pushes.append((request.match_info["sender"], await request.json()))
            found.arrived.set()
            return web.json_response({"tracker": {}})

        rasa = web.Application()
        rasa.router.add_post("/conversations/{sender}/trigger_intent", trigger)
        server = await serve(rasa, port=settings.rasa_port)
        yield found
        await server.close()


async def test_the_web_app_pushes_news_once_on_both_databases(db_url, tmp_path) -> None:
    async with web_with_rasa(db_url, tmp_path) as found:
        api = client(found.api_url)
        try:
            receipt = await api.record_receipt(
                ReceiptIn(
                    backend="zgw",
                    type="melding",
                    external_id="z1",
                    external_url="https://zaken.example.nl/zaken/z1",
                    melder=MELDER,
                    controlecode="AB3D7K",
                ),
                uuid.uuid4().hex,
            )
            ident = receipt.identificatie
            start = datetime.now(timezone.utc)

            def news(ref: str, minutes: int, status: str) -> StatusNewsIn:
                moment = start + timedelta(minutes=minutes)
                return StatusNewsIn(referentie=ref, gezet_op=moment, status=status)

            steps = [
                (news("s/1", 0, "gemeld"), "nieuw", False),  # the initial status
                (news("s/2", 5, "in_behandeling"), "nieuw", True),
                (news("s/2", 5, "in_behandeling"), "dubbel", False),
                (news("s/0", 1, "ingepland"), "ouder", False),
                (news("s/3", 5, "in_behandeling"), "nieuw", True),  # same moment, new note
            ]
            for body, uitkomst, gepusht in steps:
                answer = await api.status_news(ident, body)
                assert answer and (answer.uitkomst, answer.gepusht) == (uitkomst, gepusht), body
            await found.settle(2)
            assert [p[0] for p in found.pushes] == ["4242", "4242"]
            assert (await api.receipts_of("zgw"))[0].laatste_status == "in_behandeling"
            assert await api.receipt_by_external_url("zgw", "https://zaken.example.nl/zaken/z1")
            assert await api.receipt_by_external_url("zgw", "https://elders.example.nl/z") is None
            # A resident who reported it again follows it: the news reaches both chats.
            volger = FollowIn(melder="telegram:77", kanaal="telegram")
            assert await api.follow_receipt(ident, volger, "volg-1")
            assert await api.follow_receipt(ident, volger, "volg-2")  # following already
            assert [r.identificatie for r in await api.receipts_for("telegram:77")] == [ident]
            assert await api.authorize_receipt(ident, melder="telegram:77")
            answer = await api.status_news(ident, news("s/6", 6, "ingepland"))
            assert answer and answer.gepusht
            await found.settle(4)
            assert sorted(p[0] for p in found.pushes[2:]) == ["4242", "77"]
            # A resident who opted out hears nothing; who follows still does.
            await api.opt_out(MELDER)
            answer = await api.status_news(ident, news("s/7", 7, "in_behandeling"))
            assert answer and answer.gepusht
            await found.settle(5)
            assert found.pushes[4][0] == "77"
            await api.opt_out("telegram:77")
            answer = await api.status_news(ident, news("s/4", 9, "afgehandeld"))
            assert answer and answer.uitkomst == "nieuw" and not answer.gepusht
            # A closed case, a verzoek or an unknown one cannot be followed.
            volgers = f"/ontvangstbewijzen/{ident}/volgers"
            key = {"Idempotency-Key": "volg-3"}
            body = {"melder": "web:ander", "kanaal": "web"}
            status, error = await api.request("POST", volgers, json=body, headers=key, ok=(409,))
            assert status == 409 and error["status"] == 409
            assert await api.follow_receipt("M-2026-999999", volger, "volg-4") is None
            assert (await api.request("POST", volgers, json=body, ok=(400,)))[0] == 400
            for bad in ({"melder": "geen melder"}, {**body, "extra": 1}, {"kanaal": "web"}):
                status, _ = await api.request("POST", volgers, json=bad, headers=key, ok=(422,))
                assert status == 422, bad
            assert await api.status_news("M-2026-999999", news("s/5", 9, "gemeld")) is None
            # Bad input: clear 4xx JSON, never a 500; no token: 401.
            path = f"/ontvangstbewijzen/{ident}/statusnieuws"
            for body in ({"referentie": "x"}, {**news("x", 1, "gemeld").wire(), "extra": 1}):
                status, error = await api.request("POST", path, json=body, ok=(422,))
                assert status == 422 and error["status"] == 422
            naive = {"referentie": "x", "gezet_op": "2026-12-05T10:00:00", "status": "gemeld"}
            assert (await api.request("POST", path, json=naive, ok=(422,)))[0] == 422
            status, error = await api.request("GET", "/ontvangstbewijzen", ok=(400,))
            assert status == 400 and "backend" in error["error"]
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{found.api_url}{path}", json=naive) as resp:
                    assert resp.status == 401
        finally:
            await api.close()


# -- ZGW ------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def zgw_fake() -> AsyncIterator[tuple[FakeZgw, LoopbackServer]]:
    """The fake Open Zaak with its Notificaties API."""
    zgw, server = await serve_zgw(secret=SECRET)
    yield zgw, server
    await server.close()


def zgw_config(zgw: FakeZgw, callback_url: str, **changes: Any) -> ZgwConfig:
    """The adapter's test settings (tests/test_backend_zgw.py) with status news on."""
    news = {
        "notificaties_url": f"{zgw.base_url}{NOTIFICATIES}",
        "callback_url": callback_url,
        "callback_auth": CALLBACK_AUTH,
        "abonnement_check": 0.2,
    }
    return replace(zgw_backend_config(zgw), **{**news, **changes})


@dataclass
class ZgwSetup:
    zgw: FakeZgw
    web: Web
    news: ZgwStatusNews
    backend: ZgwBackend  # the adapter that makes the zaken (the forms' side)


@pytest_asyncio.fixture
async def zgw_setup(zgw_fake, web_app: Web) -> AsyncIterator[ZgwSetup]:
    """The callback served on loopback the way the action server's route serves it."""
    zgw, _ = zgw_fake
    port = free_port()
    config = zgw_config(zgw, f"http://127.0.0.1:{port}{CALLBACK_PATH}")
    api = client(web_app.api_url)
    news = ZgwStatusNews(config, ZgwBackend(config, ledger(web_app.api_url)), api)

    async def callback(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        status, answer = await news.answer(request.headers.get("Authorization"), body)
        return (
            web.Response(status=204) if status == 204 else web.json_response(answer, status=status)
        )

    app = web.Application()
    app.router.add_post(CALLBACK_PATH, callback)
    server = await serve(app, port=port)
    backend = ZgwBackend(config, ledger(web_app.api_url))
    yield ZgwSetup(zgw, web_app, news, backend)
    await backend.close()
    await news.backend.close()
    await api.close()
    await server.close()


async def made_zaak(setup: ZgwSetup) -> tuple[str, str]:
    """(Balie's identifier, the zaak's uuid) of a melding made through the adapter."""
    created = await setup.backend.create_case(melding())
    await setup.zgw.notificaties.drain()
    zaak_uuid = next(iter(setup.zgw.zaken))
    return created.identificatie, zaak_uuid


async def test_zgw_subscribes_once_with_callback_and_auth(zgw_setup: ZgwSetup) -> None:
    nrc = zgw_setup.zgw.notificaties
    assert await zgw_setup.news.ensure_subscription() is True
    assert await zgw_setup.news.ensure_subscription() is False  # already there
    [abonnement] = nrc.abonnementen.values()
    assert abonnement["callbackUrl"] == zgw_setup.news.config.callback_url
    assert abonnement["auth"] == CALLBACK_AUTH
    assert abonnement["kanalen"] == [{"naam": "zaken", "filters": {"bronorganisatie": RSIN}}]
    # The Notificaties API checked the callback with its test notification: 204.
    assert nrc.delivered == [] and ("POST", f"{NOTIFICATIES}/abonnement") in zgw_setup.zgw.requests


async def test_zgw_refuses_an_abonnement_whose_callback_does_not_answer(zgw_setup) -> None:
    broken = replace(zgw_setup.news.config, callback_url="http://127.0.0.1:9/zgw/notificaties")
    news = ZgwStatusNews(broken, zgw_setup.news.backend, zgw_setup.news.api)
    with pytest.raises(BackendRejected, match="204"):
        await news.ensure_subscription()


async def test_zgw_new_status_is_pushed_once_and_not_out_of_order(zgw_setup: ZgwSetup) -> None:
    zgw, web_ = zgw_setup.zgw, zgw_setup.web
    await zgw_setup.news.ensure_subscription()
    identificatie, zaak_uuid = await made_zaak(zgw_setup)
    # Balie's own initial status came back as a notification: recorded, not news.
    assert [status for _, status, _ in zgw.notificaties.delivered] == [204]
    await web_.settle(0)
    assert web_.pushes == []

    status = zgw.set_status(
        zaak_uuid, zgw.statustype_url("melding", "In behandeling"), "We komen morgen kijken."
    )
    await zgw.notificaties.drain()
    await web_.settle(1)
    assert web_.pushes == [
        (
            "4242",
            {"name": "EXTERNAL_status_gewijzigd", "entities": {"zaaknummer": identificatie}},
        )
    ]
    receipt = await zgw_setup.news.api.receipt(identificatie)
    assert receipt and receipt.laatste_status == "in_behandeling"

    # The same notification again (NRC retries, two subscriptions): not pushed again.
    [abonnement] = zgw.notificaties.abonnementen.values()
    await zgw.notificaties.send(abonnement, zgw.status_notification(status))
    # A status set before the last one, arriving late: not pushed either.
    older = zgw.set_status(
        zaak_uuid,
        zgw.statustype_url("melding", "Ingepland"),
        when=status_moment(status) - timedelta(minutes=5),
    )
    await zgw.notificaties.drain()
    await web_.settle(1)
    assert len(web_.pushes) == 1
    assert [s for _, s, _ in zgw.notificaties.delivered][-2:] == [204, 204]
    api = zgw_setup.news.api
    again = StatusNewsIn(
        referentie=status["url"], gezet_op=status_moment(status), status="in_behandeling"
    )
    late = StatusNewsIn(referentie=older["url"], gezet_op=status_moment(older), status="ingepland")
    for news, uitkomst in ((again, "dubbel"), (late, "ouder")):
        answer = await api.status_news(identificatie, news)
        assert answer and answer.uitkomst == uitkomst and not answer.gepusht

    # A later status is news again; the resident hears the current one.
    zgw.set_status(zaak_uuid, zgw.statustype_url("melding", "Afgehandeld"), "Gerepareerd.")
    await zgw.notificaties.drain()
    await web_.settle(2)
    assert len(web_.pushes) == 2
    seen = await zgw_setup.backend.get_case(identificatie, melder=MELDER)
    assert seen and seen.status == "afgehandeld" and seen.toelichting == "Gerepareerd."


def status_moment(status: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(status["datumStatusGezet"])


async def test_zgw_callback_refuses_wrong_auth_and_bad_bodies(zgw_setup: ZgwSetup) -> None:
    zgw, web_ = zgw_setup.zgw, zgw_setup.web
    await zgw_setup.news.ensure_subscription()
    _, zaak_uuid = await made_zaak(zgw_setup)
    [abonnement] = zgw.notificaties.abonnementen.values()
    status = zgw.set_status(zaak_uuid, zgw.statustype_url("melding", "Ingepland"))
    await zgw.notificaties.drain()
    await web_.settle(1)
    body = zgw.status_notification(status)
    for auth in ("Bearer notificaties-van-open-zaak-012345678X", "", CALLBACK_AUTH + " "):
        await zgw.notificaties.send(abonnement, body, auth=auth or "x")
    assert [s for _, s, _ in zgw.notificaties.delivered[-3:]] == [401, 401, 401]
    async with aiohttp.ClientSession() as http:
        url = abonnement["callbackUrl"]
        headers = {"Authorization": CALLBACK_AUTH}
        async with http.post(url, data=b"{not json", headers=headers) as resp:
            assert resp.status == 400 and "error" in await resp.json()
        async with http.post(url, json={"kanaal": "zaken"}, headers=headers) as resp:
            assert resp.status == 400
        async with http.post(url, json=body) as resp:  # no Authorization at all
            assert resp.status == 401 and (await resp.json())["error"]
        # A status elsewhere: Balie's JWT is not sent there.
        elsewhere = {**body, "resourceUrl": "http://127.0.0.1:9/zaken/api/v1/statussen/x"}
        async with http.post(url, json=elsewhere, headers=headers) as resp:
            assert resp.status == 400
        # Another system's zaak, or another resource: accepted, no news.
        other = {**body, "hoofdObject": f"{zgw.base_url}/zaken/api/v1/zaken/{uuid.uuid4()}"}
        async with http.post(url, json=other, headers=headers) as resp:
            assert resp.status == 204
        document = {**body, "resource": "zaakinformatieobject"}
        async with http.post(url, json=document, headers=headers) as resp:
            assert resp.status == 204
    await web_.settle(1)
    assert len(web_.pushes) == 1


async def test_zgw_subscription_is_renewed_when_it_disappears(zgw_setup: ZgwSetup) -> None:
    nrc = zgw_setup.zgw.notificaties
    keeper = asyncio.ensure_future(zgw_setup.news.keep_subscribed())
    try:
        for _ in range(100):
            if nrc.abonnementen:
                break
            await asyncio.sleep(0.05)
        first = set(nrc.abonnementen)
        assert len(first) == 1
        nrc.abonnementen.clear()  # an administrator removed it, or NRC lost its database
        for _ in range(100):
            if nrc.abonnementen:
                break
            await asyncio.sleep(0.05)
        assert len(nrc.abonnementen) == 1 and set(nrc.abonnementen) != first
    finally:
        keeper.cancel()


def test_zgw_status_news_settings() -> None:
    env = {
        "BALIE_BACKEND": "zgw",
        "BALIE_ZGW_ZAKEN_URL": "http://127.0.0.1:1/zaken/api/v1",
        "BALIE_ZGW_CLIENT_ID": "balie",
        "BALIE_ZGW_SECRET": SECRET,
        "BALIE_ZGW_RSIN": RSIN,
        "BALIE_ZGW_ZAAKTYPE_MELDING": "http://127.0.0.1:1/catalogi/api/v1/zaaktypen/x",
    }
    off = ZgwConfig.read(Env(env))
    assert off.notificaties_url is None  # off unless configured
    settings = ActionSettings(backend="zgw", zgw=off)
    assert callback_paths(settings) == frozenset()
    on = {
        **env,
        "BALIE_ZGW_NOTIFICATIES_URL": "http://127.0.0.1:1/notificaties/api/v1",
        "BALIE_ZGW_CALLBACK_URL": "https://balie.example.nl/zgw/notificaties",
        "BALIE_ZGW_CALLBACK_AUTH": CALLBACK_AUTH,
    }
    config = ZgwConfig.read(Env(on))
    assert config.abonnement_check == 300.0 and CALLBACK_AUTH not in repr(config)
    assert callback_paths(ActionSettings(backend="zgw", zgw=config)) == {CALLBACK_PATH}
    with pytest.raises(ConfigError, match="CALLBACK_AUTH"):
        ZgwConfig.read(Env({**on, "BALIE_ZGW_CALLBACK_AUTH": "kort"}))
    with pytest.raises(ConfigError, match="CALLBACK_URL"):
        ZgwConfig.read(Env({**on, "BALIE_ZGW_CALLBACK_URL": ""}))


async def test_the_action_server_subscribes_at_start_and_serves_the_callback(
    zgw_fake, web_app: Web, tmp_path: Path
) -> None:
    """The real `python -m actions`: subscription at start, the callback outside Rasa's token."""
    zgw, _ = zgw_fake
    port = free_port()
    callback = f"http://127.0.0.1:{port}{CALLBACK_PATH}"
    config = zgw_config(zgw, callback)
    env = {
        "BALIE_WEB_PORT": str(web_app.web_port),
        "BALIE_API_TOKEN": TOKEN,
        "BALIE_BACKEND": "zgw",
        "BALIE_ZGW_ZAKEN_URL": config.zaken_url,
        "BALIE_ZGW_CLIENT_ID": "balie",
        "BALIE_ZGW_SECRET": SECRET,
        "BALIE_ZGW_RSIN": RSIN,
        "BALIE_ZGW_ZAAKTYPE_MELDING": config.zaaktypen["melding"],
        "BALIE_ZGW_STATUSTYPE_MELDING": config.statustypen["melding"],
        "BALIE_ZGW_NOTIFICATIES_URL": config.notificaties_url or "",
        "BALIE_ZGW_CALLBACK_URL": callback,
        "BALIE_ZGW_CALLBACK_AUTH": CALLBACK_AUTH,
    }
    nrc = zgw.notificaties
    # A blocking context manager: start it in a thread so the fakes keep answering.
    manager = action_server.running(tmp_path / "actions", env, port)
    await asyncio.to_thread(manager.__enter__)
    try:
        for _ in range(200):
            if nrc.abonnementen:
                break
            await asyncio.sleep(0.05)
        [abonnement] = nrc.abonnementen.values()
        assert abonnement["callbackUrl"] == callback
        backend = ZgwBackend(config, ledger(web_app.api_url))
        try:
            created = await backend.create_case(melding())
        finally:
            await backend.close()
        zaak_uuid = next(iter(zgw.zaken))
        zgw.set_status(zaak_uuid, zgw.statustype_url("melding", "In behandeling"), "Bezig.")
        await nrc.drain()
        await web_app.settle(1)
        assert [p[1]["entities"]["zaaknummer"] for p in web_app.pushes] == [created.identificatie]
        await nrc.send(abonnement, nrc.notification("zaken", "x", "status", "y", "create", {}),
                       auth="Bearer iets-anders")  # fmt: skip
        assert nrc.delivered[-1][1] == 401
        async with aiohttp.ClientSession() as http:
            headers = {"Authorization": CALLBACK_AUTH}
            async with http.post(callback, data=b"{kapot", headers=headers) as resp:
                assert resp.status == 400 and "error" in await resp.json()
            # Rasa's routes still need Rasa's token.
            async with http.post(f"http://127.0.0.1:{port}/webhook", json={}) as resp:
                assert resp.status == 401
    finally:
        await asyncio.to_thread(manager.__exit__, None, None, None)


# -- Signalen -------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def signalen_fake() -> AsyncIterator[tuple[FakeSignalen, LoopbackServer]]:
    signalen = FakeSignalen(private_token=PRIVATE_TOKEN)
    server = await serve(signalen.app())
    yield signalen, server
    await server.close()


@asynccontextmanager
async def polling(
    url: str, api_url: str, token: str = PRIVATE_TOKEN, interval: float = 1.0, most: float = 8.0
) -> AsyncIterator[tuple[SignalenBackend, CaseApiClient, SignalenStatusNews]]:
    """The adapter (with `token` for the private API), a Case API client and the poller."""
    backend = SignalenBackend(
        url, ledger(api_url), categories=load_categories(), timeout=2.0, token=token
    )
    api = client(api_url)
    try:
        yield backend, api, SignalenStatusNews(backend, api, interval=interval, maximum=most)
    finally:
        await backend.close()
        await api.close()


@pytest.mark.parametrize(
    ("state", "status", "explained"),
    [
        ("m", "gemeld", None),
        ("i", "gemeld", "De melding staat in de rij."),
        ("b", "in_behandeling", None),
        ("h", "in_behandeling", "Het werk ligt even stil."),
        ("ingepland", "ingepland", None),
        ("o", "afgehandeld", None),
        ("a", "geannuleerd", None),
        ("reopened", "in_behandeling", "De melding is weer open."),
        ("reaction requested", "in_behandeling", "Er is een vraag over de melding gestuurd."),
        (
            "s",
            "in_behandeling",
            "De melding is in delen gesplitst. Elk deel gaat apart verder.",
        ),
    ],
)
def test_signalen_states_map_to_balie_and_b1_text(state, status, explained) -> None:
    assert map_state(state) == status
    assert explain_state(state, None) == explained
    assert explain_state(state, "  Wij  komen\nmorgen. ") == " ".join(
        p for p in (explained, "Wij komen morgen.") if p
    )


async def test_signalen_polling_pushes_each_state_with_its_text(signalen_fake, web_app) -> None:
    signalen, server = signalen_fake
    async with polling(server.url, web_app.api_url) as (backend, api, poller):
        created = await backend.create_case(melding(categorie="grofvuil"))
        receipt = await api.receipt(created.identificatie)
        assert receipt and receipt.external_url == f"{server.url}/signals/v1/private/signals/1"
        # The first status is the one the resident was just told: recorded, not pushed.
        assert await poller.poll_once() == 1
        assert await poller.poll_once() == 0
        await web_app.settle(0)
        assert web_app.pushes == []

        [signal_id] = signalen.signals
        steps = [
            ("b", "We gaan ermee aan de slag.", "in_behandeling", "We gaan ermee aan de slag."),
            ("o", "Het grofvuil is opgehaald.", "afgehandeld", "Het grofvuil is opgehaald."),
            ("reopened", None, "in_behandeling", "De melding is weer open."),
            ("a", "Dubbele melding.", "geannuleerd", "Dubbele melding."),
        ]
        for number, (state, text, status, toelichting) in enumerate(steps, 1):
            signalen.set_state(signal_id, state, text)
            assert await poller.poll_once() == 1
            assert await poller.poll_once() == 0  # unchanged: nothing pushed again
            await web_app.settle(number)
            assert len(web_app.pushes) == number
            seen = await backend.get_case(created.identificatie, melder=MELDER)
            assert seen and (seen.status, seen.toelichting) == (status, toelichting)


async def test_a_follower_of_a_signalen_melding_hears_its_status_news(
    signalen_fake, web_app
) -> None:
    signalen, server = signalen_fake
    async with polling(server.url, web_app.api_url) as (backend, _, poller):
        created = await backend.create_case(melding(categorie="grofvuil"))
        assert await poller.poll_once() == 1
        near = await backend.find_open_nearby("grofvuil", Locatie(lat=52.0907, lon=5.1214))
        assert [c.identificatie for c in near] == [created.identificatie]
        report = ReportIn(
            omschrijving="Hier ook grofvuil.", kanaal="telegram", melder="telegram:77"
        )
        assert await backend.add_report(created.identificatie, report, "volg-1")
        [signal_id] = signalen.signals
        signalen.set_state(signal_id, "b", "We gaan ermee aan de slag.")
        assert await poller.poll_once() == 1
        await web_app.settle(2)
        assert sorted(p[0] for p in web_app.pushes) == ["4242", "77"]


async def test_signalen_polling_backs_off(signalen_fake, web_app) -> None:
    signalen, server = signalen_fake
    async with polling(server.url, web_app.api_url) as (backend, api, poller):
        delays = [1.0]
        for news in (False, False, False, False, True, False):
            delays.append(poller.next_delay(delays[-1], news=news))
        assert delays == [1.0, 2.0, 4.0, 8.0, 8.0, 1.0, 2.0]
        assert poller.next_delay(2.0, news=False, retry_after=30.0) == 30.0

        await backend.create_case(melding(categorie="grofvuil"))
        signalen.faults.fail("unavailable")
        with pytest.raises(BackendUnavailable):
            await poller.poll_once()
        signalen.faults.clear()

        # run(): quiet rounds come ever further apart (interval 0.05 s, at most 0.4 s).
        quick = SignalenStatusNews(backend, api, interval=0.05, maximum=0.4)
        before = signalen.private_reads
        task = asyncio.ensure_future(quick.run())
        await asyncio.sleep(1.0)
        task.cancel()
        rounds = signalen.private_reads - before
        # The first round records the status (news: back to 0.05 s), then 0.05, 0.1, 0.2,
        # 0.4 s: about 5 rounds in a second, not 20.
        assert 2 <= rounds <= 6


async def test_signalen_without_a_token_keeps_open_closed(signalen_fake, web_app) -> None:
    signalen, server = signalen_fake
    async with polling(server.url, web_app.api_url, token="") as (backend, _, poller):
        created = await backend.create_case(melding(categorie="grofvuil"))
        [signal_id] = signalen.signals
        signalen.set_state(signal_id, "b", "Bezig.")
        seen = await backend.get_case(created.identificatie, melder=MELDER)
        assert seen and seen.status == "gemeld" and seen.toelichting is None  # OPEN
        assert await poller.poll_once() == 0 and signalen.private_reads == 0
        signalen.set_state(signal_id, "o", "Klaar.")
        seen = await backend.get_case(created.identificatie, melder=MELDER)
        assert seen and seen.status == "afgehandeld"  # CLOSED
        # Nothing polls unless a token is configured.
        config = backend_config(server.url)
        assert enabled(ActionSettings(backend="signalen", signalen=config)) == {"signalen"}
        off = ActionSettings(backend="signalen", signalen=replace(config, token=""))
        assert enabled(off) == frozenset() and callback_paths(off) == frozenset()


async def test_signalen_with_a_wrong_token_is_refused(signalen_fake, web_app) -> None:
    _, server = signalen_fake
    async with polling(server.url, web_app.api_url, token="fout-token") as (backend, _, _):
        created = await backend.create_case(melding(categorie="grofvuil"))
        with pytest.raises(BackendRejected, match="403"):
            await backend.get_case(created.identificatie, melder=MELDER)


def backend_config(url: str) -> SignalenConfig:
    return SignalenConfig.read(
        Env({"BALIE_SIGNALEN_URL": url, "BALIE_SIGNALEN_TOKEN": PRIVATE_TOKEN})
    )


def test_signalen_status_news_settings() -> None:
    config = backend_config("http://127.0.0.1:1")
    assert (config.poll_interval, config.poll_max) == (60.0, 900.0)
    assert PRIVATE_TOKEN not in repr(config)
