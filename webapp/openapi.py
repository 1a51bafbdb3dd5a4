"""The OpenAPI 3 document of the Case API, with schemas taken from the pydantic models."""

from __future__ import annotations

from functools import cache
from typing import Any

from core import photos
from webapp.cases.schemas import CallbackIn, CaseIn, InzageIn, StatusIn
from webapp.privacy.retention import ForgetIn


def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in (CaseIn, StatusIn, InzageIn, CallbackIn, ForgetIn):
        schema = model.schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("definitions", {}))
        schemas[model.__name__] = schema
    schemas["Error"] = {
        "type": "object",
        "required": ["error", "status"],
        "properties": {
            "error": {"type": "string"},
            "status": {"type": "integer"},
            "details": {"type": "array", "items": {"type": "object"}},
        },
    }
    schemas["Case"] = {
        "type": "object",
        "properties": {
            "identificatie": {"type": "string", "pattern": "^[MV]-\\d{4}-\\d{6}$"},
            "type": {"type": "string", "enum": ["melding", "verzoek"]},
            "status": {
                "type": "string",
                "enum": ["gemeld", "in_behandeling", "ingepland", "afgehandeld", "geannuleerd"],
            },
            "categorie": {"type": "string", "nullable": True},
            "onderwerp": {"type": "string", "nullable": True},
            "omschrijving": {"type": "string"},
            "locatie": _nullable_fields(schemas["LocatieIn"]),
            "tijdstip": {
                "type": "string",
                "format": "date-time",
                "nullable": True,
                "description": "when it happened; sent with an offset, answered in the "
                "municipality's time zone (the same instant)",
            },
            "kanaal": {"type": "string", "enum": ["web", "telegram", "rest"]},
            "aangemaakt_op": {
                "type": "string",
                "format": "date-time",
                "description": "every date-time is answered in the municipality's time zone",
            },
            "gewijzigd_op": {"type": "string", "format": "date-time"},
            "statusgeschiedenis": {"type": "array", "items": {"type": "object"}},
            "contact": {**_nullable_fields(schemas["ContactIn"]), "nullable": True},
            "bijlagen": {"type": "array", "items": {"type": "object"}},
            "controlecode": {
                "type": "string",
                "description": "only in the response that created the case",
            },
        },
    }
    return schemas


def _nullable_fields(schema: dict[str, Any]) -> dict[str, Any]:
    """An input model's shape as Balie answers it: every field present, null when unset."""
    properties = {
        name: {"type": field["type"], "nullable": True}
        for name, field in schema["properties"].items()
    }
    return {"type": "object", "properties": properties}


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _errors(*codes: int) -> dict[str, Any]:
    """Every operation may answer 400 (a URL with NUL or text that is not UTF-8) and 401."""
    every = sorted({400, 401, *codes})
    return {str(code): {"description": "error", "content": _json("Error")} for code in every}


BODY_ERRORS = (413, 415, 422)  # too large, not JSON (or not a photo), invalid

IDENT = {"name": "identificatie", "in": "path", "required": True, "schema": {"type": "string"}}
CASE_LINKS = {
    name: {
        "operationId": operation,
        "parameters": {"identificatie": "$response.body#/identificatie"},
    }
    for name, operation in (
        ("GetCase", "getCase"),
        ("PatchCase", "patchCase"),
        ("Inzage", "inzage"),
        ("AddAttachment", "addAttachment"),
    )
}
DOOR = {
    "name": "X-Balie-Door",
    "in": "header",
    "schema": {"type": "string"},
    "description": "who changed the status (a staff member's name); 'api' when absent",
}
IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "schema": {"type": "string", "maxLength": 100},
    "description": "the same key again returns the first result instead of a duplicate",
}


MELDER = {
    "name": "melder",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[a-z_]{1,20}:[\\w.\\-]{1,99}$"},
    "description": "channel identity, e.g. telegram:12345",
}
BESTANDSNAAM = {"name": "bestandsnaam", "in": "query", "schema": {"type": "string"}}
PHOTO_BODY = {
    "required": True,
    "description": f"the photo's bytes, at most {photos.limit_text()}; the bytes decide the "
    "type, and the photo must decode in full",
    "content": {
        t: {"schema": {"type": "string", "format": "binary"}}
        for t in ("application/octet-stream", "image/jpeg", "image/png", "image/webp")
    },
}


