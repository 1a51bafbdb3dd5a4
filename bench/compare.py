"""`make bench` (default profile): Balie against the stock `rasa init` bot, in one run.

For each system in turn (never two at once: they would share the CPUs) — the stock bot
with Rasa's in-memory tracker store, then Balie with its own tracker store on SQLite and
on PostgreSQL — it measures FAQ turns over REST by 1 and by N residents at once, the
long-conversation curve, Balie's melding form steps against its FAQ turns, and the Rasa
server's peak memory; then prints one table of Balie/stock ratios, each next to its goal
from issue #15. Balie alone also has the live hand-off's latency (bench/live.py, issue
#16): an absolute figure with its own goal. A benchmark reports: it never fails on a
figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench import live, long, stock
from bench.cluster import MiB, Target, faq_questions
from bench.form import FormCost, form_cost
from bench.load import Turns, faq_load
from bench.settings import BenchSettings
from bench.single import MemorySampler
from bench.stacks import DATABASES, free_port, running_balie

STOCK = "stock Rasa"


@dataclass
class Measured:
    name: str
    one: Turns
    many: Turns
    curve: long.Curve
    rss_peak: int  # bytes, the Rasa server with its children
    form: FormCost | None = None
    handoff: live.Handoff | None = None


async def measure(
    name: str,
    rest_url: str,
    pid: int | None,
    texts: list[str],
    args: argparse.Namespace,
    target: Target | None = None,
    medewerker: live.Medewerker | None = None,
) -> Measured:
    """Everything for one running system; `target` and `medewerker` (Balie only) add the
    melding form and the live hand-off."""
    print(f"\n== {name} ==", flush=True)
    sampler = MemorySampler(pid)
    with sampler:
        await long.curve(rest_url, texts, 5)  # warm-up: the first turns load the models
        one = await faq_load(rest_url, texts, 1, args.duration)
        print(f"  1 resident: {len(one.latencies)} turns, {one.errors} errors", flush=True)
        many = await faq_load(rest_url, texts, args.users, args.duration)
        print(f"  {args.users} residents: {len(many.latencies)} turns, {many.errors} errors")
        curve = await long.curve(rest_url, texts, args.turns)
        print(f"  one conversation of {args.turns} turns: {curve.errors} errors", flush=True)
        form = await form_cost(target, args.rounds) if target else None
        if form:
            print(f"  melding form: {len(form.steps)} steps, {form.errors} errors", flush=True)
            for example in form.examples:
                print(f"    error: {example}")
        handoff = await live.handoff_latency(medewerker) if medewerker else None
        if handoff:
            print(f"  {live.report(handoff)}", flush=True)
            for example in handoff.examples:
                print(f"    error: {example}")
        sampler.peak = max(sampler.peak, sampler.rss())
    return Measured(name, one, many, curve, sampler.peak, form, handoff)


@dataclass(frozen=True)
class Goal:
    text: str
    limit: float
    at_least: bool = False  # higher is better (throughput)
    own: bool = False  # judged on Balie's own figure, not on its ratio to stock

    def met(self, value: float) -> bool:
        return value >= self.limit if self.at_least else value <= self.limit


@dataclass(frozen=True)
class Row:
    label: str
    value: Callable[[Measured], float | None]
    fmt: str = "{:.0f}"
    goal: Goal | None = None


def _turn(point: int) -> Callable[[Measured], float]:
    return lambda m: m.curve.at(point) * 1000


def rows(args: argparse.Namespace) -> list[Row]:
    points = long.points(args.turns)
    n = args.users
    out = [
        Row("1 resident: turns/s", lambda m: m.one.throughput, "{:.1f}"),
        Row("1 resident: p50 ms", lambda m: m.one.ms(50)),
        Row("1 resident: p95 ms", lambda m: m.one.ms(95)),
        Row(
            f"{n} residents: turns/s",
            lambda m: m.many.throughput,
            "{:.1f}",
            Goal("≥1.0× stock", 1.0, at_least=True),
        ),
        Row(f"{n} residents: p50 ms", lambda m: m.many.ms(50)),
        Row(f"{n} residents: p95 ms", lambda m: m.many.ms(95), goal=Goal("≤1.2× stock", 1.2)),
        Row("errors (all phases)", lambda m: m.one.errors + m.many.errors + m.curve.errors),
    ]
    out += [Row(f"long: turn {p} ms", _turn(p)) for p in points]
    out += [
        Row(
            f"long: turn {points[-1]} / turn {points[0]}",
            lambda m: m.curve.ratio(points),
            "{:.1f}×",
            Goal("≤2.0× (stock ~5×)", 2.0, own=True),
        ),
        Row(
            "melding step / FAQ turn",
            lambda m: m.form.ratio if m.form else None,
            "{:.2f}×",
            Goal("≤1.5×", 1.5, own=True),
        ),
        Row(
            "live hand-off p50 ms",
            lambda m: m.handoff.ms(50) if m.handoff else None,
        ),
        Row(
            "live hand-off p95 ms",
            lambda m: m.handoff.ms(95) if m.handoff else None,
            goal=Goal(f"≤{live.GOAL_MS:.0f} ms", live.GOAL_MS, own=True),
        ),
        Row(
            "Rasa peak RSS MiB",
            lambda m: m.rss_peak / MiB if m.rss_peak else None,
            goal=Goal("≤1.0× stock", 1.0),
        ),
    ]
    return out


def _cell(value: float | None, fmt: str) -> str:
    return "-" if value is None or value != value else fmt.format(value)


def report(measured: list[Measured], args: argparse.Namespace) -> str:
    """The table: stock, then per Balie variant its figure and its ratio to stock, then the
    goal and whether each variant meets it."""
    base = next((m for m in measured if m.name == STOCK), None)
    others = [m for m in measured if m is not base]
    head = f"{'':<30}{STOCK if base else '':>12}"
    head += "".join(f"{m.name:>20}{'×stock':>8}" for m in others) + "   goal"
    lines = [head]
    for row in rows(args):
        ref = row.value(base) if base else None
        line = f"{row.label:<30}{_cell(ref, row.fmt):>12}"
        verdicts = []
        for m in others:
            value = row.value(m)
            ratio = value / ref if value is not None and ref else None
            line += f"{_cell(value, row.fmt):>20}{_cell(ratio, '{:.2f}'):>8}"
            judged = value if row.goal and row.goal.own else ratio
            if row.goal and judged is not None and judged == judged:
                verdicts.append("met" if row.goal.met(judged) else "MISSED")
            elif row.goal:
                verdicts.append("?")
        if row.goal:
            line += f"   {row.goal.text}: {'/'.join(verdicts)}"
        lines.append(line)
    return "\n".join(lines)


def machine_line() -> str:
    load1, load5, _ = os.getloadavg()
    return (
        f"machine: {psutil.cpu_count()} CPUs, load average {load1:.1f} (1 min), "
        f"{load5:.1f} (5 min) at the end; other work on the machine lowers every figure, "
        "the ratios less so"
    )


async def main(args: argparse.Namespace, settings: BenchSettings) -> int:
    from webapp.staff.cli import live_model

    # The live model (what `make run` serves; trained if there is none), or --model.
    model: Path = args.model or await live_model(settings, None)
    stock_model = await asyncio.to_thread(stock.prepare)
    print(
        f"Balie ({model.name}) against the stock bot ({stock_model.name}, Rasa "
        f"{stock.RASA_VERSION}): 1 and {args.users} residents for {args.duration:.0f} s each, "
        f"one conversation of {args.turns} turns, {args.rounds} meldingen",
        flush=True,
    )
    measured = []
    log = stock_model.parent.parent.parent / "stock-run.log"
    async with stock.running(stock_model, free_port(), log) as (url, pid):
        rest = f"{url}/webhooks/rest/webhook"
        measured.append(await measure(STOCK, rest, pid, stock.turns(), args))
    faq = faq_questions()
    for database in args.databases:
        async with running_balie(settings, model, database) as balie:
            name = f"Balie {database}"
            measured.append(
                await measure(
                    name,
                    balie.rest_url,
                    balie.rasa_pid,
                    faq,
                    args,
                    balie.target,
                    await balie.medewerker(),
                )
            )
    print(f"\n== Balie against stock Rasa ({args.users} residents = the concurrent phase) ==")
    print(report(measured, args))
    print(machine_line())
    return 0


def databases(raw: str) -> list[str]:
    chosen = [d.strip() for d in raw.split(",") if d.strip()]
    unknown = set(chosen) - set(DATABASES)
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(DATABASES)}")
    return chosen


async def live_only(args: argparse.Namespace, settings: BenchSettings) -> int:
    """`--profile live`: only the live hand-off's latency, on each of --databases."""
    from webapp.staff.cli import live_model

    model: Path = args.model or await live_model(settings, None)
    residents = args.users or live.RESIDENTS
    for database in args.databases:
        async with running_balie(settings, model, database) as balie:
            await long.curve(balie.rest_url, faq_questions(), 5)  # warm-up: load the model
            handoff = await live.handoff_latency(await balie.medewerker(), residents)
            print(f"Balie {database}: {live.report(handoff)}", flush=True)
            for example in handoff.examples:
                print(f"    error: {example}")
    print(machine_line())
    return 0
