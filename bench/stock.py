"""The stock reference bot of `make bench`: what `rasa init --no-prompt` makes, trained once
with this venv's Rasa and served as `rasa run --enable-api` with Rasa's in-memory tracker
store. Balie's figures are only meaningful as ratios against it, measured in the same run
on the same machine (issue #15)."""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from pathlib import Path

import aiohttp
import yaml

from core import ROOT

RASA_VERSION = version("rasa")
STOCK_DIR = ROOT / ".cache" / "bench" / f"stock-{RASA_VERSION}"
# What decides the model: a change to any of these trains it again.
TRAINING_FILES = ("config.yml", "domain.yml", "data")


def _env() -> dict[str, str]:
    return {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


def fingerprint(project: Path) -> str:
    """Rasa's version and every training file of the project."""
    digest = hashlib.sha256(RASA_VERSION.encode())
    for name in TRAINING_FILES:
        path = project / name
        files = sorted(path.rglob("*.yml")) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(project)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def _run(argv: list[str], cwd: Path, log: Path) -> None:
    with open(log, "ab") as out:
        done = subprocess.run(argv, cwd=cwd, env=_env(), stdout=out, stderr=subprocess.STDOUT)
    if done.returncode:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(argv[2:4])} failed ({done.returncode}):\n{tail}")


def prepare(project: Path = STOCK_DIR) -> Path:
    """The stock bot's model: generated and trained on first use, then reused while the
    project's files are unchanged. Returns the model's path."""
    project.parent.mkdir(parents=True, exist_ok=True)
    rasa = [sys.executable, "-m", "rasa"]
    log = project.parent / f"{project.name}.log"
    # Two benches started at once train it once.
    with open(project.parent / f".{project.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (project / "config.yml").exists():
            print(f"Generating and training the stock bot in {project}...", flush=True)
            fresh = project.with_name(f"{project.name}.new")
            shutil.rmtree(fresh, ignore_errors=True)
            fresh.mkdir()  # rasa init wants the directory to exist (and be empty)
            # `rasa init --no-prompt` also trains: that model is kept below.
            _run([*rasa, "init", "--no-prompt", "--init-dir", str(fresh)], project.parent, log)
            fresh.rename(project)
        model = project / "models" / f"{fingerprint(project)}.tar.gz"
        if not model.exists():
            trained = sorted((project / "models").glob("2*.tar.gz"))  # rasa init's timestamped
            if trained:
                trained[-1].rename(model)
            else:
                print("Training the stock bot (its files changed)...", flush=True)
                argv = [*rasa, "train", "--out", "models", "--fixed-model-name", model.stem]
                _run(argv, project, log)
                # Rasa appends .tar.gz to the fixed name.
                model = project / "models" / f"{model.stem}.tar.gz"
    return model


def turns(project: Path = STOCK_DIR) -> list[str]:
    """The stock bot's own NLU examples: what its residents would type."""
    data = yaml.safe_load((project / "data" / "nlu.yml").read_text())
    return [
        line.strip().removeprefix("- ").strip()
        for block in data.get("nlu", [])
        for line in str(block.get("examples", "")).splitlines()
        if line.strip()
    ]


async def _ready(url: str, process: asyncio.subprocess.Process, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the stock bot exited ({process.returncode})")
            try:
                async with http.get(f"{url}/status") as resp:
                    if resp.status == 200 and (await resp.json()).get("model_file"):
                        return
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                pass
            await asyncio.sleep(1)
    raise RuntimeError(f"the stock bot did not answer within {timeout:.0f} s")


@asynccontextmanager
async def running(model: Path, port: int, log: Path) -> AsyncIterator[tuple[str, int]]:
    """`rasa run --enable-api` in the stock project (its endpoints.yml: no action server,
    in-memory tracker store) on a loopback port; yields its URL and pid."""
    project = model.parent.parent
    argv = [sys.executable, "-m", "rasa", "run", "--enable-api", "--model", str(model)]
    argv += ["--interface", "127.0.0.1", "--port", str(port)]
    with open(log, "ab") as out:
        process = await asyncio.create_subprocess_exec(
            *argv, cwd=project, env=_env(), stdout=out, stderr=asyncio.subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        await _ready(url, process, timeout=300)
        yield url, process.pid
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()
