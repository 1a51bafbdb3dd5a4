"""Configuration from environment variables, with embedded defaults that just work.

`Env` is the one place Balie reads its environment (tests/test_settings.py checks it).
Every process has one typed settings object, built once in its entry point and passed
down: `Settings` holds what all processes share (addresses, directories, secrets, the
database, logging); each process extends it with its own (webapp/settings.py,
actions/settings.py, rasa_plugins/settings.py). A value that cannot be used stops the
start with a `ConfigError` naming the variable, instead of failing later.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import secrets
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from core import ROOT, content

S = TypeVar("S", bound="Settings")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

LOG_FORMATS = ("json", "text")
_TRUE = ("1", "true", "yes", "ja", "on")
_FALSE = ("0", "false", "no", "nee", "off")


class ConfigError(ValueError):
    """A setting in the environment that Balie cannot use; the process does not start."""


class Env:
    """Typed reads of the environment; an unset or empty variable means the default."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ

    def text(self, name: str, default: str = "", *, fallback: str = "") -> str:
        value = self._environ.get(name, "").strip()
        if not value and fallback:
            value = self._environ.get(fallback, "").strip()
        return value or default

    def has(self, name: str) -> bool:
        return bool(self.text(name))

    def number(
        self, name: str, default: float, *, minimum: float | None = None, fallback: str = ""
    ) -> float:
        raw = self.text(name, fallback=fallback)
        if not raw:
            return default
        try:
            value = float(raw.replace(",", "."))
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {raw!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(f"{name} must be a finite number, not {raw!r}")
        if minimum is not None and value < minimum:
            raise ConfigError(f"{name} must be at least {minimum:g}, not {raw!r}")
        return value

    def integer(self, name: str, default: int, *, minimum: int | None = None) -> int:
        raw = self.text(name)
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
        if minimum is not None and value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, not {raw!r}")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        raw = self.text(name).lower()
        if not raw:
            return default
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise ConfigError(f"{name} must be one of {', '.join(_TRUE + _FALSE)}, not {raw!r}")

    def path(self, name: str, default: Path) -> Path:
        raw = self.text(name)
        return Path(raw) if raw else default

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        raw = self.text(name, default).lower()
        if raw not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
        return raw

    def items(self, name: str) -> tuple[str, ...]:
        """A comma-separated list."""
        return tuple(part.strip() for part in self.text(name).split(",") if part.strip())

    def networks(self, name: str) -> tuple[Network, ...]:
        """Addresses or networks, comma-separated."""
        try:
            return tuple(ipaddress.ip_network(part, strict=False) for part in self.items(name))
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from None


@dataclass(frozen=True)
class Settings:
    """What every process needs to know: where the others are, where data lives, secrets."""

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
    # BALIE_DATABASE_URL; empty: SQLite in the data directory.
    configured_database_url: str = ""
    # BALIE_API_TOKEN, BALIE_RASA_TOKEN, BALIE_SECRET_KEY; empty: random, kept in data_dir.
    configured_api_token: str = field(default="", repr=False)
    configured_rasa_token: str = field(default="", repr=False)
    secret_key: str = field(default="", repr=False)
    # Where Rasa keeps conversations (BALIE_TRACKER_DATABASE_URL); empty: the database above.
    configured_tracker_database_url: str = ""
    # The web app's Case API as the action server and Telegram reach it (BALIE_CASE_API_URL).
    configured_case_api_url: str = ""
    # The action servers' webhook as Rasa reaches them (BALIE_ACTION_URL; a load balancer).
    configured_action_webhook: str = ""
    # Where every Rasa server pulls the live model (BALIE_MODEL_URL); empty: this web app.
    configured_model_url: str = ""
    # Redis for locks, the event bus and shared state of several replicas; empty: none.
    redis_url: str = ""
    # Load balancers whose X-Forwarded-For is believed (core/client_address.py).
    trusted_proxies: tuple[Network, ...] = ()
    # The municipality's name, phone, opening hours (core/content.py).
    content_file: Path = field(default=ROOT / "content" / "gemeente.yml")
    log_format: str = "text"
    log_level: str = "INFO"

    @classmethod
    def from_env(cls: type[S], environ: Mapping[str, str] | None = None) -> S:
        """Built once in a process's entry point; raises ConfigError on a bad value."""
        return cls(**cls.read(Env(environ)))

    @classmethod
    def for_process(cls: type[S], environ: Mapping[str, str] | None = None) -> S:
        """The settings a process starts with, read by its entry point: a bad value ends
        the process with a message naming the variable (exit status 2), and the content
        file is the configured one from here on."""
        try:
            settings = cls.from_env(environ)
        except ConfigError as exc:
            print(f"Configuration: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        content.use(settings.content_file)
        return settings

    @classmethod
    def read(cls, env: Env) -> dict[str, Any]:
        """The constructor's arguments from the environment; subclasses add theirs."""
        fmt, level = env.text("BALIE_LOG_FORMAT").lower(), env.text("BALIE_LOG_LEVEL").upper()
        return {
            "host": env.text("BALIE_HOST", "127.0.0.1"),
            "rasa_port": env.integer("BALIE_RASA_PORT", 5005, minimum=1),
            "action_port": env.integer("BALIE_ACTION_PORT", 5055, minimum=1),
            "web_port": env.integer("BALIE_WEB_PORT", 8000, minimum=1),
            "models_dir": env.path("BALIE_MODELS_DIR", ROOT / "models"),
            "data_dir": env.path("BALIE_DATA_DIR", ROOT / "data"),
            "rasa_base": env.text("BALIE_RASA_URL").rstrip("/"),
            "configured_database_url": env.text("BALIE_DATABASE_URL"),
            "configured_api_token": env.text("BALIE_API_TOKEN"),
            "configured_rasa_token": env.text("BALIE_RASA_TOKEN"),
            "secret_key": env.text("BALIE_SECRET_KEY"),
            "configured_tracker_database_url": env.text("BALIE_TRACKER_DATABASE_URL"),
            "configured_case_api_url": env.text("BALIE_CASE_API_URL").rstrip("/"),
            "configured_action_webhook": env.text("BALIE_ACTION_URL").rstrip("/"),
            "configured_model_url": env.text("BALIE_MODEL_URL"),
            "redis_url": env.text("BALIE_REDIS_URL"),
            "trusted_proxies": env.networks("BALIE_TRUSTED_PROXIES"),
            "content_file": env.path("BALIE_CONTENT_FILE", ROOT / "content" / "gemeente.yml"),
            # An unknown format or level falls back rather than stopping a process over logs.
            "log_format": fmt if fmt in LOG_FORMATS else "text",
            "log_level": level if isinstance(logging.getLevelName(level), int) else "INFO",
        }

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
    def case_api_url(self) -> str:
        return self.configured_case_api_url or f"{self.web_url}/api/v1"

    @property
    def action_webhook(self) -> str:
        """Rasa's way to the action servers: BALIE_ACTION_URL, else this host's action port."""
        return self.configured_action_webhook or f"{self.action_url}/webhook"

    @property
    def database_url(self) -> str:
        return self.configured_database_url or f"sqlite:///{self.data_dir / 'balie.sqlite'}"

    @property
    def tracker_database_url(self) -> str:
        """Where Rasa keeps conversations: Balie's own database unless configured otherwise."""
        return self.configured_tracker_database_url or self.database_url

    def api_token(self) -> str:
        """BALIE_API_TOKEN, or a random token kept in the data directory (embedded default)."""
        return self.configured_api_token or kept_secret(self.data_dir / "api-token")

    def rasa_token(self) -> str:
        """BALIE_RASA_TOKEN: Rasa's HTTP API and the action server answer only callers with it."""
        return self.configured_rasa_token or kept_secret(self.data_dir / "rasa-token")

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