@cache
def document() -> dict[str, Any]:
    query = (
        [
            {"name": n, "in": "query", "schema": {"type": "string"}}
            for n in ("type", "status", "categorie", "kanaal", "melder", "zoek")
        ]
        + [
            {
                "name": "since",
                "in": "query",
                "schema": {"type": "string"},
                "description": "cases made at or after this ISO date or date-time; without an "
                "offset it is the municipality's local time",
            }
        ]
        + [
            {"name": n, "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": top}}
            for n, top in (("page", 1_000_000), ("per_page", 200))
        ]
    )
    case_ok = {"description": "the case", "content": _json("Case")}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Balie Case API", "version": "1.0.0"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(),
        },
        "paths": {
            "/cases": {
                "post": {
                    "operationId": "createCase",
                    "summary": "Create a melding or verzoek",
                    "parameters": [IDEMPOTENCY],
                    "requestBody": {"required": True, "content": _json("CaseIn")},
                    "responses": {
                        "201": {**case_ok, "links": CASE_LINKS},
                        "200": {
                            "description": "replayed idempotent request",
                            "content": _json("Case"),
                            "links": CASE_LINKS,
                        },
                        **_errors(*BODY_ERRORS),
                    },
                },
                "get": {
                    "operationId": "listCases",
                    "summary": "List cases, newest first, paged",
                    "parameters": query,
                    "responses": {"200": {"description": "a page of cases"}, **_errors()},
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
                    "requestBody": {"required": True, "content": _json("StatusIn")},
                    "responses": {"200": case_ok, **_errors(404, 409, *BODY_ERRORS)},
                },
            },
            "/cases/{identificatie}/inzage": {
                "post": {
                    "operationId": "inzage",
                    "summary": "What a resident may see, given the controlecode or reporter",
                    "parameters": [IDENT],
                    "requestBody": {"required": True, "content": _json("InzageIn")},
                    "responses": {
                        "200": {"description": "status and latest note"},
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
                        "201": {
                            "description": "stored",
                            "links": {
                                "GetAttachment": {
                                    "operationId": "getAttachment",
                                    "parameters": {
                                        "identificatie": "$request.path.identificatie",
                                        "id": "$response.body#/id",
                                    },
                                }
                            },
                        },
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
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        },
                    ],
                    "responses": {"200": {"description": "image bytes"}, **_errors(404)},
                }
            },
            "/uploads": {
                "post": {
                    "operationId": "stageUpload",
                    "summary": "Stage a photo before its case exists (channels); returns upload_id",
                    "parameters": [BESTANDSNAAM],
                    "requestBody": PHOTO_BODY,
                    "responses": {
                        "201": {
                            "description": "staged for 24 hours",
                            "links": {
                                "GetUpload": {
                                    "operationId": "getUpload",
                                    "parameters": {"upload_id": "$response.body#/upload_id"},
                                }
                            },
                        },
                        **_errors(*BODY_ERRORS),
                    },
                }
            },
            "/uploads/{upload_id}": {
                "get": {
                    "operationId": "getUpload",
                    "summary": "A staged photo",
                    "parameters": [
                        {
                            "name": "upload_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {"200": {"description": "image bytes"}, **_errors(404)},
                }
            },
            "/afmeldingen/{melder}": {
                method: {
                    "summary": summary,
                    "parameters": [MELDER],
                    "responses": {**codes, **_errors(404)},
                }
                for method, summary, codes in (
                    (
                        "put",
                        "Stop status messages to this chat (e.g. Telegram /stop)",
                        {"201": {"description": "stopped"}, "200": {"description": "was already"}},
                    ),
                    (
                        "get",
                        "Whether this chat stopped status messages",
                        {"200": {"description": "yes"}},
                    ),
                    (
                        "delete",
                        "Status messages on again (e.g. Telegram /start)",
                        {"204": {"description": "on"}},
                    ),
                )
            },
            "/vergeten": {
                "post": {
                    "summary": "Forget a resident by channel identity (AVG): their "
                    "conversations, contact details, call-back requests and opt-out are "
                    "removed; their cases stay, no longer linked to them",
                    "requestBody": {"required": True, "content": _json("ForgetIn")},
                    "responses": {
                        "200": {
                            "description": "what was removed, per kind",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "kanaal": {"type": "string"},
                                            "verwijderd": {
                                                "type": "object",
                                                "additionalProperties": {"type": "integer"},
                                            },
                                        },
                                    }
                                }
                            },
                        },
                        **_errors(*BODY_ERRORS),
                    },
                }
            },
            "/terugbelverzoeken": {
                "post": {
                    "summary": "Register a call-back request",
                    "parameters": [IDEMPOTENCY],
                    "requestBody": {"required": True, "content": _json("CallbackIn")},
                    "responses": {
                        "201": {"description": "registered"},
                        "200": {"description": "replayed idempotent request"},
                        **_errors(*BODY_ERRORS),
                    },
                },
                "get": {
                    "summary": "Call-back requests, newest first",
                    "parameters": [
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["open", "gebeld", "gesloten"]},
                        }
                    ],
                    "responses": {"200": {"description": "list"}, **_errors()},
                },
            },
        },
    }
