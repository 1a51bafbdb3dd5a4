"""Balie as `python -m bot run` starts it (the supervisor: Rasa with Balie's tracker
store, the action server, the web app), on free loopback ports, with a data directory of
its own and its database on SQLite or on a throwaway PostgreSQL database. Its KCC is open
day and night (bench/live.py measures the live hand-off at any hour)."""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import live
from bench.cluster import Target, bench_database
from bench.settings import BenchSettings
from core.ports import free_port
from rasa_plugins.connectors.telegram_bot import TelegramConfig

DATABASES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Balie:
    settings: BenchSettings
    rasa_pid: int | None

    @property
    def rest_url(self) -> str:
        return f"{self.settings.rasa_url}/webhooks/rest/webhook"

    @property
    def target(self) -> Target:
        return Target(self.rest_url, self.settings.case_api_url, self.settings.api_token())

    async def medewerker(self) -> live.Medewerker:
        """A new staff user with the medewerker role, for the live hand-off."""
        return await live.create_medewerker(self.settings.database_url, self.settings.web_url)


@contextmanager
def _database(settings: BenchSettings, kind: str, data_dir: Path) -> Iterator[str]:
    if kind == "postgresql":
        with bench_database(settings) as url:
            yield url
    else:
        yield f"sqlite:///{data_dir / 'balie.sqlite'}"


@asynccontextmanager
async def running_balie(
    settings: BenchSettings, model: Path, database: str
) -> AsyncIterator[Balie]:
    """The stack on `database` ("sqlite" or "postgresql"); stopped and removed afterwards."""
    from bot.supervisor import Supervisor

    with tempfile.TemporaryDirectory(prefix="balie-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        content = live.always_open(Path(tmp), settings.content_file)
        with _database(settings, database, data_dir) as url:
            own = dataclasses.replace(
                settings,
                host="127.0.0.1",
                rasa_port=free_port(),
                action_port=free_port(),
                web_port=free_port(),
                rasa_base="",
                data_dir=data_dir,
                models_dir=Path(tmp) / "models",
                configured_database_url=url,
                configured_tracker_database_url="",  # the tracker store on the same database
                configured_case_api_url="",
                configured_outbox_path=None,  # the action server's outbox in data_dir
                configured_outbox_url="",
                telegram=TelegramConfig(),
                content_file=content,
            )
            # The children read their settings from the environment: the same choices.
            env = {
                "BALIE_DATABASE_URL": url,
                "BALIE_TRACKER_DATABASE_URL": "",
                "BALIE_CASE_API_URL": "",
                "BALIE_RASA_URL": "",
                "BALIE_OUTBOX_PATH": "",
                "BALIE_OUTBOX_URL": "",
                "TELEGRAM_TOKEN": "",
                "TELEGRAM_WEBHOOK_URL": "",
                "TELEGRAM_WEBHOOK_SECRET": "",
                "TELEGRAM_API_URL": "",
                "BALIE_CONTENT_FILE": str(content),
            }
            supervisor = Supervisor(own, model, env=env)
            await supervisor.start()
            try:
                yield Balie(own, supervisor.pid("rasa"))
            finally:
                await supervisor.stop()
