"""Progress of a training job, read from what `rasa train` logs."""

from __future__ import annotations

import re
from dataclasses import dataclass

COMPONENT_RE = re.compile(
    r"(Starting to train|Finished training|Restored) component '(?P<name>\w+)'"
)

# Stage -> (first percent, last percent) of the bar.
STAGES = {
    "voorbereiden": (0, 5),
    "controleren": (5, 20),
    "trainen": (20, 85),
    "evalueren": (85, 99),
    "klaar": (100, 100),
}
LABELS = {
    "voorbereiden": "Trainingsgegevens klaarzetten",
    "controleren": "Gegevens en domein controleren",
    "trainen": "Componenten trainen",
    "evalueren": "Evalueren op de testgegevens",
    "klaar": "Klaar",
}


@dataclass
class TrainProgress:
    stage: str = "voorbereiden"
    components_done: int = 0
    components_total: int = 10  # replaced by the previous run's count when known
    component: str | None = None

    def feed(self, line: str) -> bool:
        """Update from one log line; True when something changed."""
        if "Started validating domain and training data" in line:
            self.stage = "controleren"
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
        return low

    @property
    def label(self) -> str:
        label = LABELS[self.stage]
        if self.stage == "trainen":
            label += f" ({self.components_done} van {self.components_total}"
            label += f": {self.component})" if self.component else ")"
        return label
