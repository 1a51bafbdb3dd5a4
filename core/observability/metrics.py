"""Balie's Prometheus metrics, one registry per kind of process.

Each process exposes only its own registry (plus the standard `process_*`, `python_*`
collectors), so the web app's `/metrics` does not list Rasa's counters at zero.
Names follow Prometheus conventions: `balie_` prefix, base units in the name
(`_seconds`), `_total` on counters. Label values come from small fixed sets (route
templates, intent names from the domain, backend names), never from what a resident
typed. docs/observability.md lists them all.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

# The classic text format every Prometheus version reads.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
# No `_created` series next to every counter and histogram: half the series, no loss.
disable_created_metrics()  # type: ignore[no-untyped-call]  # unannotated in prometheus_client

# Conversation turns and actions may wait for the case system (SUBMIT_TIMEOUT 6 s).
SLOW_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    """The registry in Prometheus' text format."""
    return generate_latest(registry)


# --- Rasa server (rasa_plugins/broker.py) -----------------------------------------
RASA = _registry()

RASA_USER_MESSAGES = Counter(
    "balie_rasa_user_messages",
    "Messages from residents, by input channel (status pushes and other external "
    "intents not included).",
    ["channel"],
    registry=RASA,
)
RASA_INTENTS = Counter(
    "balie_rasa_intents",
    "Recognised intents of residents' messages; FAQ questions as faq/<topic>. Names not in "
    "the domain count as 'other'.",
    ["intent"],
    registry=RASA,
)
RASA_FALLBACKS = Counter(
    "balie_rasa_fallbacks",
    "Messages Balie did not understand: kind=nlu (intent nlu_fallback, too unsure) or "
    "kind=core (understood, but no rule or story fits: the core fallback action ran).",
    ["kind"],
    registry=RASA,
)
RASA_BOT_MESSAGES = Counter(
    "balie_rasa_bot_messages",
    "Messages Balie sent, by the channel of the conversation's last message.",
    ["channel"],
    registry=RASA,
)
RASA_SESSIONS = Counter(
    "balie_rasa_sessions_started",
    "Conversation sessions started.",
    registry=RASA,
)
RASA_TURN_SECONDS = Histogram(
    "balie_rasa_turn_duration_seconds",
    "From a resident's message (after NLU) until Balie listens again: dialogue "
    "policies plus custom actions, by input channel.",
    ["channel"],
    buckets=SLOW_BUCKETS,
    registry=RASA,
)
RASA_BROKER_ERRORS = Counter(
    "balie_rasa_metrics_errors",
    "Tracker events the metrics broker failed to count (the conversation is unaffected).",
    registry=RASA,
)

# --- action server (actions/observability.py, actions/) ---------------------------
ACTIONS = _registry()

ACTION_SECONDS = Histogram(
    "balie_action_duration_seconds",
    "Custom actions run by the action server, by action and outcome "
    "(ok, rejected, not_found, error).",
    ["action", "outcome"],
    buckets=SLOW_BUCKETS,
    registry=ACTIONS,
)
CASES_CREATED = Counter(
    "balie_cases_created",
    "Cases delivered to the case system by the action server (at once or from the outbox), "
    "by type (melding, verzoek) and backend.",
    ["type", "backend"],
    registry=ACTIONS,
)
CALLBACKS_CREATED = Counter(
    "balie_callbacks_created",
    "Call-back requests (terugbelverzoeken) delivered to Balie's case system.",
    registry=ACTIONS,
)
SUBMISSIONS = Counter(
    "balie_submissions",
    "Submissions made in a conversation, by kind (case, callback) and what the resident "
    "heard: delivered, queued (the case system was down or slow; the outbox retries) or "
    "rejected.",
    ["kind", "outcome"],
    registry=ACTIONS,
)
BACKEND_ERRORS = Counter(
    "balie_backend_errors",
    "Failed calls to a case system, by backend, operation, kind (unavailable, throttled, "
    "rejected, timeout, unexpected) and whether a retry may help.",
    ["backend", "operation", "kind", "retryable"],
    registry=ACTIONS,
)
BACKEND_SECONDS = Histogram(
    "balie_backend_request_duration_seconds",
    "Calls to a case system (successful or not), by backend and operation.",
    ["backend", "operation"],
    buckets=SLOW_BUCKETS,
    registry=ACTIONS,
)
OUTBOX_ENTRIES = Gauge(
    "balie_outbox_entries",
    "Entries in the action server's outbox by state (pending: waiting for delivery; "
    "rejected: refused by the case system, kept for staff). Read at scrape time.",
    ["state"],
    registry=ACTIONS,
)

# --- web app (webapp/observability.py, webapp/) --------------------------------------------
WEB = _registry()

WEB_REQUEST_SECONDS = Histogram(
    "balie_web_http_request_duration_seconds",
    "HTTP requests to the web app, by method, route template and status "
    "(WebSockets excluded: see balie_web_chat_connections).",
    ["method", "route", "status"],
    registry=WEB,
)
WEB_CHAT_CONNECTIONS = Gauge(
    "balie_web_chat_connections",
    "Open WebSocket connections of the chat widget.",
    registry=WEB,
)
WEB_CHAT_MESSAGES = Counter(
    "balie_web_chat_messages",
    "Chat widget messages: direction=in from residents, direction=out from Balie.",
    ["direction"],
    registry=WEB,
)
WEB_CHAT_ERRORS = Counter(
    "balie_web_chat_errors",
    "Error notices the chat widget showed, by code (te_snel, niet_bereikbaar, ...).",
    ["code"],
    registry=WEB,
)
WEB_CASES_CREATED = Counter(
    "balie_web_api_cases_created",
    "Cases created through the Case API (POST /api/v1/cases; idempotent repeats not "
    "counted), by type and kanaal.",
    ["type", "kanaal"],
    registry=WEB,
)
