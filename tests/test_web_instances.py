"""Several web-app instances behind a load balancer (issue #7).

Two real `python -m bot web` processes on free loopback ports share one PostgreSQL
database, one models directory and the real Redis (a key prefix of their own, removed
afterwards), each with its own data directory. What one instance does, the other
must see: a bot reply Rasa posts to B reaches the widget socket on A at once (the
poll interval is 30 s, so only Redis can explain it), and still arrives by polling
when Redis is unreachable; typing and "wiped" reach a second tab on the other
instance; a staff cookie from A works on B; rate limits and lockouts hold across
them; a model promoted through A is served by B with the same ETag; a training job
asked of both at once is started once and runs once. No Rasa server is needed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa

from core import ROOT
from core.widget_protocol import SECRET_HEADER, channel_secret
from tests.conftest import free_port
from tests.databases import postgres_database
from tests.staff_helpers import Client, create_users, fake_evaluation, fake_model
from webapp.bus import MESSAGES, Bus, Event
from webapp.staff import evaluation
from webapp.staff.jobs import DONE, STALE_SECONDS, Busy, Jobs
from webapp.staff.registry import Registry

REDIS_URL = os.environ.get("BALIE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
API_TOKEN = "instances-test-token-" + uuid.uuid4().hex
USERS = {"tom": ["trainer"], "mia": ["medewerker"], "lot": ["medewerker"]}
UNREACHABLE = "Redis (redis://127.0.0.1"


@dataclass
class Instance:
    name: str
    base: str
    proc: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    @property
    def origin(self) -> str:
        return self.base


@dataclass
class Cluster:
    a: Instance
    b: Instance
    database_url: str
    shared: Path  # models directory and staff data: what every instance shares
    http: aiohttp.ClientSession

    @property
    def models(self) -> Path:
        return self.shared / "models"


def _env(
    name: str, port: int, database_url: str, shared: Path, tmp: Path, extra: dict[str, str]
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BALIE_", "TELEGRAM_"))}
    env.update(
        {
            "BALIE_HOST": "127.0.0.1",
            "BALIE_WEB_PORT": str(port),
            "BALIE_DATABASE_URL": database_url,
            "BALIE_MODELS_DIR": str(shared / "models"),
            "BALIE_STAFF_DATA": str(shared / "staff.yml"),
            "BALIE_DATA_DIR": str(tmp / f"data-{name}"),  # nothing shared through it
            "BALIE_API_TOKEN": API_TOKEN,
            "BALIE_SECRET_KEY": "instances-test-secret",
            "BALIE_RASA_URL": f"http://127.0.0.1:{free_port()}",  # no Rasa: turns fail fast
            "BALIE_ACTION_PORT": str(free_port()),
            # As behind a load balancer: tests name other client addresses in X-Forwarded-For.
            "BALIE_TRUSTED_PROXIES": "127.0.0.1",
            "RASA_TELEMETRY_ENABLED": "false",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    return env


async def _wait_healthy(http: aiohttp.ClientSession, instance: Instance) -> None:
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if instance.proc.poll() is not None:
            raise AssertionError(f"instance {instance.name} died:\n{instance.log_text()}")
        try:
            async with http.get(instance.base + "/health") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"instance {instance.name} did not start:\n{instance.log_text()}")


def _start(name: str, env: dict[str, str], log: Path) -> Instance:
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "web"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Instance(name, f"http://127.0.0.1:{env['BALIE_WEB_PORT']}", proc, log)


def _stop(instances: list[Instance]) -> None:
    for instance in instances:
        if instance.proc.poll() is None:
            instance.proc.send_signal(signal.SIGINT)
    for instance in instances:
        try:
            instance.proc.wait(15)
        except subprocess.TimeoutExpired:
            instance.proc.kill()
            instance.proc.wait()


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with postgres_database() as url:
        asyncio.run(create_users(url, USERS))
        yield url


def _clean_redis(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


async def _cluster(tmp: Path, database_url: str, extra: dict[str, str]) -> AsyncIterator[Cluster]:
    shared = tmp / "shared"
    shared.mkdir()
    instances: list[Instance] = []
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    try:
        for name in ("a", "b"):
            env = _env(name, free_port(), database_url, shared, tmp, extra)
            instances.append(await asyncio.to_thread(_start, name, env, tmp / f"{name}.log"))
        await asyncio.gather(*(_wait_healthy(http, i) for i in instances))
        yield Cluster(instances[0], instances[1], database_url, shared, http)
    finally:
        await http.close()
        await asyncio.to_thread(_stop, instances)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def cluster(
    tmp_path_factory: pytest.TempPathFactory, database_url: str
) -> AsyncIterator[Cluster]:
    """A and B with Redis; the poll interval is far longer than any test waits."""
    prefix = f"balie-test-{uuid.uuid4().hex[:8]}"
    extra = {"BALIE_REDIS_URL": REDIS_URL, "BALIE_REDIS_PREFIX": prefix}
    extra["BALIE_CHAT_POLL_SECONDS"] = "30"
    try:
        async for found in _cluster(tmp_path_factory.mktemp("redis"), database_url, extra):
            yield found
    finally:
        _clean_redis(prefix)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def cluster_without_redis(
    tmp_path_factory: pytest.TempPathFactory, database_url: str
) -> AsyncIterator[Cluster]:
    """A and B configured for a Redis that does not answer (a closed port)."""
    extra = {
        "BALIE_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "BALIE_CHAT_POLL_SECONDS": "0.3",
    }
    async for found in _cluster(tmp_path_factory.mktemp("noredis"), database_url, extra):
        yield found


# --- the widget -------------------------------------------------------------------------------


class Tab:
    """A widget's WebSocket on one instance."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, token: str) -> None:
        self.ws, self.token = ws, token

    async def frame(self, timeout: float = 5.0) -> dict[str, Any]:
        return await self.ws.receive_json(timeout=timeout)

    async def until(self, check, timeout: float = 5.0) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while True:
            frame = await self.frame(max(0.01, deadline - time.monotonic()))
            if check(frame):
                return frame

    async def quiet(self, seconds: float) -> list[dict[str, Any]]:
        """Every frame that arrives within seconds."""
        frames = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                frames.append(await self.frame(left))
            except asyncio.TimeoutError:
                break
        return frames

    async def send(self, text: str) -> str:
        message_id = uuid.uuid4().hex
        await self.ws.send_json({"type": "message", "id": message_id, "text": text})
        return message_id


