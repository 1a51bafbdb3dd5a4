"""The Case API's receipts of cases in an external system (`/api/v1/ontvangstbewijzen`).

The action server's Signalen and ZGW adapters record and read their receipts here
(core/caseapi/models.py); the web app owns the table and its identifier counters. Behind the
Case API's bearer token, like every route under /api/v1. The adapters' status news
(`…/statusnieuws`) is recorded here and pushed to the reporter's chat.
"""

from __future__ import annotations

from aiohttp import web

from core.caseapi.models import (
    FollowIn,
    InzageIn,
    Receipt,
    ReceiptIn,
    ReceiptList,
    StatusNews,
    StatusNewsIn,
)
from core.domain import EXTERNAL_BACKENDS
from core.dutch.patterns import normalize_zaaknummer
from webapp import push
from webapp.api import STORE_KEY, _idempotency_key, answer, parse
from webapp.cases.receipts import Receipts
from webapp.errors import ApiError

RECEIPTS_KEY = web.AppKey("receipts", Receipts)
routes = web.RouteTableDef()


def listing(receipts: list[Receipt]) -> web.Response:
    return answer(ReceiptList(items=receipts))


@routes.post("/api/v1/ontvangstbewijzen")
async def record(request: web.Request) -> web.Response:
    key = _idempotency_key(request)
    if key is None:
        raise ApiError(400, "an Idempotency-Key header is required")
    receipt: ReceiptIn = await parse(request, ReceiptIn)
    stored, new = await request.app[RECEIPTS_KEY].record(receipt, key)
    return answer(stored, 201 if new else 200)


@routes.get("/api/v1/ontvangstbewijzen")
async def find(request: web.Request) -> web.Response:
    """`?sleutel=` the receipt of one submission (0 or 1 items), `?melder=[&backend=]`
    a reporter's receipts, newest first."""
    receipts = request.app[RECEIPTS_KEY]
    key, melder = request.query.get("sleutel"), request.query.get("melder")
    backend = request.query.get("backend")
    if backend is not None and backend not in EXTERNAL_BACKENDS:
        raise ApiError(400, f"'backend' is one of {', '.join(EXTERNAL_BACKENDS)}")
    extern = request.query.get("extern")
    if key is not None and melder is None and extern is None:
        found = await receipts.by_key(key)
        return listing([found] if found else [])
    if melder is not None and key is None and extern is None and len(melder) <= 120:
        return listing(await receipts.for_melder(melder, backend))
    if backend is not None and key is None and melder is None:
        if extern is None:
            return listing(await receipts.of_backend(backend))
        if len(extern) <= 500:
            found = await receipts.by_external_url(backend, extern)
            return listing([found] if found else [])
    raise ApiError(
        400,
        "give 'sleutel', 'melder' (at most 120 characters), or 'backend' with or without "
        "'extern' (at most 500 characters)",
    )


@routes.get("/api/v1/ontvangstbewijzen/{identificatie}")
async def get(request: web.Request) -> web.Response:
    identificatie = normalize_zaaknummer(request.match_info["identificatie"])
    found = await request.app[RECEIPTS_KEY].find(identificatie) if identificatie else None
    if found is None:
        raise ApiError(404, "receipt not found")
    return answer(found)


@routes.post("/api/v1/ontvangstbewijzen/{identificatie}/inzage")
async def inzage(request: web.Request) -> web.Response:
    """A resident's receipt by controlecode or as its own reporter; 404 otherwise."""
    proof: InzageIn = await parse(request, InzageIn)
    identificatie = normalize_zaaknummer(request.match_info["identificatie"]) or ""
    found = await request.app[RECEIPTS_KEY].authorize(
        identificatie, proof.controlecode, proof.melder
    )
    if found is None:
        raise ApiError(404, "receipt not found")
    return answer(found)


@routes.post("/api/v1/ontvangstbewijzen/{identificatie}/volgers")
async def follow(request: web.Request) -> web.Response:
    """A resident who reported an open melding in Signalen or ZGW again follows it: 201,
    200 for the same key (or chat) again, 404, or 409 for a verzoek or a closed case."""
    key = _idempotency_key(request)
    if key is None:
        raise ApiError(400, "an Idempotency-Key header is required")
    follower: FollowIn = await parse(request, FollowIn)
    identificatie = normalize_zaaknummer(request.match_info["identificatie"]) or ""
    try:
        found = await request.app[RECEIPTS_KEY].follow(identificatie, follower, key)
    except ValueError as exc:
        raise ApiError(409, str(exc)) from exc
    if found is None:
        raise ApiError(404, "receipt not found")
    receipt, new = found
    return answer(receipt, 201 if new else 200)


@routes.post("/api/v1/ontvangstbewijzen/{identificatie}/statusnieuws")
async def status_news(request: web.Request) -> web.Response:
    """A status Signalen or ZGW set: pushed to the reporter's chat like a built-in status
    change (webapp/push.py), once, unless they opted out."""
    news: StatusNewsIn = await parse(request, StatusNewsIn)
    identificatie = normalize_zaaknummer(request.match_info["identificatie"]) or ""
    outcome = await request.app[RECEIPTS_KEY].status_news(identificatie, news)
    if outcome is None:
        raise ApiError(404, "receipt not found")
    pushed = False
    if outcome.uitkomst == "nieuw" and not outcome.first:
        # The reporter and every resident who follows the case, as for a built-in case.
        for melder in await request.app[STORE_KEY].listening(outcome.melders):
            request.app[push.PUSHER_KEY].schedule(melder, identificatie)
            pushed = True
    return answer(
        StatusNews(identificatie=identificatie, uitkomst=outcome.uitkomst, gepusht=pushed)
    )


def setup(app: web.Application, receipts: Receipts) -> None:
    app[RECEIPTS_KEY] = receipts
    app.add_routes(routes)
