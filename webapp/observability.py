"""Metrics of the web app: `GET /metrics` and the request-timing middleware.

Requests are labelled by their route's template (`/api/v1/cases/{identificatie}`),
never by the URL itself, so case numbers and session ids never become label values;
requests that match no route count as `unmatched`. WebSocket connections (the chat
widget) are counted as open connections instead of timed.

`/metrics` is open like `/health` (the load balancer keeps both from the public);
with `BALIE_METRICS_REQUIRE_TOKEN=1` it wants the Case API's bearer token too.
"""

from __future__ import annotations

import time

from aiohttp import web

from core.bearer import bearer_ok
from core.observability import metrics

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
TOKEN_KEY = web.AppKey("metrics_token", str)


def route_label(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def observe_requests(request: web.Request, handler):
    if request.headers.get("Upgrade", "").lower() == "websocket":
        metrics.WEB_CHAT_CONNECTIONS.inc()
        try:
            return await handler(request)
        finally:
            metrics.WEB_CHAT_CONNECTIONS.dec()
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        method = request.method if request.method in METHODS else "other"
        metrics.WEB_REQUEST_SECONDS.labels(method, route_label(request), str(status)).observe(
            time.perf_counter() - started
        )


async def metrics_route(request: web.Request) -> web.Response:
    token = request.app.get(TOKEN_KEY)
    if token:
        if not bearer_ok(request.headers.get("Authorization"), token):
            raise web.HTTPUnauthorized(headers={"WWW-Authenticate": 'Bearer realm="balie"'})
    return web.Response(
        body=metrics.exposition(metrics.WEB), headers={"Content-Type": metrics.CONTENT_TYPE}
    )


def setup(app: web.Application, token: str | None) -> None:
    """`GET /metrics`, open, or for callers with `token` (BALIE_METRICS_REQUIRE_TOKEN);
    the middleware goes first in the app's list (see webapp/app.py)."""
    if token:
        app[TOKEN_KEY] = token
    app.router.add_get("/metrics", metrics_route)
