"""The Case API's OpenAPI 3 document, generated from its models (core/caseapi/models.py).

The schemas are the pydantic models' own; this module adds only what a model cannot
say: the paths, their parameters and which status answers with which model.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel

from core import photos
from core.caseapi import models as m
from core.domain import CALLBACK_STATUSES, CASE_TYPES, CHANNELS, EXTERNAL_BACKENDS, STATUSES

REQUESTS: tuple[type[BaseModel], ...] = (
    m.CaseIn,
    m.StatusIn,
    m.InzageIn,
    m.NearbyIn,
    m.ReportIn,
    m.CallbackIn,
    m.LiveIn,
    m.LiveMessageIn,
    m.LiveStopIn,
    m.ForgetIn,
    m.ReceiptIn,
    m.StatusNewsIn,
    m.FollowIn,
)
ANSWERS: tuple[type[BaseModel], ...] = (
    m.Case,
    m.CasePage,
    m.CaseStatus,
    m.CaseStatusList,
    m.AttachmentInfo,
    m.Upload,
    m.Callback,
    m.CallbackList,
    m.LiveAnswer,
    m.LiveAvailable,
    m.LiveMessageAnswer,
    m.LiveStopAnswer,
    m.OptOut,
    m.Forgotten,
    m.Receipt,
    m.ReceiptList,
    m.StatusNews,
    m.Error,
)
REF = "#/components/schemas/{model}"


def schemas() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for model in (*REQUESTS, *ANSWERS):
        schema = model.schema(ref_template=REF)
        found.update(schema.pop("definitions", {}))
        found[model.__name__] = schema
    return found


def _json(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}}


def _body(model: type[BaseModel]) -> dict[str, Any]:
    return {"required": True, "content": _json(model)}


def _answer(description: str, model: type[BaseModel], **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": _json(model), **extra}


def _errors(*codes: int) -> dict[str, Any]:
    """Every operation may answer 400 (a URL with NUL or text that is not UTF-8) and 401."""
    every = sorted({400, 401, *codes})
    return {str(code): _answer("error", m.Error) for code in every}


BODY_ERRORS = (413, 415, 422)  # too large, not JSON (or not a photo), invalid


def _path(name: str, description: str | None = None, **schema: Any) -> dict[str, Any]:
    parameter = {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", **schema},
    }
    return parameter | ({"description": description} if description else {})


def _query(name: str, description: str | None = None, **schema: Any) -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "schema": {"type": "string", **schema}}
    return parameter | ({"description": description} if description else {})


def _header(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "schema": {"type": "string", **schema},
        "description": description,
    }


IDENT = _path("identificatie")
MELDER = _path("melder", "channel identity, e.g. telegram:12345", pattern=m.MELDER_PATTERN)
DOOR = _header("X-Balie-Door", "who changed the status (a staff member's name); 'api' when absent")
IDEMPOTENCY = _header(
    "Idempotency-Key",
    "the same key again returns the first result instead of a duplicate",
    maxLength=100,
)
BESTANDSNAAM = _query("bestandsnaam")
PHOTO_BODY = {
    "required": True,
    "description": f"the photo's bytes, at most {photos.limit_text()}; the bytes decide the "
    "type, and the photo must decode in full",
    "content": {
        t: {"schema": {"type": "string", "format": "binary"}}
        for t in ("application/octet-stream", "image/jpeg", "image/png", "image/webp")
    },
}
IMAGE = {"description": "image bytes"}


def _links(**operations: str) -> dict[str, Any]:
    """Links from an answer's `identificatie` to the operations on that case."""
    return {
        name: {
            "operationId": operation,
            "parameters": {"identificatie": "$response.body#/identificatie"},
        }
        for name, operation in operations.items()
    }


CASE_LINKS = _links(
    GetCase="getCase", PatchCase="patchCase", Inzage="inzage", AddAttachment="addAttachment"
)
RECEIPT_LINKS = _links(GetReceipt="getReceipt", ReceiptInzage="receiptInzage")


