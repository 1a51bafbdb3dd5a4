"""`make bench`: simulated residents against the REST channel and /model/parse.

Prints p50/p95/p99 latency, throughput and the Rasa process's peak memory.
A benchmark, not a test: it reports figures and never fails on them.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import time
import uuid
from dataclasses import dataclass, field

import aiohttp
import psutil
from yarl import URL

from bot.settings import LauncherSettings
from core.settings import Settings

# What residents say, turn by turn: FAQ questions, small talk and out-of-scope.
CONVERSATIONS = [
    ["hallo", "wanneer is het gemeentehuis open", "dank je wel", "doei"],
    ["goedemorgen", "mijn paspoort is bijna verlopen, hoe vraag ik een nieuwe aan?", "bedankt"],
    ["wat kun je allemaal", "hoe geef ik een verhuizing door", "ok top"],
    ["wanneer wordt het oud papier opgehaald", "en grofvuil?", "thanks"],
    ["ben jij een robot?", "ik wil een medewerker spreken", "tot ziens"],
    ["hoe laat is het in new york", "wie wint het wk", "kan ik een parkeervergunning aanvragen"],
    ["goedemiddag", "hoe vraag ik een kapvergunning aan voor een boom in mijn tuin", "dank u"],
]


@dataclass
class Samples:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    cases: list[str] = field(default_factory=list)  # senders whose melding got a number


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class MemorySampler:
    """Peak resident memory of a process and its children, sampled in the background."""

    def __init__(self, pid: int | None) -> None:
        self.process = psutil.Process(pid) if pid else None
        self.peak = 0
        self._task: asyncio.Task[None] | None = None

    def rss(self) -> int:
        if not self.process:
            return 0
        procs = [self.process, *self.process.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs if p.is_running())

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, self.rss())
            await asyncio.sleep(0.2)

    def __enter__(self) -> MemorySampler:
        self._task = asyncio.ensure_future(self._sample())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()


async def _resident(
    http: aiohttp.ClientSession,
    rasa_url: str,
    kind: str,
    until: float,
    samples: Samples,
    auth: dict[str, str],
) -> None:
    rng = random.Random()
    while time.monotonic() < until:
        sender = f"bench-{uuid.uuid4().hex[:12]}"
        for text in rng.choice(CONVERSATIONS):
            if time.monotonic() >= until:
                return
            headers: dict[str, str] = {}
            if kind == "rest":
                url, body = f"{rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": text}
            else:  # Rasa's HTTP API: only with the token
                url, body, headers = f"{rasa_url}/model/parse", {"text": text}, auth
            start = time.perf_counter()
            try:
                async with http.post(url, json=body, headers=headers) as resp:
                    await resp.read()
                    ok = resp.status == 200
            except (aiohttp.ClientError, asyncio.TimeoutError):
                ok = False
            if ok:
                samples.latencies.append(time.perf_counter() - start)
            else:
                samples.errors += 1


# A melding from first message to case number: the turns after the description.
MELDING_TURNS = ["Kerkstraat 5", "weet ik niet", "/ontkennen", "/ontkennen", "/bevestigen"]
IDENT_RE = re.compile(r"\b[MV]-\d{4}-\d{6}\b")
# Marks this run's meldingen, so they can be counted in the case system afterwards.
RUN = f"bench{uuid.uuid4().hex[:8]}"


async def _post(
    http: aiohttp.ClientSession, url: str, body: dict, samples: Samples
) -> list[dict] | None:
    start = time.perf_counter()
    try:
        async with http.post(url, json=body) as resp:
            replies = await resp.json() if resp.status == 200 else None
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        replies = None
    if replies is None:
        samples.errors += 1
    else:
        samples.latencies.append(time.perf_counter() - start)
    return replies


async def _reporter(
    http: aiohttp.ClientSession, rasa_url: str, until: float, samples: Samples
) -> None:
    """A resident who reports a loose paving stone, clicking the proposed category."""
    url = f"{rasa_url}/webhooks/rest/webhook"
    while time.monotonic() < until:
        sender = f"bench-{uuid.uuid4().hex[:12]}"
        replies = await _post(
            http,
            url,
            {
                "sender": sender,
                "message": f"losse stoeptegel ({RUN} {sender}), je struikelt erover",
            },
            samples,
        )
        buttons = [b for r in replies or [] for b in r.get("buttons", [])]
        if not buttons:
            continue
        turns = [buttons[0]["payload"], *MELDING_TURNS]
        for text in turns:
            replies = await _post(http, url, {"sender": sender, "message": text}, samples)
            if replies is None:
                break
        else:
            text = " ".join(r.get("text", "") for r in replies or [])
            if IDENT_RE.search(text):
                samples.cases.append(sender)


async def phase(
    rasa_url: str, kind: str, users: int, duration: float, auth: dict[str, str]
) -> tuple[Samples, float]:
    samples = Samples()
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=users)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
        start = time.monotonic()
        until = start + duration
        if kind == "melding":
            runs = [_reporter(http, rasa_url, until, samples) for _ in range(users)]
        else:
            runs = [_resident(http, rasa_url, kind, until, samples, auth) for _ in range(users)]
        await asyncio.gather(*runs)
        return samples, time.monotonic() - start


def report(kind: str, samples: Samples, elapsed: float) -> str:
    ms = [x * 1000 for x in samples.latencies]
    return (
        f"{kind:<14}{len(ms):>8}{samples.errors:>8}{len(ms) / elapsed:>10.1f}"
        f"{percentile(ms, 50):>9.0f}{percentile(ms, 95):>9.0f}{percentile(ms, 99):>9.0f}"
        f"{(statistics.mean(ms) if ms else float('nan')):>9.0f}"
    )


async def count_cases(settings: Settings, run: str) -> int:
    """How many meldingen of this run are really in the case system."""
    headers = {"Authorization": f"Bearer {settings.api_token()}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        params = {"zoek": run, "per_page": "1"}
        async with http.get(f"{settings.web_url}/api/v1/cases", params=params) as resp:
            return int((await resp.json())["total"])


def _pid_listening_on(port: int) -> int | None:
    for conn in psutil.net_connections("tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port and conn.pid:
            return conn.pid
    return None


async def main(args: argparse.Namespace, settings: LauncherSettings) -> int:
    from bot.supervisor import Supervisor
    from webapp.staff.cli import live_model

    supervisor = None
    if args.rasa_url:
        rasa_url = args.rasa_url.rstrip("/")
        pid = _pid_listening_on(URL(rasa_url).port or 5005)
    else:
        # The live model (what `make run` serves), not a fresh one: a bench changes nothing.
        model = await live_model(settings, None)
        supervisor = Supervisor(settings, model)
        print(f"Starting the stack with {model.name}...", flush=True)
        await supervisor.start()
        rasa_url, pid = settings.rasa_url, supervisor.pid("rasa")
    try:
        sampler = MemorySampler(pid)
        idle = sampler.rss()
        print(f"\n{args.users} concurrent residents, {args.duration:.0f}s per phase, {rasa_url}")
        print(
            f"{'kind':<14}{'turns':>8}{'errors':>8}{'turns/s':>10}"
            f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'mean ms':>9}"
        )
        with sampler:
            for kind, label in (
                ("rest", "REST webhook"),
                ("parse", "/model/parse"),
                ("melding", "melding turns"),
            ):
                samples, elapsed = await phase(
                    rasa_url, kind, args.users, args.duration, settings.rasa_auth()
                )
                print(report(label, samples, elapsed), flush=True)
                if kind == "melding":
                    stored = await count_cases(settings, RUN) if supervisor else None
                    print(
                        f"meldingen: {len(samples.cases)} confirmed with a number "
                        f"({len(samples.cases) / elapsed * 60:.0f}/min)"
                        + (f", {stored} found in the case system" if stored is not None else "")
                    )
        if pid:
            print(
                f"Rasa process memory: {idle / 2**20:.0f} MiB idle, "
                f"{sampler.peak / 2**20:.0f} MiB peak (RSS, pid {pid})"
            )
        else:
            print("Rasa process memory: unknown (process not found)")
    finally:
        if supervisor:
            await supervisor.stop()
    return 0
