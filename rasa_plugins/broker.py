"""Counts conversations inside the Rasa server: an event broker that only updates metrics.

endpoints.yml names it (`event_broker: type: rasa_plugins.broker.MetricsBroker`);
Rasa's tracker store hands it every new tracker event when it saves a conversation.
It counts residents' messages by channel, intents (FAQ questions as faq/<topic>),
fallbacks, Balie's messages and sessions, and times each turn. Intent and topic labels
come from the domain, so a client sending `/made_up_intent` payloads cannot grow the
number of time series.

When `BALIE_RASA_METRICS_PORT` is set the broker serves the metrics on that port
(`BALIE_HOST`, default 127.0.0.1); unset, nothing listens. It also brings Rasa's
logging in line with Balie's (core.observability.logs.adopt_rasa_logging). Both come
from the Rasa server's settings (rasa_plugins/settings.py).

A broken metric must never break a conversation: `publish` swallows every error.
"""

from __future__ import annotations

import logging
from asyncio import AbstractEventLoop
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rasa.core.brokers.broker import EventBroker
from rasa.shared.core.constants import DEFAULT_INTENTS
from rasa.utils.endpoints import EndpointConfig

from core import ROOT
from core.observability import logs, metrics
from rasa_plugins import settings as plugin_settings

log = logging.getLogger(__name__)

# Input channels get their own label value; anything else counts as "other".
CHANNELS = frozenset({"rest", "balie_web", "telegram", "cmdline"})
NLU_FALLBACK = "nlu_fallback"
RETRIEVAL_INTENT = "faq"
# Turns in progress (a turn ends when Balie listens again); the oldest are forgotten
# beyond this, should a turn never end.
MAX_OPEN_TURNS = 10_000

_server: Any = None  # the metrics HTTP server, one per process


@dataclass
class Turn:
    channel: str
    intent: str
    started: float | None  # the user event's timestamp, None once answered
    core_fallback: bool = False


def channel_label(channel: Any) -> str:
    if not channel:
        return "none"
    return channel if channel in CHANNELS else "other"


