"""The long-conversation curve: one resident, one conversation, many FAQ turns in a row.

A turn should cost the same at turn 200 as at turn 5 when a turn loads only what it needs
(issue #15, goal 4); Rasa's own trackers grow with every event, so stock Rasa slows too."""

from __future__ import annotations

import itertools
import statistics
import uuid
from dataclasses import dataclass, field

from bench.load import say, session

POINTS = (5, 50, 100, 200)
# The figure at turn n: the median of turns n-WINDOW..n+WINDOW (one slow turn is noise).
WINDOW = 2


def points(turns: int) -> tuple[int, ...]:
    """The turns reported for a conversation of `turns` turns: POINTS up to its last."""
    return (*(p for p in POINTS if p < turns), turns)


@dataclass
class Curve:
    latencies: list[float | None] = field(default_factory=list)  # per turn; None: failed

    @property
    def errors(self) -> int:
        return sum(x is None for x in self.latencies)

    def at(self, turn: int) -> float:
        """Median latency (s) around turn `turn` (1-based), within the turns made."""
        lo, hi = max(1, turn - WINDOW), min(len(self.latencies), turn + WINDOW)
        around = [x for x in self.latencies[lo - 1 : hi] if x is not None]
        return statistics.median(around) if around else float("nan")

    def ratio(self, points: tuple[int, ...]) -> float:
        """The last point's cost against the first's."""
        return self.at(points[-1]) / self.at(points[0])


async def curve(rest_url: str, texts: list[str], turns: int = max(POINTS)) -> Curve:
    """`turns` turns of one conversation, cycling through `texts`."""
    result = Curve()
    sender = f"bench-long-{uuid.uuid4().hex[:10]}"
    async with session() as http:
        for text in itertools.islice(itertools.cycle(texts), turns):
            result.latencies.append(await say(http, rest_url, sender, text))
    return result
