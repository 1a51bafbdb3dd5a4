"""The production topology (`python -m bot run-cluster`): two of everything behind HAProxy.

One cluster per module on a throwaway PostgreSQL database and its own Redis database:
conversations keep their state when their turns alternate between the Rasa servers
or arrive at both at once, a Rasa server or action server killed mid-conversation is
carried by the other (and started again), a promoted model reaches both replicas, and
the whole product (REST, widget, Case API) works through the load balancer.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis
import sqlalchemy as sa
from playwright.async_api import async_playwright

from bot.cluster.launch import cluster_process
from core import ROOT
from core.settings import Settings
from core.widget_protocol import RASA_READY_PATH
from tests.browser import Widget, launch
from tests.client import events, say
from tests.conftest import TrainedModel
from tests.databases import postgres_database
from tests.test_staff_stack import weak_model
from webapp.staff.registry import Registry

pytestmark = [pytest.mark.stack, pytest.mark.asyncio(loop_scope="session")]

REDIS_DB = 7  # the tests' own Redis database, emptied before the cluster starts
MELDING = [
    "ik wil een melding doen",
    "er ligt een grote berg grofvuil naast de container",
    '/informeren{"categorie":"grofvuil"}',  # the button Balie offers for it
    "Marktplein 3",
    # Yesterday: "this morning at 8" lies in the future before 8 and is asked again.
    "gisteravond rond 11 uur",
    "nee",  # no photo
    "nee",  # no contact
]


@dataclass
class RunningCluster:
    addresses: dict[str, Any]
    data_dir: Path
    models_dir: Path
    env: dict[str, str]
    database_url: str

    @property
    def public(self) -> str:
        return self.addresses["public"]

    def replica(self, name: str) -> Settings:
        """Settings whose rasa_url is that one replica (for tests.client)."""
        return Settings(rasa_base=self.addresses["replicas"][name]["url"], data_dir=self.data_dir)

    @property
    def front(self) -> Settings:
        return Settings(rasa_base=self.public, data_dir=self.data_dir)

    def token(self) -> str:
        return (self.data_dir / "api-token").read_text().strip()


@pytest.fixture(scope="module")
def cluster(
    test_model: TrainedModel, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningCluster]:
    tmp = tmp_path_factory.mktemp("cluster")
    redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    redis.Redis.from_url(redis_url).flushdb()
    with postgres_database() as database_url:
        env = {
            "BALIE_DATABASE_URL": database_url,
            "BALIE_REDIS_URL": redis_url,
            "BALIE_MODEL_PULL_SECONDS": "2",
            # The same grofvuil at Marktplein 3 is reported again and again: "already
            # reported?" would ask about it (tested in test_duplicates.py).
            "BALIE_DUPLICATE_CHECK": "false",
        }
        with cluster_process(tmp, test_model.path, env) as addresses:
            yield RunningCluster(
                addresses, tmp / "data", tmp / "models", addresses["env"], database_url
            )


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=90)) as session:
        yield session


def texts(replies: list[dict[str, Any]]) -> str:
    return " ".join(r.get("text", "") for r in replies)


def case_number(replies: list[dict[str, Any]]) -> str:
    found = re.search(r"M-\d{4}-\d{6}", texts(replies))
    assert found, texts(replies)
    return found.group(0)


async def cases_with(cluster: RunningCluster, number: str) -> int:
    def count() -> int:
        engine = sa.create_engine(cluster.database_url)
        try:
            with engine.connect() as conn:
                return conn.execute(
                    sa.text("SELECT count(*) FROM cases WHERE identificatie = :n"), {"n": number}
                ).scalar_one()
        finally:
            engine.dispose()

    return await asyncio.to_thread(count)


def user_texts(evts: list[dict[str, Any]]) -> list[str]:
    return [e["text"] for e in evts if e["event"] == "user"]


async def test_turns_alternating_between_rasa_servers_keep_the_form(
    cluster: RunningCluster, http: aiohttp.ClientSession
) -> None:
    sender = f"afwisselend-{uuid.uuid4().hex[:8]}"
    replicas = [cluster.replica("rasa-1"), cluster.replica("rasa-2")]
    for turn, text in enumerate([*MELDING, "ja"]):
        replies = await say(http, replicas[turn % 2], sender, text)
    number = case_number(replies)
    assert await cases_with(cluster, number) == 1
    # Both servers read the same conversation from the shared tracker store, with every
    # message once, in order.
    one, two = [await events(http, r, sender) for r in replicas]
    assert one == two
    assert user_texts(one) == [*MELDING, "ja"]
    # Each turn ran its actions once: as many listens as messages, plus the session start.
    listens = [e for e in one if e["event"] == "action" and e["name"] == "action_listen"]
    assert len(listens) == len(MELDING) + 2


async def test_messages_arriving_at_both_servers_at_once_take_turns(
    cluster: RunningCluster, http: aiohttp.ClientSession
) -> None:
    """Rasa's lock store in Redis: the second server waits for the first's turn."""
    sender = f"tegelijk-{uuid.uuid4().hex[:8]}"
    one, two = cluster.replica("rasa-1"), cluster.replica("rasa-2")
    await say(http, one, sender, "hallo")
    first, second = await asyncio.gather(
        say(http, one, sender, "wanneer is het gemeentehuis open?"),
        say(http, two, sender, "hoe vraag ik een paspoort aan?"),
    )
    assert first and second
    evts = await events(http, one, sender)
    # After each user message, its own actions, ending in a listen, before the next one.
    users = [i for i, e in enumerate(evts) if e["event"] == "user"]
    for start, end in zip(users, [*users[1:], len(evts)], strict=True):
        turn = [e for e in evts[start + 1 : end] if e["event"] == "action"]
        assert turn and turn[-1]["name"] == "action_listen", evts[start:end]
        assert sum(e["name"] == "action_listen" for e in turn) == 1


async def test_the_public_front_serves_the_product_and_hides_the_insides(
    cluster: RunningCluster, http: aiohttp.ClientSession
) -> None:
    public = cluster.public
    async with http.get(f"{public}/health") as resp:
        assert resp.status == 200
    for hidden in ("/metrics", "/models/live.tar.gz", "/conversations/x/tracker", "/status"):
        async with http.get(f"{public}{hidden}") as resp:
            assert resp.status == 404, hidden
    token = {"Authorization": f"Bearer {cluster.token()}"}
    async with http.get(f"{public}/api/v1/cases", headers=token) as resp:
        assert resp.status == 200
    # A conversation through the front, its turns spread over both Rasa servers.
    sender = f"voordeur-{uuid.uuid4().hex[:8]}"
    for text in [*MELDING, "ja"]:
        replies = await say(http, cluster.front, sender, text)
    number = case_number(replies)
    async with http.get(f"{public}/api/v1/cases/{number}", headers=token) as resp:
        assert resp.status == 200 and (await resp.json())["categorie"] == "grofvuil"
    code = re.search(r"controlecode is ([A-Z0-9]{6})", texts(replies))
    assert code, texts(replies)
    # Staff change the status (through either web app): the push goes through the Rasa
    # front to the resident's conversation, whichever Rasa server takes it.
    body = {"status": "in_behandeling", "toelichting": "De ophaaldienst komt morgen."}
    async with http.patch(f"{public}/api/v1/cases/{number}", json=body, headers=token) as resp:
        assert resp.status == 200, await resp.text()
    deadline = time.monotonic() + 30
    while not any(
        "ophaaldienst" in (e.get("text") or "")
        for e in await events(http, cluster.replica("rasa-2"), sender)
        if e["event"] == "bot"
    ):
        assert time.monotonic() < deadline, "the status change did not reach the conversation"
        await asyncio.sleep(0.5)
    # And a lookup from another conversation, with the controlecode.
    other = f"opvragen-{uuid.uuid4().hex[:8]}"
    await say(http, cluster.front, other, f"wat is de status van melding {number}")
    answer = texts(await say(http, cluster.front, other, code.group(1)))
    assert "in behandeling" in answer and "ophaaldienst" in answer
    # Every replica is scraped on its own address; together they saw every message.
    metrics = {name: await scrape(http, r["metrics"]) for name, r in replicas(cluster)}
    messages = sum(
        value("balie_rasa_user_messages_total", metrics[name], channel="rest")
        for name in ("rasa-1", "rasa-2")
    )
    assert messages >= len(MELDING) + 1
    cases = sum(
        value("balie_cases_created_total", metrics[name], type="melding", backend="builtin")
        for name in ("actions-1", "actions-2")
    )
    assert cases >= 1
    # Structured logs: one JSON object per line, service named.
    for line in (cluster.data_dir / "cluster" / "web-1.log").read_text().splitlines():
        if line.startswith("{"):
            assert json.loads(line)["service"] == "web"


def replicas(cluster: RunningCluster) -> list[tuple[str, dict[str, Any]]]:
    return list(cluster.addresses["replicas"].items())


async def scrape(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(url) as resp:
        assert resp.status == 200, url
        return await resp.text()


def value(name: str, exposition: str, **labels: str) -> float:
    """One sample's value from Prometheus text (0 when absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


