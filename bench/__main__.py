"""`python -m bench [--profile rest|cluster|soak]`: latency, throughput and memory under
simulated residents (docs/cluster.md, "Load and soak")."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import warnings
from pathlib import Path

from bench import cluster, compare, flame, single
from bench.settings import BenchSettings
from core.observability.logs import configure_logging
from core.privacy.permissions import restrict_umask


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="latency, throughput and memory under simulated residents",
    )
    p.add_argument(
        "--profile",
        choices=("compare", "rest", "cluster", "soak", "flame", "live"),
        default="compare",
        help="compare: Balie against the stock `rasa init` bot, ratios and goals (default); "
        "rest: one stack, REST, /model/parse and melding phases; "
        "cluster: 1 vs 2 Rasa servers in the cluster; soak: 10 minutes, pass/fail; "
        "flame: a py-spy flame graph of Balie's Rasa server under FAQ load (results/); "
        "live: only the live hand-off's latency (widget → medewerker), part of compare",
    )
    p.add_argument(
        "--users",
        type=int,
        help="concurrent simulated residents (compare/flame 16, rest 20, cluster/soak 50, "
        "live 10 in live chats)",
    )
    p.add_argument(
        "--duration",
        type=float,
        help="seconds of load per phase/run (compare/flame 30, rest 40, cluster 60, soak 600)",
    )
    p.add_argument("--turns", type=int, default=200, help="compare: turns of the long conversation")
    p.add_argument(
        "--rounds", type=int, default=6, help="compare: meldingen for the form step's cost"
    )
    p.add_argument(
        "--databases",
        type=compare.databases,
        default=["sqlite", "postgresql"],
        help="compare/flame: Balie's databases, comma-separated (sqlite,postgresql)",
    )
    p.add_argument("--rasa-url", help="rest profile: bench an already running Rasa server")
    p.add_argument(
        "--replicas", help="cluster/soak: Rasa server counts to compare (default 1,2; soak 2)"
    )
    p.add_argument("--model", type=Path, help="Balie's model instead of the live one")
    p.add_argument(
        "--think", type=float, default=1.0, help="cluster/soak: residents' mean pause (s)"
    )
    p.add_argument("--interval", type=float, help="cluster/soak: memory sampling (s; 5, soak 15)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Rasa warns once per FAQ example whenever NLU data is read without the domain.
    warnings.filterwarnings("ignore", message="Your training data contains an example")
    # What the bench creates (throwaway databases, kept logs) is the owner's only.
    restrict_umask()
    settings = BenchSettings.for_process()
    service = "soak" if args.profile == "soak" else "bench"
    configure_logging(service, fmt=settings.log_format, level=settings.log_level)
    if args.profile == "cluster":
        return asyncio.run(cluster.main(args, settings))
    if args.profile == "soak":
        return asyncio.run(cluster.soak(args, settings))
    if args.profile == "live":
        return asyncio.run(compare.live_only(args, settings))
    if args.profile in ("compare", "flame"):
        args.users, args.duration = args.users or 16, args.duration or 30.0
        run = compare.main if args.profile == "compare" else flame.main
        return asyncio.run(run(args, settings))
    args.users, args.duration = args.users or 20, args.duration or 40.0
    return asyncio.run(single.main(args, settings))


if __name__ == "__main__":
    sys.exit(main())
