"""Starting training and evaluation jobs from the console, each in its own process.

The job is claimed under the models directory's job lock (`Jobs.claim`), so of two
web-app instances asked at the same moment one starts it and the other says a job is
running; the worker runs on the instance that claimed it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys

from core import ROOT
from core.settings import Settings
from webapp.staff.config import StaffConfig
from webapp.staff.jobs import FAILED, HOST, RUNNING, Job, Jobs


class JobRunner:
    def __init__(self, settings: Settings, config: StaffConfig, jobs: Jobs) -> None:
        self.settings, self.config, self.jobs = settings, config, jobs
        self._lock = asyncio.Lock()
        self._running: dict[str, asyncio.subprocess.Process] = {}

    def _env(self) -> dict[str, str]:
        # The worker sees exactly this web app's configuration.
        return {
            **os.environ,
            "BALIE_MODELS_DIR": str(self.settings.models_dir),
            "BALIE_DATA_DIR": str(self.settings.data_dir),
            "BALIE_JOBS_DIR": str(self.jobs.root),
            "BALIE_STAFF_DATA": str(self.config.data_file),
            "BALIE_TRAIN_CONFIG": str(self.config.train_config),
            "RASA_TELEMETRY_ENABLED": "false",
            "PYTHONUNBUFFERED": "1",
        }

    async def start(self, soort: str, door: str, model: str | None = None) -> Job:
        """Start a job, or raise Busy when one is running (here or from the command line)."""
        async with self._lock:
            job = await asyncio.to_thread(self.jobs.claim, soort, door, model)  # or Busy
            errors = await asyncio.to_thread(open, job.dir / "worker.log", "wb")
            try:
                proc = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "webapp.staff.worker",
                    str(job.dir),
                    cwd=ROOT,
                    env=self._env(),
                    stdout=errors,
                    stderr=asyncio.subprocess.STDOUT,
                    # Its own process group: stopping the job stops `rasa` under it too.
                    start_new_session=True,
                )
            except OSError as exc:
                await asyncio.to_thread(
                    job.update, status=FAILED, fout=f"De taak kon niet starten: {exc}"
                )
                raise
            finally:
                errors.close()
            await asyncio.to_thread(job.update, pid=proc.pid, host=HOST)
            self._running[job.id] = proc
            task = asyncio.ensure_future(proc.wait())  # reap it, so it leaves no zombie
            task.add_done_callback(lambda _: self._running.pop(job.id, None))
            return job

    async def close(self) -> None:
        """Stop jobs this web app started (its own shutdown)."""
        for job_id, proc in list(self._running.items()):
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(proc.wait(), 20)
            job = self.jobs.get(job_id)
            if job and (await asyncio.to_thread(job.state)).status == RUNNING:
                await asyncio.to_thread(
                    job.update, status="mislukt", fout="De web-app werd gestopt tijdens de taak."
                )
