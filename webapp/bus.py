"""Notifications between web-app instances, through Redis (`BALIE_REDIS_URL`).

Several `python -m bot web` processes may run behind a load balancer without sticky
sessions, on one database. The database stays the source of truth; Redis only makes
things quick. An instance that stores a widget message publishes the conversation's id
on the install's channel (`<BALIE_REDIS_PREFIX>:chat`), and the instance holding that
conversation's WebSocket sends the message at once instead of at its next poll. The
same channel carries "typing" and "wiped" for a conversation open in tabs on different
instances, and a counter per conversation (`<prefix>:typing:<id>`, with an expiry)
says whether any instance is running a turn for it. Payloads carry the conversation's
id (a hash of the browser's token), the kind of news and the sending instance's random
id: no personal data.

Without BALIE_REDIS_URL (one instance, the embedded default) nothing here runs. When
Redis is unreachable, everything still works through the database, only slower (the
poller of `webapp.chat.hub`); that is logged once per outage, and again when Redis is
back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from webapp.settings import WebSettings

log = logging.getLogger(__name__)

MESSAGES, TYPING, WIPED = "m", "t", "w"
LIVE = "l"  # the live chat queue changed (webapp/live/); session_id "*" or a conversation
# In a live chat: the resident types (to the medewerker's page), the medewerker types
# (to the widget); throttled by webapp/live/service.py.
LIVE_TYPING_RESIDENT, LIVE_TYPING_MEDEWERKER = "lr", "lm"
PING_SECONDS = 5.0  # an idle subscription pings this often; no answer in 3x: reconnect
TIMEOUT = 2.0  # seconds one Redis command may take before Redis counts as unreachable
FAILURES = (RedisError, OSError, asyncio.TimeoutError)
# Add to a counter atomically; at zero or below it goes, otherwise it expires ttl later.
COUNT_SCRIPT = """
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if value <= 0 then redis.call('DEL', KEYS[1]) else redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return value
"""


def _redacted(url: str) -> str:
    """The URL without a password, for the log."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "…@" + rest.rsplit("@", 1)[1]
    return scheme + sep + rest


@dataclass(frozen=True)
class Event:
    kind: str  # MESSAGES, TYPING, WIPED or LIVE
    session_id: str
    origin: str  # the publishing instance
    on: bool | None = None  # TYPING: whether a turn is running anywhere

    def encode(self) -> str:
        data: dict[str, Any] = {"k": self.kind, "s": self.session_id, "o": self.origin}
        if self.on is not None:
            data["on"] = self.on
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: bytes | str) -> Event | None:
        try:
            data = json.loads(raw)
            event = cls(str(data["k"]), str(data["s"]), str(data["o"]), data.get("on"))
        except (ValueError, TypeError, KeyError):
            return None
        return event if len(event.session_id) <= 128 else None