async def test_the_widget_works_through_the_load_balancer(cluster: RunningCluster) -> None:
    """Its WebSocket on one web app, Rasa's replies posted to either: all arrive."""
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            page = await browser.new_page(locale="nl-NL")
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(f"{cluster.public}/demo")
            widget = Widget(page)
            await widget.open()
            assert "Balie" in await widget.say("goedemiddag")
            for _ in range(3):  # several turns: replies come through both web apps
                answer = await widget.say("wanneer is het gemeentehuis open?")
                assert "8.30" in answer
            assert errors == []
        finally:
            await browser.close()


async def test_a_killed_rasa_server_is_carried_by_the_other(
    cluster: RunningCluster, http: aiohttp.ClientSession
) -> None:
    sender = f"overleven-{uuid.uuid4().hex[:8]}"
    for text in MELDING[:3]:
        await say(http, cluster.front, sender, text)
    victim = cluster.addresses["replicas"]["rasa-1"]
    os.killpg(victim["pid"], signal.SIGKILL)  # the server and any child: a pod dying
    for text in [*MELDING[3:], "ja"]:
        replies = await say(http, cluster.front, sender, text)
    number = case_number(replies)
    assert await cases_with(cluster, number) == 1
    assert user_texts(await events(http, cluster.replica("rasa-2"), sender)) == [*MELDING, "ja"]
    # The supervisor starts the dead replica again, as Kubernetes would.
    deadline = time.monotonic() + 300
    while True:
        try:
            async with http.get(f"{victim['url']}{RASA_READY_PATH}") as resp:
                if resp.status == 200:
                    break
        except aiohttp.ClientError:
            pass
        assert time.monotonic() < deadline, "rasa-1 was not started again"
        await asyncio.sleep(2)


