"""What a melding form step costs against a FAQ turn in Balie (issue #15, goal 2).

One resident, no pauses: a FAQ conversation, then a melding through the whole form to its
case number, and again. Both kinds of turn are timed in the same stretch, so the ratio
holds even when the machine is busy with something else."""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass

from bench.cluster import Load, Resident, Target, faq_questions
from bench.load import session


@dataclass(frozen=True)
class FormCost:
    faq: list[float]  # seconds per FAQ turn
    steps: list[float]  # seconds per answer inside the melding form
    errors: int
    examples: list[str]

    @property
    def ratio(self) -> float:
        if not self.faq or not self.steps:
            return float("nan")
        return statistics.median(self.steps) / statistics.median(self.faq)


async def form_cost(target: Target, rounds: int = 6, seed: int = 3) -> FormCost:
    load = Load()
    async with session() as http:
        rng = random.Random(seed)
        resident = Resident(http, target, load, rng, faq_questions(), 0.0, "bench-form")
        for _ in range(rounds):
            await resident.conversation("faq")
            await resident.conversation("melding")
    return FormCost(load.turns["faq"], load.turns["melding-step"], load.error_count, load.examples)