class Bus:
    """This instance's connection to the others. Nothing here ever raises to a caller."""

    def __init__(self, url: str | None, prefix: str = "balie") -> None:
        self.url = url
        self.prefix = prefix
        self.channel = f"{prefix}:chat"
        self.instance = secrets.token_hex(6)
        self.up = False  # subscribed and answering; publishing is skipped while not
        self._outage_logged = False
        self._client: aioredis.Redis | None = None
        self._listener: asyncio.Task[None] | None = None
        self._handlers: list[Callable[[Event], None]] = []
        self._on_connect: list[Callable[[], None]] = []

    @classmethod
    def of(cls, settings: WebSettings) -> Bus:
        """BALIE_REDIS_URL and BALIE_REDIS_PREFIX; without a URL the bus never runs."""
        return cls(settings.redis_url or None, settings.redis_prefix)

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def subscribe(self, handler: Callable[[Event], None]) -> None:
        """handler(event) for every event another instance publishes."""
        self._handlers.append(handler)

    def on_connect(self, callback: Callable[[], None]) -> None:
        """callback() after every (re)subscription: catch up on what went unheard."""
        self._on_connect.append(callback)

    # --- health ------------------------------------------------------------------------

    def _mark_up(self) -> None:
        if not self.up and self._outage_logged:
            log.info("Redis is reachable again: instances notify each other at once")
            self._outage_logged = False
        self.up = True

    def _mark_down(self, exc: BaseException) -> None:
        self.up = False
        if not self._outage_logged:
            log.warning(
                "Redis (%s) is unreachable (%r): widget messages stored by other web-app "
                "instances arrive by polling the database (BALIE_CHAT_POLL_SECONDS) until it "
                "is back",
                _redacted(self.url or ""),
                exc,
            )
            self._outage_logged = True

    async def _command(self, make: Callable[[aioredis.Redis], Any]) -> Any:
        """Run one command; None (and Redis marked down) when it fails or is down."""
        if not self.up or self._client is None:
            return None
        for attempt in (1, 2):  # a pooled connection may have died with an earlier Redis
            try:
                return await asyncio.wait_for(make(self._client), TIMEOUT)
            except FAILURES as exc:
                if attempt == 2 or isinstance(exc, asyncio.TimeoutError):
                    self._mark_down(exc)
        return None

    # --- publishing and counters ---------------------------------------------------------

    async def publish(self, kind: str, session_id: str, on: bool | None = None) -> None:
        event = Event(kind, session_id, self.instance, on)
        await self._command(lambda r: r.publish(self.channel, event.encode()))

    async def count(self, key: str, by: int, ttl: int) -> int | None:
        """Add by to a counter that expires ttl seconds after its last change."""

        value = await self._command(lambda r: r.eval(COUNT_SCRIPT, 1, key, by, ttl))
        return int(value) if value is not None else None

    async def value(self, key: str) -> int | None:
        raw = await self._command(lambda r: r.get(key))
        try:
            return int(raw) if raw is not None else None
        except ValueError:
            return None

    # --- listening -----------------------------------------------------------------------

    def _dispatch(self, raw: bytes | str) -> None:
        event = Event.decode(raw)
        if event is None or event.origin == self.instance:
            return
        for handler in self._handlers:
            try:
                handler(event)
            except Exception:
                log.exception("handling an instance event failed")

    async def _listen_once(self) -> None:
        assert self._client is not None
        pubsub = self._client.pubsub()
        try:
            await asyncio.wait_for(pubsub.subscribe(self.channel), TIMEOUT)
            self._mark_up()
            for callback in self._on_connect:
                callback()
            heard = time.monotonic()
            while True:
                message = await pubsub.get_message(timeout=PING_SECONDS)
                now = time.monotonic()
                if message is not None:
                    heard = now
                    if message["type"] == "message":
                        self._dispatch(message["data"])
                    elif message["type"] == "pong":
                        self._mark_up()
                    continue
                if now - heard > 3 * PING_SECONDS:
                    raise asyncio.TimeoutError("no answer to pings")
                await asyncio.wait_for(pubsub.ping(), TIMEOUT)  # answered as a "pong" message
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pubsub.reset(), TIMEOUT)

    async def _listen(self) -> None:
        delay = 0.5
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis down, or a connection dropped
                self._mark_down(exc)
            await asyncio.sleep(delay * random.uniform(0.75, 1.25))
            delay = 0.5 if self.up else min(delay * 2, 10.0)

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        if not self.url:
            return
        self._client = aioredis.from_url(
            self.url, socket_connect_timeout=TIMEOUT, socket_keepalive=True
        )
        self._listener = asyncio.ensure_future(self._listen())

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.close()
                await self._client.connection_pool.disconnect()
        self.up = False

    async def lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        await self.start()
        yield
        await self.close()


BUS_KEY = web.AppKey("instance_bus", Bus)


def setup(app: web.Application, settings: WebSettings) -> Bus:
    """The app's bus, made once; it runs only when BALIE_REDIS_URL is set."""
    if BUS_KEY in app:
        return app[BUS_KEY]
    bus = Bus.of(settings)
    app[BUS_KEY] = bus
    if bus.enabled:
        app.cleanup_ctx.append(bus.lifecycle)
        _warn_unshared_secrets(settings)
    return bus


def _warn_unshared_secrets(settings: WebSettings) -> None:
    """Several instances need the same secrets; files in a data directory are per instance."""
    for name, configured, what in (
        (
            "BALIE_API_TOKEN",
            settings.configured_api_token,
            "the Case API token and the widget channel secret",
        ),
        ("BALIE_SECRET_KEY", settings.secret_key, "the key of the staff console's session cookies"),
        (
            "BALIE_RASA_TOKEN",
            settings.configured_rasa_token,
            "the token of Rasa's HTTP API and the action server",
        ),
    ):
        if not configured:
            log.warning(
                "BALIE_REDIS_URL is set (several web-app instances) but %s is not: %s come "
                "from this instance's data directory and only match other instances that "
                "share it",
                name,
                what,
            )
