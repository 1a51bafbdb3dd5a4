"""The Case API (`/api/v1`): cases, status changes, photos and call-back requests.

Every route needs `Authorization: Bearer <BALIE_API_TOKEN>` except the OpenAPI
document. Errors are JSON with a 4xx status; nothing a client sends yields a 500.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from core import photos
from core.bearer import CHALLENGE, bearer_ok
from core.clock import as_utc, local_iso, zone
from core.dutch.patterns import normalize_zaaknummer
from core.lifecycle import STATUSES, TransitionError
from core.observability import metrics
from core.safe_json import InvalidJson, loads
from webapp import openapi, push
from webapp.bodies import read_body
from webapp.cases.models import Attachment, Callback, Case, Upload
from webapp.cases.schemas import CallbackIn, CaseIn, InzageIn, StatusIn
from webapp.cases.store import CaseStore, Filters
from webapp.errors import ApiError, error
from webapp.inputs import header_text, row_id, whole_number
from webapp.privacy.action_server import OutboxUnavailable
from webapp.privacy.retention import RETENTION_KEY, ForgetIn

log = logging.getLogger(__name__)

STORE_KEY = web.AppKey("store", CaseStore)
TOKEN_KEY = web.AppKey("api_token", str)
MAX_JSON = 64 * 1024
MAX_PER_PAGE = 200
routes = web.RouteTableDef()


@web.middleware
async def api_guard(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Bearer-token check for everything under /api/v1 (errors become JSON in errors.guard)."""
    if not request.path.startswith("/api/") or request.path == "/api/v1/openapi.json":
        return await handler(request)
    if not bearer_ok(request.headers.get("Authorization"), request.app[TOKEN_KEY]):
        response = error(401, "missing or invalid bearer token")
        response.headers["WWW-Authenticate"] = CHALLENGE
        return response
    return await handler(request)


async def parse(request: web.Request, model: type[BaseModel]) -> Any:
    if request.content_type != "application/json":
        raise ApiError(415, "send JSON with Content-Type: application/json")
    try:
        data = loads(await read_body(request, MAX_JSON))
    except InvalidJson as exc:
        raise ApiError(400, str(exc)) from None
    if not isinstance(data, dict):
        raise ApiError(400, "body must be a JSON object")
    try:
        return model.parse_obj(data)
    except ValidationError as exc:
        details = [
            {"veld": ".".join(str(p) for p in e["loc"] if p != "__root__"), "fout": e["msg"]}
            for e in exc.errors()
        ]
        raise ApiError(422, "invalid input", details) from None


def identificatie_of(request: web.Request) -> str:
    value = normalize_zaaknummer(request.match_info["identificatie"])
    if not value:
        raise ApiError(404, "case not found")
    return value


def attachment_json(case: str, attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.id,
        "bestandsnaam": attachment.bestandsnaam,
        "content_type": attachment.content_type,
        "grootte": attachment.grootte,
        "url": f"/api/v1/cases/{case}/bijlagen/{attachment.id}",
    }


def case_json(case: Case, *, detail: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "identificatie": case.identificatie,
        "type": case.type,
        "status": case.status,
        "categorie": case.categorie,
        "onderwerp": case.onderwerp,
        "omschrijving": case.omschrijving,
        "locatie": {
            "straat": case.straat,
            "huisnummer": case.huisnummer,
            "postcode": case.postcode,
            "plaats": case.plaats,
            "lat": case.lat,
            "lon": case.lon,
            "omschrijving": case.locatie_omschrijving,
        },
        "tijdstip": local_iso(case.tijdstip),
        "kanaal": case.kanaal,
        "aangemaakt_op": local_iso(case.aangemaakt_op),
        "gewijzigd_op": local_iso(case.gewijzigd_op),
        "statusgeschiedenis": [
            {
                "status": h.status,
                "toelichting": h.toelichting,
                "door": h.door,
                "op": local_iso(h.op),
            }
            for h in case.history
        ],
    }
    if detail:
        contact = case.contact
        body["contact"] = (
            {"naam": contact.naam, "email": contact.email, "telefoon": contact.telefoon}
            if contact
            else None
        )
    return body


def resident_json(case: Case) -> dict[str, Any]:
    """What a resident may see: status and the latest note, nothing personal."""
    notes = [h.toelichting for h in case.history if h.toelichting]
    return {
        "identificatie": case.identificatie,
        "type": case.type,
        "status": case.status,
        "categorie": case.categorie,
        "onderwerp": case.onderwerp,
        "toelichting": notes[-1] if notes else None,
        "aangemaakt_op": local_iso(case.aangemaakt_op),
        "gewijzigd_op": local_iso(case.gewijzigd_op),
    }


def callback_json(callback: Callback) -> dict[str, Any]:
    return {
        "id": callback.id,
        "naam": callback.naam,
        "telefoon": callback.telefoon,
        "voorkeur": callback.voorkeur,
        "onderwerp": callback.onderwerp,
        "kanaal": callback.kanaal,
        "status": callback.status,
        "aangemaakt_op": local_iso(callback.aangemaakt_op),
    }


