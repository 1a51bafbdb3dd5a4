"""Status news from the external case systems, pushed to the resident's chat.

The built-in case system pushes a status change itself (webapp/push.py). Signalen and
ZGW do not know Balie's residents, so the action server, which owns their adapters and
settings, learns of changes (ZGW: notifications on a callback, zgw.py; Signalen: polling
its private API, signalen.py) and hands each to the web app, which keeps the receipts,
drops duplicates and out-of-order news, and pushes the rest like a built-in change.
Nothing runs unless the adapter's status news is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.backends.ledger import Ledger
from actions.settings import ActionSettings
from core.caseapi.client import CaseApiClient

CALLBACK_PATH = "/zgw/notificaties"

Job = Callable[[], tuple[Coroutine[Any, Any, None], Callable[[], Awaitable[None]]]]
"""Makes, once the server runs, the long-running coroutine and what closes its sessions."""


def enabled(settings: ActionSettings) -> frozenset[str]:
    """The adapters whose status news the settings turn on (none by default)."""
    zgw, signalen = settings.zgw, settings.signalen
    if settings.backend == "zgw" and zgw is not None and zgw.notificaties_url:
        return frozenset({"zgw"})
    if settings.backend == "signalen" and signalen is not None and signalen.token:
        return frozenset({"signalen"})
    return frozenset()


def callback_paths(settings: ActionSettings) -> frozenset[str]:
    """Routes that authenticate their caller themselves (not with Rasa's token)."""
    return frozenset({CALLBACK_PATH}) if "zgw" in enabled(settings) else frozenset()


def setup(app: Sanic, settings: ActionSettings) -> None:
    """Start what the settings turn on with the server; stop it with the server."""
    tasks: list[Job] = []
    if "zgw" in enabled(settings):
        tasks.append(_zgw(app, settings))
    if "signalen" in enabled(settings):
        tasks.append(_signalen(settings))
    if not tasks:
        return
    running: list[asyncio.Future[None]] = []
    closers: list[Callable[[], Awaitable[None]]] = []

    async def start(app: Sanic, loop: Any) -> None:
        for make in tasks:
            job, close = make()
            running.append(asyncio.ensure_future(job))
            closers.append(close)

    async def stop(app: Sanic, loop: Any) -> None:
        for task in running:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for close in closers:
            await close()

    app.register_listener(start, "after_server_start")
    app.register_listener(stop, "before_server_stop")


def _zgw(app: Sanic, settings: ActionSettings) -> Job:
    from actions.backends.zgw import ZgwBackend
    from actions.statusnieuws.zgw import ZgwStatusNews

    assert settings.zgw is not None
    api = CaseApiClient.of(settings)
    news = ZgwStatusNews(settings.zgw, ZgwBackend(settings.zgw, Ledger(api)), api)

    @app.post(CALLBACK_PATH)
    async def notification(request: Request) -> HTTPResponse:
        try:
            body = request.json
        except Exception:  # Sanic raises its own BadRequest for JSON it cannot read
            body = None
        status, answer = await news.answer(request.headers.get("Authorization"), body)
        return response.empty(status=204) if status == 204 else response.json(answer, status)

    def make() -> tuple[Coroutine[Any, Any, None], Callable[[], Awaitable[None]]]:
        return news.keep_subscribed(), news.backend.close

    return make


def _signalen(settings: ActionSettings) -> Job:
    from actions.backends.signalen import SignalenBackend
    from actions.statusnieuws.signalen import SignalenStatusNews

    config = settings.signalen
    assert config is not None
    api = CaseApiClient.of(settings)
    backend = SignalenBackend.of(config, Ledger(api))
    poller = SignalenStatusNews(
        backend, api, interval=config.poll_interval, maximum=config.poll_max
    )

    def make() -> tuple[Coroutine[Any, Any, None], Callable[[], Awaitable[None]]]:
        return poller.run(), backend.close

    return make
