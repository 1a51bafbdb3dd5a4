"""FAQ turns over the REST channel: N residents at once, each in conversations of its own,
one turn after the other without pause, for a fixed time. Works for any Rasa bot with the
REST channel, so Balie and the stock bot are measured the same way."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from dataclasses import dataclass, field

import aiohttp

from bench.cluster import TURN_TIMEOUT
from bench.single import percentile

# Turns per conversation before a resident starts a new one (a new session start).
TURNS_PER_CONVERSATION = 5


@dataclass
class Turns:
    latencies: list[float] = field(default_factory=list)  # seconds, turns that succeeded
    errors: int = 0
    elapsed: float = 0.0

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def ms(self, q: float) -> float:
        return percentile([x * 1000 for x in self.latencies], q)


async def say(http: aiohttp.ClientSession, rest_url: str, sender: str, text: str) -> float | None:
    """One turn; its latency, or None when it failed (error status, not JSON, timeout).
    An empty list is an answer: the stock bot says nothing to some intents."""
    start = time.perf_counter()
    try:
        async with http.post(rest_url, json={"sender": sender, "message": text}) as resp:
            replies = await resp.json() if resp.status == 200 else None
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        replies = None
    return time.perf_counter() - start if replies is not None else None


def session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT))


async def faq_load(
    rest_url: str, texts: list[str], users: int, duration: float, seed: int = 1
) -> Turns:
    """`users` residents asking `texts` (shuffled) for `duration` seconds."""
    turns = Turns()
    master = random.Random(seed)

    async def resident(http: aiohttp.ClientSession, rng: random.Random, until: float) -> None:
        order = texts[:]
        rng.shuffle(order)
        asked = itertools.cycle(order)
        while time.monotonic() < until:
            sender = f"bench-{uuid.uuid4().hex[:12]}"
            for _ in range(TURNS_PER_CONVERSATION):
                if time.monotonic() >= until:
                    return
                took = await say(http, rest_url, sender, next(asked))
                if took is None:
                    turns.errors += 1
                else:
                    turns.latencies.append(took)

    async with session() as http:
        start = time.monotonic()
        rngs = [random.Random(master.random()) for _ in range(users)]
        await asyncio.gather(*(resident(http, rng, start + duration) for rng in rngs))
        turns.elapsed = time.monotonic() - start
    return turns
