"""Metrics of the action server (`python -m actions`): `/metrics` and action timing.

`instrument(app, outbox_counts)` adds, on rasa-sdk's Sanic app and without touching
rasa-sdk itself, a `GET /metrics` route and request/response middleware that times
every `POST /webhook` (one action run) by action name and outcome. The outbox gauge
is read when Prometheus scrapes.
"""

from __future__ import annotations

import json
import logging
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Sanic
from sanic.request import Request
from sanic.response import BaseHTTPResponse, HTTPResponse

from core.observability import metrics

log = logging.getLogger(__name__)

OUTCOMES = {200: "ok", 400: "rejected", 404: "not_found"}
OutboxCounts = Callable[[], Awaitable[dict[str, int]]]


def action_name(request: Request) -> str:
    """The `next_action` of an action call; 'unknown' if the body is not one."""
    try:
        if request.headers.get("Content-Encoding") == "deflate":
            call: Any = json.loads(zlib.decompress(request.body))
        else:
            call = request.json  # parsed once: rasa-sdk's handler gets Sanic's cached copy
        name = call.get("next_action") if isinstance(call, dict) else None
    except Exception:
        return "unknown"
    return name if isinstance(name, str) and name else "unknown"


async def _started(request: Request) -> None:
    if request.path == "/webhook":
        request.ctx.balie_started = time.perf_counter()


async def _finished(request: Request, response: BaseHTTPResponse) -> None:
    started = getattr(request.ctx, "balie_started", None)
    if started is None:
        return
    try:
        outcome = OUTCOMES.get(response.status, "error")
        # Only registered actions get a label of their own: 404 means "no such action".
        name = action_name(request) if outcome != "not_found" else "unknown"
        metrics.ACTION_SECONDS.labels(name, outcome).observe(time.perf_counter() - started)
    except Exception:
        log.debug("could not time an action call", exc_info=True)


def instrument(app: Sanic, outbox_counts: OutboxCounts | None = None) -> None:
    async def metrics_route(request: Request) -> HTTPResponse:
        if outbox_counts is not None:
            try:
                counts = await outbox_counts()
                for state in {"pending", "rejected", *counts}:
                    metrics.OUTBOX_ENTRIES.labels(state).set(counts.get(state, 0))
            except Exception:
                log.warning("could not count the outbox for /metrics", exc_info=True)
        return HTTPResponse(
            body=metrics.exposition(metrics.ACTIONS), content_type=metrics.CONTENT_TYPE
        )

    app.add_route(metrics_route, "/metrics", methods=["GET"], name="balie_metrics")
    app.register_middleware(_started, "request")
    app.register_middleware(_finished, "response")
