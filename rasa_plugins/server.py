"""`python -m rasa_plugins.server run ...`: `rasa run` with its HTTP API behind Balie's token.

Rasa reads its JWT secret only from `--jwt-secret`; a secret on the command line is
readable by every local user (`ps`, /proc/*/cmdline). This wrapper adds it to Rasa's
own argument list in-process instead, from BALIE_RASA_TOKEN or the token file in the
data directory (the Rasa server's settings, rasa_plugins/settings.py), so every route
except `/` and `/version` answers 401/403 to callers without a JWT signed with it
(`Settings.rasa_auth`). A JWT in the Authorization header rather than Rasa's
`--auth-token`, which is read from `?token=` and so ends up in access logs.

It also installs rasa_plugins/speedups.py: Rasa checks the action server's answers with
a schema compiled once, finds event classes in a table and keeps its connections to the
action server open, instead of paying for each on every call.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import jwt
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from core.dutch import patterns
from rasa_plugins import settings as plugin_settings


def refuse_bad_jwts(create_app: Callable[..., Sanic]) -> Callable[..., Sanic]:
    """Rasa's app, answering 401 to a malformed JWT (sanic-jwt raises, e.g. for alg none),
    and closing the speedups' kept-alive sessions when it stops."""

    @functools.wraps(create_app)
    def create(*args: Any, **kwargs: Any) -> Sanic:
        app = create_app(*args, **kwargs)

        @app.after_server_stop
        async def close_sessions(app: Sanic, loop: Any) -> None:
            from rasa_plugins import speedups

            await speedups.close_sessions()

        @app.exception(jwt.PyJWTError)
        async def unauthenticated(request: Request, exc: Exception) -> HTTPResponse:
            return response.json(
                {"status": "failure", "reason": "NotAuthenticated", "code": 401}, status=401
            )

        return app

    return create


def with_secret(args: list[str], secret: str) -> list[str]:
    # One argument with "=": a secret starting with "-" would read as an option.
    return [*args, f"--jwt-secret={secret}", "--jwt-method", "HS256"]


def main() -> None:
    # The settings every plug-in will use, read before Rasa starts: a bad value stops here.
    settings = plugin_settings.settings()
    # The masking tracker store's word list for controlecodes, read before the event loop
    # runs rather than while the first conversation with a case number is saved.
    patterns.preload()

    import rasa.server
    from rasa.__main__ import main as rasa_main

    from rasa_plugins import speedups

    rasa.server.create_app = refuse_bad_jwts(rasa.server.create_app)
    speedups.install()

    if "--auth-token" in sys.argv or "--jwt-secret" in sys.argv:
        raise SystemExit("rasa_plugins.server sets Rasa's token itself (BALIE_RASA_TOKEN)")
    sys.argv = ["rasa", *with_secret(sys.argv[1:], settings.rasa_token())]
    rasa_main()


if __name__ == "__main__":
    main()
