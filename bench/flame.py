"""`make profile`: a py-spy flame graph of Balie's Rasa server under the FAQ load of
`make bench` (N residents at once), written to results/ as SVG (docs/performance.md)."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from datetime import datetime
from pathlib import Path

from bench.cluster import faq_questions
from bench.load import faq_load
from bench.settings import BenchSettings
from bench.stacks import running_balie
from core import ROOT

RESULTS = ROOT / "results"


def py_spy() -> str:
    """The venv's py-spy (requirements.txt), else one on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if not found:
        raise SystemExit("py-spy is not installed: `make install` installs it")
    return found


async def main(args: argparse.Namespace, settings: BenchSettings) -> int:
    from webapp.staff.cli import live_model

    model: Path = args.model or await live_model(settings, None)
    database = args.databases[0]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"flame-rasa-{database}-{datetime.now():%Y%m%d-%H%M%S}.svg"
    async with running_balie(settings, model, database) as balie:
        texts = faq_questions()
        await faq_load(balie.rest_url, texts, 1, 3)  # warm-up, not recorded
        # --nonblocking: sampling without pausing the server, so the load it sees (and
        # the latencies printed) stay as they are without the profiler.
        record = await asyncio.create_subprocess_exec(
            py_spy(),
            "record",
            "--pid",
            str(balie.rasa_pid),
            "--output",
            str(out),
            "--format",
            "flamegraph",
            "--duration",
            str(int(args.duration)),
            "--nonblocking",
        )
        load = await faq_load(balie.rest_url, texts, args.users, args.duration)
        status = await record.wait()
    print(
        f"{args.users} residents, {args.duration:.0f} s: {len(load.latencies)} turns "
        f"({load.throughput:.1f}/s), p95 {load.ms(95):.0f} ms, {load.errors} errors"
    )
    if status:
        print(f"py-spy failed ({status}); it needs ptrace rights (root or CAP_SYS_PTRACE)")
        return 1
    print(f"flame graph: {out}")
    return 0
