"""The real action server (`python -m actions`) on a free port, for tests that need its
own routes (the outbox's forget and purge) without Rasa."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from core import ROOT
from tests.conftest import free_port


@dataclass(frozen=True)
class ActionServer:
    url: str
    token: str
    log: Path

    def env(self) -> dict[str, str]:
        """What the web app needs to reach it."""
        return {"BALIE_ACTION_URL": f"{self.url}/webhook", "BALIE_RASA_TOKEN": self.token}

    def web_settings(self) -> dict[str, str]:
        """The same as fields of an in-process web app's settings (tests/webapp.py)."""
        return {
            "configured_action_webhook": f"{self.url}/webhook",
            "configured_rasa_token": self.token,
        }


@contextmanager
def running(
    data_dir: Path, env: dict[str, str] | None = None, port: int | None = None
) -> Iterator[ActionServer]:
    """`port` when the caller must know it before the start (a callback URL in `env`)."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = ActionServer(
        f"http://127.0.0.1:{port}",
        "test-rasa-token-0123456789-abcdefghij",
        data_dir / "actions.log",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "actions"],
        cwd=ROOT,
        env={
            **os.environ,
            "BALIE_HOST": "127.0.0.1",
            "BALIE_ACTION_PORT": str(port),
            "BALIE_DATA_DIR": str(data_dir),
            "BALIE_OUTBOX_URL": "",
            "BALIE_OUTBOX_PATH": str(data_dir / "outbox.sqlite"),
            "BALIE_RASA_TOKEN": server.token,
            **(env or {}),
        },
        stdout=open(server.log, "wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{server.url}/health", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(server.log.read_text(errors="replace")[-3000:]) from None
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
