"""Long polling for a server without a public URL: `python -m bot telegram-poll`.

Fetches updates with getUpdates and POSTs each, with the webhook secret, to the
Rasa server's Telegram webhook on loopback: the connector handles polled and
pushed updates by the same code. An update is confirmed to Telegram (the next
getUpdates offset) only once Rasa accepted it, so none is lost while Rasa starts or
restarts. The supervisor starts this when `TELEGRAM_TOKEN` is set and
`TELEGRAM_WEBHOOK_URL` is not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
from functools import partial
from typing import TYPE_CHECKING, Any

import aiohttp

from rasa_plugins.connectors.telegram_bot import (
    ALLOWED_UPDATES,
    SECRET_HEADER,
    WEBHOOK_PATH,
    TelegramConfig,
    retry_after_seconds,
)

if TYPE_CHECKING:
    from rasa_plugins.settings import PluginSettings

log = logging.getLogger(__name__)

POLL_TIMEOUT = 25  # seconds Telegram holds getUpdates open when there is nothing new
MAX_BACKOFF = 10.0


class Poller:
    def __init__(self, config: TelegramConfig, forward_url: str) -> None:
        self.config = config
        self.forward_url = forward_url
        self.bot = config.make_bot()
        self.stopping = asyncio.Event()

    async def run(self) -> int:
        from telegram.error import InvalidToken

        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
                if not await self._rasa_ready(http):
                    return 0
                if not await self._until_ok(self._prepare, "getMe/deleteWebhook"):
                    return 0
                offset: int | None = None
                while not self.stopping.is_set():
                    updates = await self._until_ok(lambda o=offset: self._fetch(o), "getUpdates")
                    for update in updates or []:
                        forward = partial(self._forward, http, update)
                        if not await self._until_ok(forward, "forward"):
                            return 0
                        offset = update["update_id"] + 1
        except InvalidToken:
            log.error("Telegram refused TELEGRAM_TOKEN; long polling stops")
            return 2
        finally:
            with contextlib.suppress(Exception):
                await self.bot.shutdown()
        return 0

    async def _rasa_ready(self, http: aiohttp.ClientSession) -> bool:
        """Wait until Rasa's Telegram channel accepts updates (503 while the model loads)."""
        url = self.forward_url.rsplit("/", 1)[0] + "/"
        while not self.stopping.is_set():
            try:
                async with http.get(url) as resp:
                    if resp.status == 200:
                        return True
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass  # not listening yet
            await self._unless_stopping(asyncio.sleep(1))
        return False

    async def _prepare(self) -> bool:
        """Check the token; remove a webhook (it would make getUpdates fail)."""
        await self.bot.initialize()
        await self.bot.delete_webhook(drop_pending_updates=False)
        log.info("long polling for @%s; updates go to %s", self.bot.username, self.forward_url)
        return True

    async def _fetch(self, offset: int | None) -> list[dict[str, Any]]:
        updates = await self.bot.get_updates(
            offset=offset, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES
        )
        # Forward what Telegram sent, unknown fields included (to_dict keeps api_kwargs).
        return [update.to_dict() for update in updates]

    async def _forward(self, http: aiohttp.ClientSession, update: dict[str, Any]) -> bool:
        headers = {SECRET_HEADER: self.config.secret}
        async with http.post(self.forward_url, json=update, headers=headers) as resp:
            if resp.status in (200, 400, 413):  # accepted, or refused for good: move on
                if resp.status != 200:
                    log.warning("update %s refused: HTTP %s", update.get("update_id"), resp.status)
                return True
            if resp.status == 403:
                log.error("Rasa refused the webhook secret; is TELEGRAM_WEBHOOK_SECRET the same?")
            raise ConnectionError(f"Rasa answered HTTP {resp.status}")

    async def _until_ok(self, attempt, what: str):
        """Retry `attempt` until it succeeds or the poller stops (None then)."""
        from telegram.error import Conflict, InvalidToken, RetryAfter

        delay = 1.0
        while not self.stopping.is_set():
            try:
                return await self._unless_stopping(attempt())
            except InvalidToken:
                raise
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
            except Conflict as exc:  # a webhook was set meanwhile, or another poller runs
                log.warning("%s: %s", what, exc)
                wait = 5.0
                with contextlib.suppress(Exception):
                    await self.bot.delete_webhook()
            except Exception as exc:  # Telegram or Rasa away: wait and try again
                log.warning("%s failed: %r; retrying in %.0fs", what, exc, delay)
                wait, delay = delay + random.uniform(0, 0.5), min(delay * 2, MAX_BACKOFF)
            await self._unless_stopping(asyncio.sleep(wait))
        return None

    async def _unless_stopping(self, awaitable):
        """Await `awaitable`, or give up on it (None) as soon as the poller is stopped."""
        task = asyncio.ensure_future(awaitable)
        stopped = asyncio.ensure_future(self.stopping.wait())
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not task.done():
            task.cancel()
            return None
        return task.result()


async def main(settings: PluginSettings) -> int:
    """The poller of `python -m bot telegram-poll`, with that command's settings (bot/cli.py)."""
    config = settings.telegram
    if not config.enabled:
        log.error("TELEGRAM_TOKEN is not set: nothing to poll")
        return 2
    poller = Poller(config, settings.rasa_url + WEBHOOK_PATH)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, poller.stopping.set)
    return await poller.run()
