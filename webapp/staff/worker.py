"""Runs one training or evaluation job: `python -m webapp.staff.worker <job directory>`.

Training: split off the held-out data (of Balie's own data and of the staff additions),
`rasa train` on the rest, register the model, then score it and the live model on the
held-out data: Balie's own, and the staff examples neither model trained on.
Nothing live changes here: only a promotion does that. The command line
(`python -m bot train|evaluate`) runs the same code in its own process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from core import ROOT
from core.settings import Settings
from webapp.staff import evaluation, heldout, training
from webapp.staff.config import StaffConfig
from webapp.staff.jobs import (
    DONE,
    EVALUATE,
    FAILED,
    HEARTBEAT_SECONDS,
    HOST,
    RUNNING,
    TRAIN,
    Job,
    Jobs,
)
from webapp.staff.process import failure_reason, run_rasa_streamed
from webapp.staff.progress import LABELS, STAGES, TrainProgress
from webapp.staff.registry import ModelEntry, Registry


class JobFailed(RuntimeError):
    """Why a job failed, in Dutch, for staff."""


def fingerprints(config: StaffConfig, heldout_fingerprint: str) -> tuple[str, str]:
    """(everything that shapes a model, the same without the staff additions)."""
    base = hashlib.sha256(heldout_fingerprint.encode())
    inputs = [config.train_config, training.DOMAIN, *training.dialogue_files()]
    inputs += training.component_files()
    for path in inputs:
        base.update(path.name.encode())
        base.update(path.read_bytes())
    full = base.copy()
    # How the staff additions are split: a model trained under another split (before it
    # existed, all of them) is not the same model.
    full.update(f"staff-share:{heldout.STAFF_SHARE}".encode())
    if config.data_file.exists():
        full.update(config.data_file.read_bytes())
    return full.hexdigest()[:16], base.hexdigest()[:16]


def _display(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


class Worker:
    def __init__(self, settings: Settings, config: StaffConfig, job: Job) -> None:
        self.settings, self.config, self.job = settings, config, job
        self.registry = Registry(settings.models_dir)

    def _split(self) -> heldout.Split:
        return heldout.split(self.settings.models_dir / "heldout", self.config.data_file)

    def _staff_split(self, split: heldout.Split) -> heldout.StaffSplit:
        return heldout.split_staff(self.job.dir, self.config.data_file, split.test_file)

    async def train(self, *, evaluate: bool = True) -> ModelEntry:
        job = self.job
        job.update(stage="voorbereiden", label=LABELS["voorbereiden"])
        split = await asyncio.to_thread(self._split)
        full, base = await asyncio.to_thread(fingerprints, self.config, split.fingerprint)
        entry = await asyncio.to_thread(self.registry.by_fingerprint, full)
        if entry:
            job.update(melding=f"De gegevens zijn niet veranderd sinds model {entry.name}.")
        else:
            entry = await self._rasa_train(split, full, base)
        job.update(model=entry.name)
        if evaluate:
            await self.evaluate(entry, split)
        await asyncio.to_thread(self._prune)
        return entry

    def _prune(self) -> None:
        """Keep the newest models (BALIE_MODELS_KEEP), the live and the previous one."""
        for gone in self.registry.prune(self.config.models_keep):
            evaluation.forget(self.settings.models_dir, gone.name)
            self.job.note(f"Oud model {gone.name} verwijderd.")

    async def _rasa_train(self, split: heldout.Split, full: str, base: str) -> ModelEntry:
        job, models_dir = self.job, self.settings.models_dir
        name = "balie-" + job.id.rsplit("-", 1)[0]
        previous = next((e.components for e in self.registry.entries() if e.components), None)
        progress = TrainProgress(components_total=previous or 10)

        def on_line(line: str) -> None:
            if progress.feed(line):
                job.update(stage=progress.stage, label=progress.label, percent=progress.percent)

        data = [split.train_file, *training.dialogue_files()]
        if self.config.data_file.exists():
            staff = await asyncio.to_thread(self._staff_split, split)
            data.append(staff.train_file)
        started = time.monotonic()
        code = await run_rasa_streamed(
            [
                "train",
                "--config",
                str(self.config.train_config),
                "--domain",
                str(training.DOMAIN),
                "--data",
                *map(str, data),
                "--out",
                str(models_dir),
                "--fixed-model-name",
                name,
            ],
            job.log_path,
            on_line,
        )
        path = models_dir / f"{name}.tar.gz"
        if code != 0 or not path.exists():
            path.unlink(missing_ok=True)
            raise JobFailed(
                f"rasa train stopte met code {code}. Uit het log:\n{failure_reason(job.log_path)}"
            )
        return await asyncio.to_thread(
            self.registry.register,
            path,
            trained_by=job.state().door,
            fingerprint=full,
            base_fingerprint=base,
            heldout=split.fingerprint,
            config=_display(self.config.train_config),
            duration=round(time.monotonic() - started, 1),
            components=progress.components_done or None,
        )

    async def evaluate(self, entry: ModelEntry, split: heldout.Split | None = None) -> None:
        """Score entry and the live model (if not scored yet) on the same held-out data."""
        if split is None:
            split = await asyncio.to_thread(self._split)
        self.job.update(
            stage="beoordelen", label=LABELS["beoordelen"], percent=STAGES["beoordelen"][0]
        )
        models = [entry]
        live = await asyncio.to_thread(self.registry.live)
        if live and live.name != entry.name and live.file.exists():
            models.append(live)
        names = ", ".join(m.name for m in models)
        await asyncio.to_thread(
            self.job.note, f"Beoordelen van {names} op de testgegevens {split.fingerprint}."
        )
        results = await self._each(
            models,
            lambda m, log: evaluation.evaluate(self.settings.models_dir, m, split, log),
        )
        for model, result in zip(models, results, strict=True):
            await asyncio.to_thread(
                self.job.note,
                f"{model.name}: macro-F1 {result['macro_f1']:.4f}, "
                f"nauwkeurigheid {result['accuracy']:.4f} ({result['support']} voorbeelden).",
            )
        if self.config.data_file.exists():
            await self._evaluate_staff(models, split)

    async def _evaluate_staff(self, models: list[ModelEntry], split: heldout.Split) -> None:
        """Both models on the staff examples held out of every training."""
        staff = await asyncio.to_thread(self._staff_split, split)
        if staff.test_dir is None:
            await asyncio.to_thread(
                self.job.note, "Nog geen voorbeelden van medewerkers om op te beoordelen."
            )
            return
        results = await self._each(
            models,
            lambda m, log: evaluation.evaluate_staff(self.settings.models_dir, m, staff, log),
        )
        for model, result in zip(models, results, strict=True):
            await asyncio.to_thread(
                self.job.note,
                f"{model.name}: {result['correct']} van {result['support']} achtergehouden "
                "voorbeelden van medewerkers goed.",
            )

    async def _each(
        self,
        models: list[ModelEntry],
        score: Callable[[ModelEntry, Path], Awaitable[dict[str, Any]]],
    ) -> list[dict[str, Any]]:
        """Score the models at the same time; a failure fails the job with Rasa's reason."""
        logs = [self.job.dir / f"evaluatie-{m.name}.log" for m in models]
        results = await asyncio.gather(
            *(score(m, log) for m, log in zip(models, logs, strict=True)),
            return_exceptions=True,
        )
        found = []
        for model, log, result in zip(models, logs, results, strict=True):
            if isinstance(result, BaseException):
                raise JobFailed(f"Beoordelen van {model.name} mislukte:\n{failure_reason(log)}")
            found.append(result)
        return found


