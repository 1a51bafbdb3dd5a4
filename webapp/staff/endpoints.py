"""The environment endpoints.yml reads: Rasa's tracker store, model server and lock store."""

from __future__ import annotations

import os

from core.db import sync_url
from core.settings import Settings
from webapp.staff.config import StaffConfig, tracker_database_url
from webapp.staff.modelserver import PATH

# Named, not imported: importing it would load Rasa into every process that starts Rasa.
REDIS_LOCK_STORE = "rasa_plugins.lock_store.RedisUrlLockStore"


def lock_store_type() -> str:
    """endpoints.yml's `lock_store: type:`: Redis when BALIE_REDIS_URL is set, else in memory."""
    return REDIS_LOCK_STORE if os.environ.get("BALIE_REDIS_URL") else "in_memory"


def rasa_env(settings: Settings) -> dict[str, str]:
    """The variables endpoints.yml reads, for `rasa run`."""
    tracker = sync_url(tracker_database_url(settings)).render_as_string(hide_password=False)
    return {
        "BALIE_TRACKER_URL": tracker,
        # Another web app may serve the model (several Rasa replicas, one model server).
        "BALIE_MODEL_URL": os.environ.get("BALIE_MODEL_URL") or f"{settings.web_url}{PATH}",
        "BALIE_MODEL_PULL_SECONDS": str(StaffConfig.from_env().model_pull_seconds),
        "BALIE_LOCK_STORE": lock_store_type(),
    }
