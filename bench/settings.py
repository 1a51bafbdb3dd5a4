"""The benchmark's settings: the launcher's, plus the PostgreSQL it makes databases in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.settings import LauncherSettings
from core.settings import Env


@dataclass(frozen=True)
class BenchSettings(LauncherSettings):
    # A role that may create and drop databases: each cluster run gets one of its own.
    bench_postgres_url: str = "postgresql://balie:balie@127.0.0.1:5432/postgres"

    @classmethod
    def read(cls, env: Env) -> dict[str, Any]:
        return {
            **super().read(env),
            "bench_postgres_url": env.text("BALIE_BENCH_POSTGRES_URL", cls.bench_postgres_url),
        }
