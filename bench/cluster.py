"""`make bench` (cluster profile) and `make soak`: residents against the production topology.

For each number of Rasa servers (default 1 and 2) a real cluster (`python -m bot
run-cluster`: HAProxy, 2 action servers, 2 web apps, PostgreSQL, Redis) is started on a
throwaway PostgreSQL database and Redis database. Simulated residents then hold
conversations through the public front until the time is up, each finishing the one it
is in: FAQ questions, a melding through the whole form that ends with a case number and
controlecode, and a status lookup with the number and code of an earlier melding.
Afterwards every number a resident was given must be in the case system, and no case
may exist that nobody was told about. Memory (RSS) and CPU of every process of the
cluster are sampled in the background.

The bench reports and never fails; the soak (2 Rasa servers, 10 minutes) exits non-zero
unless errors, lost cases, unannounced cases and replica restarts are all zero and
memory is flat (see `flat_memory`). docs/cluster.md, "Load and soak".
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import secrets
import shutil
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import yaml
from yarl import URL

from bench.settings import BenchSettings
from bench.single import percentile
from bot.cluster.launch import cluster_process
from core import ROOT

MiB = 2**20
# What one request may take before it counts as an error (a resident gives up).
TURN_TIMEOUT = 60.0
IDENT_RE = re.compile(r"\b([MV]-\d{4}-\d{6})\b")
CODE_RE = re.compile(r"controlecode is ([A-Z0-9]{6})")
STATUS_RE = re.compile(r"De status van \w+ ([MV]-\d{4}-\d{6}) is")

# Turn kinds, in report order, and conversation kinds with how often residents have them.
TURN_KINDS = ("greeting", "faq", "melding-step", "melding-confirm", "status")
MIX = {"faq": 0.5, "melding": 0.3, "status": 0.2}

GREETINGS = ["hallo", "goedemorgen", "hoi", "goedemiddag", "dag Balie", "hey"]
THANKS = ["bedankt", "dank je wel", "top, dank u", "ok dankjewel"]
# Meldingen without a street in them (the form asks where), each clear enough for a
# proposed category; the category is then confirmed with a button.
DESCRIPTIONS = [
    "er ligt een grote berg grofvuil naast de container",
    "losse stoeptegel op de stoep, je struikelt er bijna over",
    "de lantaarnpaal bij de speeltuin doet het al een week niet",
    "er zit een diep gat in het fietspad, gevaarlijk in het donker",
    "de afvalbak bij het bankje puilt uit, overal zwerfvuil",
    "er ligt een omgevallen boom half over de stoep",
    "de ondergrondse container zit vol en er staan zakken naast",
    "er staat al weken een fietswrak tegen het hek",
]
# The answer to "Dit is al gemeld ... Wilt u berichten over die melding krijgen?".
OTHER_THING = "Nee, het is iets anders"
STREETS = ["Kerkstraat", "Marktplein", "Stationsweg", "Parkweg", "Molenstraat", "Dorpsstraat"]
TIMES = ["gisterochtend", "gisteravond rond 10 uur", "weet ik niet", "nu net", "sinds maandag"]
STATUS_QUESTIONS = [
    "wat is de status van {n}",
    "hoe staat het met mijn melding {n}",
    "ik wil de status weten van {n}",
    "status van {n}",
]


def faq_questions(path: Path | None = None) -> list[str]:
    """The FAQ examples of the NLU data, as residents type them (annotations removed)."""
    path = path or ROOT / "nlu_data" / "nlu" / "faq.yml"
    data = yaml.safe_load(path.read_text())
    annotation = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
    questions = []
    for block in data.get("nlu", []):
        if not str(block.get("intent", "")).startswith("faq/"):
            continue
        for line in str(block.get("examples", "")).splitlines():
            text = annotation.sub(r"\1", line.strip().removeprefix("- ").strip())
            if len(text) >= 10:
                questions.append(text)
    return questions


@dataclass(frozen=True)
class Target:
    """Where the residents talk (REST channel) and where their cases are checked."""

    rest_url: str  # .../webhooks/rest/webhook
    api_url: str  # .../api/v1
    token: str


@dataclass
class Load:
    """What the residents saw."""

    turns: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in TURN_KINDS})
    # Per conversation kind: time spent waiting for Balie (think time excluded).
    conversations: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in MIX})
    errors: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)  # a few errors, for a human
    told: list[tuple[str, str]] = field(default_factory=list)  # (number, controlecode)
    elapsed: float = 0.0

    @property
    def turn_count(self) -> int:
        return sum(len(v) for v in self.turns.values())

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def error(self, kind: str, detail: str) -> None:
        """Count it; keep the first two of each kind for the report."""
        self.errors[kind] += 1
        if self.errors[kind] <= 2 and len(self.examples) < 10:
            self.examples.append(f"{kind}: {detail[:300]}")


class TurnFailed(Exception):
    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(kind)
        self.kind, self.detail = kind, detail


def _text(replies: list[dict[str, Any]]) -> str:
    return " | ".join(r.get("text", "") for r in replies)


class Resident:
    """One simulated resident: conversation after conversation until the time is up."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        target: Target,
        load: Load,
        rng: random.Random,
        faq: list[str],
        think: float,
        prefix: str,
    ) -> None:
        self.http, self.target, self.load, self.rng = http, target, load, rng
        self.faq, self.think, self.prefix = faq, think, prefix
        self.sender = ""
        self.waited = 0.0
        self.own: list[tuple[str, str]] = []  # the meldingen this resident made

    async def say(self, kind: str, text: str) -> list[dict[str, Any]]:
        body = {"sender": self.sender, "message": text}
        start = time.perf_counter()
        try:
            async with self.http.post(self.target.rest_url, json=body) as resp:
                if resp.status != 200:
                    raise TurnFailed(f"http {resp.status}", (await resp.text())[:100])
                replies = await resp.json()
        except asyncio.TimeoutError:
            raise TurnFailed("timeout", f"{text!r} took over {TURN_TIMEOUT:.0f} s") from None
        except (aiohttp.ClientError, ValueError) as exc:
            raise TurnFailed(f"connection ({type(exc).__name__})", str(exc)) from None
        took = time.perf_counter() - start
        if not replies:
            raise TurnFailed("no reply", repr(text))
        self.load.turns[kind].append(took)
        self.waited += took
        return replies

    async def pause(self) -> None:
        if self.think > 0:
            await asyncio.sleep(self.think * self.rng.uniform(0.5, 1.5))

    async def click(
        self, kind: str, replies: list[dict[str, Any]], title: str, typed: str
    ) -> list[dict[str, Any]]:
        """The button with this title, as a widget would send it; else the typed answer."""
        buttons = [b for r in replies for b in r.get("buttons", [])]
        payload = next((b["payload"] for b in buttons if b.get("title") == title), typed)
        await self.pause()
        return await self.say(kind, payload)

    async def conversation(self, kind: str) -> None:
        self.sender = f"{self.prefix}-{uuid.uuid4().hex[:10]}"
        self.waited = 0.0
        runs = {"faq": self.faq_conversation, "melding": self.melding, "status": self.status}
        try:
            await runs[kind]()
        except TurnFailed as exc:
            self.load.error(exc.kind, f"{kind} conversation {self.sender}: {exc.detail}")
            return
        self.load.conversations[kind].append(self.waited)

    async def faq_conversation(self) -> None:
        await self.say("greeting", self.rng.choice(GREETINGS))
        for question in self.rng.sample(self.faq, self.rng.randint(1, 3)):
            await self.pause()
            await self.say("faq", question)
        if self.rng.random() < 0.5:
            await self.pause()
            await self.say("faq", self.rng.choice(THANKS))

    async def melding(self) -> None:
        replies = await self.say("melding-step", self.rng.choice(DESCRIPTIONS))
        # Balie proposes categories as buttons, the likeliest first: the resident agrees.
        categories = [b["payload"] for r in replies for b in r.get("buttons", [])]
        if not categories:
            raise TurnFailed("melding: no category proposed", _text(replies))
        await self.pause()
        await self.say("melding-step", categories[0])
        await self.pause()
        street = f"{self.rng.choice(STREETS)} {self.rng.randint(1, 120)}"
        await self.say("melding-step", street)
        await self.pause()
        replies = await self.say("melding-step", self.rng.choice(TIMES))
        replies = await self.click("melding-step", replies, "Geen foto", "geen foto")
        if any(b.get("title") == OTHER_THING for r in replies for b in r.get("buttons", [])):
            # "Dit is al gemeld" (many residents, few streets): this one reports a new case.
            replies = await self.click("melding-step", replies, OTHER_THING, "nee")
        replies = await self.click("melding-step", replies, "Nee, liever niet", "nee")
        replies = await self.click("melding-confirm", replies, "Ja, versturen", "ja")
        text = _text(replies)
        number, code = IDENT_RE.search(text), CODE_RE.search(text)
        if not (number and code):
            raise TurnFailed("melding without number", text)
        self.load.told.append((number.group(1), code.group(1)))
        self.own.append((number.group(1), code.group(1)))

    async def status(self) -> None:
        # Mostly one's own melding, from another device; else one somebody else made (a
        # neighbour passing the number on). Spread over all cases, as in real life.
        own = self.own and self.rng.random() < 0.7
        number, code = self.rng.choice(self.own if own else self.load.told)
        question = self.rng.choice(STATUS_QUESTIONS).format(n=number)
        await self.say("status", question)
        await self.pause()
        replies = await self.say("status", code if self.rng.random() < 0.5 else code.lower())
        found = STATUS_RE.search(_text(replies))
        if not found or found.group(1) != number:
            raise TurnFailed("status not found", f"{number}: {_text(replies)}")

    async def run(self, until: float, first: str | None = None) -> None:
        kind = first
        while time.monotonic() < until:
            if kind is None:
                kind = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
            if kind == "status" and not self.load.told:
                kind = "melding"
            await self.conversation(kind)
            kind = None
            await self.pause()


