"""A reverse proxy on loopback that tests can switch off, to play a case system outage."""

from __future__ import annotations

import asyncio
import threading

import aiohttp
from aiohttp import web

HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection"}


class SwitchableProxy:
    """Forwards to `target` while up; answers 503 (or is slow) when told to.

    It runs its own event loop in a thread, so it keeps answering while the
    test's loop is idle between tests.
    """

    def __init__(self, target: str, port: int) -> None:
        self.target = target.rstrip("/")
        self.port = port
        self.mode = "up"  # up | down | slow
        self.delay = 0.0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SwitchableProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application(client_max_size=16 * 1024**2)
        app.router.add_route("*", "/{path:.*}", self._forward)
        runner = web.AppRunner(app)
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        if self.mode == "down":
            return web.json_response({"error": "unavailable"}, status=503)
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        async with aiohttp.ClientSession() as http:
            async with http.request(
                request.method,
                self.target + request.rel_url.path_qs,
                headers=headers,
                data=await request.read(),
            ) as resp:
                body = await resp.read()
                return web.Response(
                    status=resp.status,
                    body=body,
                    headers={k: v for k, v in resp.headers.items() if k.lower() not in HOP_HEADERS},
                )