async def open_tab(cluster: Cluster, instance: Instance, token: str | None = None) -> Tab:
    ws = await cluster.http.ws_connect(instance.base + "/chat/ws", origin=instance.origin)
    await ws.send_json({"type": "hello", "session": token, "after": 0})
    tab = Tab(ws, "")
    welcome = await tab.frame()
    assert welcome["type"] == "welcome", welcome
    tab.token = welcome["session"]
    await tab.until(lambda f: f["type"] == "synced")
    return tab


def sender_of(cluster: Cluster, token: str) -> str:
    """Rasa's conversation id of a widget conversation (the browser never sees it)."""
    engine = sa.create_engine(cluster.database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                sa.text("SELECT sender FROM chat_sessions WHERE id = :id"),
                {"id": hashlib.sha256(token.encode()).hexdigest()},
            ).scalar_one()
    finally:
        engine.dispose()


async def rasa_posts(cluster: Cluster, instance: Instance, sender: str, text: str) -> None:
    """What rasa_plugins/connectors/web.py does for each bot message: POST it to the callback."""
    async with cluster.http.post(
        instance.base + "/chat/callback",
        json={"recipient_id": sender, "text": text, "id": uuid.uuid4().hex},
        headers={SECRET_HEADER: channel_secret(API_TOKEN)},
    ) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["stored"] is True


def bot_says(text: str):  # type: ignore[no-untyped-def]
    return lambda f: f["type"] == "message" and f["from"] == "bot" and f.get("text") == text


async def test_a_reply_posted_to_b_reaches_the_socket_on_a_at_once(cluster: Cluster) -> None:
    tab = await open_tab(cluster, cluster.a)
    sender = await asyncio.to_thread(sender_of, cluster, tab.token)
    started = time.monotonic()
    await rasa_posts(cluster, cluster.b, sender, "Goedemiddag, waarmee kan ik u helpen?")
    frame = await tab.until(bot_says("Goedemiddag, waarmee kan ik u helpen?"), timeout=5)
    # Polling would take up to 30 s here: this came through Redis.
    assert time.monotonic() - started < 3, "the reply came by polling, not through Redis"
    assert frame["seq"] == 1
    await tab.ws.close()


