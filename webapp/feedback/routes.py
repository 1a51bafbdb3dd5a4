"""POST /api/v1/feedback: a resident's thumbs up/down, sent by Balie's channels.

Under /api/, so webapp.api's guard demands the Case API token (the Telegram connector
and the widget relay call it server-side; a browser never holds the token).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from core.feedback import API_PATH
from core.safe_json import InvalidJson, loads
from webapp.api import STORE_KEY
from webapp.bodies import read_body
from webapp.errors import ApiError
from webapp.feedback.store import FeedbackIn, InvalidFeedback, record

PATH = "/api/v1" + API_PATH
MAX_JSON = 16 * 1024
FIELDS = {"gesprek", "onderwerp", "goed", "opmerking", "vraag", "antwoord"}


def _feedback(data: Any) -> FeedbackIn:
    if not isinstance(data, dict):
        raise ApiError(400, "body must be a JSON object")
    unknown = set(data) - FIELDS
    if unknown:
        raise ApiError(400, f"unknown fields: {', '.join(sorted(unknown))}")
    if not isinstance(data.get("goed"), bool):
        raise ApiError(400, "goed must be true or false")
    texts = {k: data.get(k, "") for k in FIELDS - {"goed"}}
    if not all(isinstance(v, str) for v in texts.values()):
        raise ApiError(400, "gesprek, onderwerp, opmerking, vraag and antwoord must be strings")
    try:
        return FeedbackIn(goed=data["goed"], **texts).checked()
    except InvalidFeedback as exc:
        raise ApiError(400, str(exc)) from None


async def post_feedback(request: web.Request) -> web.Response:
    """201 when stored, 409 when this conversation already rated this topic."""
    if request.content_type != "application/json":
        raise ApiError(415, "send JSON with Content-Type: application/json")
    try:
        data = loads(await read_body(request, MAX_JSON))
    except InvalidJson as exc:
        raise ApiError(400, str(exc)) from None
    feedback = _feedback(data)
    if not await record(request.app[STORE_KEY].engine, feedback):
        raise ApiError(409, "feedback on this topic was already given in this conversation")
    return web.json_response({"opgeslagen": True}, status=201)


def setup(app: web.Application) -> None:
    app.router.add_post(PATH, post_feedback)
