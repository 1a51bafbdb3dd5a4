"""`python -m bot purge [--dry-run]` and `python -m bot forget --kanaal K --id ID [--dry-run]`.

The launcher may import every process, so the command line asks each owner in turn:
the web app's retention (BALIE_DATABASE_URL, BALIE_TRACKER_DATABASE_URL) and the action
server's (its outbox and guess counts: BALIE_OUTBOX_URL), with the retention terms of
the environment, and prints how many of each kind were (or, with --dry-run, would be)
deleted. It works whether or not the processes are running.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from bot.cli import launcher
from core.domain import CHANNELS
from core.privacy.retention import Counts

if TYPE_CHECKING:  # imported when a command runs: `python -m bot --help` stays quick
    from actions.outbox import Outbox
    from bot.settings import LauncherSettings
    from webapp.privacy.retention import Retention

T = TypeVar("T")


def _print(counts: Counts, dry_run: bool) -> None:
    width = max((len(kind) for kind in counts), default=0)
    for kind, n in counts.items():
        print(f"  {kind:<{width}}  {n}")
    if dry_run:
        print("Dry run: these would be removed; nothing was changed.")


async def _with_owners(
    settings: LauncherSettings, work: Callable[[Retention, Outbox], Awaitable[T]]
) -> T:
    """`work(retention, outbox)`: the web app's retention and the action server's outbox."""
    from actions import guesser
    from actions.outbox import Outbox
    from core.db import create_engine
    from webapp.privacy.retention import Retention

    engine = create_engine(settings.database_url)
    outbox = Outbox.of(settings)
    retention = Retention.from_settings(settings, engine, outbox=outbox)
    try:
        return await work(retention, outbox)
    finally:
        await retention.close()
        await outbox.close()
        await guesser.close()
        await engine.dispose()


def _purge(args: argparse.Namespace, settings: LauncherSettings) -> int:
    from actions import retention as action_server
    from webapp.cases.migrate import migrate

    policy = settings.retention
    migrate(settings.database_url)
    terms = ", ".join(f"{kind} {days:g}" for kind, days in policy.describe().items())
    print(f"Retention terms in days: {terms}")

    async def work(retention: Retention, outbox: Outbox) -> Counts | None:
        counts = await retention.purge_exclusive(dry_run=args.dry_run)
        if counts is None:
            return None
        return counts | await action_server.purge(outbox, policy, dry_run=args.dry_run)

    counts = asyncio.run(_with_owners(settings, work))
    if counts is None:
        print("Another instance is purging right now; nothing done.", file=sys.stderr)
        return 1
    _print(counts, args.dry_run)
    return 0


def _forget(args: argparse.Namespace, settings: LauncherSettings) -> int:
    from pydantic import ValidationError

    from core.caseapi.models import ForgetIn
    from webapp.cases.migrate import migrate

    try:
        request = ForgetIn(kanaal=args.kanaal, id=args.id)
    except ValidationError as exc:
        print("; ".join(e["msg"] for e in exc.errors()), file=sys.stderr)
        return 2
    migrate(settings.database_url)

    async def work(retention: Retention, outbox: Outbox) -> Counts:
        # The outbox is asked by the retention itself (its `outbox`), first.
        return await retention.forget(request.kanaal, request.id, dry_run=args.dry_run)

    _print(asyncio.run(_with_owners(settings, work)), args.dry_run)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "purge", help="delete conversations, contact details and cases past their retention term"
    )
    p.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    p.set_defaults(func=_purge, settings=launcher)

    p = sub.add_parser(
        "forget",
        help="forget a resident by channel identity (conversations, contact details); "
        "their cases stay, unlinked",
    )
    p.add_argument("--kanaal", required=True, choices=CHANNELS)
    p.add_argument(
        "--id", required=True, help="the sender id: Telegram chat id, widget or REST sender"
    )
    p.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    p.set_defaults(func=_forget, settings=launcher)