async def test_typing_and_wiping_reach_a_tab_on_the_other_instance(cluster: Cluster) -> None:
    on_a = await open_tab(cluster, cluster.a)
    on_b = await open_tab(cluster, cluster.b, on_a.token)  # the same conversation
    await on_a.send("hallo")  # a turn on A; Rasa is unreachable, so it ends at once
    frames = await on_b.quiet(1.5)
    kinds = [(f["type"], f.get("on"), f.get("from")) for f in frames]
    assert ("message", None, "user") in kinds  # the resident's own message, via Redis
    assert ("typing", True, None) in kinds and kinds.index(("typing", True, None)) < kinds.index(
        ("typing", False, None)
    )
    # A third tab on B sees no typing once the turn is over.
    late = await cluster.http.ws_connect(cluster.b.base + "/chat/ws", origin=cluster.b.origin)
    await late.send_json({"type": "hello", "session": on_a.token, "after": 0})
    assert (await late.receive_json(timeout=5))["typing"] is False
    await late.close()
    await on_a.ws.send_json({"type": "reset"})  # "gesprek wissen" on A
    wiped = await on_b.until(lambda f: f["type"] == "wiped", timeout=2)
    assert wiped == {"type": "wiped"}
    await on_a.ws.close()
    await on_b.ws.close()


async def test_without_redis_replies_still_arrive_by_polling(
    cluster_without_redis: Cluster,
) -> None:
    cluster = cluster_without_redis
    tab = await open_tab(cluster, cluster.a)
    sender = await asyncio.to_thread(sender_of, cluster, tab.token)
    await rasa_posts(cluster, cluster.b, sender, "Dit komt via de database.")
    await tab.until(bot_says("Dit komt via de database."), timeout=5)
    await rasa_posts(cluster, cluster.b, sender, "En dit ook.")
    await tab.until(bot_says("En dit ook."), timeout=5)
    # A wipe on B reaches the tab on A by polling too.
    other = await open_tab(cluster, cluster.b, tab.token)
    await other.ws.send_json({"type": "reset"})
    await tab.until(lambda f: f["type"] == "wiped", timeout=5)
    await tab.ws.close()
    await other.ws.close()
    # The outage is logged once per instance, not at every retry.
    for instance in (cluster.a, cluster.b):
        assert instance.log_text().count(UNREACHABLE) == 1, instance.log_text()


async def test_the_widget_rate_limit_holds_across_instances(cluster: Cluster) -> None:
    on_a = await open_tab(cluster, cluster.a)
    confirmed: set[str] = set()
    sent = [await on_a.send(f"bericht {i}") for i in range(20)]
    while confirmed != set(sent):
        frame = await on_a.frame()
        if frame["type"] == "message" and frame.get("id"):
            confirmed.add(frame["id"])
    refused = await on_a.send("nummer 21")
    error = await on_a.until(lambda f: f["type"] == "error" and f.get("id") == refused)
    assert error["code"] == "te_snel"
    on_b = await open_tab(cluster, cluster.b, on_a.token)
    refused = await on_b.send("via de andere instantie")
    error = await on_b.until(lambda f: f["type"] == "error" and f.get("id") == refused)
    assert error["code"] == "te_snel"
    await on_a.ws.close()
    await on_b.ws.close()


async def test_new_conversations_per_address_are_limited_across_instances(
    cluster: Cluster,
) -> None:
    """One address may start NEW_CONVERSATIONS an hour, counted in the shared database."""
    from webapp.settings import NEW_CONVERSATIONS

    async def hello(instance: Instance, address: str, token: str | None = None) -> dict:
        ws = await cluster.http.ws_connect(
            instance.base + "/chat/ws",
            origin=instance.origin,
            headers={"X-Forwarded-For": address},
        )
        await ws.send_json({"type": "hello", "session": token, "after": 0})
        frame = await ws.receive_json(timeout=5)
        await ws.close()
        return frame

    tokens = []
    for i in range(NEW_CONVERSATIONS):  # both instances, one count
        frame = await hello(cluster.a if i % 2 else cluster.b, "203.0.113.60")
        assert frame["type"] == "welcome" and frame["new"], i
        tokens.append(frame["session"])
    for instance in (cluster.a, cluster.b):
        refused = await hello(instance, "203.0.113.60")
        assert refused["type"] == "error" and refused["code"] == "te_veel_gesprekken"
        assert "Probeert u het over een uur opnieuw" in refused["text"]
    # A conversation that exists goes on; another address starts a new one.
    again = await hello(cluster.a, "203.0.113.60", tokens[0])
    assert again["type"] == "welcome" and not again["new"]
    other = await hello(cluster.b, "203.0.113.61")
    assert other["type"] == "welcome" and other["new"]


