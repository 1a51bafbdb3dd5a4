"""Open widget connections of this web-app instance, and getting new messages to them.

Every connection remembers the last sequence number it sent; whenever its
conversation may have grown it reads everything after that from the database
(`ChatLog.after`) and sends it in order. Growth is noticed three ways: messages this
instance stores wake its connections at once; with Redis (`webapp.bus`), another
instance that stores one publishes the conversation's id and this one wakes its
connections at once too; and a poller compares each open conversation's `laatste_seq`
every `poll_seconds`, which catches everything when Redis is not there or down.
Since sending always goes by sequence number, a wake-up too many sends nothing twice.

"Typing" and "wiped" reach tabs of the same conversation on other instances through
the bus as well; whether a turn is running anywhere is a counter in Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from aiohttp import web

from webapp.bus import MESSAGES, TYPING, WIPED, Bus, Event
from webapp.chat.log import ChatLog

log = logging.getLogger(__name__)


class Connection:
    def __init__(
        self,
        ws: web.WebSocketResponse,
        session_id: str,
        sender: str,
        after: int,
        address: str | None = None,
    ):
        self.ws = ws
        self.session_id = session_id
        self.sender = sender
        self.address = address  # the browser's client address (core/client_address.py)
        self.delivered = after  # the browser has rendered everything up to here
        self.wiped = False  # told that the conversation was wiped
        self.live: dict[str, Any] | None = None  # the last live chat state sent (webapp/live/)
        self._lock = asyncio.Lock()

    async def send(self, frame: dict[str, Any]) -> bool:
        if self.ws.closed:
            return False
        try:
            await self.ws.send_json(frame)
            return True
        except (ConnectionError, RuntimeError):  # the socket went away mid-send
            return False

    async def pull(self, chat_log: ChatLog) -> None:
        async with self._lock:  # one reader at a time, so nothing goes out twice
            for entry in await chat_log.after(self.session_id, self.delivered):
                if not await self.send(entry.frame()):
                    return
                self.delivered = entry.seq


class _Turns:
    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.count = 0  # running and waiting
        self.counted = False  # added to the Redis typing counter


# A turn's typing counter outlives a crashed instance by this much at most (seconds);
# a turn itself ends within relay.TURN_TIMEOUT.
TYPING_TTL = 180
TYPING_ON = {"type": "typing", "on": True}
TYPING_OFF = {"type": "typing", "on": False}


class Hub:
    def __init__(self, chat_log: ChatLog, poll_seconds: float = 1.0, bus: Bus | None = None):
        self.log = chat_log
        self.poll_seconds = poll_seconds
        self.connections: dict[str, set[Connection]] = defaultdict(set)
        self._turns: dict[str, _Turns] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._poller: asyncio.Task[None] | None = None
        # Told the id of every conversation that grew, here or on another instance
        # (the live chat's medewerker sockets, webapp/live/).
        self.watchers: list[Callable[[str], None]] = []
        self.bus = bus if bus is not None and bus.enabled else None
        if self.bus is not None:
            self.bus.subscribe(self._event)
            self.bus.on_connect(lambda: self.spawn(self.check()))

    # --- connections -------------------------------------------------------------------

    def add(self, conn: Connection) -> None:
        self.connections[conn.session_id].add(conn)

    def remove(self, conn: Connection) -> None:
        conns = self.connections.get(conn.session_id)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.connections[conn.session_id]

    def notify(self, session_id: str) -> None:
        """New messages in this conversation: send them without making the caller wait,
        here and on the other instances."""
        self.wake(session_id)
        self._publish(MESSAGES, session_id)
        self._watch(session_id)

    def _watch(self, session_id: str) -> None:
        for watcher in self.watchers:
            watcher(session_id)

    def wake(self, session_id: str) -> None:
        """Send this instance's connections of the conversation what is new."""
        for conn in list(self.connections.get(session_id, ())):
            self.spawn(conn.pull(self.log))

    async def wiped(self, session_id: str) -> None:
        """The conversation was wiped: tell its other tabs, here and on other instances."""
        self._publish(WIPED, session_id)
        await self._tell_wiped(session_id)

    async def _tell_wiped(self, session_id: str) -> None:
        conns = [c for c in self.connections.get(session_id, ()) if not c.wiped]
        for conn in conns:
            conn.wiped = True
        await asyncio.gather(*(c.send({"type": "wiped"}) for c in conns))

    def _publish(self, kind: str, session_id: str, on: bool | None = None) -> None:
        if self.bus is not None and self.bus.up:
            self.spawn(self.bus.publish(kind, session_id, on))

    def _event(self, event: Event) -> None:
        """News from another instance."""
        if event.kind == MESSAGES:
            self._watch(event.session_id)
        if event.session_id not in self.connections:
            return
        if event.kind == MESSAGES:
            self.wake(event.session_id)
        elif event.kind == WIPED:
            self.spawn(self._tell_wiped(event.session_id))
        elif event.kind == TYPING and (event.on or not self.busy(event.session_id)):
            # "Off" from there while a turn runs here: ours ends it.
            self.spawn(self.broadcast(event.session_id, TYPING_ON if event.on else TYPING_OFF))

    async def flush(self, session_id: str) -> None:
        """Send whatever is new, and wait until it is sent."""
        conns = list(self.connections.get(session_id, ()))
        await asyncio.gather(*(c.pull(self.log) for c in conns))

    async def broadcast(self, session_id: str, frame: dict[str, Any]) -> None:
        conns = list(self.connections.get(session_id, ()))
        await asyncio.gather(*(c.send(frame) for c in conns))

    # --- turns: one at a time per conversation, with a typing indicator -----------------

    def busy(self, session_id: str) -> bool:
        """A turn of this conversation runs on this instance."""
        return session_id in self._turns

    async def typing(self, session_id: str) -> bool:
        """A turn of this conversation runs here or on another instance."""
        if self.busy(session_id):
            return True
        if self.bus is None:
            return False
        return (await self.bus.value(self.bus.key("typing", session_id)) or 0) > 0

    @contextlib.asynccontextmanager
    async def turn(self, session_id: str) -> AsyncIterator[None]:
        """Rasa handles a conversation's messages in order; "typing" shows until all are done.

        Turns sent through this instance run one at a time, in order. Turns of the same
        conversation sent through other instances (a second tab) are put in order by
        Rasa's lock store (Redis with several instances: rasa_plugins.lock_store).
        """
        turns = self._turns.get(session_id)
        first = turns is None
        if turns is None:
            turns = self._turns[session_id] = _Turns()
        turns.count += 1
        try:
            # No await before queueing on the lock: turns run in the order they came in.
            async with turns.lock:
                if first:
                    await self.broadcast(session_id, TYPING_ON)
                    await self._typing_elsewhere(session_id, turns, on=True)
                yield
                await self.flush(session_id)  # the replies go out before "typing" stops
        finally:
            turns.count -= 1
            if turns.count == 0:
                del self._turns[session_id]
                if await self._typing_elsewhere(session_id, turns, on=False):
                    if not self.busy(session_id):  # no new turn started meanwhile
                        await self.broadcast(session_id, TYPING_OFF)

    async def _typing_elsewhere(self, session_id: str, turns: _Turns, *, on: bool) -> bool:
        """Count this instance's turn in Redis and tell the other instances; False when
        another instance still runs a turn of the conversation (typing stays on)."""
        if self.bus is None:
            return True
        key = self.bus.key("typing", session_id)
        if on:
            turns.counted = await self.bus.count(key, 1, TYPING_TTL) is not None
            self._publish(TYPING, session_id, on=True)
            return True
        left = await self.bus.count(key, -1, TYPING_TTL) if turns.counted else None
        if left is not None and left > 0:
            return False
        self._publish(TYPING, session_id, on=False)
        return True

    # --- background work ---------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("chat relay task failed", exc_info=task.exception())

    async def check(self) -> None:
        """Compare every open conversation with the database: new messages, wiped ones."""
        if not self.connections:
            return
        heads = await self.log.heads(list(self.connections))
        for session_id, (seq, wiped) in heads.items():
            if wiped:
                self.spawn(self._tell_wiped(session_id))
                continue
            for conn in list(self.connections.get(session_id, ())):
                if seq > conn.delivered:
                    self.spawn(conn.pull(self.log))

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            try:
                await self.check()
            except Exception:  # a database hiccup must not end polling for good
                log.exception("polling widget conversations failed")

    async def start(self) -> None:
        self._poller = asyncio.ensure_future(self._poll())

    async def close(self) -> None:
        if self._poller:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
