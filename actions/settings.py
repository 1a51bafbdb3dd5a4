"""The action server's settings: the shared ones plus its case system, its own database
and the retention terms of what it keeps (README.md, Configuration).

Built once by `python -m actions` (actions/__main__.py) and passed down; the launcher's
settings extend these (bot/settings.py), since `python -m bot purge|forget` acts for the
action server too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actions.backends import BACKENDS
from actions.backends.signalen import SignalenConfig
from actions.backends.zgw import ZgwConfig
from core.privacy.retention import RetentionSettings
from core.settings import ConfigError, Env


@dataclass(frozen=True)
class ActionSettings(RetentionSettings):
    """What `python -m actions` is configured with."""

    # The case system the actions submit to (BALIE_BACKEND); its adapter's settings are
    # read only when it is the chosen one.
    backend: str = "builtin"
    signalen: SignalenConfig | None = None
    zgw: ZgwConfig | None = None
    # The outbox and the guess counts (BALIE_OUTBOX_URL, any SQLAlchemy URL shared by a
    # cluster's action servers), else the SQLite file BALIE_OUTBOX_PATH.
    configured_outbox_url: str = ""
    configured_outbox_path: Path | None = None

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            choices = ", ".join(BACKENDS)
            raise ConfigError(f"BALIE_BACKEND must be one of {choices}, not {self.backend!r}")
        if self.backend == "signalen" and self.signalen is None:
            raise ConfigError("BALIE_BACKEND=signalen needs the Signalen settings")
        if self.backend == "zgw" and self.zgw is None:
            raise ConfigError("BALIE_BACKEND=zgw needs the ZGW settings")

    @classmethod
    def read(cls, env: Env) -> dict[str, Any]:
        backend = env.choice("BALIE_BACKEND", "builtin", BACKENDS)
        outbox_path = env.text("BALIE_OUTBOX_PATH")
        return {
            **super().read(env),
            "backend": backend,
            "signalen": SignalenConfig.read(env) if backend == "signalen" else None,
            "zgw": ZgwConfig.read(env) if backend == "zgw" else None,
            "configured_outbox_url": env.text("BALIE_OUTBOX_URL"),
            "configured_outbox_path": Path(outbox_path) if outbox_path else None,
        }

    @property
    def outbox_url(self) -> str:
        """The action server's own database: the outbox and the controlecode guess counts."""
        if self.configured_outbox_url:
            return self.configured_outbox_url
        return f"sqlite:///{self.configured_outbox_path or self.data_dir / 'outbox.sqlite'}"
