"""The action server purges and forgets in the tables it owns.

Every BALIE_PURGE_INTERVAL_MINUTES (core/privacy/retention.py) it deletes delivered
and rejected outbox entries past their term (actions/outbox.py) and controlecode
guess counts gone quiet (actions/guesser.py). `POST /vergeten` forgets a resident's
outbox entries; the web app calls it when a resident is forgotten
(webapp/privacy/action_server.py), with Rasa's token like every route here
(actions/auth.py). Several action servers on one outbox database may purge at the
same moment: every delete is conditional, so each row goes once.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime
from typing import Any

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions import guesser
from actions.outbox import Outbox
from core.privacy.retention import FORGET_PATH, Counts, Policy, log_counts, run_periodically
from core.safe_json import InvalidJson, loads


async def purge(
    outbox: Outbox, policy: Policy, *, dry_run: bool = False, now: datetime | None = None
) -> Counts:
    """Delete what is past its term in the action server's database; the counts."""
    counts = await outbox.purge(policy, dry_run=dry_run, now=now)
    counts["raadpogingen"] = await guesser.purge(outbox, dry_run=dry_run, now=now)
    if not dry_run:
        log_counts("action server retention purge", counts)
    return counts


async def _forget(outbox: Outbox, raw: bytes) -> HTTPResponse:
    try:
        body = loads(raw)
    except InvalidJson as exc:
        return response.json({"error": str(exc)}, status=400)
    if not isinstance(body, dict):
        return response.json({"error": "body must be a JSON object"}, status=400)
    kanaal, identity = body.get("kanaal"), body.get("id")
    if not isinstance(kanaal, str) or not isinstance(identity, str):
        return response.json({"error": "kanaal and id must be text"}, status=422)
    try:
        counts = await outbox.forget(kanaal, identity, dry_run=body.get("dry_run") is True)
    except ValueError as exc:
        return response.json({"error": str(exc)}, status=422)
    log_counts(f"forgot a resident's outbox entries on {kanaal}", counts)
    return response.json({"kanaal": kanaal, "verwijderd": counts})


def setup(app: Sanic, outbox: Outbox, policy: Policy, interval: float | None) -> None:
    """The forget route and the periodic purge by `policy` every `interval` seconds (the
    settings' `retention` and `purge_interval`; None: no purge)."""

    @app.post(FORGET_PATH)
    async def forget(request: Request) -> HTTPResponse:
        return await _forget(outbox, request.body)

    if interval is None:
        return

    async def purge_round() -> Counts:
        return await purge(outbox, policy)

    async def start_purging(app: Sanic, loop: Any) -> None:
        app.ctx.retention = asyncio.ensure_future(run_periodically(purge_round, interval))

    async def stop_purging(app: Sanic, loop: Any) -> None:
        app.ctx.retention.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await app.ctx.retention

    app.register_listener(start_purging, "after_server_start")
    app.register_listener(stop_purging, "before_server_stop")