def _idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= 100 and key.isprintable()):
        raise ApiError(400, "Idempotency-Key must be 1 to 100 printable characters")
    return key


@routes.post("/api/v1/cases")
async def create_case(request: web.Request) -> web.Response:
    data = await parse(request, CaseIn)
    case, code, created = await request.app[STORE_KEY].create(
        data, idempotency_key=_idempotency_key(request)
    )
    if created:
        metrics.WEB_CASES_CREATED.labels(case.type, case.kanaal).inc()
    body = case_json(case, detail=True)
    if code:
        body["controlecode"] = code  # shown once: only its hash is stored
    response = web.json_response(body, status=201 if created else 200)
    response.headers["Location"] = f"/api/v1/cases/{case.identificatie}"
    return response


@routes.get("/api/v1/cases/{identificatie}")
async def get_case(request: web.Request) -> web.Response:
    case = await request.app[STORE_KEY].get(identificatie_of(request))
    if case is None:
        raise ApiError(404, "case not found")
    body = case_json(case, detail=True)
    attachments = await request.app[STORE_KEY].attachments(case.identificatie)
    body["bijlagen"] = [attachment_json(case.identificatie, a) for a in attachments]
    return web.json_response(body)


def _choice(request: web.Request, name: str, allowed: tuple[str, ...]) -> str | None:
    value = request.query.get(name)
    if value is not None and value not in allowed:
        raise ApiError(400, f"'{name}' must be one of: {', '.join(allowed)}")
    return value


def _positive(request: web.Request, name: str, default: int, maximum: int) -> int:
    value = whole_number(request.query.get(name, str(default)), 1, maximum)
    if value is None:
        raise ApiError(400, f"'{name}' must be a whole number from 1 to {maximum}")
    return value


def _since(request: web.Request) -> datetime | None:
    raw = request.query.get("since")
    if raw is None:
        return None
    if " " in raw[11:]:
        # An unencoded "+01:00" arrives as " 01:00": the offset was meant.
        raw = raw[:11] + raw[11:].replace(" ", "+")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, "'since' must be an ISO date or date-time") from None
    # Without an offset it is the municipality's local time, as staff would mean it.
    return as_utc(value if value.tzinfo else value.replace(tzinfo=zone()))


@routes.get("/api/v1/cases")
async def list_cases(request: web.Request) -> web.Response:
    unknown = set(request.query) - {
        "type", "status", "categorie", "kanaal", "melder", "since", "zoek", "page", "per_page"
    }  # fmt: skip
    if unknown:
        raise ApiError(400, f"unknown query parameter(s): {', '.join(sorted(unknown))}")
    filters = Filters(
        type=_choice(request, "type", ("melding", "verzoek")),
        status=_choice(request, "status", STATUSES),
        categorie=request.query.get("categorie"),
        kanaal=_choice(request, "kanaal", ("web", "telegram", "rest")),
        melder=request.query.get("melder"),
        since=_since(request),
        zoek=request.query.get("zoek"),
    )
    page = _positive(request, "page", 1, 1_000_000)
    per_page = _positive(request, "per_page", 50, MAX_PER_PAGE)
    cases, total = await request.app[STORE_KEY].list(filters, page=page, per_page=per_page)
    return web.json_response(
        {
            "items": [case_json(c) for c in cases],
            "page": page,
            "per_page": per_page,
            "total": total,
            "next_page": page + 1 if page * per_page < total else None,
        }
    )


@routes.patch("/api/v1/cases/{identificatie}")
async def patch_case(request: web.Request) -> web.Response:
    identificatie = identificatie_of(request)
    data = await parse(request, StatusIn)
    door = (header_text(request, "X-Balie-Door") or "api")[:120]
    try:
        case = await request.app[STORE_KEY].change_status(
            identificatie, data.status, data.toelichting, door
        )
    except TransitionError as exc:
        raise ApiError(409, str(exc)) from None
    if case is None:
        raise ApiError(404, "case not found")
    if case.melder and not await request.app[STORE_KEY].opted_out(case.melder):
        request.app[push.PUSHER_KEY].schedule(case.melder, case.identificatie)
    return web.json_response(case_json(case, detail=True))


@routes.post("/api/v1/cases/{identificatie}/inzage")
async def inzage(request: web.Request) -> web.Response:
    """A resident's view, given its controlecode or its own channel identity."""
    identificatie = identificatie_of(request)
    data = await parse(request, InzageIn)
    case = await request.app[STORE_KEY].inzage(
        identificatie, controlecode=data.controlecode, melder=data.melder
    )
    if case is None:
        raise ApiError(404, "case not found or code does not match")
    return web.json_response(resident_json(case))


async def read_photo(request: web.Request) -> tuple[str, str, bytes]:
    """A checked photo from a raw request body: (file name, real content type, bytes)."""
    data = await read_body(request, photos.MAX_BYTES)
    try:
        content_type = await photos.check(data, request.content_type)
    except photos.PhotoError as exc:
        raise ApiError(exc.status, str(exc)) from None
    return photos.safe_name(request.query.get("bestandsnaam"), content_type), content_type, data