# --- the staff console --------------------------------------------------------------------


async def client_on(cluster: Cluster, instance: Instance, user: str | None = None) -> Client:
    client = Client(instance.base)
    if user:
        status, _ = await client.login(user)
        assert status == 200
    return client


async def test_a_staff_login_on_a_works_on_b(cluster: Cluster) -> None:
    mia = await client_on(cluster, cluster.a, "mia")
    try:
        mia.base = cluster.b.base  # the load balancer sends the next request to B
        status, page = await mia.get("/staff/zaken")
        assert status == 200 and "Uitloggen" in page
        status, _ = await mia.post("/staff/uitloggen", {})  # a form with B's CSRF token
        assert status == 200
        mia.base = cluster.a.base  # logged out on B is logged out on A
        status, page = await mia.get("/staff/zaken", follow=False)
        assert status == 303 and "/staff/inloggen" in page
    finally:
        await mia.close()


async def test_a_staff_lockout_on_a_holds_on_b(cluster: Cluster) -> None:
    guesser = await client_on(cluster, cluster.a)
    try:
        for _ in range(5):
            await guesser.login("lot", "fout-wachtwoord-123")
        guesser.base = cluster.b.base
        status, page = await guesser.login("lot")  # the right password, on B
        assert status == 401 and "Te veel mislukte pogingen" in page
    finally:
        await guesser.close()


