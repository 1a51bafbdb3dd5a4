"""The Rasa server's settings: the shared ones plus its channels' and its metrics listener.

Rasa builds Balie's plug-ins itself (the connectors from credentials.yml, the tracker
store, lock store and event broker from endpoints.yml), so no constructor can hand them
the settings. `settings()` is the Rasa process's one way in: built from the environment
on first use (rasa_plugins/server.py asks first, so a bad value stops the start), then
the same object for every plug-in, which passes on what its code needs.
`python -m bot telegram-poll` builds its own (bot/cli.py).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from core.settings import ConfigError, Env, Settings
from core.widget_protocol import CALLBACK_PATH
from rasa_plugins.connectors.telegram_bot import TelegramConfig


@dataclass(frozen=True)
class PluginSettings(Settings):
    """What the Rasa server (and the Telegram poller beside it) is configured with."""

    # TELEGRAM_*: an empty token switches the channel off.
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    # BALIE_REST_CHANNEL (on, off) and BALIE_REST_TOKEN (empty: no bearer token needed).
    rest_channel: bool = True
    rest_token: str = field(default="", repr=False)
    # Where the widget's replies go (BALIE_WEB_CALLBACK_URL); empty: see `web_callback_url`.
    configured_web_callback_url: str = ""
    # The Prometheus listener of this Rasa server (BALIE_RASA_METRICS_PORT); 0: none.
    metrics_port: int = 0
    # A turn loads about this many of a conversation's latest events, with the state
    # before them carried over (BALIE_TRACKER_WINDOW; 0: every event, as stock Rasa).
    tracker_window: int = 60

    @classmethod
    def read(cls, env: Env) -> dict[str, Any]:
        return {
            **super().read(env),
            "telegram": TelegramConfig.read(env),
            "rest_channel": env.flag("BALIE_REST_CHANNEL", True),
            "rest_token": env.text("BALIE_REST_TOKEN"),
            "configured_web_callback_url": env.text("BALIE_WEB_CALLBACK_URL"),
            "metrics_port": env.integer("BALIE_RASA_METRICS_PORT", 0, minimum=0),
            "tracker_window": _window(env),
        }

    @property
    def web_callback_url(self) -> str:
        """The web app's callback for the widget's bot messages (rasa_plugins/connectors/web.py)."""
        return self.configured_web_callback_url or self.web_url + CALLBACK_PATH


# Fewer events than this would cut into the turn being answered.
MIN_TRACKER_WINDOW = 20


def _window(env: Env) -> int:
    window = env.integer("BALIE_TRACKER_WINDOW", 60, minimum=0)
    if 0 < window < MIN_TRACKER_WINDOW:
        raise ConfigError(f"BALIE_TRACKER_WINDOW must be 0 or at least {MIN_TRACKER_WINDOW}")
    return window


@functools.cache
def settings() -> PluginSettings:
    """This Rasa server's settings, read once; a bad value stops the server."""
    return PluginSettings.for_process()
