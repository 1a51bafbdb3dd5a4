"""Loopback stand-ins for the external case systems (Signalen, ZGW/Open Zaak).

Each fake is an aiohttp application that validates what it receives by the real
system's documented rules, keeps its state in memory and can be told to fail. Run one
in-process with aiohttp's test client, or as a real HTTP server on 127.0.0.1:

    server = await serve(FakeSignalen().app())
    ...  # point the adapter at `server.url`; `await server.close()` afterwards
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

FaultMode = Literal["down", "error", "unavailable", "slow", "throttled"]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Faults:
    """What a fake does instead of answering: tests switch it on and off.

    * `down`: drop the connection without answering (the client sees a disconnect);
    * `error`: HTTP 500; `unavailable`: HTTP 503;
    * `slow`: wait `delay` seconds first (longer than the client's timeout);
    * `throttled`: HTTP 429 with `Retry-After: <delay>`.
    `times` limits how many requests fail; None means until `clear()`.
    """

    def __init__(self) -> None:
        self.mode: FaultMode | None = None
        self.times: int | None = None
        self.delay = 30.0

    def fail(self, mode: FaultMode, *, times: int | None = None, delay: float = 30.0) -> None:
        self.mode, self.times, self.delay = mode, times, delay

    def clear(self) -> None:
        self.mode, self.times = None, None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        mode = self.mode
        if mode is None:
            return await handler(request)
        if self.times is not None:
            self.times -= 1
            if self.times <= 0:
                self.clear()
        if mode == "down":
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        if mode == "slow":
            await asyncio.sleep(self.delay)
            return await handler(request)
        if mode == "throttled":
            return web.json_response(
                {"detail": "Request was throttled."},
                status=429,
                headers={"Retry-After": str(int(self.delay))},
            )
        status = 500 if mode == "error" else 503
        return web.json_response({"detail": "fault injected by the test"}, status=status)


def origin(request: web.Request) -> str:
    """'http://127.0.0.1:8123' (not request.url: aiohttp 3.9 with yarl >= 1.10 rejects it)."""
    return f"{request.scheme}://{request.host}"


@dataclass
class LoopbackServer:
    runner: web.AppRunner
    url: str

    async def close(self) -> None:
        await self.runner.cleanup()


async def serve(app: web.Application, port: int = 0) -> LoopbackServer:
    """Start `app` on 127.0.0.1 (a free port unless given); returns its base URL."""
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    host, bound = runner.addresses[0][:2]
    return LoopbackServer(runner, f"http://{host}:{bound}")