async def live_model(cluster: Cluster, instance: Instance, etag: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    if etag:
        headers["If-None-Match"] = etag
    async with cluster.http.get(instance.base + "/models/live.tar.gz", headers=headers) as resp:
        await resp.read()
        return resp.status, resp.headers.get("ETag"), resp.headers.get("filename")


async def test_a_model_promoted_through_a_is_served_by_b_with_the_same_etag(
    cluster: Cluster,
) -> None:
    registry = Registry(cluster.models)
    for name, score in (("eerste", 0.80), ("tweede", 0.85)):
        registry.register(fake_model(cluster.models, name))
        fake_evaluation(cluster.models, name, score)
    registry.set_live("eerste", door="test")
    status, first, filename = await live_model(cluster, cluster.b)
    assert status == 200 and filename == "eerste.tar.gz"
    tom = await client_on(cluster, cluster.a, "tom")
    try:
        status, _ = await tom.post("/staff/modellen/tweede/promoveren", {})
        assert status == 200
    finally:
        await tom.close()
    status, on_b, filename = await live_model(cluster, cluster.b, first)
    assert status == 200 and filename == "tweede.tar.gz" and on_b != first
    status, on_a, _ = await live_model(cluster, cluster.a)
    assert on_a == on_b  # the same model has the same ETag everywhere
    assert (await live_model(cluster, cluster.a, on_b))[0] == 304
    assert (await live_model(cluster, cluster.b, on_a))[0] == 304


def _prepare_fast_evaluation(models: Path, staff_file: Path, name: str) -> None:
    """A live model whose held-out split and scores exist: its evaluation job takes a second."""
    from webapp.staff.heldout import current_fingerprint

    split = current_fingerprint(staff_file)
    heldout = models / "heldout" / split
    heldout.mkdir(parents=True, exist_ok=True)
    for part in ("train_nlu.yml", "test_nlu.yml"):
        (heldout / part).write_text('version: "3.1"\nnlu: []\n')
    registry = Registry(models)
    registry.register(fake_model(models, name))
    registry.set_live(name, door="test")
    fake_evaluation(models, name, 0.9)
    scored = evaluation.directory(models, name, "split1") / "summary.json"
    target = evaluation.directory(models, name, split)
    target.mkdir(parents=True, exist_ok=True)
    (target / "summary.json").write_text(
        json.dumps({**json.loads(scored.read_text()), "heldout": split})
    )


async def test_a_job_asked_of_both_instances_at_once_runs_once(cluster: Cluster) -> None:
    await asyncio.to_thread(
        _prepare_fast_evaluation, cluster.models, cluster.shared / "staff.yml", "derde"
    )
    on_a = await client_on(cluster, cluster.a, "tom")
    on_b = await client_on(cluster, cluster.b, "tom")
    try:
        for client in (on_a, on_b):
            await client.get("/staff/modellen/derde")  # the page's CSRF token
        answers = await asyncio.gather(
            on_a.post("/staff/modellen/derde/evalueren", {}, follow=False),
            on_b.post("/staff/modellen/derde/evalueren", {}, follow=False),
        )
        started = [re.search(r"/staff/training/([0-9a-f-]+)$", where) for _, where in answers]
        job_ids = [m.group(1) for m in started if m]
        assert len(job_ids) == 1, answers  # one started it, the other was told one runs
        busy = next(c for c, m in zip((on_a, on_b), started, strict=True) if not m)
        _, page = await busy.get("/staff/modellen/derde")
        assert "Er loopt al een training" in page
        # Its progress is visible from both instances, until it is done.
        deadline = time.monotonic() + 30
        for client in (on_b, on_a):
            while True:
                async with client.http.get(
                    f"{client.base}/staff/training/{job_ids[0]}/status"
                ) as resp:
                    assert resp.status == 200
                    status = (await resp.json())["status"]
                if status != "bezig" or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            assert status == "klaar"
    finally:
        await on_a.close()
        await on_b.close()
    jobs = Jobs(cluster.models / "jobs", cluster.models)  # next to the models: shared
    found = jobs.recent()
    assert [j.id for j in found] == job_ids
    job = jobs.get(job_ids[0])
    assert job is not None
    state = job.state()
    assert state.status == DONE, (state, job.log_tail())
    assert state.worker and state.beat
    assert job.log_path.read_text().count("Beoordelen van derde") == 1  # it ran once


# --- pieces without the instances -----------------------------------------------------------


def test_a_worker_on_another_machine_counts_as_alive_by_its_heartbeat(tmp_path: Path) -> None:
    jobs = Jobs(tmp_path / "jobs", tmp_path / "models")
    job = jobs.claim("train", "tom")
    with pytest.raises(Busy):  # claimed: running until its worker takes over or it times out
        jobs.claim("train", "ans")
    # pid 1 is alive here, but it is another machine's process id: only the heartbeat counts.
    job.update(host="elders", pid=1, beat=time.time())
    assert job.state().status == "bezig" and jobs.running() is not None
    job.update(beat=time.time() - STALE_SECONDS - 1, gestart=time.time() - 600)
    assert job.state().status == "mislukt" and jobs.running() is None
    assert jobs.claim("train", "ans").state().status == "bezig"


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
async def test_the_bus_survives_a_redis_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis going away mid-way: nothing raises, the outage is logged once, and after the
    restart the instances hear each other again (and catch up on what they missed)."""
    caplog.set_level(logging.INFO, logger="webapp.bus")
    port = free_port()

    def redis_server() -> subprocess.Popen[bytes]:
        args = ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"]
        return subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL)

    async def until(check, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not check():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)

    async def answers() -> None:
        deadline = time.monotonic() + 10
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                return
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                await asyncio.sleep(0.05)

    server = redis_server()
    await answers()
    a, b = Bus(f"redis://127.0.0.1:{port}/0", "t"), Bus(f"redis://127.0.0.1:{port}/0", "t")
    heard: list[Event] = []
    connected: list[float] = []
    b.subscribe(heard.append)
    b.on_connect(lambda: connected.append(time.monotonic()))
    try:
        await a.start()
        await b.start()
        await until(lambda: a.up and b.up)
        await a.publish(MESSAGES, "gesprek-1")
        await until(lambda: [e.session_id for e in heard] == ["gesprek-1"])
        server.terminate()
        server.wait()
        await until(lambda: not a.up and not b.up)
        await a.publish(MESSAGES, "gesprek-2")  # skipped: the poller will find it
        assert await a.count(a.key("typing", "x"), 1, 10) is None
        server = redis_server()
        await until(lambda: a.up and b.up and len(connected) == 2)
        await a.publish(MESSAGES, "gesprek-3")
        await until(lambda: [e.session_id for e in heard] == ["gesprek-1", "gesprek-3"])
    finally:
        await a.close()
        await b.close()
        server.terminate()
        server.wait()
    outages = [r for r in caplog.records if "is unreachable" in r.getMessage()]
    assert len(outages) == 2  # once per bus
    assert sum("reachable again" in r.getMessage() for r in caplog.records) == 2
