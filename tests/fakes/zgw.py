"""A fake Open Zaak: Zaken API 1.5, Documenten API and a read-only Catalogi API.

Served under one root like Open Zaak: `/zaken/api/v1`, `/documenten/api/v1`,
`/catalogi/api/v1`. Validates as the VNG standard and Open Zaak do:
* every request: `Authorization: Bearer <JWT>` signed HS256 with the client's secret,
  with `client_id` and `iat` claims (not older than `jwt_expiry`, not in the future);
* `/zaken` (a GeoJSON resource): `Accept-Crs: EPSG:4326` on every request and
  `Content-Crs: EPSG:4326` on writes (412 if missing, 406 if another CRS);
* zaak: `bronorganisatie`, `verantwoordelijkeOrganisatie` (9-digit RSIN passing the
  elfproef), `zaaktype` (an existing zaaktype), `startdatum` (YYYY-MM-DD) required;
  `omschrijving` <= 80, `toelichting` <= 1000, `identificatie` <= 40 and unique within
  the bronorganisatie (generated `ZAAK-2026-0000000001` when absent), `zaakgeometrie`
  a GeoJSON geometry (Points also checked to lie in the Netherlands, which catches
  swapped [lat, lon]), `kenmerken` with `kenmerk`/`bron` <= 40;
* status: `zaak`, `statustype` of that zaak's zaaktype, `datumStatusGezet` (date-time)
  required, `statustoelichting` <= 1000; the eindstatus closes the zaak (`einddatum`);
* enkelvoudiginformatieobject: `bronorganisatie` (RSIN), `creatiedatum` (date), `titel`
  and `auteur` (1..200), `taal` (3 letters), `informatieobjecttype` (existing), base64
  `inhoud`, `bestandsnaam`/`formaat` <= 255, `bestandsomvang` equal to the content size;
* zaakinformatieobject: existing `zaak` and `informatieobject`, unique together.
Errors are problem+json (`invalidParams` with `name`, `code`, `reason`).
Staff actions: `set_status(zaak_uuid, statustype_url, toelichting)`.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import jwt
from aiohttp import web

from tests.fakes import Faults, LoopbackServer, origin, serve
from tests.fakes.notificaties import FakeNotificaties

ZAKEN = "/zaken/api/v1"
DOCUMENTEN = "/documenten/api/v1"
CATALOGI = "/catalogi/api/v1"
CRS = "EPSG:4326"
NL = ZoneInfo("Europe/Amsterdam")  # Open Zaak's TIME_ZONE: "today" is a Dutch date
NL_BOUNDS = (3.2, 50.7, 7.3, 53.7)  # lon_min, lat_min, lon_max, lat_max
VERTROUWELIJKHEID = {
    "openbaar",
    "beperkt_openbaar",
    "intern",
    "zaakvertrouwelijk",
    "vertrouwelijk",
    "confidentieel",
    "geheim",
    "zeer_geheim",
}
GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}


def elfproef(value: Any) -> bool:
    """RSIN/BSN 11-proof: 9 digits, sum(d_i * (9 - i)) - d_9 divisible by 11."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{9}", value):
        return False
    digits = [int(d) for d in value]
    return (sum(d * (9 - i) for i, d in enumerate(digits[:8])) - digits[8]) % 11 == 0


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def problem(
    request: web.Request, status: int, code: str, title: str, detail: str = "", **extra: Any
) -> web.Response:
    body = {
        "type": f"https://vng.nl/fouten/{code}",
        "code": code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": f"urn:uuid:{uuid.uuid4()}",
        **extra,
    }
    return web.json_response(body, status=status, content_type="application/problem+json")


def _ring(geometry: Any) -> list[tuple[float, float]] | None:
    """The outer ring of a GeoJSON Polygon as (lon, lat), or None if it is not one."""
    if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
        return None
    rings = geometry.get("coordinates")
    if not isinstance(rings, list) or not rings or not isinstance(rings[0], list):
        return None
    try:
        ring = [(float(p[0]), float(p[1])) for p in rings[0]]
    except (TypeError, ValueError, IndexError):
        return None
    return ring if len(ring) >= 4 and ring[0] == ring[-1] else None


