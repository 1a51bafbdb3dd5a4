"""The web app's side of the `balie_web` channel: residents' messages to Rasa."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from core.widget_protocol import SECRET_HEADER, WEBHOOK_PATH

log = logging.getLogger(__name__)
# A turn may run a slow action (the case system answering late); the action has its own limits.
TURN_TIMEOUT = 120


class RasaUnavailable(Exception):
    pass


class RasaRelay:
    def __init__(self, rasa_url: str, secret: str) -> None:
        self.url = rasa_url.rstrip("/") + WEBHOOK_PATH
        self.secret = secret
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT),
            headers={SECRET_HEADER: self.secret},
        )

    async def close(self) -> None:
        if self._http:
            await self._http.close()

    async def send(self, sender: str, text: str, metadata: dict[str, Any] | None = None) -> None:
        """One turn; returns once Rasa has sent every reply through the callback."""
        assert self._http is not None, "RasaRelay.start() first"
        body: dict[str, Any] = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        try:
            async with self._http.post(self.url, json=body) as resp:
                if resp.status == 200:
                    return
                log.warning("Rasa answered %s to a widget message", resp.status)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.warning("Rasa not reachable for a widget message: %r", exc)
        raise RasaUnavailable
