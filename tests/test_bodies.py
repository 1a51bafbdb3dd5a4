"""Request bodies arrive whole and photos are stored byte for byte, on SQLite and PostgreSQL.

Real JPEGs and PNGs of about 1, 4 and 7 MB go through the Case API (with a
Content-Length and chunked) and through the widget's upload route, and come back
unchanged. Photos are decoded in full: one cut short or with corrupt image data
(a PNG claiming 7000x7000) is refused with 422 and, in the widget, a Dutch message.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from core import photos
from tests import test_case_api
from tests.images import corrupt_png, photo_bytes

api = test_case_api.api  # the web app on loopback with a token, on both databases
SIZES = [1, 4, 7]
KINDS = {"JPEG": "image/jpeg", "PNG": "image/png"}


async def chunked(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """A body without Content-Length, in many small pieces (Transfer-Encoding: chunked)."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def new_case(api: aiohttp.ClientSession) -> str:
    async with api.post("/api/v1/cases", json=test_case_api.MELDING) as resp:
        assert resp.status == 201
        return (await resp.json())["identificatie"]


async def widget_session(api: aiohttp.ClientSession) -> str:
    """A conversation's session token, as the widget gets it over its WebSocket."""
    base = str(api._base_url)
    async with aiohttp.ClientSession() as browser:
        async with browser.ws_connect(f"{base}/chat/ws", origin=base) as ws:
            await ws.send_json({"type": "hello"})
            welcome = await ws.receive_json()
    assert welcome["type"] == "welcome"
    assert welcome["max_photo_bytes"] == photos.MAX_BYTES  # the widget's limit is the server's
    return welcome["session"]


@pytest.mark.parametrize("kind", KINDS)
async def test_case_api_stores_photos_byte_for_byte(api, kind) -> None:
    ident = await new_case(api)
    for megabytes in SIZES:
        data = photo_bytes(kind, megabytes)
        for body in (data, chunked(data)):
            async with api.post(
                f"/api/v1/cases/{ident}/bijlagen",
                data=body,
                headers={"Content-Type": KINDS[kind]},
                params={"bestandsnaam": f"foto-{megabytes}mb"},
            ) as resp:
                assert resp.status == 201, await resp.text()
                stored = await resp.json()
            assert stored["grootte"] == len(data) and stored["content_type"] == KINDS[kind]
            async with api.get(stored["url"]) as resp:
                assert resp.status == 200 and await resp.read() == data
    # A channel's staged upload takes the same path.
    data = photo_bytes(kind, 7)
    async with api.post("/api/v1/uploads", data=chunked(data)) as resp:
        assert resp.status == 201, await resp.text()
        upload = await resp.json()
    async with api.get(f"/api/v1/uploads/{upload['upload_id']}") as resp:
        assert await resp.read() == data


async def test_widget_upload_stores_photos_byte_for_byte(api) -> None:
    session = await widget_session(api)
    for kind in KINDS:
        for megabytes in SIZES:
            data = photo_bytes(kind, megabytes)
            async with api.post(
                "/chat/upload",
                data=data,
                params={"bestandsnaam": "straat.jpg"},
                headers={"X-Balie-Sessie": session, "Content-Type": KINDS[kind]},
            ) as resp:
                assert resp.status == 201, await resp.text()
                upload_id = (await resp.json())["upload_id"]
            async with api.get(f"/api/v1/uploads/{upload_id}") as resp:
                assert await resp.read() == data


async def test_cut_off_and_corrupt_photos_are_refused(api) -> None:
    ident = await new_case(api)
    url = f"/api/v1/cases/{ident}/bijlagen"
    cut = photo_bytes("JPEG", 1)[: 256 * 1024]  # what reading one buffer used to store
    for data in (cut, photo_bytes("PNG", 1)[:-4096], corrupt_png()):
        async with api.post(url, data=data, headers={"Content-Type": "image/png"}) as resp:
            body = await resp.json()
            assert resp.status == 422, body
            assert "corrupt or incomplete" in body["error"]
    async with api.get(f"/api/v1/cases/{ident}") as resp:
        assert (await resp.json())["bijlagen"] == []
    # The widget says so in Dutch.
    session = await widget_session(api)
    async with api.post(
        "/chat/upload", data=corrupt_png(), headers={"X-Balie-Sessie": session}
    ) as resp:
        body = await resp.json()
    assert resp.status == 422 and body["error"] == "foto_kapot"
    assert "beschadigd" in body["melding"]


async def test_too_large_is_413_however_it_is_sent(api) -> None:
    ident = await new_case(api)
    too_big = b"\xff" * (photos.MAX_BYTES + 1)
    for body in (too_big, chunked(too_big, 1024**2)):
        async with api.post(f"/api/v1/cases/{ident}/bijlagen", data=body) as resp:
            assert resp.status == 413
            assert "10 MB" in (await resp.json())["error"]
    session = await widget_session(api)
    async with api.post(
        "/chat/upload", data=chunked(too_big, 1024**2), headers={"X-Balie-Sessie": session}
    ) as resp:
        body = await resp.json()
    assert resp.status == 413 and "10 MB" in body["melding"]


async def test_json_bodies_are_read_whole_even_chunked(api) -> None:
    raw = json.dumps(test_case_api.MELDING).encode()
    async with api.post(
        "/api/v1/cases",
        data=chunked(raw, 7),
        headers={"Content-Type": "application/json"},
    ) as resp:
        assert resp.status == 201, await resp.text()
    big = b'{"omschrijving": "' + b"x" * 70_000 + b'"}'
    async with api.post(
        "/api/v1/cases", data=chunked(big, 1000), headers={"Content-Type": "application/json"}
    ) as resp:
        assert resp.status == 413