def _read_yaml(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    return data if isinstance(data, dict) else {}


def domain_names(path: Path) -> tuple[set[str], set[str]]:
    """The domain's intent names and FAQ topics (from its `utter_faq/<topic>` responses)."""
    domain = _read_yaml(path)
    intents = {
        next(iter(item)) if isinstance(item, dict) else str(item)
        for item in domain.get("intents") or []
    }
    prefix = f"utter_{RETRIEVAL_INTENT}/"
    topics = {key[len(prefix) :] for key in domain.get("responses") or {} if key.startswith(prefix)}
    return intents, topics


def core_fallback_action(path: Path) -> str:
    """RulePolicy's `core_fallback_action_name` in config.yml (Rasa's default if none)."""
    for policy in _read_yaml(path).get("policies") or []:
        if isinstance(policy, dict) and policy.get("name") == "RulePolicy":
            return str(policy.get("core_fallback_action_name", "action_default_fallback"))
    return "action_default_fallback"


def serve_metrics(host: str, port: int) -> None:
    """Start the metrics listener on `port` (0: none), once per process."""
    global _server
    if not port or _server is not None:
        return
    from prometheus_client import start_http_server

    try:
        _server, _ = start_http_server(port, addr=host, registry=metrics.RASA)
    except OSError as exc:
        # Rasa still serves residents; only the metrics are missing.
        log.warning("metrics not served on %s:%s: %s", host, port, exc)
        return
    log.info("Rasa metrics on http://%s:%s/metrics", host, port)


class MetricsBroker(EventBroker):
    def __init__(
        self,
        intents: set[str] | None = None,
        faq_topics: set[str] | None = None,
        fallback_action: str = "action_default_fallback",
    ) -> None:
        # Rasa's own intents (/restart when a resident wipes the widget's conversation, ...).
        self.intents = (intents or set()) | set(DEFAULT_INTENTS)
        self.faq_topics = faq_topics or set()
        self.fallback_action = fallback_action
        self.turns: OrderedDict[str, Turn] = OrderedDict()

    @classmethod
    def from_files(cls, domain: Path, config: Path) -> MetricsBroker:
        intents: set[str] = set()
        topics: set[str] = set()
        fallback = "action_default_fallback"
        try:
            intents, topics = domain_names(domain)
            fallback = core_fallback_action(config)
        except Exception as exc:  # metrics must not keep Rasa from starting
            log.warning(
                "metrics: cannot read %s, %s (%r); intents count as 'other'", domain, config, exc
            )
        return cls(intents, topics, fallback)

    @classmethod
    async def from_endpoint_config(
        cls,
        broker_config: EndpointConfig | None,
        event_loop: AbstractEventLoop | None = None,
    ) -> MetricsBroker:
        kwargs = broker_config.kwargs if broker_config else {}
        broker = cls.from_files(
            ROOT / kwargs.get("domain", "domain.yml"), ROOT / kwargs.get("config", "config.yml")
        )
        settings = plugin_settings.settings()
        try:
            logs.adopt_rasa_logging(settings.log_format, settings.log_level)
        except Exception:
            log.exception("could not adopt Rasa's logging")
        serve_metrics(settings.host, settings.metrics_port)
        return broker

    def publish(self, event: dict[str, Any]) -> None:
        try:
            self._count(event)
        except Exception:
            metrics.RASA_BROKER_ERRORS.inc()
            log.debug("metrics: could not count an event", exc_info=True)

    def is_ready(self) -> bool:
        return True

    async def close(self) -> None:
        self.turns.clear()

    # --- counting --------------------------------------------------------------------------

    def _count(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        sender = str(event.get("sender_id"))
        if kind == "user":
            self._user(sender, event)
        elif kind == "action":
            self._action(sender, event)
        elif kind == "bot":
            turn = self.turns.get(sender)
            metrics.RASA_BOT_MESSAGES.labels(turn.channel if turn else "none").inc()
        elif kind == "session_started":
            metrics.RASA_SESSIONS.inc()

    def _user(self, sender: str, event: dict[str, Any]) -> None:
        channel = channel_label(event.get("input_channel"))
        parse = event.get("parse_data") or {}
        name = (parse.get("intent") or {}).get("name") or ""
        if (event.get("metadata") or {}).get("is_external") or name.startswith("EXTERNAL_"):
            # Balie's own services (status change, queued case delivered): no resident spoke.
            self._remember(sender, Turn(channel, name, None))
            return
        intent = self.intent_label(name, parse)
        metrics.RASA_USER_MESSAGES.labels(channel).inc()
        metrics.RASA_INTENTS.labels(intent).inc()
        if name == NLU_FALLBACK:
            metrics.RASA_FALLBACKS.labels("nlu").inc()
        self._remember(sender, Turn(channel, name, _timestamp(event)))

    def _action(self, sender: str, event: dict[str, Any]) -> None:
        turn = self.turns.get(sender)
        if turn is None:
            return
        name = event.get("name")
        if name == "action_listen":  # the turn is over
            del self.turns[sender]
            ended = _timestamp(event)
            if turn.started is not None and ended is not None:
                seconds = max(0.0, ended - turn.started)
                metrics.RASA_TURN_SECONDS.labels(turn.channel).observe(seconds)
        elif name == self.fallback_action and turn.started is not None:
            if turn.intent != NLU_FALLBACK and not turn.core_fallback:
                turn.core_fallback = True
                metrics.RASA_FALLBACKS.labels("core").inc()

    def intent_label(self, name: str, parse: dict[str, Any]) -> str:
        if name == RETRIEVAL_INTENT:
            selected = (parse.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
            key = (selected.get("response") or {}).get("intent_response_key") or ""
            topic = key.partition("/")[2]
            return f"{RETRIEVAL_INTENT}/{topic if topic in self.faq_topics else 'other'}"
        return name if name in self.intents else "other"

    def _remember(self, sender: str, turn: Turn) -> None:
        self.turns[sender] = turn
        self.turns.move_to_end(sender)
        while len(self.turns) > MAX_OPEN_TURNS:
            self.turns.popitem(last=False)


def _timestamp(event: dict[str, Any]) -> float | None:
    value = event.get("timestamp")
    return float(value) if isinstance(value, int | float) else None
