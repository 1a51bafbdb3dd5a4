"""Open widget connections of this web-app instance, and getting new messages to them.

Every connection remembers the last sequence number it sent; whenever its
conversation may have grown it reads everything after that from the database
(`ChatLog.after`) and sends it in order. Growth is noticed two ways: messages this
instance stores wake their connections at once, and a poller compares each open
conversation's `laatste_seq` every `poll_seconds` for messages another instance stored.
Since sending always goes by sequence number, a wake-up too many sends nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Coroutine
from typing import Any

from aiohttp import web

from bot.web.chat.log import ChatLog

log = logging.getLogger(__name__)


class Connection:
    def __init__(self, ws: web.WebSocketResponse, session_id: str, sender: str, after: int):
        self.ws = ws
        self.session_id = session_id
        self.sender = sender
        self.delivered = after  # the browser has rendered everything up to here
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


class Hub:
    def __init__(self, chat_log: ChatLog, poll_seconds: float = 1.0) -> None:
        self.log = chat_log
        self.poll_seconds = poll_seconds
        self.connections: dict[str, set[Connection]] = defaultdict(set)
        self._turns: dict[str, _Turns] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._poller: asyncio.Task[None] | None = None

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
        """New messages in this conversation: send them without making the caller wait."""
        for conn in list(self.connections.get(session_id, ())):
            self.spawn(conn.pull(self.log))

    async def flush(self, session_id: str) -> None:
        """Send whatever is new, and wait until it is sent."""
        conns = list(self.connections.get(session_id, ()))
        await asyncio.gather(*(c.pull(self.log) for c in conns))

    async def broadcast(self, session_id: str, frame: dict[str, Any]) -> None:
        conns = list(self.connections.get(session_id, ()))
        await asyncio.gather(*(c.send(frame) for c in conns))

    # --- turns: one at a time per conversation, with a typing indicator -----------------

    def busy(self, session_id: str) -> bool:
        return session_id in self._turns

    @contextlib.asynccontextmanager
    async def turn(self, session_id: str) -> AsyncIterator[None]:
        """Rasa handles a conversation's messages in order; "typing" shows until all are done."""
        turns = self._turns.get(session_id)
        first = turns is None
        if turns is None:
            turns = self._turns[session_id] = _Turns()
        turns.count += 1
        try:
            # No await before queueing on the lock: turns run in the order they came in.
            async with turns.lock:
                if first:
                    await self.broadcast(session_id, {"type": "typing", "on": True})
                yield
                await self.flush(session_id)  # the replies go out before "typing" stops
        finally:
            turns.count -= 1
            if turns.count == 0:
                del self._turns[session_id]
                await self.broadcast(session_id, {"type": "typing", "on": False})

    # --- background work ---------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("chat relay task failed", exc_info=task.exception())

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            if not self.connections:
                continue
            try:
                latest = await self.log.last_seqs(self.connections)
            except Exception:  # a database hiccup must not end polling for good
                log.exception("polling widget conversations failed")
                continue
            for session_id, seq in latest.items():
                for conn in list(self.connections.get(session_id, ())):
                    if seq > conn.delivered:
                        self.spawn(conn.pull(self.log))

    async def start(self) -> None:
        self._poller = asyncio.ensure_future(self._poll())

    async def close(self) -> None:
        if self._poller:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
