"""The action server answers only Rasa: every route but the probes needs the token.

rasa-sdk has no authentication of its own, and its `/webhook` runs any action for any
tracker it is sent: a forged tracker with someone's Telegram sender id would list that
resident's cases. Rasa sends `Authorization: Bearer <BALIE_RASA_TOKEN>` (endpoints.yml
`action_endpoint`); anything else gets 401.
"""

from __future__ import annotations

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from core.bearer import CHALLENGE, bearer_ok

PUBLIC = frozenset({"/health", "/metrics"})  # probes and Prometheus; no conversation data


def require_token(app: Sanic, token: str, own_auth: frozenset[str] = frozenset()) -> None:
    """Register first, so that a refused call reaches no other middleware.

    `own_auth`: callbacks of external systems, which check their own credentials
    (actions/statusnieuws: the ZGW subscription's `auth`)."""

    async def check(request: Request) -> HTTPResponse | None:
        if (
            request.path in PUBLIC
            or request.path in own_auth
            or bearer_ok(request.headers.get("Authorization"), token)
        ):
            return None
        return response.json(
            {"error": "missing or invalid bearer token"},
            status=401,
            headers={"WWW-Authenticate": CHALLENGE},
        )

    app.register_middleware(check, "request")
