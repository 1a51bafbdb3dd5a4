"""POST /api/v1/live: Balie's action asks for a medewerker for a conversation.

Under /api/, so webapp.api's guard demands the Case API token (the action server calls
it, like its other Case API calls). Body `{"melder": "web:<sender>"}`; the answer says
whether the conversation joined the queue (core/caseapi/client.py `live`). Only widget
conversations can be handed over; any other channel gets `{"wachtrij": false}` (a
call-back instead).
"""

from __future__ import annotations

from aiohttp import web

from core.kcc import API_PATH
from core.safe_json import InvalidJson, loads
from webapp.bodies import read_body
from webapp.errors import ApiError
from webapp.live.service import LIVE_KEY

PATH = "/api/v1" + API_PATH
MAX_JSON = 1024


async def post_live(request: web.Request) -> web.Response:
    if request.content_type != "application/json":
        raise ApiError(415, "send JSON with Content-Type: application/json")
    try:
        data = loads(await read_body(request, MAX_JSON))
    except InvalidJson as exc:
        raise ApiError(400, str(exc)) from None
    melder = data.get("melder") if isinstance(data, dict) else None
    if not isinstance(melder, str) or ":" not in melder or len(melder) > 200:
        raise ApiError(400, "melder must be '<kanaal>:<id>'")
    kanaal, sender = melder.split(":", 1)
    live = request.app[LIVE_KEY]
    if kanaal != "web":
        return web.json_response({"wachtrij": False})
    found = await live.log.by_sender(sender)
    if found is None or found[1]:
        raise ApiError(404, "unknown conversation")
    return web.json_response(await live.request(found[0].id))


def setup(app: web.Application) -> None:
    app.router.add_post(PATH, post_live)
