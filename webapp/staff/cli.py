"""Command-line counterparts of the console: accounts and the model life cycle.

`python -m bot create-user|train|evaluate|promote|rollback`; `run` asks this module
which model is live. Each command gets the web app's settings from its entry point
(bot/cli.py), which built them from the environment.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from webapp.settings import WebSettings
from webapp.staff import evaluation, heldout, worker
from webapp.staff.config import StaffConfig
from webapp.staff.jobs import EVALUATE, FAILED, TRAIN, Jobs, JobState
from webapp.staff.promotion import PromotionRefused, judge, promote
from webapp.staff.registry import ModelEntry, Registry, RegistryError
from webapp.staff.users import ROLES


def _who(args: argparse.Namespace) -> str:
    return args.by or f"{getpass.getuser()} (cli)"


async def _job(
    settings: WebSettings, config: StaffConfig, soort: str, door: str, **kw: Any
) -> JobState:
    """Run a job in this process, printing each new stage."""
    jobs = Jobs(settings.jobs_dir, settings.models_dir)
    job = await asyncio.to_thread(jobs.create, soort, door, kw.pop("model", None))

    async def report() -> None:
        last = None
        while True:
            state = await asyncio.to_thread(job.state)
            if state.label != last:
                print(f"  {state.label}", flush=True)
                last = state.label
            await asyncio.sleep(1)

    printer = asyncio.ensure_future(report())
    try:
        await worker.run(settings, config, job, jobs, **kw)
    finally:
        printer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await printer
    state = await asyncio.to_thread(job.state)
    if state.status == FAILED:
        print(f"Failed: {state.fout}\n(log: {job.log_path})", file=sys.stderr)
    elif state.melding:
        print(state.melding)
    return state


async def live_model(settings: WebSettings, explicit: Path | None) -> Path:
    """The model `python -m bot run` serves: given, live, or trained for the current data.

    The live model stays live unless Balie's own data, domain or pipeline changed (a
    deployment): staff additions wait for a trainer to promote a model with them.
    """
    registry = Registry(settings.models_dir)
    door = "python -m bot run"
    if explicit:
        given = await asyncio.to_thread(registry.register, explicit)
        await asyncio.to_thread(registry.set_live, given.name, door=door, actie="start")
        return given.file
    config = settings.staff
    split_fingerprint = await asyncio.to_thread(heldout.current_fingerprint, config.data_file)
    full, base = await asyncio.to_thread(worker.fingerprints, config, split_fingerprint)
    live = await asyncio.to_thread(registry.live)
    if live and live.file.exists() and live.base_fingerprint == base:
        if live.fingerprint != full:
            print(
                "Staff have added training data since the live model; train and promote it "
                "in the console (/staff) or with `python -m bot train` and `promote`."
            )
        return live.file
    entry = await asyncio.to_thread(registry.by_fingerprint, full)
    if entry is None:
        print("Training a model for the current data; this takes a few minutes...", flush=True)
        if (await _job(settings, config, TRAIN, door, evaluate=False)).status == FAILED:
            raise SystemExit(1)
        entry = await asyncio.to_thread(registry.by_fingerprint, full)
        assert entry is not None
    await asyncio.to_thread(registry.set_live, entry.name, door=door, actie="start")
    return entry.file


def _config(args: argparse.Namespace, settings: WebSettings) -> StaffConfig:
    """The staff settings, with the pipeline of `--config` if given."""
    if getattr(args, "config", None):
        return replace(settings.staff, train_config=args.config.resolve())
    return settings.staff


def _model(registry: Registry, name: str | None) -> ModelEntry:
    """The named model, or the newest one that is not live."""
    if name:
        entry = registry.get(name)
        if entry is None:
            raise SystemExit(f"Unknown model {name!r}; see {registry.file}")
        return entry
    live = registry.live()
    for entry in registry.entries():
        if not live or entry.name != live.name:
            return entry
    raise SystemExit("No model other than the live one; train one first.")


def _print_scores(settings: WebSettings, config: StaffConfig, entry: ModelEntry) -> None:
    registry = Registry(settings.models_dir)
    live = registry.live()
    scored = evaluation.latest(settings.models_dir, entry.name)
    if scored:
        line = f"{entry.name}: intent macro-F1 {scored['macro_f1']:.4f}"
        if live and live.name != entry.name:
            live_scored = evaluation.load(settings.models_dir, live.name, scored["heldout"])
            if live_scored:
                line += f", live {live.name}: {live_scored['macro_f1']:.4f}"
        print(line)
    staff = evaluation.latest_staff(settings.models_dir, entry.name)
    if staff:
        line = f"held-out staff examples: {staff['correct']}/{staff['support']} right"
        if live and live.name != entry.name:
            live_staff = evaluation.load_staff(settings.models_dir, live.name, staff["staff"])
            gain = evaluation.staff_gain(staff, live_staff)
            if live_staff and gain is not None:
                line += (
                    f", live {live_staff['correct']}/{live_staff['support']} ({gain:+.1f} points)"
                )
        print(line)
    print(judge(settings.models_dir, entry, live, config.promotion_tolerance).reason)


def train(args: argparse.Namespace, settings: WebSettings) -> int:
    config = _config(args, settings)
    state = asyncio.run(_job(settings, config, TRAIN, _who(args), evaluate=not args.no_evaluate))
    if state.status == FAILED:
        return 1
    newest = Registry(settings.models_dir).entries()
    if newest:
        print(newest[0].path)
        _print_scores(
            settings,
            config,
            _model(Registry(settings.models_dir), None) if not args.no_evaluate else newest[0],
        )
    return 0


def evaluate(args: argparse.Namespace, settings: WebSettings) -> int:
    config = _config(args, settings)
    entry = _model(Registry(settings.models_dir), args.model)
    state = asyncio.run(_job(settings, config, EVALUATE, _who(args), model=entry.name))
    if state.status == FAILED:
        return 1
    _print_scores(settings, config, entry)
    return 0


def promote_command(args: argparse.Namespace, settings: WebSettings) -> int:
    config = _config(args, settings)
    registry = Registry(settings.models_dir)
    entry = _model(registry, args.model)
    if args.force and not args.reason:
        raise SystemExit("--force needs --reason: overruling the scores is recorded.")
    try:
        entry, verdict = promote(
            registry,
            entry.name,
            _who(args),
            tolerance=config.promotion_tolerance,
            overrule=args.force,
            reden=args.reason,
        )
    except PromotionRefused as exc:
        print(f"Not promoted: {exc.verdict.reason}", file=sys.stderr)
        return 1
    except RegistryError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(verdict.reason)
    print(f"{entry.name} is live; Rasa servers load it within {config.model_pull_seconds} s.")
    return 0


def rollback(args: argparse.Namespace, settings: WebSettings) -> int:
    try:
        entry = Registry(settings.models_dir).rollback(door=_who(args))
    except RegistryError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"Rolled back: {entry.name} is live again.")
    return 0


def create_user(args: argparse.Namespace, settings: WebSettings) -> int:
    from webapp.cases.migrate import migrate
    from webapp.cases.store import CaseStore
    from webapp.staff import audit
    from webapp.staff.users import UserError, Users

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password again: "):
            print("The passwords differ.", file=sys.stderr)
            return 1
    migrate(settings.database_url)

    async def create() -> int:
        store = CaseStore.from_url(settings.database_url)
        try:
            user = await Users(store.sessions).create(args.name, password, args.role)
            await audit.record(
                store.sessions,
                _who(args),
                "account_aangemaakt",
                user.gebruikersnaam,
                rollen=user.rollen,
            )
        except UserError as exc:
            print(exc, file=sys.stderr)
            return 1
        finally:
            await store.close()
        print(f"Created {user.gebruikersnaam} ({user.rollen}).")
        return 0

    return asyncio.run(create())


def add_commands(sub: argparse._SubParsersAction) -> None:
    """The staff commands of `python -m bot`."""
    p = sub.add_parser("create-user", help="create a staff account for the console (/staff)")
    p.add_argument("name")
    p.add_argument("--role", action="append", required=True, choices=ROLES, help="repeatable")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.add_argument("--by", help="who does this (audit log); default: your user name")
    p.set_defaults(func=create_user)

    p = sub.add_parser(
        "train", help="train a model on the current data (held-out part excluded) and score it"
    )
    p.add_argument(
        "--config", type=Path, help="pipeline config (default: BALIE_TRAIN_CONFIG or config.yml)"
    )
    p.add_argument("--no-evaluate", action="store_true", help="skip scoring on held-out data")
    p.add_argument("--by", help="who does this; default: your user name")
    p.set_defaults(func=train)

    p = sub.add_parser("evaluate", help="score a model and the live one on the held-out data")
    p.add_argument("model", nargs="?", help="model name (default: the newest non-live model)")
    p.add_argument("--by", help="who does this; default: your user name")
    p.set_defaults(func=evaluate)

    p = sub.add_parser("promote", help="make a model live if it scores no worse than the live one")
    p.add_argument("model", nargs="?", help="model name (default: the newest non-live model)")
    p.add_argument("--force", action="store_true", help="overrule the scores (recorded)")
    p.add_argument("--reason", help="why the scores are overruled")
    p.add_argument("--by", help="who does this; default: your user name")
    p.set_defaults(func=promote_command)

    p = sub.add_parser("rollback", help="make the previous live model live again")
    p.add_argument("--by", help="who does this; default: your user name")
    p.set_defaults(func=rollback)
