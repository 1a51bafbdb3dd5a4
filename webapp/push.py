"""Status changes reach the resident, in the chat they reported from.

When staff change a case's status, the web app asks Rasa to run the resident's
conversation on (`trigger_intent` with `EXTERNAL_status_gewijzigd`), with that
conversation's own output channel: a Telegram chat gets a Telegram message, an
open web widget gets it pushed, a REST conversation has it in its tracker.

With several web-app instances, the one that handled the status change pushes it, once:
nothing here polls for changes, so no other instance pushes it again. Rasa's answer for
a widget comes back through `/chat/callback` on any instance, which stores it and tells
the instance holding the resident's WebSocket (webapp.bus).
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import web

from core.domain import RASA_OUTPUT_CHANNELS
from core.settings import Settings
from webapp.cases import nearby
from webapp.cases.models import Case
from webapp.cases.store import CaseStore

log = logging.getLogger(__name__)


class StatusPusher:
    def __init__(self, settings: Settings) -> None:
        self.rasa_url = settings.rasa_url
        self.auth = settings.rasa_auth()  # Rasa's API answers nobody anonymous
        self._tasks: set[asyncio.Task[bool]] = set()
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def close(self) -> None:
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
        if self._http:
            await self._http.close()

    def schedule(self, melder: str | None, identificatie: str) -> None:
        """Push in the background: the staff member's request does not wait for Rasa."""
        if not melder or ":" not in melder:
            return
        task = asyncio.ensure_future(self.push(melder, identificatie))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def push(self, melder: str, identificatie: str) -> bool:
        kanaal, sender = melder.split(":", 1)
        if kanaal not in RASA_OUTPUT_CHANNELS or self._http is None:
            return False
        channel = RASA_OUTPUT_CHANNELS[kanaal]
        params = {"output_channel": channel} if channel else {}
        url = f"{self.rasa_url}/conversations/{sender}/trigger_intent"
        body = {"name": "EXTERNAL_status_gewijzigd", "entities": {"zaaknummer": identificatie}}
        try:
            async with self._http.post(url, json=body, params=params, headers=self.auth) as resp:
                if resp.status == 200:
                    return True
                log.warning("status push for %s: Rasa answered %s", identificatie, resp.status)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.warning("status push for %s failed: %r", identificatie, exc)
        return False


async def announce(pusher: StatusPusher, store: CaseStore, case: Case) -> int:
    """A status change reaches the case's reporter and everyone who reported it again
    and follows it (webapp/cases/nearby.py), but no chat that turned messages off;
    answers how many chats were told."""
    melders = await nearby.followers(store, case)
    for melder in melders:
        pusher.schedule(melder, case.identificatie)
    return len(melders)


PUSHER_KEY = web.AppKey("status_pusher", StatusPusher)


def setup(app: web.Application, settings: Settings) -> None:
    pusher = StatusPusher(settings)
    app[PUSHER_KEY] = pusher

    async def lifecycle(app: web.Application):
        await pusher.start()
        yield
        await pusher.close()

    app.cleanup_ctx.append(lifecycle)
