"""The environment endpoints.yml reads: Rasa's tracker store, model server and lock store."""

from __future__ import annotations

from core.db import sync_url
from webapp.settings import WebSettings
from webapp.staff.modelserver import PATH

# Named, not imported: importing it would load Rasa into every process that starts Rasa.
REDIS_LOCK_STORE = "rasa_plugins.lock_store.RedisUrlLockStore"


def rasa_env(settings: WebSettings) -> dict[str, str]:
    """The variables endpoints.yml reads, for `rasa run`."""
    tracker = sync_url(settings.tracker_database_url).render_as_string(hide_password=False)
    return {
        "BALIE_TRACKER_URL": tracker,
        # Another web app may serve the model (several Rasa replicas, one model server).
        "BALIE_MODEL_URL": settings.configured_model_url or f"{settings.web_url}{PATH}",
        "BALIE_MODEL_PULL_SECONDS": str(settings.staff.model_pull_seconds),
        # endpoints.yml's `lock_store: type:`: Redis when BALIE_REDIS_URL is set, else in memory.
        "BALIE_LOCK_STORE": REDIS_LOCK_STORE if settings.redis_url else "in_memory",
    }
