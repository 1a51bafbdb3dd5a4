"""The environment endpoints.yml reads: Rasa's tracker store and model server."""

from __future__ import annotations

import os

from bot.cases.db import sync_url
from bot.settings import Settings
from bot.staff.config import StaffConfig, tracker_database_url
from bot.staff.modelserver import PATH


def rasa_env(settings: Settings) -> dict[str, str]:
    """BALIE_TRACKER_URL, BALIE_MODEL_URL and BALIE_MODEL_PULL_SECONDS for `rasa run`."""
    tracker = sync_url(tracker_database_url(settings)).render_as_string(hide_password=False)
    return {
        "BALIE_TRACKER_URL": tracker,
        # Another web app may serve the model (several Rasa replicas, one model server).
        "BALIE_MODEL_URL": os.environ.get("BALIE_MODEL_URL") or f"{settings.web_url}{PATH}",
        "BALIE_MODEL_PULL_SECONDS": str(StaffConfig.from_env().model_pull_seconds),
    }
