"""Alembic migrations of the web app's database, run before the services start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from core.db import sync_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = sync_url(url)
    return config


def migrate(url: str) -> None:
    """Bring the schema to the newest migration (blocking: run before serving)."""
    target = sync_url(url)
    if target.get_backend_name() == "sqlite":
        Path(target.database or "").parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")
