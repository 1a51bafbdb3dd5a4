"""The REST channel's switches (rasa_plugins/connectors/rest.py), served on loopback by Sanic.

No model is loaded here: a request that gets past the switch and the token meets a Rasa
that is still starting (503), which is how these tests see that it got past them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace

import aiohttp
import pytest
from sanic import Sanic

from core.settings import ConfigError
from rasa_plugins.connectors.rest import BalieRestInput
from rasa_plugins.settings import PluginSettings
from tests.conftest import free_port

BODY = {"sender": "integratie-1", "message": "hallo"}


async def never(message) -> None:  # type: ignore[no-untyped-def]
    raise AssertionError("no message may reach Rasa without a model")


async def serve(channel: BalieRestInput) -> AsyncIterator[str]:
    # Sanic rewrites its own code at each app's start unless it is in test mode, and
    # a second app in one process then breaks: sanic-testing sets this flag too.
    Sanic.test_mode = True
    app = Sanic(f"rest_{uuid.uuid4().hex[:8]}")
    app.blueprint(channel.blueprint(never), url_prefix="/webhooks/rest")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    assert server is not None
    await server.startup()
    try:
        yield f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        yield session


def configured(**env: str) -> BalieRestInput:
    """The channel as the Rasa server's settings configure it from these variables."""
    return BalieRestInput.of(PluginSettings.from_env(env))


async def test_on_by_default_without_a_token(http) -> None:
    async for url in serve(configured()):
        async with http.post(url, json=BODY) as resp:
            assert resp.status == 503  # past every check; Rasa has no model here
        async with http.post(url, json={**BODY, "message": "x" * 1001}) as resp:
            assert resp.status == 413 and (await resp.json())["error"] == "te_lang"


async def test_switched_off(http) -> None:
    async for url in serve(configured(BALIE_REST_CHANNEL="off")):
        async with http.post(url, json=BODY) as resp:
            assert resp.status == 404 and "BALIE_REST_CHANNEL" in (await resp.json())["error"]
        async with http.get(url.removesuffix("webhook")) as resp:
            assert resp.status == 404


async def test_a_token_is_required_when_set(http) -> None:
    token = "integratie-" + uuid.uuid4().hex
    async for url in serve(configured(BALIE_REST_CHANNEL="on", BALIE_REST_TOKEN=token)):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": token}):
            async with http.post(url, json=BODY, headers=headers) as resp:
                assert resp.status == 401, headers
                assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        headers = {"Authorization": f"Bearer {token}"}
        async with http.post(url, json=BODY, headers=headers) as resp:
            assert resp.status == 503


def test_a_wrong_switch_stops_the_start() -> None:
    with pytest.raises(ConfigError, match="BALIE_REST_CHANNEL"):
        configured(BALIE_REST_CHANNEL="misschien")


def test_the_client_address_is_forwarded_only_by_trusted_proxies() -> None:
    """BALIE_TRUSTED_PROXIES reaches the channel: X-Forwarded-For from a load balancer
    names the resident; the caller's own claim in the metadata never counts."""
    request = SimpleNamespace(
        ip="10.1.2.3",
        headers={"X-Forwarded-For": "198.51.100.1"},
        json={**BODY, "metadata": {"client_address": "6.6.6.6"}},
    )
    behind_proxy = configured(BALIE_TRUSTED_PROXIES="10.0.0.0/8")
    assert behind_proxy.get_metadata(request) == {"client_address": "198.51.100.1"}
    assert configured().get_metadata(request) == {"client_address": "10.1.2.3"}
