"""Training and evaluation jobs as directories: `state.json` plus the job's logs.

The job itself runs in its own process (`python -m webapp.staff.worker`); the web app
starts it and reads its state, so a job never blocks the web app's event loop. One
job at a time, across the web app and the command line: a file lock in the models
directory. The worker holds it while it runs; a web app holds it just long enough to
see that no job is running and to create the new one (`Jobs.claim`), so two web-app
instances clicking "train" at once start one job, not two.

With several web-app instances the jobs directory is shared (see
`WebSettings.jobs_dir`), so every instance shows every job's progress. A worker
on another machine cannot be asked whether it still lives by its process id; it
writes a heartbeat into its state instead, and a job whose heartbeat is a minute old
counts as failed.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import socket
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import IO, Any

from webapp.staff.process import stamped
from webapp.staff.progress import LABELS

TRAIN, EVALUATE = "train", "evalueren"
RUNNING, DONE, FAILED = "bezig", "klaar", "mislukt"
JOB_ID_CHARS = set("0123456789abcdef-")
HOST = socket.gethostname()
HEARTBEAT_SECONDS = 10  # a running worker writes its heartbeat this often
STALE_SECONDS = 60  # a job without a sign of life for this long has died


class Busy(RuntimeError):
    """Another training or evaluation is running."""


@dataclass
class JobState:
    id: str
    soort: str  # TRAIN or EVALUATE
    door: str
    status: str = RUNNING
    gestart: float = field(default_factory=time.time)
    klaar_op: float | None = None
    pid: int | None = None
    stage: str = "voorbereiden"
    label: str = LABELS["voorbereiden"]  # a job is never "waiting": its worker starts at once
    percent: int = 0
    verwacht: float | None = None  # seconds comparable jobs usually take (median of the last)
    model: str | None = None  # the model trained, or to evaluate
    fout: str | None = None
    melding: str | None = None  # a note for staff, e.g. "same data as model X"
    host: str | None = None  # the machine the worker runs on (pid is only valid there)
    beat: float | None = None  # the worker's last heartbeat
    worker: str | None = None  # "host:pid" of the worker that took the job

    @property
    def elapsed(self) -> float:
        return (self.klaar_op or time.time()) - self.gestart

    @property
    def remaining(self) -> float | None:
        if self.status != RUNNING or not self.verwacht:
            return None
        return max(0.0, self.verwacht - self.elapsed)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JobState:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def new_job_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


class Job:
    def __init__(self, directory: Path) -> None:
        self.dir = directory

    @property
    def id(self) -> str:
        return self.dir.name

    @property
    def log_path(self) -> Path:
        return self.dir / "log.txt"

    def state(self) -> JobState:
        state = JobState.from_dict(json.loads((self.dir / "state.json").read_text()))
        if state.status == RUNNING and _dead(state):
            # The worker died without a word (killed, machine restarted).
            state.status, state.fout = FAILED, "Het trainingsproces is onverwacht gestopt."
        return state

    def save(self, state: JobState) -> None:
        tmp = self.dir / f"state.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(asdict(state), ensure_ascii=False))
        os.replace(tmp, self.dir / "state.json")

    def update(self, **changes: Any) -> JobState:
        # The web app (pid) and the worker (progress) both write: one at a time.
        with open(self.dir / ".state.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            state = self.state()
            for key, value in changes.items():
                setattr(state, key, value)
            self.save(state)
        return state

    def note(self, line: str) -> None:
        """A line of Balie's own in the job's log, between Rasa's."""
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(stamped(f"[balie] {line}") + "\n")

    def log_tail(self, lines: int = 40) -> str:
        """The end of the job's log, for the progress page."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 200 * lines))
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _dead(state: JobState) -> bool:
    if state.pid and state.host in (None, HOST):
        return not _alive(state.pid)
    # Another machine's worker, or one not started yet: its last sign of life.
    return time.time() - max(state.beat or 0.0, state.gestart) > STALE_SECONDS


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


class Jobs:
    def __init__(self, root: Path, models_dir: Path) -> None:
        self.root = root
        self.lock_file = models_dir / ".job.lock"

    def create(self, soort: str, door: str, model: str | None = None) -> Job:
        self.root.mkdir(parents=True, exist_ok=True)
        job = Job(self.root / new_job_id())
        job.dir.mkdir()
        job.save(JobState(id=job.id, soort=soort, door=door, model=model, host=HOST))
        return job

    def claim(self, soort: str, door: str, model: str | None = None) -> Job:
        """Create a job to run now, or raise Busy: atomic across processes and instances.

        Under the lock, no worker runs (it would hold the lock) and no other job was
        created and not yet picked up by its worker (running() shows it); the new job's
        RUNNING state is then the claim until its worker takes the lock.
        """
        with self.exclusive():
            if self.running():
                raise Busy("Er loopt al een training of evaluatie.")
            return self.create(soort, door, model)

    def get(self, job_id: str) -> Job | None:
        if not job_id or not set(job_id) <= JOB_ID_CHARS:
            return None
        job = Job(self.root / job_id)
        return job if (job.dir / "state.json").exists() else None

    def recent(self, limit: int = 20) -> list[JobState]:
        if not self.root.exists():
            return []
        found = []
        for directory in sorted(self.root.iterdir(), reverse=True)[:limit]:
            if (directory / "state.json").exists():
                found.append(Job(directory).state())
        return found

    def running(self) -> JobState | None:
        return next((s for s in self.recent(5) if s.status == RUNNING), None)

    def usual_duration(self, soort: str, runs: int = 5) -> float | None:
        """How long successful jobs of this kind usually take (the median of the last
        few): the next one's estimate."""
        found = [
            state.klaar_op - state.gestart
            for state in self.recent(50)
            if state.soort == soort and state.status == DONE and state.klaar_op
        ][:runs]
        return statistics.median(found) if found else None

    @contextmanager
    def exclusive(self, wait: float = 0.0) -> Iterator[IO[str]]:
        """Hold the one-job-at-a-time lock, or raise Busy (after trying for wait seconds)."""
        self.lock_file.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + wait
        with open(self.lock_file, "w") as lock:
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise Busy("Er loopt al een training of evaluatie.") from None
                    time.sleep(0.1)
            yield lock
