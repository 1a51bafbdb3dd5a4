"""Shared fixtures: one model trained per test run and one real running stack.

The model is trained on a fixed 80% split of the NLU data, so the remaining 20%
is genuinely held out for scoring; it is cached under .cache/tests by the data's
fingerprint, so a re-run with unchanged data trains nothing.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from core import ROOT
from core.ports import free_port
from core.settings import Settings
from tests.databases import postgres_database, sqlite_database
from tests.fakes.proxy import SwitchableProxy
from webapp.settings import WebSettings
from webapp.staff import training

CACHE = ROOT / ".cache" / "tests"


@dataclass(frozen=True)
class TrainedModel:
    path: Path
    train_file: Path
    test_file: Path


def make_settings(tmp: Path, kind: type[Settings] = WebSettings, **fields: Any) -> Any:
    """Settings of a process (the web app's unless `kind` says otherwise) on free ports,
    with directories under tmp and `fields` as given, none from the environment."""
    return kind(
        **{
            "host": "127.0.0.1",
            "rasa_port": free_port(),
            "action_port": free_port(),
            "web_port": free_port(),
            "models_dir": tmp / "models",
            "data_dir": tmp / "data",
            **fields,
        }
    )


def settings_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "BALIE_HOST": settings.host,
        "BALIE_RASA_PORT": str(settings.rasa_port),
        "BALIE_ACTION_PORT": str(settings.action_port),
        "BALIE_WEB_PORT": str(settings.web_port),
        "BALIE_MODELS_DIR": str(settings.models_dir),
        "BALIE_DATA_DIR": str(settings.data_dir),
        # A developer's own bot token must never make a test stack talk to Telegram.
        "TELEGRAM_TOKEN": "",
        "TELEGRAM_WEBHOOK_URL": "",
        "TELEGRAM_WEBHOOK_SECRET": "",
        "TELEGRAM_API_URL": "",
        # Test stacks share one case system, where many residents report the same lamp at
        # Parkweg 1: "already reported?" is tested where it is meant (test_duplicates.py).
        "BALIE_DUPLICATE_CHECK": "false",
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A freshly migrated case-system database: every such test runs on both."""
    database = sqlite_database(tmp_path) if request.param == "sqlite" else postgres_database()
    with database as url:
        yield url


@pytest.fixture(scope="session")
def test_model() -> TrainedModel:
    out = CACHE / training.fingerprint()
    model = out / "model.tar.gz"
    train_file, test_file = out / "train_nlu.yml", out / "test_nlu.yml"
    out.mkdir(parents=True, exist_ok=True)
    # Several test runs in one checkout train the same model once, not at the same time.
    with open(out / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not model.exists():
            train_file, test_file = training.split_nlu(out)
            data = [train_file, *training.dialogue_files()]
            asyncio.run(training.train(out, "model", data=data, log_file=out / "train.log"))
    return TrainedModel(model, train_file, test_file)


class RunningStack:
    """`python -m bot run` as a user starts it, on free ports."""

    def __init__(self, settings: Settings, model: Path, env: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.log = settings.data_dir / "run.log"
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--model", str(model)],
            cwd=ROOT,
            env={**settings_env(settings), **(env or {})},
            stdout=open(self.log, "wb"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "Balie is running" in self.log.read_text(errors="replace"):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"stack did not start:\n{self.log.read_text(errors='replace')[-3000:]}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


@pytest.fixture(scope="session")
def stack_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("stack"))


@pytest.fixture(scope="session")
def case_system(stack_settings: Settings):
    """The action server reaches the Case API through this proxy, so tests can cut it off."""
    proxy = SwitchableProxy(stack_settings.web_url, free_port()).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def stack(test_model: TrainedModel, stack_settings: Settings, case_system: SwitchableProxy):
    env = {"BALIE_CASE_API_URL": f"{case_system.url}/api/v1", "BALIE_DATABASE_URL": ""}
    running = RunningStack(stack_settings, test_model.path, env)
    running.wait_ready()
    yield stack_settings
    running.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def http():
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        yield session
