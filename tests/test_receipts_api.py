"""The Case API's receipts of external cases: the web app owns them, the adapters ask."""

from __future__ import annotations

import aiohttp
import pytest

from tests.webapp import AUTH, case_api

RECEIPT = {
    "backend": "signalen",
    "type": "melding",
    "external_id": "uuid-1",
    "categorie": "grofvuil",
    "melder": "telegram:1",
    "controlecode": "ab3d7k",
}


@pytest.fixture
async def api(db_url, tmp_path):
    async with case_api(db_url, tmp_path) as url:
        async with aiohttp.ClientSession() as http:
            yield http, url


async def test_receipts_need_the_token(api) -> None:
    http, url = api
    for method, path in (
        ("POST", "/ontvangstbewijzen"),
        ("GET", "/ontvangstbewijzen?melder=x"),
        ("GET", "/ontvangstbewijzen/M-2026-000001"),
        ("POST", "/ontvangstbewijzen/M-2026-000001/inzage"),
    ):
        async with http.request(method, url + path, json={}) as resp:
            assert resp.status == 401, path


async def test_record_is_idempotent_and_numbers_follow_the_counters(api) -> None:
    http, url = api
    headers = {**AUTH, "Idempotency-Key": "k1"}
    async with http.post(f"{url}/ontvangstbewijzen", json=RECEIPT, headers=headers) as resp:
        assert resp.status == 201
        first = await resp.json()
    assert first["identificatie"].startswith("M-") and "controlecode" not in first
    assert "melder" not in first
    again = {**RECEIPT, "external_id": "uuid-2"}
    async with http.post(f"{url}/ontvangstbewijzen", json=again, headers=headers) as resp:
        assert resp.status == 200 and (await resp.json()) == first
    async with http.get(f"{url}/ontvangstbewijzen", params={"sleutel": "k1"}, headers=AUTH) as r:
        assert (await r.json())["items"] == [first]
    async with http.get(f"{url}/ontvangstbewijzen", params={"sleutel": "k2"}, headers=AUTH) as r:
        assert (await r.json())["items"] == []


async def test_inzage_wants_the_code_or_the_reporter(api) -> None:
    http, url = api
    headers = {**AUTH, "Idempotency-Key": "k1"}
    async with http.post(f"{url}/ontvangstbewijzen", json=RECEIPT, headers=headers) as resp:
        ident = (await resp.json())["identificatie"]
    inzage = f"{url}/ontvangstbewijzen/{ident.lower().replace('-', '')}/inzage"
    for proof, status in (
        ({"controlecode": "AB3D7K"}, 200),
        ({"melder": "telegram:1"}, 200),
        ({"controlecode": "AB3D7Z"}, 404),
        ({"melder": "telegram:2"}, 404),
    ):
        async with http.post(inzage, json=proof, headers=AUTH) as resp:
            assert resp.status == status, proof
    async with http.post(
        f"{url}/ontvangstbewijzen/M-2026-999999/inzage",
        json={"controlecode": "AB3D7K"},
        headers=AUTH,
    ) as resp:
        assert resp.status == 404


@pytest.mark.parametrize(
    "body, headers, status",
    [
        (RECEIPT, {}, 400),  # no Idempotency-Key
        ({**RECEIPT, "backend": "builtin"}, {"Idempotency-Key": "k"}, 422),
        ({**RECEIPT, "controlecode": "000000"}, {"Idempotency-Key": "k"}, 422),
        ({**RECEIPT, "aangemaakt_op": "2026-11-21T23:00:00"}, {"Idempotency-Key": "k"}, 422),
        ({**RECEIPT, "extra": 1}, {"Idempotency-Key": "k"}, 422),
        ({**RECEIPT, "external_id": ""}, {"Idempotency-Key": "k"}, 422),
    ],
)
async def test_bad_receipts_get_a_clear_4xx(api, body, headers, status) -> None:
    http, url = api
    async with http.post(
        f"{url}/ontvangstbewijzen", json=body, headers={**AUTH, **headers}
    ) as resp:
        assert resp.status == status
        assert "error" in await resp.json()


@pytest.mark.parametrize(
    "params",
    [{}, {"sleutel": "a", "melder": "b"}, {"melder": "x" * 121}, {"melder": "a", "backend": "x"}],
)
async def test_bad_queries_get_400(api, params) -> None:
    http, url = api
    async with http.get(f"{url}/ontvangstbewijzen", params=params, headers=AUTH) as resp:
        assert resp.status == 400
