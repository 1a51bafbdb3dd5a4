"""The OpenAPI 3 document of the Case API, with schemas taken from the pydantic models."""

from __future__ import annotations

from functools import cache
from typing import Any

from bot.cases.schemas import CallbackIn, CaseIn, InzageIn, StatusIn
from bot.privacy.retention import ForgetIn


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
            "locatie": {"$ref": "#/components/schemas/LocatieIn"},
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
            "contact": {"$ref": "#/components/schemas/ContactIn"},
            "controlecode": {
                "type": "string",
                "description": "only in the response that created the case",
            },
        },
    }
    return schemas


def _json(schema: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): {"description": "error", "content": _json("Error")} for code in codes}


IDENT = {"name": "identificatie", "in": "path", "required": True, "schema": {"type": "string"}}
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
    "content": {
        t: {"schema": {"type": "string", "format": "binary"}}
        for t in ("image/jpeg", "image/png", "image/webp")
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
            {"name": n, "in": "query", "schema": {"type": "integer", "minimum": 1}}
            for n in ("page", "per_page")
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
                    "summary": "Create a melding or verzoek",
                    "parameters": [IDEMPOTENCY],
                    "requestBody": {"required": True, "content": _json("CaseIn")},
                    "responses": {
                        "201": case_ok,
                        "200": {
                            "description": "replayed idempotent request",
                            "content": _json("Case"),
                        },
                        **_errors(400, 401, 413, 415, 422),
                    },
                },
                "get": {
                    "summary": "List cases, newest first, paged",
                    "parameters": query,
                    "responses": {"200": {"description": "a page of cases"}, **_errors(400, 401)},
                },
            },
            "/cases/{identificatie}": {
                "get": {
                    "summary": "One case with history, contact and photos",
                    "parameters": [IDENT],
                    "responses": {"200": case_ok, **_errors(401, 404)},
                },
                "patch": {
                    "summary": "Change the status, with a note for the resident",
                    "parameters": [IDENT],
                    "requestBody": {"required": True, "content": _json("StatusIn")},
                    "responses": {"200": case_ok, **_errors(400, 401, 404, 409, 415, 422)},
                },
            },
            "/cases/{identificatie}/inzage": {
                "post": {
                    "summary": "What a resident may see, given the controlecode or reporter",
                    "parameters": [IDENT],
                    "requestBody": {"required": True, "content": _json("InzageIn")},
                    "responses": {
                        "200": {"description": "status and latest note"},
                        **_errors(401, 404, 422),
                    },
                }
            },
            "/cases/{identificatie}/bijlagen": {
                "post": {
                    "summary": "Attach a photo (raw JPEG, PNG or WebP body)",
                    "parameters": [
                        IDENT,
                        BESTANDSNAAM,
                    ],
                    "requestBody": PHOTO_BODY,
                    "responses": {
                        "201": {"description": "stored"},
                        **_errors(400, 401, 404, 413, 415),
                    },
                }
            },
            "/cases/{identificatie}/bijlagen/{id}": {
                "get": {
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
                    "responses": {"200": {"description": "image bytes"}, **_errors(401, 404)},
                }
            },
            "/uploads": {
                "post": {
                    "summary": "Stage a photo before its case exists (channels); returns upload_id",
                    "parameters": [BESTANDSNAAM],
                    "requestBody": PHOTO_BODY,
                    "responses": {
                        "201": {"description": "staged for 24 hours"},
                        **_errors(400, 401, 413, 415),
                    },
                }
            },
            "/uploads/{upload_id}": {
                "get": {
                    "summary": "A staged photo",
                    "parameters": [
                        {
                            "name": "upload_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {"200": {"description": "image bytes"}, **_errors(401, 404)},
                }
            },
            "/afmeldingen/{melder}": {
                method: {
                    "summary": summary,
                    "parameters": [MELDER],
                    "responses": {**codes, **_errors(400, 401, 404)},
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
                        **_errors(400, 401, 413, 415, 422),
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
                        **_errors(400, 401, 415, 422),
                    },
                },
                "get": {
                    "summary": "Call-back requests, newest first",
                    "responses": {"200": {"description": "list"}, **_errors(400, 401)},
                },
            },
        },
    }