def _list_query() -> list[dict[str, Any]]:
    return [
        _query("type", enum=list(CASE_TYPES)),
        _query("status", enum=list(STATUSES)),
        _query("categorie"),
        _query("kanaal", enum=list(CHANNELS)),
        _query("melder"),
        _query("zoek"),
        _query(
            "since",
            "cases made at or after this ISO date or date-time; without an offset it is the "
            "municipality's local time",
        ),
        *(
            {"name": n, "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": top}}
            for n, top in (("page", 1_000_000), ("per_page", 200))
        ),
    ]


def _case_paths() -> dict[str, Any]:
    case_ok = _answer("the case", m.Case)
    return {
        "/cases": {
            "post": {
                "operationId": "createCase",
                "summary": "Create a melding or verzoek",
                "parameters": [IDEMPOTENCY],
                "requestBody": _body(m.CaseIn),
                "responses": {
                    "201": _answer("created; with its controlecode", m.Case, links=CASE_LINKS),
                    "200": _answer("replayed idempotent request", m.Case, links=CASE_LINKS),
                    **_errors(*BODY_ERRORS),
                },
            },
            "get": {
                "operationId": "listCases",
                "summary": "List cases, newest first, paged",
                "parameters": _list_query(),
                "responses": {"200": _answer("a page of cases", m.CasePage), **_errors()},
            },
        },
        "/cases/{identificatie}": {
            "get": {
                "operationId": "getCase",
                "summary": "One case with history, contact and photos",
                "parameters": [IDENT],
                "responses": {"200": case_ok, **_errors(404)},
            },
            "patch": {
                "operationId": "patchCase",
                "summary": "Change the status, with a note for the resident",
                "parameters": [IDENT, DOOR],
                "requestBody": _body(m.StatusIn),
                "responses": {"200": case_ok, **_errors(404, 409, *BODY_ERRORS)},
            },
        },
        "/cases/nabij": {
            "post": {
                "operationId": "openNearby",
                "summary": "Open meldingen of the same main category near a place "
                "(same street within a few house numbers, same postcode, or within a "
                "radius; the web app's BALIE_DUPLICATE_* settings), newest first",
                "requestBody": _body(m.NearbyIn),
                "responses": {
                    "200": _answer("what a resident may see of each", m.CaseStatusList),
                    **_errors(*BODY_ERRORS),
                },
            }
        },
        "/cases/{identificatie}/meldingen": {
            "post": {
                "operationId": "addReport",
                "summary": "Report an open melding again: the report is added and the "
                "reporter's chat follows the case's status",
                "parameters": [IDENT, IDEMPOTENCY],
                "requestBody": _body(m.ReportIn),
                "responses": {
                    "201": _answer("added", m.CaseStatus),
                    "200": _answer("replayed idempotent request", m.CaseStatus),
                    **_errors(404, 409, *BODY_ERRORS),
                },
            }
        },
        "/cases/{identificatie}/inzage": {
            "post": {
                "operationId": "inzage",
                "summary": "What a resident may see, given the controlecode or reporter",
                "parameters": [IDENT],
                "requestBody": _body(m.InzageIn),
                "responses": {
                    "200": _answer("status and latest note", m.CaseStatus),
                    **_errors(404, *BODY_ERRORS),
                },
            }
        },
        "/cases/{identificatie}/bijlagen": {
            "post": {
                "operationId": "addAttachment",
                "summary": "Attach a photo (raw JPEG, PNG or WebP body)",
                "parameters": [IDENT, BESTANDSNAAM],
                "requestBody": PHOTO_BODY,
                "responses": {
                    "201": _answer(
                        "stored",
                        m.AttachmentInfo,
                        links={
                            "GetAttachment": {
                                "operationId": "getAttachment",
                                "parameters": {
                                    "identificatie": "$request.path.identificatie",
                                    "id": "$response.body#/id",
                                },
                            }
                        },
                    ),
                    **_errors(404, *BODY_ERRORS),
                },
            }
        },
        "/cases/{identificatie}/bijlagen/{id}": {
            "get": {
                "operationId": "getAttachment",
                "summary": "The photo itself",
                "parameters": [
                    IDENT,
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                ],
                "responses": {"200": IMAGE, **_errors(404)},
            }
        },
    }