async def _heartbeat(job: Job) -> None:
    """Signs of life for web-app instances on other machines (see jobs.py)."""
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        job.update(beat=time.time())


async def run(
    settings: Settings,
    config: StaffConfig,
    job: Job,
    jobs: Jobs,
    *,
    evaluate: bool = True,
    wait: float = 10.0,
) -> int:
    """Run the job in job's directory under the one-job lock; its state says how it went.

    wait: seconds to wait for the lock, which a web app claiming a job holds briefly.
    A job runs once: a second worker for the same job leaves it alone.
    """
    state = job.state()
    me = f"{HOST}:{os.getpid()}"
    try:
        with jobs.exclusive(wait):
            state = job.state()
            if state.status != RUNNING or (state.worker and state.worker != me):
                return 1
            job.update(
                pid=os.getpid(),
                host=HOST,
                worker=me,
                beat=time.time(),
                verwacht=jobs.usual_duration(state.soort),
            )
            beat = asyncio.ensure_future(_heartbeat(job))
            try:
                worker = Worker(settings, config, job)
                if state.soort == TRAIN:
                    await worker.train(evaluate=evaluate)
                elif state.soort == EVALUATE:
                    entry = worker.registry.get(state.model or "")
                    if entry is None:
                        raise JobFailed(f"Onbekend model: {state.model}.")
                    await worker.evaluate(entry)
                else:
                    raise JobFailed(f"Onbekend soort taak: {state.soort}.")
            finally:
                beat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beat
    except Exception as exc:  # the job's page shows why; nothing live has changed
        job.update(status=FAILED, fout=str(exc) or exc.__class__.__name__, klaar_op=time.time())
        return 1
    job.update(status=DONE, stage="klaar", label=LABELS["klaar"], percent=100, klaar_op=time.time())
    return 0


def main(argv: list[str]) -> int:
    """The worker's entry point: the web app's settings, from the environment it was given
    (webapp/staff/console/runner.py)."""
    from core.privacy.permissions import restrict_umask
    from webapp.settings import WebSettings

    restrict_umask()  # the job's files and the model it trains: owner only
    settings = WebSettings.for_process()
    config = settings.staff
    root = Path(argv[0]).parent if argv else settings.jobs_dir
    jobs = Jobs(root, settings.models_dir)
    job = jobs.get(Path(argv[0]).name) if argv else None
    if job is None:
        print("usage: python -m webapp.staff.worker <job directory>", file=sys.stderr)
        return 2
    return asyncio.run(run(settings, config, job, jobs))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
