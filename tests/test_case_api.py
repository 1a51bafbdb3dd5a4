"""The Case API over real HTTP on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import aiohttp
import pytest
import pytest_asyncio

from core import photos
from tests.images import jpeg_bytes, png_bytes
from tests.webapp import AUTH, serve

MELDING = {
    "type": "melding",
    "omschrijving": "Er ligt al een week een berg grofvuil naast de container.",
    "categorie": "grofvuil",
    "locatie": {"straat": "Molenweg", "huisnummer": "3"},
    "kanaal": "rest",
}


@pytest_asyncio.fixture
async def api(db_url, tmp_path):
    async with serve(db_url, tmp_path) as (_, settings):
        async with aiohttp.ClientSession(f"{settings.web_url}", headers=AUTH) as http:
            yield http


async def test_create_get_patch_and_history(api) -> None:
    async with api.post("/api/v1/cases", json=MELDING) as resp:
        assert resp.status == 201
        case = await resp.json()
    ident = case["identificatie"]
    assert ident.startswith("M-") and len(case["controlecode"]) == 6
    assert resp.headers["Location"] == f"/api/v1/cases/{ident}"
    # Lookup accepts lower case and missing dashes.
    async with api.get(f"/api/v1/cases/{ident.replace('-', '').lower()}") as resp:
        got = await resp.json()
        assert resp.status == 200 and got["identificatie"] == ident
        assert "controlecode" not in got and got["bijlagen"] == []
    body = {"status": "ingepland", "toelichting": "Donderdag wordt het opgehaald."}
    async with api.patch(
        f"/api/v1/cases/{ident}", json=body, headers={"X-Balie-Door": "anna"}
    ) as resp:
        assert resp.status == 200
        history = (await resp.json())["statusgeschiedenis"]
    assert [(h["status"], h["door"]) for h in history] == [
        ("gemeld", "melder"),
        ("ingepland", "anna"),
    ]
    async with api.patch(f"/api/v1/cases/{ident}", json={"status": "gemeld"}) as resp:
        assert resp.status == 409
        assert "cannot go from" in (await resp.json())["error"]


async def test_idempotent_post(api) -> None:
    headers = {"Idempotency-Key": "abc-123"}
    async with api.post("/api/v1/cases", json=MELDING, headers=headers) as first:
        one = await first.json()
    async with api.post("/api/v1/cases", json=MELDING, headers=headers) as again:
        two = await again.json()
    assert (first.status, again.status) == (201, 200)
    assert one["identificatie"] == two["identificatie"] and "controlecode" not in two


async def test_inzage(api) -> None:
    async with api.post("/api/v1/cases", json=MELDING | {"melder": "web:abc"}) as resp:
        case = await resp.json()
    url = f"/api/v1/cases/{case['identificatie']}/inzage"
    async with api.post(url, json={"controlecode": case["controlecode"]}) as resp:
        view = await resp.json()
        assert resp.status == 200 and view["status"] == "gemeld"
        assert "omschrijving" not in view and "contact" not in view
    async with api.post(url, json={"melder": "web:abc"}) as resp:
        assert resp.status == 200
    async with api.post(url, json={"controlecode": "ZZZZZZ"}) as wrong:
        wrong_body = await wrong.json()
    async with api.post(
        "/api/v1/cases/M-2026-999999/inzage", json={"controlecode": "ZZZZZZ"}
    ) as unknown:
        unknown_body = await unknown.json()
    # Same answer: nobody can tell an unknown case from a wrong code.
    assert (wrong.status, wrong_body) == (unknown.status, unknown_body) == (404, unknown_body)


async def test_list_filters_and_paging(api) -> None:
    for _ in range(3):
        async with api.post("/api/v1/cases", json=MELDING):
            pass
    async with api.get("/api/v1/cases", params={"type": "melding", "per_page": "2"}) as resp:
        page = await resp.json()
    assert (page["total"], len(page["items"]), page["next_page"]) == (3, 2, 2)
    async with api.get("/api/v1/cases", params={"status": "afgehandeld"}) as resp:
        assert (await resp.json())["total"] == 0
    async with api.get("/api/v1/cases", params={"since": "2020-01-01"}) as resp:
        assert (await resp.json())["total"] == 3


async def test_photos(api) -> None:
    async with api.post("/api/v1/cases", json=MELDING) as resp:
        ident = (await resp.json())["identificatie"]
    url = f"/api/v1/cases/{ident}/bijlagen"
    headers = {"Content-Type": "image/jpeg"}
    async with api.post(
        url, data=jpeg_bytes(), headers=headers, params={"bestandsnaam": "../../etc/x.jpg"}
    ) as resp:
        assert resp.status == 201
        photo = await resp.json()
    assert photo["bestandsnaam"] == "x.jpg" and photo["content_type"] == "image/jpeg"
    async with api.get(photo["url"]) as resp:
        assert resp.status == 200 and await resp.read() == jpeg_bytes()
    # The bytes decide the type, not the label.
    async with api.post(url, data=png_bytes(), headers=headers) as resp:
        assert resp.status == 201 and (await resp.json())["content_type"] == "image/png"
    async with api.post(
        url, data=b"<svg onload=alert(1)>", headers={"Content-Type": "image/png"}
    ) as resp:
        assert resp.status == 415
    async with api.post(url, data=b"GIF89a....", headers={"Content-Type": "image/gif"}) as resp:
        assert resp.status == 415
    async with api.post(url, data=b"\xff" * (photos.MAX_BYTES + 1), headers=headers) as resp:
        assert resp.status == 413
    async with api.post(
        "/api/v1/cases/M-2026-999999/bijlagen", data=png_bytes(), headers=headers
    ) as resp:
        assert resp.status == 404


async def test_callbacks(api) -> None:
    body = {"naam": "Frits", "telefoon": "010 123 4567", "voorkeur": "morgenochtend"}
    async with api.post("/api/v1/terugbelverzoeken", json=body) as resp:
        assert resp.status == 201
    async with api.get("/api/v1/terugbelverzoeken") as resp:
        items = (await resp.json())["items"]
    assert [i["naam"] for i in items] == ["Frits"]


async def test_status_message_opt_outs(api) -> None:
    url = "/api/v1/afmeldingen/telegram:4242"
    async with api.get(url) as resp:
        assert resp.status == 404
    async with api.put(url) as first, api.put(url) as again:
        assert (first.status, again.status) == (201, 200)
    async with api.get(url) as resp:
        assert resp.status == 200
    async with api.delete(url) as resp:
        assert resp.status == 204
    async with api.delete(url) as resp:
        assert resp.status == 404
    async with api.put("/api/v1/afmeldingen/geen melder") as resp:
        assert resp.status == 400


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        (
            "post",
            "/api/v1/cases",
            {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
            400,
        ),
        ("post", "/api/v1/cases", {"json": ["a list"]}, 400),
        ("post", "/api/v1/cases", {"data": b"type=melding"}, 415),
        ("post", "/api/v1/cases", {"json": MELDING | {"geheim": 1}}, 422),
        ("post", "/api/v1/cases", {"json": MELDING | {"omschrijving": "x" * 70_000}}, 413),
        ("post", "/api/v1/cases", {"json": MELDING | {"type": "klacht"}}, 422),
        # Year 359 in Europe/Amsterdam has the offset +00:19:32, which no client reads back.
        ("post", "/api/v1/cases", {"json": MELDING | {"tijdstip": "0359-04-23T10:00:00Z"}}, 422),
        (
            "post",
            "/api/v1/cases",
            {"json": MELDING, "headers": {"Idempotency-Key": "x" * 101}},
            400,
        ),
        ("patch", "/api/v1/cases/M-2026-000001", {"json": {"status": "klaar"}}, 422),
        ("patch", "/api/v1/cases/M-2026-999999", {"json": {"status": "afgehandeld"}}, 404),
        ("get", "/api/v1/cases/geen-nummer", {}, 404),
        ("get", "/api/v1/cases", {"params": {"page": "0"}}, 400),
        ("get", "/api/v1/cases", {"params": {"per_page": "9999"}}, 400),
        ("get", "/api/v1/cases", {"params": {"status": "klaar"}}, 400),
        ("get", "/api/v1/cases", {"params": {"since": "gisteren"}}, 400),
        ("get", "/api/v1/cases", {"params": {"sort": "x"}}, 400),
        ("delete", "/api/v1/cases/M-2026-000001", {}, 405),
        ("get", "/api/v1/bestaat-niet", {}, 404),
    ],
)
async def test_bad_requests_get_a_clear_4xx(api, method, path, kwargs, status) -> None:
    async with api.request(method, path, **kwargs) as resp:
        body = await resp.json()
    assert resp.status == status, body
    assert body["status"] == status and body["error"]


@pytest.mark.parametrize("auth", [None, "Bearer wrong", "Basic dGVzdA==", "Bearer "])
async def test_401_without_a_valid_token(api, auth) -> None:
    headers = {"Authorization": auth} if auth else {}
    async with aiohttp.ClientSession() as anonymous:
        url = str(api._base_url) + "/api/v1/cases"
        async with anonymous.get(url, headers=headers) as resp:
            assert resp.status == 401
            assert (await resp.json())["error"]


async def test_openapi_document(api) -> None:
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(str(api._base_url) + "/api/v1/openapi.json") as resp:
            doc = await resp.json()
    assert doc["openapi"].startswith("3.")
    assert {"/cases", "/cases/{identificatie}", "/terugbelverzoeken"} <= set(doc["paths"])
    assert "CaseIn" in doc["components"]["schemas"]
