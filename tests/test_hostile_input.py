"""No input makes the web app answer 5xx: hostile headers, JSON, numbers and ids.

Each case that used to end in a 500 gets a clear 4xx JSON error now; then every route
of the web app (enumerated from its router) gets every header Balie reads, filled
with bytes that are not UTF-8, over a raw socket, and must not answer 5xx.
"""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from core.widget_protocol import SECRET_HEADER
from tests import rawhttp
from tests.images import jpeg_bytes
from tests.staff_helpers import Client, create_users
from tests.test_case_api import MELDING
from tests.webapp import AUTH, TOKEN, serve
from webapp.staff.users import ROLES

NOT_UTF8 = b"\xff\xfe\xc3\x28 \xe9t\xe9 \x80"  # latin-1 and broken UTF-8
BEARER = b"Bearer " + TOKEN.encode()


class App:
    def __init__(self, app: web.Application, host: str, port: int, http: aiohttp.ClientSession):
        self.app, self.host, self.port, self.http = app, host, port, http

    async def raw(
        self, method: str, target: str, headers: list[tuple[bytes, bytes]], body: bytes = b""
    ) -> rawhttp.RawResponse:
        return await rawhttp.request(self.host, self.port, method, target, headers, body)

    async def case(self) -> dict[str, Any]:
        async with self.http.post("/api/v1/cases", json=MELDING) as resp:
            assert resp.status == 201
            return await resp.json()

    async def session(self) -> str:
        base = str(self.http._base_url)
        async with self.http.ws_connect("/chat/ws", origin=base) as ws:
            await ws.send_json({"type": "hello"})
            return (await ws.receive_json())["session"]


@pytest_asyncio.fixture
async def web_app(db_url, tmp_path):
    async with serve(db_url, tmp_path) as (app, settings):
        async with aiohttp.ClientSession(settings.web_url, headers=AUTH) as http:
            yield App(app, settings.host, settings.web_port, http)


def assert_json_4xx(response: rawhttp.RawResponse, status: int) -> dict[str, Any]:
    assert response.status == status, (response.status, response.body[:500])
    body = response.json()
    assert body["error"]
    return body


# -- each case found ------------------------------------------------------------------------


async def test_headers_that_are_not_utf8(web_app: App) -> None:
    case = await web_app.case()
    raw = web_app.raw
    # Without any credential: no more 500.
    got = await raw("GET", "/api/v1/cases", [(b"Authorization", b"Bearer " + NOT_UTF8)])
    assert_json_4xx(got, 401)
    got = await raw("GET", "/metrics", [(b"Authorization", b"Bearer " + NOT_UTF8)])
    assert got.status < 500
    got = await raw("GET", "/models/live.tar.gz", [(b"Authorization", b"Bearer " + NOT_UTF8)])
    assert_json_4xx(got, 401)
    callback = json.dumps({"recipient_id": "x", "text": "hoi"}).encode()
    got = await raw("POST", "/chat/callback", [(SECRET_HEADER.encode(), NOT_UTF8)], callback)
    assert_json_4xx(got, 401)
    got = await raw("POST", "/chat/upload", [(b"X-Balie-Sessie", NOT_UTF8)], jpeg_bytes())
    assert assert_json_4xx(got, 401)["melding"]
    # With the token: a name that is not text is refused, not stored.
    patch = json.dumps({"status": "in_behandeling"}).encode()
    got = await raw(
        "PATCH",
        f"/api/v1/cases/{case['identificatie']}",
        [
            (b"Authorization", BEARER),
            (b"Content-Type", b"application/json"),
            (b"X-Balie-Door", NOT_UTF8),
        ],
        patch,
    )
    assert_json_4xx(got, 400)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"type": "melding", "omschrijving": "kapot \\ud800 licht", "kanaal": "rest"}', "surr"),
        ('{"type": "melding", "omschrijving": "kapot\\u0000licht", "kanaal": "rest"}', "NUL"),
        ('{"type": "melding", "omschrijving": "x" ' + '{"a":' * 2000, "valid JSON"),
        ('{"a": ' + "[" * 2000 + "]" * 2000 + "}", "deeper"),
        ('{"a": ' + "[" * 100 + "]" * 100 + "}", "deeper"),
        ('{"locatie": {"lat": NaN}}', "NaN"),
        ('{"locatie": {"lat": 1' + "0" * 400 + "}}", "too large"),
        ('{"locatie": {"lat": 1' + "0" * 5000 + "}}", "valid JSON"),
        (b'{"omschrijving": "\xff\xfe"}', "valid JSON"),
    ],
)
async def test_json_a_parser_accepts_but_balie_cannot_use(web_app: App, body, reason) -> None:
    data = body if isinstance(body, bytes) else body.encode()
    async with web_app.http.post(
        "/api/v1/cases", data=data, headers={"Content-Type": "application/json"}
    ) as resp:
        answer = await resp.json()
    assert resp.status == 400, answer
    assert reason in answer["error"]


