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
from core.caseapi import models as m
from core.caseapi import openapi
from core.clock import as_utc, zone
from core.domain import CALLBACK_STATUSES, CASE_TYPES, CHANNELS, STATUSES, TransitionError
from core.dutch.patterns import normalize_zaaknummer
from core.nearby import NearbyRules
from core.observability import metrics
from core.safe_json import InvalidJson, loads
from webapp import push
from webapp.bodies import read_body
from webapp.cases import nearby
from webapp.cases.models import Attachment, Callback, Case, Upload
from webapp.cases.store import CaseStore, Filters
from webapp.errors import ApiError, error
from webapp.inputs import header_text, row_id, whole_number
from webapp.privacy.action_server import OutboxUnavailable
from webapp.privacy.retention import RETENTION_KEY

log = logging.getLogger(__name__)

STORE_KEY = web.AppKey("store", CaseStore)
TOKEN_KEY = web.AppKey("api_token", str)
RULES_KEY = web.AppKey("nearby_rules", NearbyRules)
MAX_JSON = 64 * 1024
MAX_PER_PAGE = 200
routes = web.RouteTableDef()


@web.middleware
async def api_guard(request: web.Request, handler):
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


def answer(model: m.Answer, status: int = 200, leave_out: Any = None) -> web.Response:
    """A Case API answer: the model's JSON, date-times in the municipality's time zone."""
    return web.Response(
        text=model.body(leave_out=leave_out), status=status, content_type="application/json"
    )


def attachment_answer(case: str, attachment: Attachment) -> m.AttachmentInfo:
    return m.AttachmentInfo(
        id=attachment.id,
        bestandsnaam=attachment.bestandsnaam,
        content_type=attachment.content_type,
        grootte=attachment.grootte,
        url=f"/api/v1/cases/{case}/bijlagen/{attachment.id}",
    )


def case_answer(case: Case, *, detail: bool = False) -> m.Case:
    """A stored case as the API answers it; `detail` adds the contact details."""
    contact = case.contact if detail else None
    return m.Case(
        identificatie=case.identificatie,
        type=case.type,
        status=case.status,
        categorie=case.categorie,
        onderwerp=case.onderwerp,
        omschrijving=case.omschrijving,
        locatie=m.Locatie(
            straat=case.straat,
            huisnummer=case.huisnummer,
            postcode=case.postcode,
            plaats=case.plaats,
            lat=case.lat,
            lon=case.lon,
            omschrijving=case.locatie_omschrijving,
        ),
        tijdstip=case.tijdstip,
        kanaal=case.kanaal,
        aangemaakt_op=case.aangemaakt_op,
        gewijzigd_op=case.gewijzigd_op,
        statusgeschiedenis=[
            m.StatusChange(status=h.status, toelichting=h.toelichting, door=h.door, op=h.op)
            for h in case.history
        ],
        melders=case.melders or 1,
        contact=m.Contact(naam=contact.naam, email=contact.email, telefoon=contact.telefoon)
        if contact
        else None,
    )


# What each answer about cases leaves out (see core.caseapi.models.Case).
SUMMARY = {"contact", "bijlagen", "controlecode"}
DETAIL = {"bijlagen", "controlecode"}


def resident_answer(case: Case) -> m.CaseStatus:
    """What a resident may see: status and the latest note, nothing personal."""
    notes = [h.toelichting for h in case.history if h.toelichting]
    return m.CaseStatus(
        identificatie=case.identificatie,
        type=case.type,
        status=case.status,
        categorie=case.categorie,
        onderwerp=case.onderwerp,
        toelichting=notes[-1] if notes else None,
        aangemaakt_op=case.aangemaakt_op,
        gewijzigd_op=case.gewijzigd_op,
    )


def callback_answer(callback: Callback) -> m.Callback:
    return m.Callback(
        id=callback.id,
        naam=callback.naam,
        telefoon=callback.telefoon,
        voorkeur=callback.voorkeur,
        onderwerp=callback.onderwerp,
        kanaal=callback.kanaal,
        status=callback.status,
        aangemaakt_op=callback.aangemaakt_op,
    )


def _idempotency_key(request: web.Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key) <= 100 and key.isprintable()):
        raise ApiError(400, "Idempotency-Key must be 1 to 100 printable characters")
    return key


@routes.post("/api/v1/cases")
async def create_case(request: web.Request) -> web.Response:
    data = await parse(request, m.CaseIn)
    case, code, created = await request.app[STORE_KEY].create(
        data, idempotency_key=_idempotency_key(request)
    )
    if created:
        metrics.WEB_CASES_CREATED.labels(case.type, case.kanaal).inc()
    body = case_answer(case, detail=True)
    body.controlecode = code  # shown once: only its hash is stored
    leave_out = {"bijlagen"} if code else DETAIL
    response = answer(body, 201 if created else 200, leave_out)
    response.headers["Location"] = f"/api/v1/cases/{case.identificatie}"
    return response


@routes.get("/api/v1/cases/{identificatie}")
async def get_case(request: web.Request) -> web.Response:
    case = await request.app[STORE_KEY].get(identificatie_of(request))
    if case is None:
        raise ApiError(404, "case not found")
    body = case_answer(case, detail=True)
    attachments = await request.app[STORE_KEY].attachments(case.identificatie)
    body.bijlagen = [attachment_answer(case.identificatie, a) for a in attachments]
    return answer(body, leave_out={"controlecode"})


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
        type=_choice(request, "type", CASE_TYPES),
        status=_choice(request, "status", STATUSES),
        categorie=request.query.get("categorie"),
        kanaal=_choice(request, "kanaal", CHANNELS),
        melder=request.query.get("melder"),
        since=_since(request),
        zoek=request.query.get("zoek"),
    )
    page = _positive(request, "page", 1, 1_000_000)
    per_page = _positive(request, "per_page", 50, MAX_PER_PAGE)
    cases, total = await request.app[STORE_KEY].list(filters, page=page, per_page=per_page)
    body = m.CasePage(
        items=[case_answer(c) for c in cases],
        page=page,
        per_page=per_page,
        total=total,
        next_page=page + 1 if page * per_page < total else None,
    )
    return answer(body, leave_out={"items": {"__all__": SUMMARY}})


