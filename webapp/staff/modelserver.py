"""The web app as Rasa's model server: `GET /models/live.tar.gz`.

Every Rasa server pulls this URL every BALIE_MODEL_PULL_SECONDS (endpoints.yml
`models:`), sending the ETag of the model it has as If-None-Match. The answer is 304
while the live model stays the same, and the new model file once another one is
promoted or rolled back to; Rasa then loads it without a restart. The bearer token
is the Case API's (BALIE_API_TOKEN): a model contains all training data.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from core.bearer import CHALLENGE, bearer_ok
from webapp.staff.registry import Registry

PATH = "/models/live.tar.gz"
CHUNK = 1 << 20


def _matches(header: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return etag in tags or "*" in tags


def handler(registry: Registry, token: str):
    async def live_model(request: web.Request) -> web.StreamResponse:
        if not bearer_ok(request.headers.get("Authorization"), token):
            return web.json_response(
                {"error": "missing or invalid bearer token", "status": 401},
                status=401,
                headers={"WWW-Authenticate": CHALLENGE},
            )
        entry = await asyncio.to_thread(registry.live)
        if entry is None or not entry.file.exists():
            return web.json_response({"error": "no live model", "status": 404}, status=404)
        headers = {
            "ETag": entry.etag,
            "Cache-Control": "no-cache",
            # Rasa names the downloaded file after this header; /status then shows it.
            "filename": f"{entry.name}.tar.gz",
        }
        if _matches(request.headers.get("If-None-Match", ""), entry.etag):
            return web.Response(status=304, headers=headers)
        response = web.StreamResponse(headers={**headers, "Content-Type": "application/gzip"})
        response.content_length = entry.size
        await response.prepare(request)
        if request.method == "HEAD":
            return response
        with await asyncio.to_thread(open, entry.file, "rb") as model:
            while chunk := await asyncio.to_thread(model.read, CHUNK):
                await response.write(chunk)
        await response.write_eof()
        return response

    return live_model


def setup(app: web.Application, registry: Registry, token: str) -> None:
    app.router.add_get(PATH, handler(registry, token))  # HEAD comes with GET
