"""Settings of the staff console and the model life cycle, from environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from core import ROOT
from core.settings import Settings

DEFAULT_STAFF_DATA = ROOT / "nlu_data" / "nlu" / "staff.yml"


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


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
    def from_env(cls) -> StaffConfig:
        return cls(
            data_file=Path(os.environ.get("BALIE_STAFF_DATA") or DEFAULT_STAFF_DATA),
            train_config=Path(os.environ.get("BALIE_TRAIN_CONFIG") or ROOT / "config.yml"),
            inbox_threshold=_float("BALIE_INBOX_THRESHOLD", 0.6),
            promotion_tolerance=_float("BALIE_PROMOTION_TOLERANCE", 0.0),
            secure_cookie=os.environ.get("BALIE_STAFF_SECURE_COOKIE", "") in ("1", "true", "ja"),
            model_pull_seconds=int(os.environ.get("BALIE_MODEL_PULL_SECONDS") or 10),
        )


def tracker_database_url(settings: Settings) -> str:
    """Where Rasa keeps conversations: Balie's own database unless configured otherwise."""
    return os.environ.get("BALIE_TRACKER_DATABASE_URL") or settings.database_url


def jobs_dir(settings: Settings) -> Path:
    """Training and evaluation jobs: their state, progress and logs.

    BALIE_JOBS_DIR if set; with several web-app instances (BALIE_REDIS_URL set) next to
    the models in the shared models directory, so every instance shows every job;
    otherwise in the data directory, as a single instance always kept them.
    """
    configured = os.environ.get("BALIE_JOBS_DIR")
    if configured:
        return Path(configured)
    if os.environ.get("BALIE_REDIS_URL"):
        return settings.models_dir / "jobs"
    return settings.data_dir / "staff" / "jobs"