@routes.patch("/api/v1/cases/{identificatie}")
async def patch_case(request: web.Request) -> web.Response:
    identificatie = identificatie_of(request)
    data = await parse(request, m.StatusIn)
    door = (header_text(request, "X-Balie-Door") or "api")[:120]
    try:
        case = await request.app[STORE_KEY].change_status(
            identificatie, data.status, data.toelichting, door
        )
    except TransitionError as exc:
        raise ApiError(409, str(exc)) from None
    if case is None:
        raise ApiError(404, "case not found")
    await push.announce(request.app[push.PUSHER_KEY], request.app[STORE_KEY], case)
    return answer(case_answer(case, detail=True), leave_out=DETAIL)


@routes.post("/api/v1/cases/nabij")
async def open_nearby(request: web.Request) -> web.Response:
    """Open meldingen of the same main category near a melding about to be made, as a
    resident may see them: nothing of who reported them (core/nearby.py)."""
    data = await parse(request, m.NearbyIn)
    rules = request.app[RULES_KEY]
    found = (
        await nearby.find_open_nearby(request.app[STORE_KEY], data.categorie, data.locatie, rules)
        if rules.enabled
        else []
    )
    return answer(m.CaseStatusList(items=[resident_answer(c) for c in found]))


@routes.post("/api/v1/cases/{identificatie}/meldingen")
async def add_report(request: web.Request) -> web.Response:
    """Another resident reports this open melding again: their report is added and their
    chat follows the case's status."""
    identificatie = identificatie_of(request)
    data = await parse(request, m.ReportIn)
    try:
        added = await nearby.add_report(
            request.app[STORE_KEY],
            identificatie,
            data,
            idempotency_key=_idempotency_key(request),
        )
    except nearby.ReportRefused as exc:
        raise ApiError(409, f"this case takes no more reports: {exc}") from None
    if added is None:
        raise ApiError(404, "case not found")
    case, created = added
    return answer(resident_answer(case), 201 if created else 200)


@routes.post("/api/v1/cases/{identificatie}/inzage")
async def inzage(request: web.Request) -> web.Response:
    """A resident's view, given its controlecode or its own channel identity."""
    identificatie = identificatie_of(request)
    data = await parse(request, m.InzageIn)
    case = await request.app[STORE_KEY].inzage(
        identificatie, controlecode=data.controlecode, melder=data.melder
    )
    if case is None:
        raise ApiError(404, "case not found or code does not match")
    return answer(resident_answer(case))


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
    return answer(attachment_answer(identificatie, attachment), 201)


@routes.post("/api/v1/uploads")
async def stage_upload(request: web.Request) -> web.Response:
    """A photo a channel received before the case exists (see webapp.cases.models.Upload)."""
    name, content_type, data = await read_photo(request)
    upload = await request.app[STORE_KEY].stage_upload(name, content_type, data)
    body = m.Upload(upload_id=upload.id, content_type=content_type, grootte=upload.grootte)
    return answer(body, 201)


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
    data = await parse(request, m.CallbackIn)
    callback, created = await request.app[STORE_KEY].create_callback(
        data, idempotency_key=_idempotency_key(request)
    )
    return answer(callback_answer(callback), 201 if created else 200)


@routes.get("/api/v1/terugbelverzoeken")
async def list_callbacks(request: web.Request) -> web.Response:
    status = _choice(request, "status", CALLBACK_STATUSES)
    callbacks = await request.app[STORE_KEY].callbacks(status)
    return answer(m.CallbackList(items=[callback_answer(c) for c in callbacks]))


# Status-message opt-outs (`afmeldingen`) of a resident's chat, e.g. Telegram's /stop.
MELDER_RE = re.compile(m.MELDER_PATTERN, re.ASCII)


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
    return answer(m.OptOut(melder=melder), 201 if created else 200)


@routes.get("/api/v1/afmeldingen/{melder}")
async def get_opt_out(request: web.Request) -> web.Response:
    melder = _melder(request)
    if not await request.app[STORE_KEY].opted_out(melder):
        raise ApiError(404, "no opt-out for this melder")
    return answer(m.OptOut(melder=melder))


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
    data = await parse(request, m.ForgetIn)
    try:
        removed = await request.app[RETENTION_KEY].forget(data.kanaal, data.id)
    except OutboxUnavailable as exc:
        # What the web app holds is forgotten; the outbox's owner must be asked again.
        log.warning("forgetting a resident's outbox entries failed: %s", exc)
        raise ApiError(503, "the action server could not forget the outbox; try again") from None
    return answer(m.Forgotten(kanaal=data.kanaal, verwijderd=removed))


@routes.get("/api/v1/openapi.json")
async def openapi_document(request: web.Request) -> web.Response:
    return web.json_response(openapi.document())


def setup(
    app: web.Application, store: CaseStore, token: str, rules: NearbyRules | None = None
) -> None:
    app[STORE_KEY] = store
    app[TOKEN_KEY] = token
    app[RULES_KEY] = rules or NearbyRules()
    app.middlewares.append(api_guard)
    app.add_routes(routes)
