"""Configuration from environment variables, with embedded defaults that just work."""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core import ROOT


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_port: int = 5055
    web_port: int = 8000
    root: Path = ROOT
    models_dir: Path = field(default=ROOT / "models")
    data_dir: Path = field(default=ROOT / "data")
    # Where the other processes reach Rasa when it is not this host's port: a load
    # balancer in front of several Rasa servers (BALIE_RASA_URL).
    rasa_base: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            host=os.environ.get("BALIE_HOST", "127.0.0.1"),
            rasa_port=_env_int("BALIE_RASA_PORT", 5005),
            action_port=_env_int("BALIE_ACTION_PORT", 5055),
            web_port=_env_int("BALIE_WEB_PORT", 8000),
            models_dir=Path(os.environ.get("BALIE_MODELS_DIR", ROOT / "models")),
            data_dir=Path(os.environ.get("BALIE_DATA_DIR", ROOT / "data")),
            rasa_base=os.environ.get("BALIE_RASA_URL", "").rstrip("/"),
        )

    @property
    def rasa_url(self) -> str:
        return self.rasa_base or f"http://{self.host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"

    @property
    def database_url(self) -> str:
        from core.db import database_url

        return database_url(self.data_dir)

    def api_token(self) -> str:
        """BALIE_API_TOKEN, or a random token kept in the data directory (embedded default)."""
        return os.environ.get("BALIE_API_TOKEN") or kept_secret(self.data_dir / "api-token")

    def rasa_token(self) -> str:
        """BALIE_RASA_TOKEN: Rasa's HTTP API and the action server answer only callers with it."""
        return os.environ.get("BALIE_RASA_TOKEN") or kept_secret(self.data_dir / "rasa-token")

    def rasa_auth(self) -> dict[str, str]:
        """Headers for Rasa's HTTP API: a JWT signed with BALIE_RASA_TOKEN (`--jwt-secret`).

        A header, not Rasa's `?token=`, so the secret never stands in a URL that a
        proxy or access log keeps.
        """
        return {"Authorization": f"Bearer {rasa_jwt(self.rasa_token())}"}


def kept_secret(path: Path, make: Callable[[], str] = lambda: secrets.token_urlsafe(32)) -> str:
    """A secret kept in a file only its owner reads (0600), made on first use.

    Processes started together may race for it: the first to create the file wins and
    the others read what it wrote.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(make())
    return path.read_text().strip()


@functools.cache
def rasa_jwt(secret: str) -> str:
    """Rasa lets a JWT with role `admin` call every route (rasa/server.py `requires_auth`)."""
    import jwt

    return jwt.encode({"user": {"username": "balie", "role": "admin"}}, secret, algorithm="HS256")
