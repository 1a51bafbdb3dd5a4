"""Metrics and logs: JSON lines without personal data, and what each process counts.

- logs: `configure_logging` in this process, both formats;
- the Rasa metrics broker: Rasa's own event objects, then the real Rasa server with
  Balie's endpoints.yml (tracker store included) and the action server, both logging
  JSON, started here on free loopback ports;
- the web app: in this process on loopback, as tests/test_case_api.py does.
"""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import yaml
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

from core import ROOT
from core.observability import logs, metrics
from core.widget_protocol import RASA_READY_PATH
from rasa_plugins.broker import MetricsBroker
from tests.conftest import TrainedModel, free_port, make_settings, settings_env
from tests.databases import sqlite_database
from webapp.app import create_app

EMAIL, PHONE = "jan.jansen@example.nl", "0687654321"
PERSONAL = f"mijn e-mail is {EMAIL} en bel me op {PHONE}"
TOKEN = "test-token-0123456789"


def sample(registry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def scraped(text: str) -> dict[tuple[str, frozenset], float]:
    """A Prometheus text page as {(sample name, labels): value}."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(page: dict, name: str, **labels: str) -> float:
    return page.get((name, frozenset(labels.items())), 0.0)


# --- logs --------------------------------------------------------------------------------------


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(False)


def test_json_log_lines_parse_and_hold_no_personal_data(
    restore_logging, monkeypatch, capsys
) -> None:
    logs.configure_logging("test", fmt="json", level="INFO")
    log = logging.getLogger("balie.test")
    log.info("bericht van inwoner: %s", PERSONAL, extra={"melder": EMAIL})
    try:
        raise ValueError(f"case system refused {EMAIL}")
    except ValueError:
        log.exception("submission for %s failed", PHONE)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert len(lines) == 2
    info, error = lines
    assert list(info)[:5] == ["timestamp", "level", "logger", "service", "message"]
    assert (info["level"], info["logger"], info["service"]) == ("INFO", "balie.test", "test")
    assert info["timestamp"].endswith("+00:00")
    assert info["message"] == (
        "bericht van inwoner: mijn e-mail is [e-mailadres] en bel me op [telefoonnummer]"
    )
    assert info["melder"] == "[e-mailadres]"
    assert error["level"] == "ERROR" and "ValueError" in error["exc_info"]
    assert "[e-mailadres]" in error["exc_info"]
    for line in lines:
        assert EMAIL not in json.dumps(line) and PHONE not in json.dumps(line)


def test_text_logs_are_masked_too(restore_logging, monkeypatch, capsys) -> None:
    logs.configure_logging("test", fmt="text", level="INFO")
    logging.getLogger("balie.test").warning("terugbellen op %s", PHONE)
    assert capsys.readouterr().err == "WARNING balie.test: terugbellen op [telefoonnummer]\n"


def test_rasa_gets_the_logging_config_file_only_for_json() -> None:
    assert logs.rasa_logging_args("text") == []
    flag, path = logs.rasa_logging_args("json")
    assert flag == "--logging-config-file" and Path(path).is_file()


# --- the Rasa metrics broker, with Rasa's event objects -------------------------------------


def publish(broker: MetricsBroker, sender: str, *events) -> None:
    for event in events:
        broker.publish({"sender_id": sender, **event.as_dict()})


def user(intent: str, channel: str = "rest", topic: str | None = None, **kw) -> UserUttered:
    parse = {"intent": {"name": intent, "confidence": 0.9}, "entities": []}
    if topic:
        response = {"intent_response_key": f"faq/{topic}"}
        parse["response_selector"] = {"faq": {"response": response}}
    return UserUttered("…", parse["intent"], [], parse, input_channel=channel, **kw)


def test_the_broker_counts_messages_intents_fallbacks_and_turns() -> None:
    broker = MetricsBroker.from_files(ROOT / "domain.yml", ROOT / "config.yml")
    assert broker.fallback_action == "utter_vraag_herformuleren"
    r = metrics.RASA
    before = {
        "web": sample(r, "balie_rasa_user_messages_total", channel="balie_web"),
        "faq": sample(r, "balie_rasa_intents_total", intent="faq/openingstijden"),
        "faq_other": sample(r, "balie_rasa_intents_total", intent="faq/other"),
        "other": sample(r, "balie_rasa_intents_total", intent="other"),
        "nlu": sample(r, "balie_rasa_fallbacks_total", kind="nlu"),
        "core": sample(r, "balie_rasa_fallbacks_total", kind="core"),
        "bot": sample(r, "balie_rasa_bot_messages_total", channel="balie_web"),
        "turns": sample(r, "balie_rasa_turn_duration_seconds_count", channel="balie_web"),
        "sum": sample(r, "balie_rasa_turn_duration_seconds_sum", channel="balie_web"),
        "sessions": sample(r, "balie_rasa_sessions_started_total"),
        "external": sample(r, "balie_rasa_intents_total", intent="EXTERNAL_status_gewijzigd"),
    }
    sender = f"s-{uuid.uuid4().hex[:8]}"
    t0 = 1_800_000_000.0
    publish(
        broker,
        sender,
        ActionExecuted("action_session_start", timestamp=t0 - 1),
        SessionStarted(timestamp=t0 - 1),
        ActionExecuted("action_listen", timestamp=t0 - 1),
        user("faq", "balie_web", topic="openingstijden", timestamp=t0),
        ActionExecuted("utter_faq", timestamp=t0 + 0.1),
        BotUttered("Open van 8.30 tot 17.00 uur.", timestamp=t0 + 0.1),
        ActionExecuted("action_listen", timestamp=t0 + 0.25),
        user("faq", "balie_web", topic="bestaat_niet", timestamp=t0 + 1),
        ActionExecuted("action_listen", timestamp=t0 + 1.5),
        # A payload naming an intent the domain does not know gets no label of its own.
        user("verzonnen_intent_123", "balie_web", timestamp=t0 + 2),
        ActionExecuted("action_listen", timestamp=t0 + 2),
        user("nlu_fallback", "balie_web", timestamp=t0 + 3),
        ActionExecuted("utter_vraag_herformuleren", timestamp=t0 + 3),  # not a core fallback
        ActionExecuted("action_listen", timestamp=t0 + 3),
        user("groeten", "balie_web", timestamp=t0 + 4),
        ActionExecuted("utter_vraag_herformuleren", timestamp=t0 + 4),  # no rule fitted
        ActionExecuted("action_listen", timestamp=t0 + 4),
        # A status push from the web app: no resident spoke.
        UserUttered.create_external("EXTERNAL_status_gewijzigd", input_channel="balie_web"),
        BotUttered("Uw melding is ingepland."),
        ActionExecuted("action_listen"),
    )
    assert sample(r, "balie_rasa_user_messages_total", channel="balie_web") == before["web"] + 5
    assert sample(r, "balie_rasa_intents_total", intent="faq/openingstijden") == before["faq"] + 1
    assert sample(r, "balie_rasa_intents_total", intent="faq/other") == before["faq_other"] + 1
    assert sample(r, "balie_rasa_intents_total", intent="other") == before["other"] + 1
    assert sample(r, "balie_rasa_intents_total", intent="verzonnen_intent_123") == 0
    assert sample(r, "balie_rasa_fallbacks_total", kind="nlu") == before["nlu"] + 1
    assert sample(r, "balie_rasa_fallbacks_total", kind="core") == before["core"] + 1
    assert sample(r, "balie_rasa_bot_messages_total", channel="balie_web") == before["bot"] + 2
    assert sample(r, "balie_rasa_sessions_started_total") == before["sessions"] + 1
    assert (
        sample(r, "balie_rasa_intents_total", intent="EXTERNAL_status_gewijzigd")
        == before["external"]
    )
    turns = sample(r, "balie_rasa_turn_duration_seconds_count", channel="balie_web")
    assert turns == before["turns"] + 5
    seconds = sample(r, "balie_rasa_turn_duration_seconds_sum", channel="balie_web")
    assert seconds - before["sum"] == pytest.approx(0.25 + 0.5)
    assert broker.turns == {}  # every turn ended


def test_a_broken_event_never_reaches_rasa() -> None:
    broker = MetricsBroker.from_files(ROOT / "domain.yml", ROOT / "config.yml")
    errors = sample(metrics.RASA, "balie_rasa_metrics_errors_total")
    broker.publish({"event": "user", "sender_id": "x", "parse_data": "not a dict"})
    assert sample(metrics.RASA, "balie_rasa_metrics_errors_total") == errors + 1


def test_without_a_domain_every_intent_is_other(tmp_path) -> None:
    broker = MetricsBroker.from_files(tmp_path / "missing.yml", tmp_path / "missing.yml")
    assert broker.intent_label("groeten", {}) == "other"
    assert broker.intent_label("nlu_fallback", {}) == "nlu_fallback"


# --- the web app -----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def running_web_app(tmp_path: Path, **fields: Any) -> AsyncIterator[aiohttp.ClientSession]:
    with sqlite_database(tmp_path) as url:
        settings = make_settings(
            tmp_path, configured_database_url=url, configured_api_token=TOKEN, **fields
        )
        runner = web.AppRunner(create_app(settings))
        await runner.setup()
        await web.TCPSite(runner, settings.host, settings.web_port).start()
        try:
            async with aiohttp.ClientSession(settings.web_url) as http:
                yield http
        finally:
            await runner.cleanup()


@pytest_asyncio.fixture
async def web_app(tmp_path):
    async with running_web_app(tmp_path) as http:
        yield http


async def scrape_web(http: aiohttp.ClientSession, **kwargs) -> dict:
    async with http.get("/metrics", **kwargs) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await resp.text()
    assert "balie_rasa_" not in text  # each process shows its own metrics only
    return scraped(text)


async def test_web_metrics_time_requests_by_route_template(web_app) -> None:
    http = web_app
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = await scrape_web(http)
    route = "/api/v1/cases/{identificatie}"
    for _ in range(2):
        async with http.get("/api/v1/cases/M-2026-000123", headers=auth) as resp:
            assert resp.status == 404
    async with http.get("/health") as resp:
        assert resp.status == 200
    async with http.get("/bestaat/niet/42") as resp:
        assert resp.status == 404
    melding = {
        "type": "melding",
        "omschrijving": f"Losliggende stoeptegel, bel {PHONE}",
        "categorie": "grofvuil",
        "locatie": {"straat": "Molenweg", "huisnummer": "3"},
        "kanaal": "rest",
    }
    async with http.post("/api/v1/cases", json=melding, headers=auth) as resp:
        assert resp.status == 201
    after = await scrape_web(http)
    name = "balie_web_http_request_duration_seconds_count"

    def grew(**labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew(method="GET", route=route, status="404") == 2
    assert grew(method="GET", route="/health", status="200") == 1
    assert grew(method="GET", route="unmatched", status="404") == 1
    assert grew(method="POST", route="/api/v1/cases", status="201") == 1
    created = "balie_web_api_cases_created_total"
    # The registry lives as long as this process: other tests may have created cases.
    assert (
        value(after, created, type="melding", kanaal="rest")
        - value(before, created, type="melding", kanaal="rest")
        == 1
    )
    assert not any("M-2026" in str(labels) for _, labels in after)  # no ids as labels
    # The scrape before this one was timed too.
    assert value(after, name, method="GET", route="/metrics", status="200") >= 1


async def test_web_metrics_can_require_the_api_token(tmp_path) -> None:
    async with running_web_app(tmp_path, metrics_require_token=True) as http:
        async with http.get("/metrics") as resp:
            assert resp.status == 401
        await scrape_web(http, headers={"Authorization": f"Bearer {TOKEN}"})


# --- the real Rasa server and action server ----------------------------------------------------


class Processes:
    """Rasa (Balie's endpoints.yml minus the model server) and the action server, logging JSON."""

    def __init__(self, tmp: Path, model: Path) -> None:
        self.settings = make_settings(tmp)
        self.metrics_port = free_port()
        self.logs = {"rasa": tmp / "rasa.log", "actions": tmp / "actions.log"}
        data = self.settings.data_dir
        data.mkdir(parents=True)
        endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
        endpoints = {k: endpoints[k] for k in ("action_endpoint", "tracker_store", "event_broker")}
        (tmp / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
        env = {
            **settings_env(self.settings),
            "BALIE_LOG_FORMAT": "json",
            # Rasa logs what residents type at DEBUG: the masking filter must catch it.
            "BALIE_LOG_LEVEL": "DEBUG",
            "LOG_LEVEL": "DEBUG",
            "BALIE_RASA_METRICS_PORT": str(self.metrics_port),
            "BALIE_ACTION_URL": f"{self.settings.action_url}/webhook",
            "BALIE_TRACKER_URL": f"sqlite:///{data / 'tracker.sqlite'}",
            "BALIE_OUTBOX_PATH": str(data / "outbox.sqlite"),
            "BALIE_API_TOKEN": TOKEN,
            "BALIE_RASA_TOKEN": TOKEN,
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONUNBUFFERED": "1",
        }
        rasa = [
            *("-m", "rasa_plugins.server", "run", "--enable-api", "--model", str(model)),
            *("--interface", "127.0.0.1", "--port", str(self.settings.rasa_port)),
            *("--endpoints", str(tmp / "endpoints.yml"), "--credentials", "credentials.yml"),
        ]
        # What the supervisor adds to Rasa's arguments when BALIE_LOG_FORMAT=json.
        rasa += ["--logging-config-file", str(logs.RASA_LOGGING_CONFIG)]
        self.processes = []
        for name, args in (("actions", ["-m", "actions"]), ("rasa", rasa)):
            with open(self.logs[name], "wb") as out:
                self.processes.append(
                    subprocess.Popen(
                        [sys.executable, *args], cwd=ROOT, env=env, stdout=out, stderr=out
                    )
                )

    def wait_ready(self, timeout: float = 300) -> None:
        import urllib.request

        deadline = time.monotonic() + timeout
        ready = f"{self.settings.rasa_url}{RASA_READY_PATH}"
        for url in (f"{self.settings.action_url}/health", ready):
            while True:
                if any(p.poll() is not None for p in self.processes) or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        "\n".join(path.read_text()[-3000:] for path in self.logs.values())
                    )
                try:
                    with urllib.request.urlopen(url, timeout=5) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    pass
                time.sleep(0.5)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def rasa_and_actions(test_model: TrainedModel, tmp_path_factory) -> Iterator[Processes]:
    processes = Processes(tmp_path_factory.mktemp("observability"), test_model.path)
    processes.wait_ready()
    yield processes
    processes.stop()


async def scrape(url: str) -> dict:
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 200
        return scraped(await resp.text())


@pytest.mark.stack
async def test_rasa_and_action_server_metrics_and_json_logs(rasa_and_actions) -> None:
    stack = rasa_and_actions
    rasa_metrics = f"http://127.0.0.1:{stack.metrics_port}/metrics"
    actions_metrics = f"{stack.settings.action_url}/metrics"
    before = await scrape(rasa_metrics)
    sender = f"obs-{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
        webhook = f"{stack.settings.rasa_url}/webhooks/rest/webhook"
        # Words NLU does not know: a fallback (a typed `/nlu_fallback` is refused, not run).
        for text in ("wanneer is het gemeentehuis open?", "xqzv bnmw plork", PERSONAL):
            async with http.post(webhook, json={"sender": sender, "message": text}) as resp:
                assert resp.status == 200 and await resp.json()
    after = await scrape(rasa_metrics)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    # Through Balie's tracker store (rasa_plugins/tracker_store.py), which streams the events.
    assert grew("balie_rasa_user_messages_total", channel="rest") == 3
    assert grew("balie_rasa_intents_total", intent="faq/openingstijden") == 1
    assert grew("balie_rasa_intents_total", intent="nlu_fallback") == 1
    assert grew("balie_rasa_fallbacks_total", kind="nlu") == 1
    assert grew("balie_rasa_sessions_started_total") == 1
    assert grew("balie_rasa_bot_messages_total", channel="rest") >= 3
    assert grew("balie_rasa_turn_duration_seconds_count", channel="rest") == 3
    assert value(after, "balie_rasa_metrics_errors_total") == 0

    page = await scrape(actions_metrics)
    ran = "balie_action_duration_seconds_count"
    assert value(page, ran, action="action_session_start", outcome="ok") >= 1
    assert value(page, "balie_outbox_entries", state="pending") == 0
    assert "process_resident_memory_bytes" in {name for name, _ in page}

    # Every line from the first log line on is JSON (Python prints some import-time
    # warnings before logging exists), and what the resident typed is masked.
    for service, path in stack.logs.items():
        text = path.read_text()
        assert EMAIL not in text and PHONE not in text, service
        lines = text.splitlines()
        first = next(i for i, line in enumerate(lines) if line.startswith("{"))
        records = [json.loads(line) for line in lines[first:]]
        assert {r["service"] for r in records} == {service}
        assert {"timestamp", "level", "logger", "message"} <= set(records[0])
    rasa_log = stack.logs["rasa"].read_text()
    assert "Starting Rasa server" in rasa_log and "[e-mailadres]" in rasa_log
