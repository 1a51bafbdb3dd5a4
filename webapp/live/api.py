"""POST /api/v1/live: Balie's action asks for a medewerker for a conversation.

Under /api/, so webapp.api's guard demands the Case API token (the action server calls
it, like its other Case API calls). Body `LiveIn` (`{"melder": "web:<sender>"}`), answer
`LiveAnswer`: whether the conversation joined the queue (core/caseapi/client.py `live`);
both are in the Case API's OpenAPI document, so the API fuzzer covers this route. Widget
and Telegram conversations (`telegram:<chat id>`, webapp/live/telegram.py) can be handed
over; any other channel gets `{"wachtrij": false}` (a call-back instead).
"""

from __future__ import annotations

from aiohttp import web

from core.caseapi import models as m
from core.kcc import API_PATH
from webapp.api import parse
from webapp.errors import ApiError
from webapp.live.service import LIVE_KEY
from webapp.live.telegram import TELEGRAM_KEY, chat_of

PATH = "/api/v1" + API_PATH


async def post_live(request: web.Request) -> web.Response:
    melder = (await parse(request, m.LiveIn)).melder
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
    # Through the model: the answer is what the OpenAPI document says it is.
    answer = m.LiveAnswer.parse_obj(await live.request(found[0].id))
    return web.json_response(answer.dict(exclude_unset=True))


async def get_live(request: web.Request) -> web.Response:
    """Is a medewerker free to chat now? Balie offers a chat when so, else a call-back."""
    available = await request.app[LIVE_KEY].available()
    return web.json_response(m.LiveAvailable(beschikbaar=available).dict())


def setup(app: web.Application) -> None:
    app.router.add_post(PATH, post_live)
    app.router.add_get(PATH, get_live)