def _channel_paths() -> dict[str, Any]:
    """What the channels use: staged photos, opt-outs, forgetting, call-backs, live chat."""
    opt_out = [
        (
            "put",
            "optOut",
            "Stop status messages to this chat (e.g. Telegram /stop)",
            {"201": _answer("stopped", m.OptOut), "200": _answer("was already", m.OptOut)},
        ),
        (
            "get",
            "getOptOut",
            "Whether this chat stopped status messages",
            {"200": _answer("yes", m.OptOut)},
        ),
        (
            "delete",
            "optIn",
            "Status messages on again (e.g. Telegram /start)",
            {"204": {"description": "on"}},
        ),
    ]
    return {
        "/uploads": {
            "post": {
                "operationId": "stageUpload",
                "summary": "Stage a photo before its case exists (channels); returns upload_id",
                "parameters": [BESTANDSNAAM],
                "requestBody": PHOTO_BODY,
                "responses": {
                    "201": _answer(
                        "staged for 24 hours",
                        m.Upload,
                        links={
                            "GetUpload": {
                                "operationId": "getUpload",
                                "parameters": {"upload_id": "$response.body#/upload_id"},
                            }
                        },
                    ),
                    **_errors(*BODY_ERRORS),
                },
            }
        },
        "/uploads/{upload_id}": {
            "get": {
                "operationId": "getUpload",
                "summary": "A staged photo",
                "parameters": [_path("upload_id")],
                "responses": {"200": IMAGE, **_errors(404)},
            }
        },
        "/afmeldingen/{melder}": {
            method: {
                "operationId": operation,
                "summary": summary,
                "parameters": [MELDER],
                "responses": {**codes, **_errors(404)},
            }
            for method, operation, summary, codes in opt_out
        },
        "/vergeten": {
            "post": {
                "operationId": "forget",
                "summary": "Forget a resident by channel identity (AVG): their "
                "conversations, contact details, call-back requests and opt-out are "
                "removed; their cases stay, no longer linked to them",
                "requestBody": _body(m.ForgetIn),
                "responses": {
                    "200": _answer("what was removed, per kind", m.Forgotten),
                    # 503: the action server could not forget the outbox; ask again.
                    **_errors(*BODY_ERRORS, 503),
                },
            }
        },
        "/live": {
            "post": {
                "operationId": "askLive",
                "summary": "A resident asks for a medewerker: a widget conversation joins "
                "the live chat queue within the KCC's hours while one is available; "
                "otherwise (and for other channels) wachtrij is false: offer a call-back",
                "requestBody": _body(m.LiveIn),
                "responses": {
                    "200": _answer("queued or not", m.LiveAnswer),
                    **_errors(*BODY_ERRORS, 404),  # 404: no such widget conversation
                },
            },
            "get": {
                "operationId": "liveAvailable",
                "summary": "Is a medewerker free to chat now? Balie offers a chat when so, "
                "else a call-back",
                "responses": {
                    "200": _answer("available or not", m.LiveAvailable),
                    **_errors(),
                },
            },
        },
        "/live/bericht": {
            "post": {
                "operationId": "liveMessage",
                "summary": "The Telegram connector hands over a message of a chat that asked "
                "for a medewerker: stored for the queue while waiting (Balie answers it "
                "too); once a medewerker has the chat, it is theirs only (live is true)",
                "requestBody": _body(m.LiveMessageIn),
                "responses": {
                    "200": _answer("whether a medewerker has the chat", m.LiveMessageAnswer),
                    **_errors(*BODY_ERRORS),
                },
            }
        },
        "/live/stoppen": {
            "post": {
                "operationId": "liveStop",
                "summary": "A Telegram resident stops waiting or ends the live chat",
                "requestBody": _body(m.LiveStopIn),
                "responses": {
                    "200": _answer("whether a wait or chat was ended", m.LiveStopAnswer),
                    **_errors(*BODY_ERRORS),
                },
            }
        },
        "/terugbelverzoeken": {
            "post": {
                "operationId": "createCallback",
                "summary": "Register a call-back request",
                "parameters": [IDEMPOTENCY],
                "requestBody": _body(m.CallbackIn),
                "responses": {
                    "201": _answer("registered", m.Callback),
                    "200": _answer("replayed idempotent request", m.Callback),
                    **_errors(*BODY_ERRORS),
                },
            },
            "get": {
                "operationId": "listCallbacks",
                "summary": "Call-back requests, newest first",
                "parameters": [_query("status", enum=list(CALLBACK_STATUSES))],
                "responses": {"200": _answer("list", m.CallbackList), **_errors()},
            },
        },
    }