async def simulate(
    target: Target,
    users: int,
    duration: float,
    *,
    think: float = 1.0,
    seed: int | None = None,
    faq: list[str] | None = None,
) -> Load:
    """`users` residents for `duration` seconds; each finishes the conversation it is in.

    One to five meldingen are made first (not timed), so status lookups have cases from
    the start.
    """
    load = Load()
    faq = faq or faq_questions()
    master = random.Random(seed)
    prefix = f"bench-{uuid.uuid4().hex[:6]}"
    timeout = aiohttp.ClientTimeout(total=TURN_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=users + 4)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:

        def resident() -> Resident:
            rng = random.Random(master.random())
            return Resident(http, target, load, rng, faq, think, prefix)

        # A few meldingen before the clock starts, so the first status lookups spread.
        warm = Load()

        async def warm_up() -> None:
            seeder = Resident(http, target, warm, random.Random(master.random()), faq, 0, prefix)
            for _ in range(2):
                await seeder.conversation("melding")
                if seeder.own:
                    return

        await asyncio.gather(*(warm_up() for _ in range(max(1, min(5, users // 10)))))
        load.told.extend(warm.told)
        for kind, count in warm.errors.items():
            load.errors[f"warm-up: {kind}"] += count
        load.examples.extend(warm.examples)

        start = time.monotonic()
        until = start + duration
        # The first conversations cover every kind, then the mix decides.
        kinds = list(MIX)
        await asyncio.gather(*(resident().run(until, kinds[i % len(kinds)]) for i in range(users)))
        load.elapsed = time.monotonic() - start
    return load


@dataclass
class CaseCheck:
    told: int
    found: int
    lost: list[str]
    unannounced: list[str]
    duplicates: list[str]


async def check_cases(target: Target, told: list[tuple[str, str]], since: datetime) -> CaseCheck:
    """Every number told is in the case system; every melding made since `since` was told."""
    numbers = [n for n, _ in told]
    headers = {"Authorization": f"Bearer {target.token}"}
    async with aiohttp.ClientSession(
        headers=headers, timeout=aiohttp.ClientTimeout(total=60)
    ) as http:
        gate = asyncio.Semaphore(8)

        async def exists(number: str) -> bool:
            async with gate, http.get(f"{target.api_url}/cases/{number}") as resp:
                if resp.status not in (200, 404):
                    raise RuntimeError(f"Case API: {resp.status} {await resp.text()}")
                return resp.status == 200

        present = await asyncio.gather(*(exists(n) for n in set(numbers)))
        lost = sorted(n for n, ok in zip(set(numbers), present, strict=True) if not ok)
        made: set[str] = set()
        page: int | None = 1
        while page:
            params = {
                "since": since.isoformat(),
                "type": "melding",
                "kanaal": "rest",
                "per_page": "200",
                "page": str(page),
            }
            async with http.get(f"{target.api_url}/cases", params=params) as resp:
                if resp.status != 200:
                    raise RuntimeError(f"Case API: {resp.status} {await resp.text()}")
                body = await resp.json()
            made.update(c["identificatie"] for c in body["items"])
            page = body["next_page"]
    counts = Counter(numbers)
    return CaseCheck(
        told=len(numbers),
        found=len(set(numbers)) - len(lost),
        lost=lost,
        unannounced=sorted(made - set(numbers)),
        duplicates=sorted(n for n, c in counts.items() if c > 1),
    )


# ---------------------------------------------------------------- memory and CPU


@dataclass
class Series:
    shared: bool = False  # a machine service (PostgreSQL, Redis), not the cluster's own
    times: list[float] = field(default_factory=list)  # seconds since the sampler started
    rss: list[int] = field(default_factory=list)
    pids: set[int] = field(default_factory=set)
    cpu_start: float | None = None
    cpu_end: float = 0.0
    cpu_lost: float = 0.0  # CPU seconds of processes that went away (a restarted replica)

    @property
    def cpu(self) -> float:
        return self.cpu_end - (self.cpu_start or 0.0) + self.cpu_lost


def _tree_usage(procs: list[psutil.Process]) -> tuple[int, float]:
    rss, cpu = 0, 0.0
    for p in procs:
        try:
            rss += p.memory_info().rss
            times = p.cpu_times()
            cpu += times.user + times.system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return rss, cpu


Resolver = Callable[[], dict[str, tuple[list[psutil.Process], bool]]]


class MemorySampler:
    """RSS and CPU time per named process (with its children) every `interval` seconds.

    `resolve` names the processes anew at each sample, so a restarted replica keeps its
    name (and counts as a restart: a new main pid).
    """

    def __init__(self, resolve: Resolver, interval: float) -> None:
        self.resolve, self.interval = resolve, interval
        self.series: dict[str, Series] = {}
        self.restarts: Counter[str] = Counter()
        self._task: asyncio.Task[None] | None = None
        self._start = 0.0

    @property
    def span(self) -> float:
        """Seconds from the first sample to the last."""
        return max((s.times[-1] for s in self.series.values() if s.times), default=0.0)

    def sample(self) -> None:
        now = time.monotonic() - self._start
        for name, (procs, shared) in self.resolve().items():
            if not procs:
                continue
            s = self.series.setdefault(name, Series(shared=shared))
            main = procs[0].pid
            rss, cpu = _tree_usage(procs)
            if s.pids and main not in s.pids and not shared:
                self.restarts[name] += 1
                s.cpu_lost += s.cpu_end - (s.cpu_start or 0.0)
                s.cpu_start = cpu
            s.pids.add(main)
            if s.cpu_start is None:
                s.cpu_start = cpu
            s.cpu_end = cpu
            s.times.append(now)
            s.rss.append(rss)

    async def _loop(self) -> None:
        while True:
            await asyncio.to_thread(self.sample)
            await asyncio.sleep(self.interval)

    def __enter__(self) -> MemorySampler:
        self._start = time.monotonic()
        self._task = asyncio.ensure_future(self._loop())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
        self.sample()  # the end figure, after the load


def _listen_ports(procs: list[psutil.Process]) -> set[int]:
    ports = set()
    for p in procs:
        try:
            for conn in p.net_connections("tcp"):
                if conn.status == psutil.CONN_LISTEN:
                    ports.add(conn.laddr.port)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return ports


def machine_services() -> dict[str, tuple[list[psutil.Process], bool]]:
    """PostgreSQL's and Redis's processes (all of them: shared with everything else)."""
    found: dict[str, list[psutil.Process]] = {"postgresql": [], "redis": []}
    for p in psutil.process_iter(["name"]):
        name = p.info["name"] or ""
        if name in ("postgres", "postmaster"):
            found["postgresql"].append(p)
        elif name.startswith("redis-server"):
            found["redis"].append(p)
    return {k: (v, True) for k, v in found.items() if v}


def cluster_resolver(addresses: dict[str, Any]) -> Resolver:
    """The supervisor's children by name (rasa-1, web-2, haproxy...), found by the ports
    they listen on, plus the machine's PostgreSQL and Redis."""
    ports = {URL(r["url"]).port: name for name, r in addresses["replicas"].items()}
    supervisor = psutil.Process(addresses["supervisor_pid"])
    labels: dict[int, str] = {}

    def resolve() -> dict[str, tuple[list[psutil.Process], bool]]:
        out: dict[str, tuple[list[psutil.Process], bool]] = {}
        try:
            children = supervisor.children()
        except psutil.NoSuchProcess:
            return out
        for child in children:
            try:
                tree = [child, *child.children(recursive=True)]
                if child.pid not in labels:
                    if "haproxy" in child.name():
                        labels[child.pid] = "haproxy"
                    else:
                        names = {ports[p] for p in _listen_ports(tree) if p in ports}
                        if not names:
                            continue  # still starting: named once it listens
                        labels[child.pid] = min(names)
            except psutil.NoSuchProcess:
                continue
            out[labels[child.pid]] = (tree, False)
        out.update(machine_services())
        return out

    return resolve


def ports_resolver(ports: dict[str, int]) -> Resolver:
    """Processes named by the port they listen on (a stack started elsewhere)."""

    def resolve() -> dict[str, tuple[list[psutil.Process], bool]]:
        by_port: dict[int, int] = {}
        for conn in psutil.net_connections("tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.pid:
                by_port.setdefault(conn.laddr.port, conn.pid)
        out = {}
        for name, port in ports.items():
            if port in by_port:
                proc = psutil.Process(by_port[port])
                out[name] = ([proc, *proc.children(recursive=True)], False)
        return out

    return resolve


def flat_memory(series: Series) -> tuple[bool, float, float, float]:
    """The soak's rule: after warm-up, memory does not keep growing.

    Median RSS of the last fifth of the run (minutes 8-10 of 10) at most 10% + 30 MiB
    above the median of its second fifth (minutes 2-4; the first fifth is warm-up).
    Returns (flat, baseline, final, limit) in bytes.
    """
    if len(series.times) < 5:  # too short a run to tell
        return False, float("nan"), float("nan"), float("nan")
    duration = series.times[-1]
    pairs = list(zip(series.times, series.rss, strict=True))
    base = [r for t, r in pairs if duration / 5 <= t <= 2 * duration / 5]
    final = [r for t, r in pairs if t >= 4 * duration / 5]
    if not base or not final:
        return False, float("nan"), float("nan"), float("nan")
    baseline, last = statistics.median(base), statistics.median(final)
    limit = baseline * 1.10 + 30 * MiB
    return last <= limit, baseline, last, limit


# ---------------------------------------------------------------- the report


def _ms(values: list[float], q: float) -> float:
    return percentile([v * 1000 for v in values], q)


def _row(label: str, values: list[float]) -> str:
    if not values:
        return f"  {label:<22}{0:>7}" + f"{'-':>9}" * 4
    return (
        f"  {label:<22}{len(values):>7}{_ms(values, 50):>9.0f}{_ms(values, 95):>9.0f}"
        f"{_ms(values, 99):>9.0f}{max(values) * 1000:>9.0f}"
    )


def report_load(load: Load, cases: CaseCheck | None) -> str:
    lines = [
        f"  turns: {load.turn_count} in {load.elapsed:.0f} s = "
        f"{load.turn_count / max(load.elapsed, 1e-9):.1f} turns/s; "
        f"conversations: "
        + ", ".join(f"{k} {len(v)}" for k, v in load.conversations.items())
        + f"; errors: {load.error_count}"
        + (f" ({', '.join(f'{k} {n}' for k, n in load.errors.items())})" if load.errors else ""),
        f"  {'turn':<22}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}",
    ]
    lines += [_row(kind, load.turns[kind]) for kind in TURN_KINDS]
    lines.append(_row("all turns", [v for vs in load.turns.values() for v in vs]))
    lines.append("  conversation (time waiting for Balie, think time excluded)")
    lines += [_row(kind, values) for kind, values in load.conversations.items()]
    lines += [f"  error: {e}" for e in load.examples]
    if cases:
        lines.append(
            f"  cases: {cases.told} numbers told, {cases.found} found in the case system, "
            f"{len(cases.lost)} lost, {len(cases.unannounced)} unannounced, "
            f"{len(cases.duplicates)} numbers given twice"
        )
        for what, numbers in (("lost", cases.lost), ("unannounced", cases.unannounced)):
            if numbers:
                lines.append(f"  {what}: {', '.join(numbers[:10])}")
    return "\n".join(lines)


def report_memory(sampler: MemorySampler) -> str:
    lines = [f"  {'process':<14}{'start MiB':>10}{'peak MiB':>10}{'end MiB':>10}{'CPU %':>8}"]
    for name in sorted(sampler.series, key=lambda n: (sampler.series[n].shared, n)):
        s = sampler.series[name]
        note = " (machine service, all processes; RSS counts shared memory)" if s.shared else ""
        if sampler.restarts[name]:
            note += f" (restarted {sampler.restarts[name]}x)"
        lines.append(
            f"  {name:<14}{s.rss[0] / MiB:>10.0f}{max(s.rss) / MiB:>10.0f}"
            f"{s.rss[-1] / MiB:>10.0f}{100 * s.cpu / max(sampler.span, 1e-9):>8.0f}{note}"
        )
    return "\n".join(lines)


def cores_line() -> str:
    logical, physical = psutil.cpu_count() or 1, psutil.cpu_count(logical=False)
    return (
        f"machine: {logical} logical CPUs ({physical or '?'} physical cores). A Rasa server "
        "handles turns on one event loop, so it uses about one core at most; a second one "
        "can use another core, but here the residents, HAProxy, PostgreSQL, Redis, the "
        f"action servers and web apps share the same {logical} CPUs (machine CPU % above): "
        "two Rasa servers compete with them and each other, so expect less than double."
    )


# ---------------------------------------------------------------- running a cluster


@dataclass
class Run:
    replicas: int
    load: Load
    cases: CaseCheck
    sampler: MemorySampler
    cpu_percent: float  # the whole machine's, during the load

    def rasa(self) -> list[Series]:
        return [s for n, s in sorted(self.sampler.series.items()) if n.startswith("rasa-")]


@contextmanager
def bench_database(settings: BenchSettings) -> Iterator[str]:
    """A PostgreSQL database of its own, dropped afterwards."""
    import sqlalchemy as sa

    name = f"balie_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(settings.bench_postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        raise SystemExit(
            f"PostgreSQL is not reachable ({exc.orig}); `make cluster-services` starts it."
        ) from None
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def bench_redis(settings: BenchSettings) -> Iterator[str]:
    """An empty Redis database number of its own (10-15; the tests use 7), emptied after."""
    import redis

    base = URL(settings.redis_url or "redis://127.0.0.1:6379/0")
    for db in range(10, 16):
        url = str(base.with_path(f"/{db}"))
        client = redis.Redis.from_url(url)
        try:
            if client.dbsize() == 0:
                break
        except redis.RedisError as exc:
            raise SystemExit(
                f"Redis is not reachable ({exc}); `make cluster-services` starts it."
            ) from None
        client.close()
    else:
        raise SystemExit("Redis databases 10-15 are all in use; empty one for the bench.")
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


@contextmanager
def running_cluster(
    settings: BenchSettings, replicas: int, model: Path, work: Path
) -> Iterator[dict[str, Any]]:
    """`python -m bot run-cluster --rasa N` on a database and Redis of its own; yields
    cluster.json (+ token)."""
    token = secrets.token_urlsafe(24)
    with bench_database(settings) as database_url, bench_redis(settings) as redis_url:
        env = {
            "BALIE_DATABASE_URL": database_url,
            "BALIE_REDIS_URL": redis_url,
            "BALIE_API_TOKEN": token,
        }
        argv = ("--rasa", str(replicas), "--actions", "2", "--web", "2")
        with cluster_process(work, model, env, argv) as addresses:
            yield {**addresses, "token": token}


async def profile(
    settings: BenchSettings,
    replicas: int,
    model: Path,
    users: int,
    duration: float,
    think: float,
    interval: float,
) -> Run:
    with tempfile.TemporaryDirectory(prefix="balie-bench-") as tmp:
        print(f"\nStarting a cluster with {replicas} Rasa server(s)...", flush=True)
        started = time.monotonic()
        with running_cluster(settings, replicas, model, Path(tmp)) as addresses:
            public = addresses["public"]
            print(f"  up in {time.monotonic() - started:.0f} s at {public}", flush=True)
            target = Target(
                f"{public}/webhooks/rest/webhook", f"{public}/api/v1", addresses["token"]
            )
            since = datetime.now(timezone.utc)
            sampler = MemorySampler(cluster_resolver(addresses), interval)
            before = psutil.cpu_times()
            with sampler:
                load = await simulate(target, users, duration, think=think)
            after = psutil.cpu_times()
            await asyncio.sleep(2)  # a delivery retried by the outbox would show up now
            cases = await check_cases(target, load.told, since)
            if load.error_count or cases.lost or cases.unannounced:
                keep_logs(settings, Path(tmp), replicas)
    total = sum(after) - sum(before)
    busy = 100 * (1 - (after.idle - before.idle) / total) if total else 0.0
    return Run(replicas, load, cases, sampler, busy)


def keep_logs(settings: BenchSettings, work: Path, replicas: int) -> None:
    """The cluster's logs outlive the run when something went wrong."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = settings.data_dir / "bench" / f"{stamp}-rasa{replicas}"
    shutil.copytree(work / "data" / "cluster", kept, dirs_exist_ok=True)
    shutil.copy(work / "run-cluster.log", kept)
    print(f"  logs of this run: {kept}", flush=True)


def print_run(run: Run, users: int, duration: float) -> None:
    print(
        f"\n== {run.replicas} Rasa server(s), 2 action servers, 2 web apps, HAProxy: "
        f"{users} residents, {duration:.0f} s =="
    )
    print(report_load(run.load, run.cases))
    print(f"  machine CPU during the load: {run.cpu_percent:.0f}% of all cores")
    print("  memory (RSS) and CPU (100% = one core) per process")
    print(report_memory(run.sampler))


def comparison(runs: list[Run]) -> str:
    head = f"{'':<30}" + "".join(f"{f'{r.replicas} Rasa':>18}" for r in runs)
    rows: list[tuple[str, list[str]]] = [
        ("throughput (turns/s)", [f"{r.load.turn_count / r.load.elapsed:.1f}" for r in runs]),
        (
            "conversations (faq/mld/status)",
            ["/".join(str(len(v)) for v in r.load.conversations.values()) for r in runs],
        ),
    ]
    for kind in TURN_KINDS:
        rows.append(
            (
                f"{kind} p50/p95/p99 ms",
                ["/".join(f"{_ms(r.load.turns[kind], q):.0f}" for q in (50, 95, 99)) for r in runs],
            )
        )
    rows += [
        ("errors", [str(r.load.error_count) for r in runs]),
        (
            "cases told / lost / unannounced",
            [f"{r.cases.told}/{len(r.cases.lost)}/{len(r.cases.unannounced)}" for r in runs],
        ),
        (
            "Rasa RSS peak MiB (each)",
            ["+".join(f"{max(s.rss) / MiB:.0f}" for s in r.rasa()) for r in runs],
        ),
        (
            "Rasa CPU % (sum)",
            [f"{sum(100 * s.cpu for s in r.rasa()) / r.sampler.span:.0f}" for r in runs],
        ),
        ("machine CPU % (all cores)", [f"{r.cpu_percent:.0f}" for r in runs]),
    ]
    body = "\n".join(f"{label:<30}" + "".join(f"{v:>18}" for v in vals) for label, vals in rows)
    return f"{head}\n{body}"


async def _resolve_model(settings: BenchSettings, explicit: Path | None) -> Path:
    from webapp.staff.cli import live_model

    # The model `make run` serves; a bench trains only if there is none for this data.
    return explicit or await live_model(settings, None)


def _replica_counts(raw: str) -> list[int]:
    counts = [int(x) for x in raw.split(",") if x.strip()]
    if not counts or min(counts) < 1:
        raise SystemExit("--replicas: a comma-separated list of numbers >= 1, e.g. 1,2")
    return counts


async def main(args: argparse.Namespace, settings: BenchSettings) -> int:
    """The cluster profile: one block per number of Rasa servers, then the comparison."""
    model = await _resolve_model(settings, args.model)
    counts = _replica_counts(args.replicas or "1,2")
    users, duration = args.users or 50, args.duration or 60.0
    interval = args.interval or 5.0
    print(
        f"Cluster profile: {users} residents, {duration:.0f} s per run, Rasa servers "
        f"{', '.join(map(str, counts))}; think time {args.think:g} s (0.5-1.5x); "
        f"model {model.name}",
        flush=True,
    )
    runs = []
    for n in counts:
        run = await profile(settings, n, model, users, duration, args.think, interval)
        print_run(run, users, duration)
        runs.append(run)
    print(f"\n== one versus {'/'.join(map(str, counts))} Rasa servers ==")
    print(comparison(runs))
    print(cores_line())
    return 0


async def soak(args: argparse.Namespace, settings: BenchSettings) -> int:
    """2 Rasa servers, 50 residents, 10 minutes; non-zero exit unless all is well."""
    model = await _resolve_model(settings, args.model)
    counts = _replica_counts(args.replicas or "2")
    users, duration = args.users or 50, args.duration or 600.0
    interval = args.interval or min(15.0, max(1.0, duration / 40))
    print(
        f"Soak: {counts[0]} Rasa servers, {users} residents, {duration:.0f} s, memory every "
        f"{interval:g} s; model {model.name}",
        flush=True,
    )
    run = await profile(settings, counts[0], model, users, duration, args.think, interval)
    print_run(run, users, duration)
    passed, text = soak_verdict(run)
    print(text)
    print(cores_line())
    return 0 if passed else 1


def soak_verdict(run: Run) -> tuple[bool, str]:
    """Passed when errors, lost and unannounced cases and replica restarts are all zero
    and every process of the cluster has flat memory (`flat_memory`; PostgreSQL and Redis
    serve the whole machine and are shown, not judged)."""
    lines = [
        "  flat memory: median RSS of the last fifth of the run at most 10% + 30 MiB above "
        "the median of the second fifth (the first fifth is warm-up)"
    ]
    flat = True
    for name, s in sorted(run.sampler.series.items()):
        ok, baseline, last, limit = flat_memory(s)
        if not s.shared:
            flat &= ok
        verdict = "not judged (machine service)" if s.shared else ("flat" if ok else "GROWING")
        lines.append(
            f"  {name:<14} {baseline / MiB:>7.0f} -> {last / MiB:>7.0f} MiB "
            f"(limit {limit / MiB:.0f}): {verdict}"
        )
    restarts = sum(run.sampler.restarts.values())
    checks = {
        "errors": run.load.error_count == 0,
        "lost cases": not run.cases.lost,
        "unannounced cases": not run.cases.unannounced,
        "replica restarts": restarts == 0,
        "flat memory": flat,
    }
    failed = [name for name, ok in checks.items() if not ok]
    outcome = f"FAILED ({', '.join(failed)})" if failed else "PASSED"
    lines.append(
        f"\nSoak {outcome}: "
        f"{run.load.error_count} errors, {len(run.cases.lost)} lost, "
        f"{len(run.cases.unannounced)} unannounced, {restarts} restarts, "
        f"memory {'flat' if flat else 'growing'}"
    )
    return not failed, "\n".join(lines)