@pytest.mark.parametrize(
    ("target", "status"),
    [
        ("/api/v1/cases?page=%C2%B2", 400),  # '²': isdigit() is true, int() refuses it
        ("/api/v1/cases?page=%D9%A1%D9%A2", 400),  # Arabic-Indic 12: int() reads it
        ("/api/v1/cases?per_page=" + "9" * 30, 400),
        ("/api/v1/cases?zoek=a%00b", 400),
        ("/api/v1/cases/M-2026-000001/bijlagen/9223372036854775808", 404),  # 2**63
        ("/api/v1/cases/M-2026-000001/bijlagen/2147483648", 404),  # past PostgreSQL integer
        ("/api/v1/cases/M-2026-000001/bijlagen/%D9%A1", 404),
        ("/api/v1/uploads/a%00b", 400),
        ("/api/v1/afmeldingen/telegram:%FF", 400),
    ],
)
async def test_numbers_ids_and_urls(web_app: App, target, status) -> None:
    got = await web_app.raw("GET", target, [(b"Authorization", BEARER)])
    assert_json_4xx(got, status)


async def test_widget_frames_with_hostile_json_get_a_notice(web_app: App) -> None:
    base = str(web_app.http._base_url)
    async with web_app.http.ws_connect("/chat/ws", origin=base) as ws:
        await ws.send_str('{"type": "hello", "session": "\\udcff"}')
        assert (await ws.receive_json())["code"] == "onleesbaar"
    async with web_app.http.ws_connect("/chat/ws", origin=base) as ws:
        await ws.send_json({"type": "hello"})
        assert (await ws.receive_json())["type"] == "welcome"
        assert (await ws.receive_json())["type"] == "synced"
        for frame in (
            '{"type": "message", "id": "a", "text": "' + "[" * 3000,
            '{"type": "message", "id": "b", "text": ' + "[" * 3000 + "]" * 3000 + "}",
            '{"type": "message", "id": "c", "text": "hoi \\ud800"}',
        ):
            await ws.send_str(frame)
            answer = await ws.receive_json()
            assert answer["type"] == "error" and answer["code"] == "onleesbaar", answer
        assert not ws.closed


# -- every route, every header ------------------------------------------------------------

HEADERS = [
    b"Authorization",
    b"X-Balie-Channel-Secret",
    b"X-Balie-Sessie",
    b"X-Balie-Door",
    b"Idempotency-Key",
    b"Origin",
    b"Cookie",
    b"If-None-Match",
    b"Content-Type",
    b"Accept",
    b"Accept-Language",
    b"Referer",
    b"User-Agent",
    b"X-Forwarded-For",
    b"X-CSRF-Token",
]


def concrete(path: str, ident: str) -> str:
    """A real URL for a route template: a case that exists, numbers where numbers go."""
    path = path.replace("{identificatie}", ident)
    path = re.sub(r"\{[^}]*\\d[^}]*\}", "1", path)
    return re.sub(r"\{[^}]+\}", "x", path)


def targets(app: web.Application, ident: str) -> list[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        if "prefix" in info:  # the static files
            path = info["prefix"] + "/widget.js"
        else:
            path = concrete(info.get("path") or info.get("formatter", "/"), ident)
        methods = (
            ("GET", "POST", "PUT", "PATCH", "DELETE") if route.method == "*" else (route.method,)
        )
        found.update((m, path) for m in methods if m != "HEAD")
    return sorted(found)


async def test_every_route_survives_hostile_headers(web_app: App) -> None:
    ident = (await web_app.case())["identificatie"]
    session = (await web_app.session()).encode()
    routes = targets(web_app.app, ident)
    assert len(routes) > 40 and ("GET", "/staff/zaken") in routes
    failures = []
    for method, path in routes:
        for name in HEADERS:
            headers = [(b"Authorization", BEARER), (b"X-Balie-Sessie", session)]
            headers = [(n, v) for n, v in headers if n != name] + [(name, NOT_UTF8)]
            body = b'{"status": "gemeld"}' if method in ("POST", "PUT", "PATCH") else b""
            got = await web_app.raw(method, path, headers, body)
            if got.status >= 500:
                failures.append((method, path, name.decode(), got.status, got.body[:200]))
    assert failures == []


# -- the staff console's forms --------------------------------------------------------------

FIELDS = (
    "actie antwoord gebruikersnaam herhaling huidig intent overrulen reden rollen status "
    "tekst toelichting volgende vragen wachtwoord"
).split()


async def test_staff_forms_survive_hostile_values(web_app: App, db_url: str) -> None:
    """Every console form, logged in with every role, with NUL, bytes that are not UTF-8
    and Unicode digits in every field it reads: never a 5xx."""
    await create_users(db_url, {"beheer": list(ROLES)})
    ident = (await web_app.case())["identificatie"]
    staff = Client(str(web_app.http._base_url).rstrip("/"))
    try:
        status, _ = await staff.login("beheer")
        assert status == 200
        posts = [p for m, p in targets(web_app.app, ident) if m == "POST" and "/staff/" in p]
        assert len(posts) > 10
        failures = []
        for path in posts:
            if path.endswith("/uitloggen"):
                continue
            for value in ("a\x00b", "²", "١٢", "9" * 30):
                form = [(name, value) for name in FIELDS]
                status, body = await staff.post(path, form, follow=False)
                if status >= 500:
                    failures.append((path, repr(value), status, body[:200]))
            raw = "&".join(f"{name}=%FF%FE%ED%A0%80" for name in FIELDS) + f"&csrf={staff.csrf}"
            for content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                async with staff.http.post(
                    staff.base + path,
                    data=raw.encode(),
                    headers={"Content-Type": content_type},  # multipart without a boundary
                    allow_redirects=False,
                ) as resp:
                    if resp.status >= 500:
                        failures.append((path, content_type, resp.status, await resp.text()))
        assert failures == []
    finally:
        await staff.close()
