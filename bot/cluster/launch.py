"""`python -m bot run-cluster` as a subprocess, for tools: the bench and the tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core import ROOT


@contextmanager
def cluster_process(
    work: Path, model: Path, env: dict[str, str], argv: tuple[str, ...] = ()
) -> Iterator[dict[str, Any]]:
    """Start a cluster with its data under `work` and `env` on top of this process's;
    yield its cluster.json once it is up (plus "env", "log"); stop it with Ctrl-C."""
    full_env = {
        **os.environ,
        "BALIE_DATA_DIR": str(work / "data"),
        "BALIE_MODELS_DIR": str(work / "models"),
        "BALIE_CLUSTER_PORT": "0",
        "BALIE_TRACKER_DATABASE_URL": "",
        "BALIE_OUTBOX_PATH": "",
        # A developer's own bot token must never make a tool's cluster talk to Telegram.
        "TELEGRAM_TOKEN": "",
        "TELEGRAM_WEBHOOK_URL": "",
        "TELEGRAM_WEBHOOK_SECRET": "",
        "TELEGRAM_API_URL": "",
        **env,
    }
    work.mkdir(parents=True, exist_ok=True)
    log = work / "run-cluster.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run-cluster", "--model", str(model), *argv],
            cwd=ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 900
        while "cluster is running" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the cluster did not start:\n{log.read_text(errors='replace')[-3000:]}"
                )
            time.sleep(0.5)
        addresses = json.loads((work / "data" / "cluster" / "cluster.json").read_text())
        yield {**addresses, "env": full_env, "log": str(log)}
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(90)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