async def test_a_killed_action_server_loses_nothing(
    cluster: RunningCluster, http: aiohttp.ClientSession
) -> None:
    """Action servers keep nothing in memory: the other one finishes the form."""
    sender = f"actieserver-{uuid.uuid4().hex[:8]}"
    for text in MELDING[:4]:
        await say(http, cluster.front, sender, text)
    os.killpg(cluster.addresses["replicas"]["actions-1"]["pid"], signal.SIGKILL)
    for text in [*MELDING[4:], "ja"]:
        replies = await say(http, cluster.front, sender, text)
    assert await cases_with(cluster, case_number(replies)) == 1


async def test_a_promoted_model_reaches_both_replicas(
    cluster: RunningCluster, http: aiohttp.ClientSession
) -> None:
    registry = Registry(cluster.models_dir)
    entry = await asyncio.to_thread(registry.register, await asyncio.to_thread(weak_model))
    argv = ["promote", entry.name, "--force", "--reason", "clustertest", "--by", "test"]
    promoted = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", *argv],
        cwd=ROOT,
        env=cluster.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    replicas = [cluster.replica("rasa-1"), cluster.replica("rasa-2")]
    deadline = time.monotonic() + 120
    loaded: list[str] = []
    while time.monotonic() < deadline:
        loaded = []
        for replica in replicas:
            async with http.get(f"{replica.rasa_url}/status", headers=replica.rasa_auth()) as resp:
                loaded.append((await resp.json())["model_file"])
        if loaded == [f"{entry.name}.tar.gz"] * 2:
            break
        # Conversations go on meanwhile.
        assert await say(http, cluster.front, "tijdens-wissel", "hallo")
        await asyncio.sleep(1)
    assert loaded == [f"{entry.name}.tar.gz"] * 2
