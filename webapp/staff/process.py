"""Running `python -m rasa ...` as a child process, streaming its output line by line."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO

from core import ROOT, clock

ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
# Rasa's own time stamp in front of a log line: in the server's zone, usually UTC.
RASA_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:[,.]\d+)?\s+")


def stamped(line: str) -> str:
    """A job log line as staff read it: the municipality's local time in front, instead of
    the time stamp Rasa writes in the server's zone."""
    return f"{clock.now():%H:%M:%S} {RASA_TIME_RE.sub('', line)}"


def _append(log: IO[str], line: str) -> None:
    log.write(stamped(line) + "\n")
    log.flush()


async def run_rasa_streamed(
    args: list[str], log_path: Path, on_line: Callable[[str], None] | None = None
) -> int:
    """Run `python -m rasa <args>`; every output line goes to log_path and to on_line."""
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rasa",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    log = await asyncio.to_thread(open, log_path, "a", encoding="utf-8")
    try:
        async for raw in proc.stdout:
            line = ANSI_RE.sub("", raw.decode("utf-8", "replace")).rstrip()
            await asyncio.to_thread(_append, log, line)
            if on_line:
                on_line(line)
        return await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        log.close()


def failure_reason(log_path: Path, limit: int = 6) -> str:
    """The lines of a failed run's log that say why (Rasa's error, or the last lines)."""
    try:
        lines = [line for line in log_path.read_text(errors="replace").splitlines() if line]
    except FileNotFoundError:
        return "geen log"
    errors = [
        line
        for line in lines
        if re.search(r"(Error|Exception|ERROR|Traceback|failed)", line)
        and "UserWarning" not in line
    ]
    return "\n".join((errors or lines)[-limit:])
