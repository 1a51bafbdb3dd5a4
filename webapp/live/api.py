"""POST /api/v1/live: Balie's action asks for a medewerker for a conversation.

Under /api/, so webapp.api's guard demands the Case API token (the action server calls
it, like its other Case API calls). Body `{"melder": "web:<sender>"}`; the answer says
whether the conversation joined the queue (core/caseapi/client.py `live`). Widget and
Telegram conversations (`telegram:<chat id>`, webapp/live/telegram.py) can be handed
over; any other channel gets `{"wachtrij": false}` (a call-back instead).
"""

from __future__ import annotations

from aiohttp import web

from core.kcc import API_PATH
from core.safe_json import InvalidJson, loads
from webapp.bodies import read_body
from webapp.errors import ApiError
from webapp.live.service import LIVE_KEY
from webapp.live.telegram import TELEGRAM_KEY, chat_of

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
    if kanaal == "telegram":
        telegram = request.app[TELEGRAM_KEY]
        conversation = await telegram.conversation(chat_of(melder), create=True)
        if conversation is None:
            raise ApiError(404, "unknown conversation")
        return web.json_response(await live.request(conversation.id))
    if kanaal != "web":
        return web.json_response({"wachtrij": False})
    found = await live.log.by_sender(sender)
    if found is None or found[1]:
        raise ApiError(404, "unknown conversation")
    return web.json_response(await live.request(found[0].id))


async def get_live(request: web.Request) -> web.Response:
    """Is a medewerker free to chat now? Balie offers a chat when so, else a call-back."""
    return web.json_response({"beschikbaar": await request.app[LIVE_KEY].available()})


def setup(app: web.Application) -> None:
    app.router.add_post(PATH, post_live)
    app.router.add_get(PATH, get_live)
