"""Command line: `python -m bot run|run-cluster|web|telegram-poll|compare-pipelines`, and
`create-user|train|evaluate|promote|rollback` for staff (webapp/staff/cli.py), `purge|forget`
(bot/privacy.py). The benchmark and soak live outside the package: `python -m bench`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import warnings
from typing import TYPE_CHECKING

from core.observability.logs import configure_logging
from core.privacy.permissions import restrict_umask
from core.settings import Settings

if TYPE_CHECKING:
    from bot.settings import LauncherSettings
    from rasa_plugins.settings import PluginSettings
    from webapp.settings import WebSettings

# The `service` field of the logs (BALIE_LOG_FORMAT=json): which process wrote a line.
LOG_SERVICES = {"run": "supervisor", "run-cluster": "supervisor", "telegram-poll": "telegram"}


def _run(args: argparse.Namespace, settings: LauncherSettings) -> int:
    from bot import supervisor
    from webapp.staff.cli import live_model

    async def main() -> int:
        # The given model, the live one, or one trained now; the web app serves it to Rasa.
        model = await live_model(settings, args.model)
        return await supervisor.run(settings, model)

    return asyncio.run(main())


def _run_cluster(args: argparse.Namespace, settings: LauncherSettings) -> int:
    from bot.cluster import topology

    cluster = topology.Cluster.plan(settings, rasa=args.rasa, actions=args.actions, web=args.web)
    return asyncio.run(topology.run(cluster, args.model))


def _web(args: argparse.Namespace, settings: WebSettings) -> int:
    from webapp.app import serve

    serve(settings)
    return 0


def _telegram_poll(args: argparse.Namespace, settings: PluginSettings) -> int:
    from rasa_plugins.connectors import telegram_poll

    return asyncio.run(telegram_poll.main(settings))


def _compare(args: argparse.Namespace, settings: Settings) -> int:
    from bot import compare_pipelines

    return asyncio.run(compare_pipelines.main(args.folds, args.out))


def main(argv: list[str] | None = None) -> int:
    from pathlib import Path

    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Rasa warns once per FAQ example whenever NLU data is read without the domain.
    warnings.filterwarnings("ignore", message="Your training data contains an example")
    parser = argparse.ArgumentParser(prog="python -m bot", description="Balie front desk")
    parser.set_defaults(settings=web)  # the staff commands work on the web app's data
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="train if needed, start all services, print the URLs")
    p.add_argument("--model", type=Path, help="use this model instead of the current one")
    p.set_defaults(func=_run, settings=launcher)

    p = sub.add_parser(
        "run-cluster",
        help="the production topology on one machine: PostgreSQL, Redis, HAProxy, replicas",
    )
    p.add_argument("--model", type=Path, help="use this model instead of the current one")
    for kind in ("rasa", "actions", "web"):
        p.add_argument(f"--{kind}", type=int, default=2, help=f"{kind} replicas (default 2)")
    p.set_defaults(func=_run_cluster, settings=launcher)

    sub.add_parser("web", help="run only the web app").set_defaults(func=_web, settings=web)
    sub.add_parser(
        "telegram-poll", help="fetch Telegram updates by long polling and pass them to Rasa"
    ).set_defaults(func=_telegram_poll, settings=plugins)
    # create-user, train, evaluate, promote, rollback (webapp/staff/cli.py)
    from webapp.staff.cli import add_commands

    add_commands(sub)
    # purge, forget: retention and forgetting residents (bot/privacy.py)
    from bot.privacy import add_commands as add_privacy_commands

    add_privacy_commands(sub)

    p = sub.add_parser("compare-pipelines", help="cross-validate the candidate NLU pipelines")
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--out", type=Path, default=Path("results/pipelines"))
    p.set_defaults(func=_compare, settings=shared)

    args = parser.parse_args(argv)
    # Whatever this command creates (and its children: Rasa, the action server, the web
    # app, training) is readable by the owner only: databases, keys, logs, models.
    restrict_umask()
    # This process's one settings object: the web app's, the poller's or the launcher's.
    settings = args.settings().for_process()
    service = LOG_SERVICES.get(args.command, args.command)
    configure_logging(service, fmt=settings.log_format, level=settings.log_level)
    return int(args.func(args, settings))


# The settings class of a command, imported only when that command runs: `--help` stays
# quick and `web` does not load the action server's code.
def launcher() -> type[LauncherSettings]:
    from bot.settings import LauncherSettings

    return LauncherSettings


def shared() -> type[Settings]:
    return Settings


def web() -> type[WebSettings]:
    from webapp.settings import WebSettings

    return WebSettings


def plugins() -> type[PluginSettings]:
    from rasa_plugins.settings import PluginSettings

    return PluginSettings


if __name__ == "__main__":
    sys.exit(main())
