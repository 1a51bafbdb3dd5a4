"""The launcher's settings: `python -m bot run|run-cluster|purge|forget` and the benchmark.

The launcher starts the other processes and, for `purge` and `forget`, acts for two
owners at once (the web app's tables and the action server's outbox), so its settings
are both processes' settings plus its own: the Telegram variables it hands to Rasa and
the poller, and how long it waits for the services to come up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actions.settings import ActionSettings
from core.settings import LOG_FORMATS, Env
from rasa_plugins.connectors.telegram_bot import TelegramConfig
from webapp.settings import WebSettings


@dataclass(frozen=True)
class LauncherSettings(WebSettings, ActionSettings):
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    # How long `make run` waits for Rasa to load its model before giving up.
    startup_timeout: float = 300.0
    # run-cluster's public port (HAProxy); 0: any free one.
    cluster_port: int = 8080
    # run-cluster logs JSON lines unless told otherwise, as in production.
    cluster_log_format: str = "json"

    @classmethod
    def read(cls, env: Env) -> dict[str, Any]:
        cluster_format = env.text("BALIE_LOG_FORMAT", "json").lower()
        return {
            **super().read(env),
            "telegram": TelegramConfig.read(env),
            "startup_timeout": env.number("BALIE_STARTUP_TIMEOUT", 300.0, minimum=1),
            "cluster_port": env.integer("BALIE_CLUSTER_PORT", 8080, minimum=0),
            # Unset means json here; an unknown value means text, as everywhere.
            "cluster_log_format": cluster_format if cluster_format in LOG_FORMATS else "text",
        }
