"""The web app's settings: the shared ones plus the widget's, the staff console's, the
bus's, the metrics' and the retention terms (README.md, Configuration).

Built once by the process's entry point (`python -m bot web`, a staff command, a
training job) and handed to `webapp.app.create_app`, which passes on what each part needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.nearby import NearbyRules
from core.privacy.retention import RetentionSettings
from core.settings import Env
from webapp.staff.config import StaffConfig

# New widget conversations one client address may start per hour: a browser keeps its
# conversation, so even an office behind one address stays far below.
NEW_CONVERSATIONS = 100


@dataclass(frozen=True)
class WebSettings(RetentionSettings):
    """What `python -m bot web` is configured with."""

    # The console's training data and pipeline, its thresholds, its cookie, the model pull.
    staff: StaffConfig = field(default_factory=StaffConfig)
    # BALIE_JOBS_DIR; None: see `jobs_dir`.
    configured_jobs_dir: Path | None = None
    # Other sites allowed to embed the widget, as origins without a trailing slash.
    widget_origins: tuple[str, ...] = ()
    widget_new_per_hour: int = NEW_CONVERSATIONS
    # How often widget messages stored by other instances are picked up without Redis.
    chat_poll_seconds: float = 1.0
    # A medewerker's dropped Live page may come back this long before their residents
    # go back to the queue (webapp/live/service.py).
    live_grace_seconds: float = 20.0
    # The install's keys and channel in Redis (several Balies on one Redis).
    redis_prefix: str = "balie"
    # `/metrics` wants the Case API's token too.
    metrics_require_token: bool = False
    # What counts as the same melding nearby (BALIE_DUPLICATE_DAYS, _HOUSE_NUMBERS, _RADIUS_M).
    duplicates: NearbyRules = field(default_factory=NearbyRules)

    @classmethod
    def read(cls, env: Env) -> dict[str, Any]:
        jobs = env.text("BALIE_JOBS_DIR")
        return {
            **super().read(env),
            "staff": StaffConfig.read(env),
            "configured_jobs_dir": Path(jobs) if jobs else None,
            "widget_origins": tuple(o.rstrip("/") for o in env.items("BALIE_WIDGET_ORIGINS")),
            "widget_new_per_hour": env.integer(
                "BALIE_WIDGET_NEW_CONVERSATIONS_PER_HOUR", NEW_CONVERSATIONS, minimum=1
            ),
            "chat_poll_seconds": env.number("BALIE_CHAT_POLL_SECONDS", 1.0, minimum=0.01),
            "live_grace_seconds": env.number("BALIE_LIVE_GRACE_SECONDS", 20.0, minimum=0.1),
            "redis_prefix": env.text("BALIE_REDIS_PREFIX", "balie"),
            "metrics_require_token": env.flag("BALIE_METRICS_REQUIRE_TOKEN"),
            "duplicates": NearbyRules.read(env),
        }

    @property
    def jobs_dir(self) -> Path:
        """Training and evaluation jobs: their state, progress and logs.

        BALIE_JOBS_DIR if set; with several web-app instances (BALIE_REDIS_URL set) next to
        the models in the shared models directory, so every instance shows every job;
        otherwise in the data directory, as a single instance always kept them.
        """
        if self.configured_jobs_dir is not None:
            return self.configured_jobs_dir
        if self.redis_url:
            return self.models_dir / "jobs"
        return self.data_dir / "staff" / "jobs"