def _receipt_paths() -> dict[str, Any]:
    """Receipts of cases in Signalen or ZGW, for the action server's adapters."""
    found = _answer("the receipt", m.Receipt)
    return {
        "/ontvangstbewijzen": {
            "post": {
                "operationId": "recordReceipt",
                "summary": "Receipt a case an external system accepted, under a new "
                "identifier of Balie's",
                "parameters": [{**IDEMPOTENCY, "required": True}],
                "requestBody": _body(m.ReceiptIn),
                "responses": {
                    "201": _answer("recorded", m.Receipt, links=RECEIPT_LINKS),
                    "200": _answer("replayed idempotent request", m.Receipt, links=RECEIPT_LINKS),
                    **_errors(*BODY_ERRORS),
                },
            },
            "get": {
                "operationId": "findReceipts",
                "summary": "The receipt of one submission (`sleutel`), a reporter's "
                "receipts (`melder`, optionally of one `backend`), the receipt of one external "
                "case (`backend` and `extern`, its URL) or all of one `backend`, newest first",
                "parameters": [
                    _query("sleutel", "the submission's Idempotency-Key"),
                    _query("melder", maxLength=120),
                    _query("backend", enum=list(EXTERNAL_BACKENDS)),
                    _query("extern", "the external case's URL", maxLength=500),
                ],
                "responses": {"200": _answer("receipts", m.ReceiptList), **_errors()},
            },
        },
        "/ontvangstbewijzen/{identificatie}": {
            "get": {
                "operationId": "getReceipt",
                "summary": "One receipt",
                "parameters": [IDENT],
                "responses": {"200": found, **_errors(404)},
            }
        },
        "/ontvangstbewijzen/{identificatie}/inzage": {
            "post": {
                "operationId": "receiptInzage",
                "summary": "A resident's receipt, given the controlecode or reporter",
                "parameters": [IDENT],
                "requestBody": _body(m.InzageIn),
                "responses": {"200": found, **_errors(404, *BODY_ERRORS)},
            }
        },
        "/ontvangstbewijzen/{identificatie}/volgers": {
            "post": {
                "operationId": "followReceipt",
                "summary": "A resident who reported an open external melding again follows "
                "it: its status news reaches their chat too",
                "parameters": [IDENT, {**IDEMPOTENCY, "required": True}],
                "requestBody": _body(m.FollowIn),
                "responses": {
                    "201": _answer("following", m.Receipt),
                    "200": _answer("replayed idempotent request", m.Receipt),
                    **_errors(404, 409, *BODY_ERRORS),
                },
            }
        },
        "/ontvangstbewijzen/{identificatie}/statusnieuws": {
            "post": {
                "operationId": "receiptStatusNews",
                "summary": "A status the external system set: recorded, and pushed to the "
                "reporter's chat unless it is a duplicate or older than the last one",
                "parameters": [IDENT],
                "requestBody": _body(m.StatusNewsIn),
                "responses": {
                    "200": _answer("what became of it", m.StatusNews),
                    **_errors(404, *BODY_ERRORS),
                },
            }
        },
    }


@cache
def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Balie Case API", "version": "1.0.0"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas(),
        },
        "paths": {**_case_paths(), **_channel_paths(), **_receipt_paths()},
    }