def _inside(geometry: Any, ring: list[tuple[float, float]]) -> bool:
    """Does a Point lie within the ring (ray casting)?"""
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        return False
    x, y = geometry["coordinates"][:2]
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def invalid(request: web.Request, params: list[tuple[str, str, str]]) -> web.Response:
    return problem(
        request,
        400,
        "invalid",
        "Invalid input.",
        invalidParams=[{"name": n, "code": c, "reason": r} for n, c, r in params],
    )


class Checks:
    """Collects field errors as the DRF serializers of Open Zaak would report them."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.errors: list[tuple[str, str, str]] = []

    def add(self, name: str, code: str, reason: str) -> None:
        self.errors.append((name, code, reason))

    def required(self, *names: str) -> None:
        for name in names:
            if self.body.get(name) in (None, ""):
                self.add(name, "required", "Dit veld is vereist.")

    def max_length(self, name: str, limit: int, *, min_length: int = 0) -> None:
        value = self.body.get(name)
        if value is None:
            return
        if not isinstance(value, str):
            self.add(name, "invalid", "Geen geldige string.")
        elif len(value) > limit:
            reason = f"Zorg ervoor dat dit veld niet meer dan {limit} karakters bevat."
            self.add(name, "max_length", reason)
        elif len(value) < min_length:
            reason = f"Zorg ervoor dat dit veld minimaal {min_length} karakters bevat."
            self.add(name, "min_length", reason)

    def rsin(self, name: str) -> None:
        value = self.body.get(name)
        if value not in (None, "") and not elfproef(value):
            reason = "Onjuist RSIN nummer: moet 9 cijfers zijn en de elfproef doorstaan."
            self.add(name, "invalid", reason)

    def date(self, name: str) -> None:
        value = self.body.get(name)
        if value not in (None, "") and _date(value) is None:
            self.add(name, "invalid", "Datum heeft het verkeerde formaat, gebruik YYYY-MM-DD.")

    def datetime(self, name: str) -> None:
        value = self.body.get(name)
        if value not in (None, "") and _datetime(value) is None:
            self.add(name, "invalid", "Datetime heeft een ongeldig formaat.")

    def url(self, name: str, exists: Callable[[str], bool], what: str) -> None:
        value = self.body.get(name)
        if value in (None, ""):
            return
        if not isinstance(value, str) or not re.match(r"^https?://", value):
            self.add(name, "invalid", "Voer een geldige URL in.")
        elif not exists(value):
            self.add(name, "bad-url", f"De URL {value} resulteert niet in een geldig {what}.")


class FakeZgw:
    def __init__(
        self,
        *,
        client_id: str = "balie",
        secret: str = "een-lang-geheim-voor-de-tests-van-balie",
        jwt_expiry: float = 3600.0,
        leeway: float = 5.0,
    ) -> None:
        self.clients = {client_id: secret}
        self.jwt_expiry, self.leeway = jwt_expiry, leeway
        self.faults = Faults()
        # Catalogus: uuid -> object (URLs are made per request from the server's origin).
        self.zaaktypen: dict[str, dict[str, Any]] = {}
        self.statustypen: dict[str, dict[str, Any]] = {}
        self.informatieobjecttypen: dict[str, dict[str, Any]] = {}
        self.zaken: dict[str, dict[str, Any]] = {}
        self.statussen: dict[str, dict[str, Any]] = {}
        self.documenten: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, bytes] = {}
        self.zios: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        # Its Notificaties API: a new status is published on kanaal `zaken`.
        self.notificaties = FakeNotificaties()
        self._numbers = itertools.count(1)
        self.base_url = ""
        self.add_zaaktype("melding", ["Gemeld", "In behandeling", "Ingepland", "Afgehandeld"])
        self.add_zaaktype("verzoek", ["Ontvangen", "In behandeling", "Afgehandeld"])
        self.add_informatieobjecttype("Foto")

    # -- catalogus --------------------------------------------------------------------------

    def add_zaaktype(self, omschrijving: str, statussen: list[str]) -> str:
        key = str(uuid.uuid4())
        types = []
        for number, name in enumerate(statussen, 1):
            st = str(uuid.uuid4())
            self.statustypen[st] = {
                "uuid": st,
                "omschrijving": name,
                "volgnummer": number,
                "isEindstatus": number == len(statussen),
                "zaaktype": key,
            }
            types.append(st)
        self.zaaktypen[key] = {"uuid": key, "omschrijving": omschrijving, "statustypen": types}
        return key

    def add_informatieobjecttype(self, omschrijving: str) -> str:
        key = str(uuid.uuid4())
        self.informatieobjecttypen[key] = {"uuid": key, "omschrijving": omschrijving}
        return key

    def zaaktype_url(self, omschrijving: str) -> str:
        key = next(k for k, v in self.zaaktypen.items() if v["omschrijving"] == omschrijving)
        return f"{self.base_url}{CATALOGI}/zaaktypen/{key}"

    def statustype_url(self, zaaktype: str, omschrijving: str) -> str:
        zt = next(v for v in self.zaaktypen.values() if v["omschrijving"] == zaaktype)
        key = next(
            k for k in zt["statustypen"] if self.statustypen[k]["omschrijving"] == omschrijving
        )
        return f"{self.base_url}{CATALOGI}/statustypen/{key}"

    def informatieobjecttype_url(self, omschrijving: str = "Foto") -> str:
        key = next(
            k for k, v in self.informatieobjecttypen.items() if v["omschrijving"] == omschrijving
        )
        return f"{self.base_url}{CATALOGI}/informatieobjecttypen/{key}"

    @staticmethod
    def _key(url: str, path: str) -> str | None:
        match = re.search(rf"{re.escape(path)}/([0-9a-f\-]{{36}})/?$", url or "")
        return match[1] if match else None

    # -- test controls ----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(
            middlewares=[self.faults.middleware, self._log, self._auth, self._crs],
            client_max_size=64 * 1024**2,
        )
        r = app.router
        r.add_get(f"{ZAKEN}/zaken", self.zaak_list)
        r.add_post(f"{ZAKEN}/zaken", self.zaak_create)
        r.add_post(f"{ZAKEN}/zaken/_zoek", self.zaak_search)
        r.add_get(f"{ZAKEN}/zaken/{{uuid}}", self.zaak_read)
        r.add_post(f"{ZAKEN}/statussen", self.status_create)
        r.add_get(f"{ZAKEN}/statussen/{{uuid}}", self.status_read)
        r.add_post(f"{ZAKEN}/zaakinformatieobjecten", self.zio_create)
        r.add_get(f"{ZAKEN}/zaakinformatieobjecten", self.zio_list)
        r.add_post(f"{DOCUMENTEN}/enkelvoudiginformatieobjecten", self.eio_create)
        r.add_get(f"{DOCUMENTEN}/enkelvoudiginformatieobjecten/{{uuid}}", self.eio_read)
        r.add_get(
            f"{DOCUMENTEN}/enkelvoudiginformatieobjecten/{{uuid}}/download", self.eio_download
        )
        r.add_get(f"{CATALOGI}/zaaktypen/{{uuid}}", self.zaaktype_read)
        r.add_get(f"{CATALOGI}/statustypen/{{uuid}}", self.statustype_read)
        r.add_get(f"{CATALOGI}/informatieobjecttypen/{{uuid}}", self.iot_read)
        self.notificaties.install(app)
        return app

    def set_status(
        self,
        zaak_uuid: str,
        statustype_url: str,
        toelichting: str = "",
        when: datetime | None = None,
    ) -> dict[str, Any]:
        """What a behandelaar does in Open Zaak: give the zaak a new status (published to
        the Notificaties API's subscribers when an event loop runs)."""
        zaak = self.zaken[zaak_uuid]
        st = self._key(statustype_url, "/statustypen")
        if st not in self._zaaktype_of(zaak)["statustypen"]:
            raise ValueError("statustype does not belong to the zaaktype of this zaak")
        return self._add_status(zaak, st, when or _now(), toelichting, root=self.base_url)

    def status_notification(self, status: dict[str, Any]) -> dict[str, Any]:
        """The notification Open Zaak sends for a new status."""
        zaak = self.zaken[self._key(status["zaak"], "/zaken") or ""]
        return self.notificaties.notification(
            "zaken",
            zaak["url"],
            "status",
            status["url"],
            "create",
            {
                "bronorganisatie": zaak["bronorganisatie"],
                "zaaktype": zaak["zaaktype"],
                "vertrouwelijkheidaanduiding": zaak.get("vertrouwelijkheidaanduiding", "openbaar"),
            },
        )

    # -- middlewares ------------------------------------------------------------------------

    @web.middleware
    async def _log(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        return await handler(request)

    @web.middleware
    async def _auth(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return problem(
                request, 403, "not_authenticated", "Authenticatiegegevens zijn niet opgegeven."
            )
        token = header[len("Bearer ") :]
        try:
            claims = jwt.decode(token, options={"verify_signature": False}, algorithms=["HS256"])
            client_id = claims.get("client_id")
            secret = self.clients.get(client_id or "")
            if secret is None:
                raise jwt.InvalidTokenError("unknown client_id")
            header_alg = jwt.get_unverified_header(token).get("alg")
            if header_alg != "HS256":
                raise jwt.InvalidTokenError(f"algorithm {header_alg} not allowed")
            claims = jwt.decode(token, secret, algorithms=["HS256"], leeway=self.leeway)
            iat = claims.get("iat")
            if not isinstance(iat, (int, float)):
                raise jwt.InvalidTokenError("iat claim missing")
            if iat > time.time() + self.leeway:
                raise jwt.InvalidTokenError("iat in the future")
            if iat + self.jwt_expiry < time.time():
                raise jwt.InvalidTokenError("JWT expired")
        except jwt.PyJWTError as exc:
            return problem(request, 403, "permission_denied", "Niet geautoriseerd.", str(exc))
        request["claims"] = claims
        return await handler(request)

    @web.middleware
    async def _crs(self, request: web.Request, handler: Callable) -> web.StreamResponse:
        if not request.path.startswith(f"{ZAKEN}/zaken"):
            return await handler(request)
        if request.method in ("POST", "PUT", "PATCH"):
            content_crs = request.headers.get("Content-Crs")
            if content_crs is None:
                return problem(
                    request,
                    412,
                    "precondition_failed",
                    "Precondition failed",
                    "'Content-Crs' header ontbreekt",
                )
            if content_crs != CRS:
                return problem(
                    request,
                    406,
                    "not_acceptable",
                    "Not acceptable",
                    f"CRS '{content_crs}' is niet ondersteund",
                )
        accept_crs = request.headers.get("Accept-Crs")
        if accept_crs is None:
            return problem(
                request,
                412,
                "precondition_failed",
                "Precondition failed",
                "'Accept-Crs' header ontbreekt",
            )
        if accept_crs != CRS:
            return problem(
                request,
                406,
                "not_acceptable",
                "Not acceptable",
                f"CRS '{accept_crs}' is niet ondersteund",
            )
        response = await handler(request)
        response.headers["Content-Crs"] = CRS
        return response

    # -- helpers ----------------------------------------------------------------------------

    def _zaaktype_of(self, zaak: dict[str, Any]) -> dict[str, Any]:
        return self.zaaktypen[zaak["_zaaktype"]]

    def _add_status(
        self, zaak: dict[str, Any], statustype: str, when: datetime, toelichting: str, root: str
    ) -> dict[str, Any]:
        key = str(uuid.uuid4())
        status = {
            "url": f"{root}{ZAKEN}/statussen/{key}",
            "uuid": key,
            "zaak": zaak["url"],
            "statustype": f"{root}{CATALOGI}/statustypen/{statustype}",
            "datumStatusGezet": when.isoformat(),
            "statustoelichting": toelichting,
            "indicatieLaatstGezetteStatus": True,
            "gezetdoor": None,
            "zaakinformatieobjecten": [],
        }
        for other in self.statussen.values():
            if other["zaak"] == zaak["url"]:
                other["indicatieLaatstGezetteStatus"] = False
        self.statussen[key] = status
        zaak["status"] = status["url"]
        if self.statustypen[statustype]["isEindstatus"]:
            zaak["einddatum"] = when.date().isoformat()
        else:
            zaak["einddatum"] = None
        if self.notificaties.abonnementen:
            self.notificaties.publish(self.status_notification(status))
        return status

    @staticmethod
    async def _json(request: web.Request) -> dict[str, Any] | None:
        try:
            body = await request.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _not_found(self, request: web.Request) -> web.Response:
        return problem(request, 404, "not_found", "Niet gevonden.")

    # -- zaken ------------------------------------------------------------------------------

    def _geometry(self, checks: Checks, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, dict) or value.get("type") not in GEOMETRY_TYPES:
            checks.add("zaakgeometrie", "invalid", "Ongeldige GeoJSON geometrie.")
            return
        coords = value.get("coordinates")
        if value["type"] != "Point":
            if not isinstance(coords, list) or not coords:
                checks.add("zaakgeometrie", "invalid", "Ongeldige GeoJSON geometrie.")
            return
        if (
            not isinstance(coords, list)
            or len(coords) not in (2, 3)
            or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in coords)
        ):
            checks.add("zaakgeometrie", "invalid", "Ongeldige GeoJSON geometrie.")
            return
        lon, lat = coords[0], coords[1]
        lon_min, lat_min, lon_max, lat_max = NL_BOUNDS
        if not (lon_min <= lon <= lon_max and lat_min <= lat <= lat_max):
            checks.add(
                "zaakgeometrie",
                "invalid",
                "Punt ligt niet in Nederland (GeoJSON is [lengtegraad, breedtegraad]).",
            )

    async def zaak_create(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        if body is None:
            return invalid(request, [("nonFieldErrors", "parse_error", "Ongeldige JSON.")])
        checks = Checks(body)
        checks.required("bronorganisatie", "zaaktype", "verantwoordelijkeOrganisatie", "startdatum")
        checks.max_length("bronorganisatie", 9)
        checks.max_length("verantwoordelijkeOrganisatie", 9)
        checks.rsin("bronorganisatie")
        checks.rsin("verantwoordelijkeOrganisatie")
        checks.max_length("identificatie", 40)
        checks.max_length("omschrijving", 80)
        checks.max_length("toelichting", 1000)
        checks.date("startdatum")
        checks.date("registratiedatum")
        checks.date("einddatumGepland")
        checks.date("uiterlijkeEinddatumAfdoening")
        checks.url("zaaktype", lambda u: self._key(u, "/zaaktypen") in self.zaaktypen, "ZAAKTYPE")
        if body.get("vertrouwelijkheidaanduiding") not in (None, *VERTROUWELIJKHEID):
            checks.add("vertrouwelijkheidaanduiding", "invalid_choice", "Ongeldige keuze.")
        registratie = _date(body.get("registratiedatum"))
        if registratie and registratie > datetime.now(NL).date():
            reason = "Datum mag niet in de toekomst liggen."
            checks.add("registratiedatum", "future-not-allowed", reason)
        self._geometry(checks, body.get("zaakgeometrie"))
        kenmerken = body.get("kenmerken", [])
        if not isinstance(kenmerken, list) or not all(
            isinstance(k, dict)
            and all(isinstance(k.get(f), str) and 0 < len(k[f]) <= 40 for f in ("kenmerk", "bron"))
            for k in kenmerken
        ):
            checks.add("kenmerken", "invalid", "kenmerk en bron zijn vereist, maximaal 40 tekens.")
        identificatie = body.get("identificatie")
        bron = body.get("bronorganisatie")
        if identificatie and any(
            (z["identificatie"], z["bronorganisatie"]) == (identificatie, bron)
            for z in self.zaken.values()
        ):
            checks.add(
                "identificatie",
                "identificatie-niet-uniek",
                "Deze identificatie bestaat al voor deze bronorganisatie",
            )
        if checks.errors:
            return invalid(request, checks.errors)
        root = origin(request)
        key = str(uuid.uuid4())
        today = date.today()
        zaak = {
            "url": f"{root}{ZAKEN}/zaken/{key}",
            "uuid": key,
            "identificatie": identificatie or f"ZAAK-{today.year}-{next(self._numbers):010d}",
            "bronorganisatie": body["bronorganisatie"],
            "omschrijving": body.get("omschrijving", ""),
            "toelichting": body.get("toelichting", ""),
            "zaaktype": body["zaaktype"],
            "registratiedatum": body.get("registratiedatum") or today.isoformat(),
            "verantwoordelijkeOrganisatie": body["verantwoordelijkeOrganisatie"],
            "startdatum": body["startdatum"],
            "einddatum": None,
            "einddatumGepland": body.get("einddatumGepland"),
            "uiterlijkeEinddatumAfdoening": body.get("uiterlijkeEinddatumAfdoening"),
            "publicatiedatum": None,
            "communicatiekanaal": body.get("communicatiekanaal", ""),
            "productenOfDiensten": [],
            "vertrouwelijkheidaanduiding": body.get("vertrouwelijkheidaanduiding", "openbaar"),
            "betalingsindicatie": "",
            "betalingsindicatieWeergave": "",
            "laatsteBetaaldatum": None,
            "zaakgeometrie": body.get("zaakgeometrie"),
            "verlenging": None,
            "opschorting": {"indicatie": False, "reden": ""},
            "selectielijstklasse": "",
            "hoofdzaak": None,
            "deelzaken": [],
            "relevanteAndereZaken": [],
            "eigenschappen": [],
            "rollen": [],
            "status": None,
            "zaakinformatieobjecten": [],
            "zaakobjecten": [],
            "kenmerken": kenmerken,
            "archiefnominatie": None,
            "archiefstatus": "nog_te_archiveren",
            "archiefactiedatum": None,
            "resultaat": None,
            "_zaaktype": self._key(body["zaaktype"], "/zaaktypen"),
        }
        self.zaken[key] = zaak
        return web.json_response(self._public(zaak), status=201, headers={"Location": zaak["url"]})

    @staticmethod
    def _public(obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    async def zaak_read(self, request: web.Request) -> web.Response:
        zaak = self.zaken.get(request.match_info["uuid"])
        return web.json_response(self._public(zaak)) if zaak else self._not_found(request)

    async def zaak_list(self, request: web.Request) -> web.Response:
        results = [
            self._public(z)
            for z in self.zaken.values()
            if all(
                z.get(f) == request.query[f]
                for f in ("identificatie", "bronorganisatie")
                if f in request.query
            )
        ]
        return web.json_response(
            {"count": len(results), "next": None, "previous": None, "results": results}
        )

    async def zaak_search(self, request: web.Request) -> web.Response:
        """`POST /zaken/_zoek`: `zaakgeometrie.within` (a Polygon), `zaaktype` and
        `startdatum__gte` as the Zaken API takes them; paginated like the list."""
        body = await self._json(request)
        if body is None:
            return invalid(request, [("nonFieldErrors", "parse_error", "Ongeldige JSON.")])
        within = (body.get("zaakgeometrie") or {}).get("within")
        ring = _ring(within)
        if within is not None and ring is None:
            return invalid(
                request, [("zaakgeometrie.within", "invalid", "Ongeldige GeoJSON geometrie.")]
            )
        since = _date(body["startdatum__gte"]) if "startdatum__gte" in body else None
        if "startdatum__gte" in body and since is None:
            return invalid(request, [("startdatum__gte", "invalid", "Ongeldige datum.")])
        results = [
            self._public(z)
            for z in self.zaken.values()
            if body.get("zaaktype") in (None, z["zaaktype"])
            and (since is None or date.fromisoformat(z["startdatum"]) >= since)
            and (ring is None or _inside(z.get("zaakgeometrie"), ring))
        ]
        return web.json_response(
            {"count": len(results), "next": None, "previous": None, "results": results}
        )

    # -- statussen --------------------------------------------------------------------------

    async def status_create(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        if body is None:
            return invalid(request, [("nonFieldErrors", "parse_error", "Ongeldige JSON.")])
        checks = Checks(body)
        checks.required("zaak", "statustype", "datumStatusGezet")
        checks.datetime("datumStatusGezet")
        checks.max_length("statustoelichting", 1000)
        checks.url("zaak", lambda u: self._key(u, "/zaken") in self.zaken, "ZAAK")
        checks.url(
            "statustype", lambda u: self._key(u, "/statustypen") in self.statustypen, "STATUSTYPE"
        )
        zaak = self.zaken.get(self._key(body.get("zaak", ""), "/zaken") or "")
        statustype = self._key(body.get("statustype", ""), "/statustypen")
        if (
            zaak
            and statustype in self.statustypen
            and (statustype not in self._zaaktype_of(zaak)["statustypen"])
        ):
            checks.add(
                "nonFieldErrors",
                "zaaktype-mismatch",
                "De referentie hoort niet bij het zaaktype van de zaak.",
            )
        when = _datetime(body.get("datumStatusGezet"))
        if when and when > _now():
            reason = "Deze datum mag niet in de toekomst zijn"
            checks.add("datumStatusGezet", "date-in-future", reason)
        if checks.errors:
            return invalid(request, checks.errors)
        assert zaak is not None and statustype is not None and when is not None
        status = self._add_status(
            zaak, statustype, when, body.get("statustoelichting", ""), origin(request)
        )
        return web.json_response(status, status=201, headers={"Location": status["url"]})

    async def status_read(self, request: web.Request) -> web.Response:
        status = self.statussen.get(request.match_info["uuid"])
        return web.json_response(status) if status else self._not_found(request)

    # -- documenten -------------------------------------------------------------------------

    async def eio_create(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        if body is None:
            return invalid(request, [("nonFieldErrors", "parse_error", "Ongeldige JSON.")])
        checks = Checks(body)
        checks.required(
            "bronorganisatie", "creatiedatum", "titel", "auteur", "taal", "informatieobjecttype"
        )
        checks.max_length("bronorganisatie", 9)
        checks.rsin("bronorganisatie")
        checks.date("creatiedatum")
        checks.max_length("titel", 200, min_length=1)
        checks.max_length("auteur", 200, min_length=1)
        checks.max_length("taal", 3, min_length=3)
        checks.max_length("bestandsnaam", 255)
        checks.max_length("formaat", 255)
        checks.max_length("identificatie", 40)
        checks.max_length("beschrijving", 1000)
        checks.url(
            "informatieobjecttype",
            lambda u: self._key(u, "/informatieobjecttypen") in self.informatieobjecttypen,
            "INFORMATIEOBJECTTYPE",
        )
        if body.get("vertrouwelijkheidaanduiding") not in (None, "", *VERTROUWELIJKHEID):
            checks.add("vertrouwelijkheidaanduiding", "invalid_choice", "Ongeldige keuze.")
        content = b""
        inhoud = body.get("inhoud")
        if inhoud is not None:
            try:
                content = base64.b64decode(inhoud, validate=True)
            except (binascii.Error, TypeError, ValueError):
                checks.add("inhoud", "invalid", "Het bestand is niet geldig base64-gecodeerd.")
        size = body.get("bestandsomvang")
        if size is not None and inhoud is not None and size != len(content):
            reason = "Bestandsomvang komt niet overeen met de inhoud."
            checks.add("bestandsomvang", "file-size", reason)
        if checks.errors:
            return invalid(request, checks.errors)
        root = origin(request)
        key = str(uuid.uuid4())
        url = f"{root}{DOCUMENTEN}/enkelvoudiginformatieobjecten/{key}"
        document = {
            "url": url,
            "identificatie": body.get("identificatie")
            or f"DOCUMENT-{date.today().year}-{next(self._numbers):010d}",
            "bronorganisatie": body["bronorganisatie"],
            "creatiedatum": body["creatiedatum"],
            "titel": body["titel"],
            "vertrouwelijkheidaanduiding": body.get("vertrouwelijkheidaanduiding") or "openbaar",
            "auteur": body["auteur"],
            "status": body.get("status", ""),
            "formaat": body.get("formaat", ""),
            "taal": body["taal"],
            "versie": 1,
            "beginRegistratie": _now().isoformat(),
            "bestandsnaam": body.get("bestandsnaam", ""),
            "inhoud": f"{url}/download?versie=1",
            "bestandsomvang": len(content),
            "link": body.get("link", ""),
            "beschrijving": body.get("beschrijving", ""),
            "indicatieGebruiksrecht": body.get("indicatieGebruiksrecht"),
            "informatieobjecttype": body["informatieobjecttype"],
            "locked": False,
            "bestandsdelen": [],
            "trefwoorden": [],
        }
        self.documenten[key] = document
        self.contents[key] = content
        return web.json_response(document, status=201, headers={"Location": url})

    async def eio_read(self, request: web.Request) -> web.Response:
        document = self.documenten.get(request.match_info["uuid"])
        return web.json_response(document) if document else self._not_found(request)

    async def eio_download(self, request: web.Request) -> web.Response:
        key = request.match_info["uuid"]
        if key not in self.contents:
            return self._not_found(request)
        return web.Response(
            body=self.contents[key], content_type=self.documenten[key]["formaat"] or None
        )

    async def zio_create(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        if body is None:
            return invalid(request, [("nonFieldErrors", "parse_error", "Ongeldige JSON.")])
        checks = Checks(body)
        checks.required("informatieobject", "zaak")
        checks.max_length("titel", 200)
        checks.url("zaak", lambda u: self._key(u, "/zaken") in self.zaken, "ZAAK")
        checks.url(
            "informatieobject",
            lambda u: self._key(u, "/enkelvoudiginformatieobjecten") in self.documenten,
            "INFORMATIEOBJECT",
        )
        if any(
            z["zaak"] == body.get("zaak") and z["informatieobject"] == body.get("informatieobject")
            for z in self.zios.values()
        ):
            checks.add(
                "nonFieldErrors",
                "unique",
                "De velden zaak, informatieobject moeten een unieke set zijn.",
            )
        if checks.errors:
            return invalid(request, checks.errors)
        root = origin(request)
        key = str(uuid.uuid4())
        zio = {
            "url": f"{root}{ZAKEN}/zaakinformatieobjecten/{key}",
            "uuid": key,
            "informatieobject": body["informatieobject"],
            "zaak": body["zaak"],
            "aardRelatieWeergave": "Hoort bij, omgekeerd: kent",
            "titel": body.get("titel", ""),
            "beschrijving": body.get("beschrijving", ""),
            "registratiedatum": _now().isoformat(),
            "vernietigingsdatum": None,
            "status": None,
        }
        self.zios[key] = zio
        zaak = self.zaken[self._key(body["zaak"], "/zaken") or ""]
        zaak["zaakinformatieobjecten"].append(zio["url"])
        return web.json_response(zio, status=201, headers={"Location": zio["url"]})

    async def zio_list(self, request: web.Request) -> web.Response:
        zaak = request.query.get("zaak")
        return web.json_response(
            [z for z in self.zios.values() if zaak is None or z["zaak"] == zaak]
        )

    # -- catalogi ---------------------------------------------------------------------------

    async def zaaktype_read(self, request: web.Request) -> web.Response:
        zt = self.zaaktypen.get(request.match_info["uuid"])
        if zt is None:
            return self._not_found(request)
        root = origin(request)
        return web.json_response(
            {
                "url": f"{root}{CATALOGI}/zaaktypen/{zt['uuid']}",
                "omschrijving": zt["omschrijving"],
                "statustypen": [f"{root}{CATALOGI}/statustypen/{s}" for s in zt["statustypen"]],
                "concept": False,
            }
        )

    async def statustype_read(self, request: web.Request) -> web.Response:
        st = self.statustypen.get(request.match_info["uuid"])
        if st is None:
            return self._not_found(request)
        root = origin(request)
        return web.json_response(
            {
                "url": f"{root}{CATALOGI}/statustypen/{st['uuid']}",
                "omschrijving": st["omschrijving"],
                "volgnummer": st["volgnummer"],
                "isEindstatus": st["isEindstatus"],
                "zaaktype": f"{root}{CATALOGI}/zaaktypen/{st['zaaktype']}",
            }
        )

    async def iot_read(self, request: web.Request) -> web.Response:
        iot = self.informatieobjecttypen.get(request.match_info["uuid"])
        if iot is None:
            return self._not_found(request)
        root = origin(request)
        return web.json_response(
            {
                "url": f"{root}{CATALOGI}/informatieobjecttypen/{iot['uuid']}",
                "omschrijving": iot["omschrijving"],
                "concept": False,
            }
        )


async def serve_zgw(**options: Any) -> tuple[FakeZgw, LoopbackServer]:
    """A FakeZgw (`options` as its constructor's) on a loopback port; its URLs use that port."""
    zgw = FakeZgw(**options)
    server = await serve(zgw.app())
    zgw.base_url = server.url
    return zgw, server
