"""A fake Signalen (Amsterdam/signals) public API.

Implements, with the real validation rules:
* `POST /signals/v1/public/signals/` as `PublicSignalCreateSerializer`: only the public
  fields (others: "Extra properties present"); `text` 1..3000, `text_extra` up to 10000;
  `source` "online" or a configured public source; `location.geometrie` a GeoJSON Point
  `[lon, lat]` inside `BOUNDING_BOX` (default the Netherlands, 3.3,50.7,7.3,53.6);
  `location.address` with BAG keys only (an `invalid_streets` name answers "Niet-bestaand
  adres.", as a PDOK miss does); `category` with exactly one of `sub_category`/
  `category_url`, resolving to an active sub category of the fixture; `reporter`
  required, valid email, phone up to 17; `incident_date_start` required ISO 8601.
  Answers 201 with `PublicSignalSerializerDetail` (`signal_id`, `id_display`, ...).
* the anonymous POST throttle (`PostOnlyNoUserRateThrottle`, default 60/hour per client
  address): 429 with Retry-After;
* `GET /signals/v1/public/signals/{uuid}`: public status "OPEN"/"CLOSED" only;
* `POST .../{uuid}/attachments/`: multipart `file`, JPEG/PNG/GIF by content, the name's
  extension matching, up to 20 MB, only while the signal is "m" or "reaction requested";
* `GET /signals/v1/public/terms/categories/[{main}[/sub_categories/{sub}]]`.
* the private API, behind `Authorization: Bearer <token>` (the `private_token` given;
  401 without, 403 with another): `GET /signals/v1/private/signals/{id}` (Signalen's
  number) with the full `status` of the private serializer: `state`, `state_display`,
  `text`, `user`, `target_api`, `extra_properties`, `send_email`, `created_at`.
Staff actions: `set_state(signal_id, state, text)` follows the workflow's allowed changes.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import defaultdict, deque
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aiohttp import web
from multidict import MultiDict

from core.categories import TAXONOMY_FILE
from tests.fakes import Faults, origin

REFERENCE = TAXONOMY_FILE  # the upstream fixture Balie ships
API = "/signals/v1/public"
PRIVATE = "/signals/v1/private"
STATE_DISPLAY = {
    "m": "Gemeld",
    "i": "In afwachting van behandeling",
    "b": "In behandeling",
    "h": "On hold",
    "ingepland": "Ingepland",
    "ready to send": "Extern: te verzenden",
    "o": "Afgehandeld",
    "a": "Geannuleerd",
    "reopened": "Heropend",
    "s": "Gesplitst",
    "closure requested": "Extern: verzoek tot afhandeling",
    "reaction requested": "Reactie gevraagd",
    "reaction received": "Reactie ontvangen",
    "forward to external": "Doorgezet naar extern",
    "sent": "Extern: verzonden",
    "send failed": "Extern: mislukt",
    "done external": "Extern: afgehandeld",
    "reopen requested": "Verzoek tot heropenen",
}
PUBLIC_FIELDS = {
    "source",
    "text",
    "text_extra",
    "location",
    "category",
    "reporter",
    "incident_date_start",
    "incident_date_end",
    "extra_properties",
    "session",
}
ADDRESS_KEYS = {
    "openbare_ruimte",
    "huisnummer",
    "huisletter",
    "huisnummer_toevoeging",
    "postcode",
    "woonplaats",
}
CLOSED = {"o", "a", "s"}
UPLOAD_STATES = {"m", "reaction requested"}
_OPEN_FROM_WORK = ["m", "i", "b", "ingepland", "o", "a", "reaction requested"]
ALLOWED_CHANGES: dict[str, set[str]] = {
    "m": {"m", "i", "b", "ingepland", "o", "a", "reaction requested", "ready to send"},
    "i": {"m", "i", "b", "ingepland", "o", "a", "closure requested", "reaction requested"},
    "b": {"m", "b", "ingepland", "o", "a", "closure requested", "reaction requested"},
    "ingepland": {"m", "b", "ingepland", "o", "a", "closure requested", "reaction requested"},
    "h": {"ingepland", "a"},
    "o": {"reopened", "reopen requested"},
    "a": {"a", "reopened", "b"},
    "reopened": {"reopened", "b", "o", "a", "m", "reaction requested"},
    "reopen requested": {"o", "reopened", "a"},
    "closure requested": {"m", "i", "o", "a", "b", "closure requested"},
    "reaction requested": set(_OPEN_FROM_WORK) | {"reaction received"},
    "reaction received": set(_OPEN_FROM_WORK),
}
DATETIME_ERROR = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
POSTCODE_RE = re.compile(r"^[1-9]\d{3} ?[A-Za-z]{2}$")
SIGNATURES = {
    b"\xff\xd8\xff": ("image/jpeg", {"jpg", "jpeg"}),
    b"\x89PNG\r\n\x1a\n": ("image/png", {"png"}),
    b"GIF87a": ("image/gif", {"gif"}),
    b"GIF89a": ("image/gif", {"gif"}),
}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


class FakeSignalen:
    def __init__(
        self,
        categories: Path = REFERENCE,
        *,
        throttle: int = 60,
        window: float = 3600.0,
        bounding_box: tuple[float, float, float, float] = (3.3, 50.7, 7.3, 53.6),
        public_sources: tuple[str, ...] = (),
        max_upload: int = 20 * 1024 * 1024,
        private_token: str = "",
    ) -> None:
        self.private_token = private_token
        self.private_reads = 0  # private status reads, to see polling back off
        self.private_searches: list[MultiDict[str]] = []  # the query of every private list request
        rows = json.loads(categories.read_text("utf-8"))
        by_pk = {r["pk"]: r["fields"] for r in rows}
        self.mains = {f["slug"]: f for f in by_pk.values() if f.get("parent") is None}
        self.subs: dict[tuple[str, str], dict[str, Any]] = {
            (by_pk[f["parent"]]["slug"], f["slug"]): f
            for f in by_pk.values()
            if f.get("parent") is not None
        }
        self.throttle, self.window = throttle, window
        self.bounding_box = bounding_box
        self.public_sources = {s.lower() for s in public_sources}
        self.max_upload = max_upload
        self.invalid_streets: set[str] = set()
        self.signals: dict[str, dict[str, Any]] = {}
        self.received: list[dict[str, Any]] = []  # every create body, valid or not
        self.faults = Faults()
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    # -- test controls ----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.faults.middleware], client_max_size=64 * 1024**2)
        app.router.add_post(f"{API}/signals/", self.create)
        app.router.add_get(f"{API}/signals/{{uuid}}", self.detail)
        app.router.add_get(f"{PRIVATE}/signals/", self.private_list)
        app.router.add_get(f"{PRIVATE}/signals/{{id:\\d+}}", self.private_detail)
        app.router.add_patch(f"{PRIVATE}/signals/{{id:\\d+}}", self.private_update)
        app.router.add_post(f"{PRIVATE}/signals/{{id:\\d+}}/attachments/", self.private_attach)
        app.router.add_post(f"{API}/signals/{{uuid}}/attachments/", self.attach)
        app.router.add_get(f"{API}/terms/categories/", self.category_list)
        app.router.add_get(f"{API}/terms/categories/{{main}}", self.category_main)
        app.router.add_get(
            f"{API}/terms/categories/{{main}}/sub_categories/{{sub}}", self.category_sub
        )
        return app

    def set_state(self, signal_id: str, state: str, text: str | None = None) -> None:
        """What a staff member does in the back office; refuses changes the workflow forbids."""
        signal = self.signals[signal_id]
        current = signal["status"]["state"]
        if state not in ALLOWED_CHANGES.get(current, set()):
            raise ValueError(f"Signalen does not allow {current!r} -> {state!r}")
        signal["status"] = {
            "state": state,
            "text": text,
            "created_at": _now(),
            "user": "medewerker",
        }
        signal["updated_at"] = _now()

    def by_number(self, number: int) -> dict[str, Any] | None:
        return next((s for s in self.signals.values() if s["id"] == number), None)

    def reset_throttle(self) -> None:
        self._hits.clear()

    # -- helpers ----------------------------------------------------------------------------

    def _throttled(self, request: web.Request) -> float | None:
        """Seconds to wait if this POST exceeds the anonymous rate, else None (and count it)."""
        now = time.monotonic()
        hits = self._hits[request.remote or "unknown"]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.throttle:
            return self.window - (now - hits[0])
        hits.append(now)
        return None

    def _public(self, request: web.Request, signal: dict[str, Any]) -> dict[str, Any]:
        state = signal["status"]["state"]
        closed = state in CLOSED
        return {
            "_links": {"self": {"href": f"{origin(request)}{API}/signals/{signal['uuid']}"}},
            "_display": f"SIG-{signal['id']}",
            "id": signal["id"],
            "id_display": f"SIG-{signal['id']}",
            "signal_id": signal["uuid"],
            "status": {
                "state": "CLOSED" if closed else "OPEN",
                "state_display": "Gesloten" if closed else "Open",
            },
            "created_at": signal["created_at"],
            "updated_at": signal["updated_at"],
            "incident_date_start": signal["incident_date_start"],
            "incident_date_end": signal.get("incident_date_end"),
        }

    def _category(self, url: Any) -> tuple[tuple[str, str] | None, str | None]:
        if not isinstance(url, str):
            return None, "Incorrect type. Expected URL string."
        path = re.sub(r"^[a-z]+://[^/]+", "", url)
        match = re.fullmatch(rf"{API}/terms/categories/([\w-]+)/sub_categories/([\w-]+)/?", path)
        if not match:
            return None, "Invalid hyperlink - No URL match."
        key = (match[1], match[2])
        if key not in self.subs or not self.subs[key].get("is_active", True):
            return None, "Invalid hyperlink - Object does not exist."
        return key, None

    def _location(self, value: Any) -> tuple[dict[str, Any], Any]:
        """(errors, non-field error) for the nested location."""
        if not isinstance(value, dict):
            return {}, "Invalid data. Expected a dictionary, but got str."
        errors: dict[str, list[str]] = {}
        geo = value.get("geometrie")
        if geo is None:
            return {}, "Coordinate data must be present"
        coords = geo.get("coordinates") if isinstance(geo, dict) else None
        if (
            not isinstance(geo, dict)
            or geo.get("type") != "Point"
            or not isinstance(coords, list)
            or len(coords) not in (2, 3)
            or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in coords)
        ):
            errors["geometrie"] = [
                "Invalid format: string or unicode input unrecognized as GeoJSON, WKT EWKT or "
                "HEXEWKB."
            ]
        else:
            lon, lat = coords[0], coords[1]
            lon_min, lat_min, lon_max, lat_max = self.bounding_box
            if not (lon_min <= lon <= lon_max and lat_min <= lat <= lat_max):
                errors["geometrie"] = [
                    "The location coordinates (WS84) are not inside the bounding box we are "
                    "accepting signals for."
                ]
        address = value.get("address")
        if address is not None:
            problems = self._address(address)
            if problems:
                errors["address"] = problems
            elif address.get("openbare_ruimte") in self.invalid_streets:
                return errors, {"location": ["Niet-bestaand adres."]}
        return errors, None

    @staticmethod
    def _address(address: Any) -> list[str]:
        if not isinstance(address, dict):
            return ["Expected an object."]
        problems = [f"Unknown address field {k!r}." for k in address if k not in ADDRESS_KEYS]
        huisnummer = address.get("huisnummer")
        if huisnummer is not None and not re.fullmatch(r"\d{1,5}", str(huisnummer)):
            problems.append("huisnummer must be a number.")
        letter = address.get("huisletter")
        if letter not in (None, "") and not re.fullmatch(r"[A-Za-z]", str(letter)):
            problems.append("huisletter must be one letter.")
        toevoeging = address.get("huisnummer_toevoeging")
        if toevoeging not in (None, "") and not re.fullmatch(r"[A-Za-z0-9]{1,4}", str(toevoeging)):
            problems.append("huisnummer_toevoeging must be at most 4 letters or digits.")
        postcode = address.get("postcode")
        if postcode not in (None, "") and not POSTCODE_RE.match(str(postcode)):
            problems.append("postcode must look like 1234AB.")
        for key in ("openbare_ruimte", "woonplaats"):
            if address.get(key) is not None and not isinstance(address[key], str):
                problems.append(f"{key} must be a string.")
        return problems

    def _validate(self, body: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, str] | None]:
        errors: dict[str, Any] = {}
        text = body.get("text")
        if text is None:
            errors["text"] = ["This field is required."]
        elif not isinstance(text, str) or not text.strip():
            errors["text"] = ["This field may not be blank."]
        elif len(text) > 3000:
            errors["text"] = ["Ensure this field has no more than 3000 characters."]
        text_extra = body.get("text_extra")
        if text_extra is not None and (not isinstance(text_extra, str) or len(text_extra) > 10000):
            errors["text_extra"] = ["Ensure this field has no more than 10000 characters."]
        source = body.get("source", "online")
        if not isinstance(source, str) or (
            source.lower() != "online" and source.lower() not in self.public_sources
        ):
            errors["source"] = ["Invalid source given, value not known"]

        if "location" not in body:
            errors["location"] = ["This field is required."]
        else:
            location_errors, non_field = self._location(body["location"])
            if location_errors:
                errors["location"] = location_errors
            elif non_field is not None:
                if isinstance(non_field, dict):
                    errors.update(non_field)
                else:
                    errors["location"] = {"non_field_errors": [non_field]}

        category_key = None
        category = body.get("category")
        if category is None:
            errors["category"] = ["This field is required."]
        elif not isinstance(category, dict):
            errors["category"] = {"non_field_errors": ["Invalid data."]}
        elif ("sub_category" in category) == ("category_url" in category):
            errors["category"] = {
                "non_field_errors": [
                    'Either the "sub_category" OR the "category_url" must be given'
                    if "sub_category" not in category
                    else 'Only the "sub_category" OR "category_url" can be given'
                ]
            }
        else:
            field = "sub_category" if "sub_category" in category else "category_url"
            category_key, problem = self._category(category[field])
            if problem:
                errors["category"] = {field: [problem]}

        reporter = body.get("reporter")
        if reporter is None:
            errors["reporter"] = ["This field is required."]
        elif not isinstance(reporter, dict):
            errors["reporter"] = {"non_field_errors": ["Invalid data."]}
        else:
            problems: dict[str, list[str]] = {}
            email = reporter.get("email")
            if email not in (None, "") and not (isinstance(email, str) and EMAIL_RE.match(email)):
                problems["email"] = ["Enter a valid email address."]
            phone = reporter.get("phone")
            if phone not in (None, "") and (not isinstance(phone, str) or len(phone) > 17):
                problems["phone"] = ["Ensure this field has no more than 17 characters."]
            if not isinstance(reporter.get("sharing_allowed", False), bool):
                problems["sharing_allowed"] = ["Must be a valid boolean."]
            if problems:
                errors["reporter"] = problems

        if "incident_date_start" not in body:
            errors["incident_date_start"] = ["This field is required."]
        elif _parse_datetime(body["incident_date_start"]) is None:
            errors["incident_date_start"] = [DATETIME_ERROR]
        end = body.get("incident_date_end")
        if end is not None and _parse_datetime(end) is None:
            errors["incident_date_end"] = [DATETIME_ERROR]
        extra = body.get("extra_properties")
        if extra is not None and not (
            isinstance(extra, list)
            and all(isinstance(e, dict) and {"id", "label", "answer"} <= e.keys() for e in extra)
        ):
            errors["extra_properties"] = ["Invalid input."]
        if body.get("session") is not None:
            errors["session"] = ["Session matching query does not exist."]
        return errors, category_key

    # -- handlers ---------------------------------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        wait = self._throttled(request)
        if wait is not None:
            seconds = max(1, int(wait + 0.999))
            return web.json_response(
                {"detail": f"Request was throttled. Expected available in {seconds} seconds."},
                status=429,
                headers={"Retry-After": str(seconds)},
            )
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"detail": "JSON parse error"}, status=400)
        self.received.append(body)
        if not isinstance(body, dict):
            return web.json_response({"non_field_errors": ["Invalid data."]}, status=400)
        extra_keys = set(body) - PUBLIC_FIELDS
        if extra_keys:
            message = f"Extra properties present: {', '.join(sorted(extra_keys))}"
            return web.json_response({"non_field_errors": [message]}, status=400)
        errors, category_key = self._validate(body)
        if errors:
            return web.json_response(errors, status=400)
        now = _now()
        signal = {
            "id": len(self.signals) + 1,
            "uuid": str(uuid.uuid4()),
            "source": body.get("source", "online"),
            "text": body["text"],
            "text_extra": body.get("text_extra", ""),
            "location": body["location"],
            "category": category_key,
            "reporter": body["reporter"],
            "incident_date_start": body["incident_date_start"],
            "incident_date_end": body.get("incident_date_end"),
            "extra_properties": body.get("extra_properties"),
            "status": {"state": "m", "text": None, "created_at": now},
            "attachments": [],
            "notes": [],
            "created_at": now,
            "updated_at": now,
        }
        self.signals[signal["uuid"]] = signal
        return web.json_response(self._public(request, signal), status=201)

    async def detail(self, request: web.Request) -> web.Response:
        signal = self.signals.get(request.match_info["uuid"])
        if signal is None:
            return web.json_response({"detail": "Not found."}, status=404)
        return web.json_response(self._public(request, signal))

    def _refused(self, request: web.Request) -> web.Response | None:
        """401 without a bearer token, 403 with another than the private token."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            detail = "Authenticatiegegevens zijn niet opgegeven."
            return web.json_response({"detail": detail}, status=401)
        if not self.private_token or header[len("Bearer ") :] != self.private_token:
            detail = "U heeft geen toestemming om deze actie uit te voeren."
            return web.json_response({"detail": detail}, status=403)
        return None

    async def private_list(self, request: web.Request) -> web.Response:
        """SignalFilterSet's `maincategory_slug`, `status` (both repeatable) and
        `created_after`; paginated by `page`/`page_size`, newest first."""
        refused = self._refused(request)
        if refused is not None:
            return refused
        self.private_searches.append(MultiDict(request.query))
        mains = request.query.getall("maincategory_slug", [])
        states = request.query.getall("status", [])
        # ModelMultipleChoiceFilter / MultipleChoiceFilter: an unknown choice is a 400.
        unknown = [m for m in mains if m not in self.mains]
        if unknown:
            message = f"Selecteer een geldige keuze. {unknown[0]} is geen beschikbare keuze."
            return web.json_response({"maincategory_slug": [message]}, status=400)
        wrong = [s for s in states if s not in STATE_DISPLAY]
        if wrong:
            message = f"Selecteer een geldige keuze. {wrong[0]} is geen beschikbare keuze."
            return web.json_response({"status": [message]}, status=400)
        after = _parse_datetime(request.query.get("created_after"))
        if "created_after" in request.query and after is None:
            return web.json_response(
                {"created_after": ["Voer een geldige datum/tijd in."]}, status=400
            )
        try:
            page = int(request.query.get("page", "1"))
            size = min(int(request.query.get("page_size", "100")), 100)
        except ValueError:
            return web.json_response({"detail": "Ongeldige pagina."}, status=404)
        rows = [
            s
            for s in sorted(self.signals.values(), key=lambda s: s["created_at"], reverse=True)
            if (not mains or (s["category"] and s["category"][0] in mains))
            and (not states or s["status"]["state"] in states)
            and (after is None or (_parse_datetime(s["created_at"]) or after) >= after)
        ]
        chunk = rows[(page - 1) * size : page * size]
        if page < 1 or (page > 1 and not chunk):
            return web.json_response({"detail": "Ongeldige pagina."}, status=404)
        base = f"{origin(request)}{PRIVATE}/signals/"
        more = page * size < len(rows)
        return web.json_response(
            {
                "_links": {
                    "self": {"href": base},
                    "next": {"href": f"{base}?page={page + 1}" if more else None},
                    "previous": {"href": None},
                },
                "count": len(rows),
                "results": [self._private(request, s) for s in chunk],
            }
        )

    async def private_update(self, request: web.Request) -> web.Response:
        """PATCH with `notes`: a list of {"text"} (the private serializer's NoteHALSerializer)."""
        refused = self._refused(request)
        if refused is not None:
            return refused
        signal = self.by_number(int(request.match_info["id"]))
        if signal is None:
            return web.json_response({"detail": "Niet gevonden."}, status=404)
        body = await request.json()
        notes = body.get("notes") if isinstance(body, dict) else None
        if not isinstance(notes, list) or not all(
            isinstance(n, dict) and isinstance(n.get("text"), str) and n["text"].strip()
            for n in notes
        ):
            return web.json_response({"notes": ["Ongeldige notitie."]}, status=400)
        for note in notes:
            signal["notes"].append(
                {"text": note["text"], "created_by": "balie", "created_at": _now()}
            )
        return web.json_response(self._private(request, signal))

    async def private_attach(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        signal = self.by_number(int(request.match_info["id"]))
        if signal is None:
            return web.json_response({"detail": "Niet gevonden."}, status=404)
        return await self._store_upload(request, signal, private=True)

    async def private_detail(self, request: web.Request) -> web.Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        self.private_reads += 1
        signal = self.by_number(int(request.match_info["id"]))
        if signal is None:
            return web.json_response({"detail": "Niet gevonden."}, status=404)
        return web.json_response(self._private(request, signal))

    def _private(self, request: web.Request, signal: dict[str, Any]) -> dict[str, Any]:
        status = signal["status"]
        location = signal["location"]
        address = location.get("address") or {}
        return {
            "_links": {"self": {"href": f"{origin(request)}{PRIVATE}/signals/{signal['id']}"}},
            "_display": f"{signal['id']} - {status['state']}",
            "id": signal["id"],
            "id_display": f"SIG-{signal['id']}",
            "signal_id": signal["uuid"],
            "source": signal["source"],
            "text": signal["text"],
            "text_extra": signal["text_extra"],
            "status": {
                "text": status.get("text"),
                "user": status.get("user"),
                "state": status["state"],
                "state_display": STATE_DISPLAY.get(status["state"], status["state"]),
                "target_api": None,
                "extra_properties": None,
                "send_email": False,
                "created_at": status["created_at"],
            },
            "created_at": signal["created_at"],
            "updated_at": signal["updated_at"],
            "incident_date_start": signal["incident_date_start"],
            "category": {"main_slug": signal["category"][0], "sub_slug": signal["category"][1]}
            if signal["category"]
            else None,
            "location": {
                "geometrie": location["geometrie"],
                "address": address or None,
                "address_text": " ".join(
                    str(address[k])
                    for k in ("openbare_ruimte", "huisnummer", "postcode", "woonplaats")
                    if address.get(k)
                ),
            },
            "notes": signal["notes"],
        }

    async def attach(self, request: web.Request) -> web.Response:
        signal = self.signals.get(request.match_info["uuid"])
        if signal is None:
            return web.json_response({"detail": "Not found."}, status=404)
        return await self._store_upload(request, signal, private=False)

    async def _store_upload(
        self, request: web.Request, signal: dict[str, Any], *, private: bool
    ) -> web.Response:
        if not request.content_type.startswith("multipart/"):
            return web.json_response(
                {"detail": f'Unsupported media type "{request.content_type}" in request.'},
                status=415,
            )
        upload = (await request.post()).get("file")
        if not isinstance(upload, web.FileField):
            return web.json_response({"file": ["No file was submitted."]}, status=400)
        with upload.file:
            data = upload.file.read()
        kind = next((v for k, v in SIGNATURES.items() if data.startswith(k)), None)
        extension = upload.filename.rsplit(".", 1)[-1].lower() if "." in upload.filename else ""
        if kind is None:
            return web.json_response({"file": ["Bestandstype is niet toegestaan."]}, status=400)
        if extension not in kind[1]:
            return web.json_response(
                {"file": ["Bestandsnaam komt niet overeen met het bestandstype."]}, status=400
            )
        if len(data) > self.max_upload:
            return web.json_response({"file": ["Bestand is te groot."]}, status=400)
        if not private and signal["status"]["state"] not in UPLOAD_STATES:
            return web.json_response(
                ["Public uploads not allowed in current signal state."], status=400
            )
        now = _now()
        signal["attachments"].append(
            {"filename": upload.filename, "content_type": kind[0], "data": data, "created_at": now}
        )
        number = len(signal["attachments"])
        href = f"{origin(request)}/signals/media/attachments/{signal['uuid']}/{number}"
        return web.json_response(
            {
                "_display": f"Attachment object ({number})",
                "_links": {"self": {"href": href}},
                "location": href,
                "is_image": True,
                "created_at": now,
            },
            status=201,
        )

    def _sub_json(self, request: web.Request, main: str, sub: str) -> dict[str, Any]:
        fields = self.subs[(main, sub)]
        href = f"{origin(request)}{API}/terms/categories/{main}/sub_categories/{sub}"
        return {
            "_links": {"self": {"href": href}},
            "_display": fields["name"],
            "name": fields["name"],
            "slug": sub,
            "is_active": fields.get("is_active", True),
            "handling": fields.get("handling"),
        }

    def _main_json(self, request: web.Request, main: str) -> dict[str, Any]:
        href = f"{origin(request)}{API}/terms/categories/{main}"
        return {
            "_links": {"self": {"href": href}},
            "_display": self.mains[main]["name"],
            "name": self.mains[main]["name"],
            "slug": main,
            "sub_categories": [self._sub_json(request, m, s) for m, s in self.subs if m == main],
        }

    async def category_list(self, request: web.Request) -> web.Response:
        results = [self._main_json(request, main) for main in self.mains]
        return web.json_response({"count": len(results), "results": results})

    async def category_main(self, request: web.Request) -> web.Response:
        main = request.match_info["main"]
        if main not in self.mains:
            return web.json_response({"detail": "Not found."}, status=404)
        return web.json_response(self._main_json(request, main))

    async def category_sub(self, request: web.Request) -> web.Response:
        key = (request.match_info["main"], request.match_info["sub"])
        if key not in self.subs:
            return web.json_response({"detail": "Not found."}, status=404)
        return web.json_response(self._sub_json(request, *key))