def image_response(photo: Attachment | Upload) -> web.Response:
    return web.Response(
        body=photo.data,
        content_type=photo.content_type,
        headers={"Content-Disposition": f'inline; filename="{photo.bestandsnaam}"'},
    )


@routes.post("/api/v1/cases/{identificatie}/bijlagen")
async def add_attachment(request: web.Request) -> web.Response:
    identificatie = identificatie_of(request)
    name, content_type, data = await read_photo(request)
    attachment = await request.app[STORE_KEY].add_attachment(
        identificatie, name, content_type, data
    )
    if attachment is None:
        raise ApiError(404, "case not found")
    return web.json_response(attachment_json(identificatie, attachment), status=201)


@routes.post("/api/v1/uploads")
async def stage_upload(request: web.Request) -> web.Response:
    """A photo a channel received before the case exists (see webapp.cases.models.Upload)."""
    name, content_type, data = await read_photo(request)
    upload = await request.app[STORE_KEY].stage_upload(name, content_type, data)
    body = {"upload_id": upload.id, "content_type": content_type, "grootte": upload.grootte}
    return web.json_response(body, status=201)


@routes.get("/api/v1/uploads/{upload_id}")
async def get_upload(request: web.Request) -> web.Response:
    upload = await request.app[STORE_KEY].upload(request.match_info["upload_id"][:36])
    if upload is None:
        raise ApiError(404, "upload not found or expired")
    return image_response(upload)


@routes.get("/api/v1/cases/{identificatie}/bijlagen/{id:\\d+}")
async def get_attachment(request: web.Request) -> web.Response:
    attachment = await request.app[STORE_KEY].attachment(identificatie_of(request), row_id(request))
    if attachment is None:
        raise ApiError(404, "attachment not found")
    return image_response(attachment)


@routes.post("/api/v1/terugbelverzoeken")
async def create_callback(request: web.Request) -> web.Response:
    data = await parse(request, CallbackIn)
    callback, created = await request.app[STORE_KEY].create_callback(
        data, idempotency_key=_idempotency_key(request)
    )
    return web.json_response(callback_json(callback), status=201 if created else 200)


@routes.get("/api/v1/terugbelverzoeken")
async def list_callbacks(request: web.Request) -> web.Response:
    status = _choice(request, "status", ("open", "gebeld", "gesloten"))
    callbacks = await request.app[STORE_KEY].callbacks(status)
    return web.json_response({"items": [callback_json(c) for c in callbacks]})


# Status-message opt-outs (`afmeldingen`) of a resident's chat, e.g. Telegram's /stop.
MELDER_RE = re.compile(r"[a-z_]{1,20}:[\w.\-]{1,99}", re.ASCII)  # as in the OpenAPI pattern


def _melder(request: web.Request) -> str:
    melder = request.match_info["melder"]
    if not MELDER_RE.fullmatch(melder):
        raise ApiError(400, "melder must look like 'telegram:12345'")
    return melder


@routes.put("/api/v1/afmeldingen/{melder}")
async def opt_out(request: web.Request) -> web.Response:
    """No more status messages to this chat; 201 when new, 200 when it already was so."""
    melder = _melder(request)
    created = await request.app[STORE_KEY].opt_out(melder)
    return web.json_response({"melder": melder}, status=201 if created else 200)


@routes.get("/api/v1/afmeldingen/{melder}")
async def get_opt_out(request: web.Request) -> web.Response:
    melder = _melder(request)
    if not await request.app[STORE_KEY].opted_out(melder):
        raise ApiError(404, "no opt-out for this melder")
    return web.json_response({"melder": melder})


@routes.delete("/api/v1/afmeldingen/{melder}")
async def opt_in(request: web.Request) -> web.Response:
    """Status messages on again (Telegram /start); 404 if they were not off."""
    if not await request.app[STORE_KEY].opt_in(_melder(request)):
        raise ApiError(404, "no opt-out for this melder")
    return web.Response(status=204)


@routes.post("/api/v1/vergeten")
async def forget(request: web.Request) -> web.Response:
    """Forget a resident by channel identity: conversations and contact details go, the
    cases stay without the link to them. Answers how many of each kind were removed."""
    data = await parse(request, ForgetIn)
    try:
        removed = await request.app[RETENTION_KEY].forget(data.kanaal, data.id)
    except OutboxUnavailable as exc:
        # What the web app holds is forgotten; the outbox's owner must be asked again.
        log.warning("forgetting a resident's outbox entries failed: %s", exc)
        raise ApiError(503, "the action server could not forget the outbox; try again") from None
    return web.json_response({"kanaal": data.kanaal, "verwijderd": removed})


@routes.get("/api/v1/openapi.json")
async def openapi_document(request: web.Request) -> web.Response:
    return web.json_response(openapi.document())


def setup(app: web.Application, store: CaseStore, token: str) -> None:
    app[STORE_KEY] = store
    app[TOKEN_KEY] = token
    app.middlewares.append(api_guard)
    app.add_routes(routes)
