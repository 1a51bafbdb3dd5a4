"""Progress of a training job, read from what `rasa train` logs.

A job goes through three phases staff see by name: voorbereiden (the data is split and
checked), trainen (Rasa's components, one by one) and beoordelen (the new and the live
model are scored on the held-out data); then it is klaar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COMPONENT_RE = re.compile(
    r"(Starting to train|Finished training|Restored) component '(?P<name>\w+)'"
)

# Phase -> (first percent, last percent) of the bar.
STAGES = {
    "voorbereiden": (0, 20),
    "trainen": (20, 85),
    "beoordelen": (85, 99),
    "klaar": (100, 100),
}
PHASES = ("voorbereiden", "trainen", "beoordelen")
PHASE_NAMES = {"voorbereiden": "Voorbereiden", "trainen": "Trainen", "beoordelen": "Beoordelen"}
LABELS = {
    "voorbereiden": "Voorbereiden: de trainingsgegevens klaarzetten",
    "trainen": "Trainen",
    "beoordelen": "Beoordelen: het nieuwe en het live model scoren op de testgegevens",
    "klaar": "Klaar",
}
CHECKING = "Voorbereiden: de gegevens en het domein controleren"


@dataclass
class TrainProgress:
    stage: str = "voorbereiden"
    components_done: int = 0
    components_total: int = 10  # replaced by the previous run's count when known
    component: str | None = None
    checking: bool = False

    def feed(self, line: str) -> bool:
        """Update from one log line; True when something changed."""
        if "Started validating domain and training data" in line:
            self.checking = True
            return True
        match = COMPONENT_RE.search(line)
        if match:
            self.stage = "trainen"
            self.component = match["name"]
            if not match[1].startswith("Starting"):
                self.components_done += 1
                self.components_total = max(self.components_total, self.components_done)
            return True
        return False

    @property
    def percent(self) -> int:
        low, high = STAGES[self.stage]
        if self.stage == "trainen" and self.components_total:
            share = min(1.0, self.components_done / self.components_total)
            return int(low + (high - low) * share)
        if self.stage == "voorbereiden" and self.checking:
            return 5
        return low

    @property
    def label(self) -> str:
        if self.stage == "voorbereiden" and self.checking:
            return CHECKING
        label = LABELS[self.stage]
        if self.stage == "trainen":
            label += f": onderdeel {self.components_done} van {self.components_total}"
            label += f" ({self.component})" if self.component else ""
        return label
