"""Settings of the staff console and the model life cycle (part of webapp.settings)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core import ROOT
from core.settings import Env

DEFAULT_STAFF_DATA = ROOT / "nlu_data" / "nlu" / "staff.yml"


@dataclass(frozen=True)
class StaffConfig:
    # Training examples and FAQ answers added in the console (Rasa YAML).
    data_file: Path = DEFAULT_STAFF_DATA
    # NLU pipeline and policies used to train new models.
    train_config: Path = ROOT / "config.yml"
    # User messages below this intent confidence land in the NLU inbox.
    inbox_threshold: float = 0.6
    # A candidate may score this much lower (macro-F1) and still count as "not worse".
    promotion_tolerance: float = 0.0
    # Send the session cookie only over HTTPS (set this behind a TLS proxy).
    secure_cookie: bool = False
    # How often every Rasa server asks the web app for a new live model.
    model_pull_seconds: int = 10

    @classmethod
    def read(cls, env: Env) -> StaffConfig:
        return cls(
            data_file=env.path("BALIE_STAFF_DATA", DEFAULT_STAFF_DATA),
            train_config=env.path("BALIE_TRAIN_CONFIG", ROOT / "config.yml"),
            inbox_threshold=env.number("BALIE_INBOX_THRESHOLD", 0.6),
            promotion_tolerance=env.number("BALIE_PROMOTION_TOLERANCE", 0.0),
            secure_cookie=env.flag("BALIE_STAFF_SECURE_COOKIE"),
            model_pull_seconds=env.integer("BALIE_MODEL_PULL_SECONDS", 10, minimum=1),
        )
