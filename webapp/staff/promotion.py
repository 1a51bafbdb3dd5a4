"""Promotion and rollback: which model is live, and the rule that guards it.

A model becomes live only when its intent macro-F1 on the held-out data is not worse
than the live model's on the same data (within BALIE_PROMOTION_TOLERANCE). A beheerder
may overrule a refusal; that is recorded with who, when and why. Rasa servers pick the
change up from the model server within BALIE_MODEL_PULL_SECONDS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webapp.staff import evaluation
from webapp.staff.numbers import procent
from webapp.staff.registry import ModelEntry, Registry, RegistryError


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str  # Dutch, for staff
    candidate: dict[str, Any] | None = None  # evaluation summaries, when known
    live: dict[str, Any] | None = None
    overrulable: bool = True

    def scores(self) -> dict[str, Any]:
        def f1(summary: dict[str, Any] | None) -> float | None:
            return summary["macro_f1"] if summary else None

        return {"kandidaat_macro_f1": f1(self.candidate), "live_macro_f1": f1(self.live)}


class PromotionRefused(RuntimeError):
    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.reason)
        self.verdict = verdict


def judge(
    models_dir: Path, candidate: ModelEntry, live: ModelEntry | None, tolerance: float = 0.0
) -> Verdict:
    """May candidate replace live? Both are compared on the same held-out split."""
    if live is not None and live.name == candidate.name:
        return Verdict(False, f"Model {candidate.name} is al live.", overrulable=False)
    if not candidate.file.exists():
        return Verdict(
            False, f"Het bestand van model {candidate.name} ontbreekt.", overrulable=False
        )
    scored = evaluation.latest(models_dir, candidate.name)
    if scored is None:
        return Verdict(False, f"Model {candidate.name} is nog niet geëvalueerd.")
    if live is None:
        return Verdict(True, "Er is nog geen live model.", scored)
    live_scored = evaluation.load(models_dir, live.name, scored["heldout"])
    if live_scored is None:
        return Verdict(
            False,
            f"Het live model {live.name} is nog niet op dezelfde testgegevens geëvalueerd. "
            "Start een evaluatie van de kandidaat; het live model wordt dan meegenomen.",
            scored,
        )
    new, old = scored["macro_f1"], live_scored["macro_f1"]
    scores = f"gemiddelde score (macro-F1) {procent(new)} tegen {procent(old)} voor het live model"
    if new + tolerance < old:
        return Verdict(
            False,
            f"Model {candidate.name} scoort slechter dan het live model: {scores}.",
            scored,
            live_scored,
        )
    return Verdict(
        True, f"Model {candidate.name} scoort niet slechter: {scores}.", scored, live_scored
    )


def promote(
    registry: Registry,
    name: str,
    door: str,
    *,
    tolerance: float = 0.0,
    overrule: bool = False,
    reden: str | None = None,
) -> tuple[ModelEntry, Verdict]:
    """Make name live if the rule allows it, or when overrule (a beheerder's decision)."""
    candidate = registry.get(name)
    if candidate is None:
        raise RegistryError(f"Onbekend model: {name}.")
    verdict = judge(registry.dir, candidate, registry.live(), tolerance)
    if not verdict.allowed and not (overrule and verdict.overrulable):
        raise PromotionRefused(verdict)
    entry = registry.set_live(
        name,
        door=door,
        overruled=not verdict.allowed,
        reden=reden if not verdict.allowed else None,
        scores=verdict.scores(),
    )
    return entry, verdict
