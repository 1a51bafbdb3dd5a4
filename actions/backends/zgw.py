"""Cases as zaken in a ZGW Zaken API (VNG standard 1.5, e.g. Open Zaak).

Authentication is the ZGW JWT: HS256, signed with the client secret, with the claims
`iss`, `iat`, `client_id`, `user_id` and `user_representation`; a fresh token goes
with every request (Open Zaak refuses tokens older than its JWT_EXPIRY). The Zaken API
is a GeoJSON API: every request carries `Accept-Crs: EPSG:4326`, writes also
`Content-Crs: EPSG:4326`.

Creating: `POST {zaken}/zaken` with the zaaktype of the case type, `bronorganisatie`
and `verantwoordelijkeOrganisatie` (the gemeente's RSIN), `startdatum` and
`registratiedatum` (today in the Netherlands), `omschrijving` (<= 80 characters:
the subject, else the start of the description), `toelichting` (<= 1000: the
description and what the resident said about the place), `zaakgeometrie` (a GeoJSON
Point `[lon, lat]` when Balie has one) and a `kenmerk` {bron "Balie", the submission's
idempotency key} to trace it back. Open Zaak generates the zaak's own identificatie;
Balie keeps its own `M-`/`V-` identifier in the ledger. Then `POST {zaken}/statussen`
gives it the configured initial status (if that fails, the zaak stays without a status
and reads as "gemeld"). A description longer than 1000 characters is also stored in
full as a text document when an informatieobjecttype is configured. Contact details
are not sent: a ZGW `rol` with them needs a roltype per zaaktype (not configured yet).

Reading: `GET` the zaak; with an `einddatum` it is afgehandeld (or geannuleerd if its
statustype says so); its `status` -> `GET` status -> `statustype` URL, mapped by
`BALIE_ZGW_STATUS_MAP`. Unmapped statustypes read as "gemeld" when they are the
configured initial statustype, else "in_behandeling". The status's
`statustoelichting` is shown to the resident as the latest note.

Photos: `POST {documenten}/enkelvoudiginformatieobjecten` (base64 `inhoud`, taal
"dut") and `POST {zaken}/zaakinformatieobjecten` to link it to the zaak.

Settings (`ZgwConfig`, read only when `BALIE_BACKEND=zgw`):
* `BALIE_ZGW_ZAKEN_URL` (required): Zaken API root, e.g. `https://openzaak.example.nl/zaken/api/v1`.
* `BALIE_ZGW_DOCUMENTEN_URL`: Documenten API root (needed for photos).
* `BALIE_ZGW_CLIENT_ID`, `BALIE_ZGW_SECRET` (required): the application's credentials
  (use a secret of at least 32 bytes: HS256).
* `BALIE_ZGW_RSIN` (required): the gemeente's RSIN (9 digits, elfproef).
* `BALIE_ZGW_ZAAKTYPE_MELDING`, `BALIE_ZGW_ZAAKTYPE_VERZOEK`: zaaktype URLs (at least one);
  a case type without one is refused.
* `BALIE_ZGW_STATUSTYPE_MELDING`, `BALIE_ZGW_STATUSTYPE_VERZOEK`: the initial statustype
  URL of each zaaktype (unset: no initial status is set).
* `BALIE_ZGW_INFORMATIEOBJECTTYPE`: informatieobjecttype URL for photos and long texts.
* `BALIE_ZGW_STATUS_MAP`: JSON object statustype URL -> Balie status (gemeld,
  in_behandeling, ingepland, afgehandeld, geannuleerd), e.g.
  `{"https://.../catalogi/api/v1/statustypen/5e1f...": "ingepland"}`.
* `BALIE_ZGW_USER_ID` (default `balie`), `BALIE_ZGW_USER_REPRESENTATION` (default
  `Balie (digitale balie)`): who acts, for Open Zaak's audit trail.
* `BALIE_ZGW_TIMEOUT`: seconds per request (default 10).
* `BALIE_ZGW_NOTIFICATIES_URL`, `BALIE_ZGW_CALLBACK_URL`, `BALIE_ZGW_CALLBACK_AUTH`,
  `BALIE_ZGW_ABONNEMENT_CHECK`: status news through the Notificaties API
  (actions/statusnieuws/zgw.py, docs/cases.md); off unless the first is set.
* The receipts are kept by the web app, reached through its Case API
  (actions/backends/ledger.py).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import math
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import jwt

from actions.backends.base import (
    STATUSES,
    Attachment,
    BackendRejected,
    BackendThrottled,
    BackendUnavailable,
    CaseStatus,
    Locatie,
    NewCase,
    ReportIn,
)
from actions.backends.ledger import Ledger, LedgerBackend
from core import clock, nearby
from core.caseapi.models import Receipt
from core.domain import FINAL, Status
from core.nearby import NearbyRules
from core.settings import ConfigError, Env

log = logging.getLogger(__name__)

CRS = "EPSG:4326"
OMSCHRIJVING_MAX = 80
TOELICHTING_MAX = 1000


def elfproef(rsin: str) -> bool:
    """A valid RSIN: 9 digits whose weighted sum (9..2, last digit -1) is divisible by 11."""
    if not re.fullmatch(r"\d{9}", rsin):
        return False
    digits = [int(d) for d in rsin]
    return (sum(d * (9 - i) for i, d in enumerate(digits[:8])) - digits[8]) % 11 == 0


def shorten(text: str, limit: int) -> str:
    """Whitespace collapsed, cut at a word boundary with an ellipsis if too long."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut + "…"


def zgw_message(body: Any) -> str:
    """A ZGW problem+json (`invalidParams`, `detail`) as one line."""
    if not isinstance(body, dict):
        return str(body)[:300] if body else "no details"
    params = body.get("invalidParams") or []
    if params:
        return "; ".join(f"{p.get('name')}: {p.get('reason')}" for p in params)[:500]
    return str(body.get("detail") or body.get("title") or body)[:500]


@dataclass(frozen=True)
class ZgwConfig:
    zaken_url: str
    client_id: str
    secret: str = field(repr=False)
    rsin: str
    zaaktypen: dict[str, str]  # case type -> zaaktype URL
    statustypen: dict[str, str] = field(default_factory=dict)  # case type -> initial statustype
    documenten_url: str | None = None
    informatieobjecttype: str | None = None
    status_map: dict[str, Status] = field(default_factory=dict)  # statustype URL -> Balie status
    user_id: str = "balie"
    user_representation: str = "Balie (digitale balie)"
    timeout: float = 10.0
    # Status news (actions/statusnieuws/zgw.py): off unless the Notificaties API is set.
    notificaties_url: str | None = None
    callback_url: str | None = None  # where the Notificaties API reaches Balie's callback
    callback_auth: str = field(default="", repr=False)  # the Authorization it must send
    abonnement_check: float = 300.0  # seconds between checks that the subscription exists
    # Open meldingen "near here" (BALIE_DUPLICATE_*): within the radius and period.
    nearby: NearbyRules = field(default_factory=NearbyRules)

    def __post_init__(self) -> None:
        if self.notificaties_url:
            if not self.callback_url:
                raise ConfigError("BALIE_ZGW_NOTIFICATIES_URL needs BALIE_ZGW_CALLBACK_URL")
            if len(self.callback_auth) < 32:
                raise ConfigError(
                    "BALIE_ZGW_NOTIFICATIES_URL needs BALIE_ZGW_CALLBACK_AUTH: the "
                    "Authorization value the Notificaties API sends, at least 32 characters"
                )
        if not elfproef(self.rsin):
            raise ConfigError(f"BALIE_ZGW_RSIN {self.rsin!r} is not 9 digits passing the elfproef")
        if not self.zaaktypen:
            raise ConfigError(
                "BALIE_ZGW_ZAAKTYPE_MELDING or BALIE_ZGW_ZAAKTYPE_VERZOEK is required: "
                "at least one zaaktype"
            )
        wrong = {k: v for k, v in self.status_map.items() if v not in STATUSES}
        if wrong:
            raise ConfigError(f"BALIE_ZGW_STATUS_MAP maps to unknown statuses: {wrong}")

    @classmethod
    def read(cls, env: Env) -> ZgwConfig:
        """The BALIE_ZGW_* settings; ConfigError when one is missing or cannot be used."""

        def required(name: str) -> str:
            value = env.text(name)
            if not value:
                raise ConfigError(f"{name} is required for BALIE_BACKEND=zgw")
            return value

        def per_type(melding: str, verzoek: str) -> dict[str, str]:
            found = {"melding": melding, "verzoek": verzoek}
            return {case_type: url for case_type, url in found.items() if url}

        return cls(
            zaken_url=required("BALIE_ZGW_ZAKEN_URL"),
            client_id=required("BALIE_ZGW_CLIENT_ID"),
            secret=required("BALIE_ZGW_SECRET"),
            rsin=required("BALIE_ZGW_RSIN"),
            zaaktypen=per_type(
                env.text("BALIE_ZGW_ZAAKTYPE_MELDING"), env.text("BALIE_ZGW_ZAAKTYPE_VERZOEK")
            ),
            statustypen=per_type(
                env.text("BALIE_ZGW_STATUSTYPE_MELDING"), env.text("BALIE_ZGW_STATUSTYPE_VERZOEK")
            ),
            documenten_url=env.text("BALIE_ZGW_DOCUMENTEN_URL") or None,
            informatieobjecttype=env.text("BALIE_ZGW_INFORMATIEOBJECTTYPE") or None,
            status_map=_status_map(env.text("BALIE_ZGW_STATUS_MAP")),
            user_id=env.text("BALIE_ZGW_USER_ID", "balie"),
            user_representation=env.text("BALIE_ZGW_USER_REPRESENTATION", "Balie (digitale balie)"),
            timeout=env.number("BALIE_ZGW_TIMEOUT", 10.0, minimum=0.1),
            notificaties_url=env.text("BALIE_ZGW_NOTIFICATIES_URL") or None,
            callback_url=env.text("BALIE_ZGW_CALLBACK_URL") or None,
            callback_auth=env.text("BALIE_ZGW_CALLBACK_AUTH"),
            abonnement_check=env.number("BALIE_ZGW_ABONNEMENT_CHECK", 300.0, minimum=1.0),
            nearby=NearbyRules.read(env),
        )


def _status_map(raw: str) -> dict[str, Status]:
    """BALIE_ZGW_STATUS_MAP: a JSON object of statustype URL -> Balie status."""
    try:
        found = json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        raise ConfigError(f"BALIE_ZGW_STATUS_MAP is not JSON: {exc}") from None
    if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
        raise ConfigError("BALIE_ZGW_STATUS_MAP must be a JSON object of URL -> status")
    return found


def circle(point: tuple[float, float], radius_m: float, corners: int = 16) -> dict[str, Any]:
    """A GeoJSON Polygon around (lat, lon) with the radius as its inner circle's: for
    `zaakgeometrie.within`; the exact distance is checked on what comes back."""
    grow = 1 / math.cos(math.pi / corners)  # the polygon's sides touch the circle
    lat, lon = point
    dlat = math.degrees(radius_m * grow / nearby.EARTH_RADIUS_M)
    dlon = dlat / math.cos(math.radians(lat))
    ring = [
        [
            round(lon + dlon * math.cos(2 * math.pi * i / corners), 7),
            round(lat + dlat * math.sin(2 * math.pi * i / corners), 7),
        ]
        for i in range(corners)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


class ZgwBackend(LedgerBackend):
    name = "zgw"

    def __init__(self, config: ZgwConfig, ledger: Ledger) -> None:
        self.config = config
        self.zaken_url = config.zaken_url.rstrip("/")
        self.documenten_url = (config.documenten_url or "").rstrip("/") or None
        self.ledger = ledger
        self._timeout = aiohttp.ClientTimeout(total=config.timeout)
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session:
            await self._session.close()
        await self.ledger.close()

    # -- HTTP -------------------------------------------------------------------------------

    def token(self) -> str:
        cfg = self.config
        claims = {
            "iss": cfg.client_id,
            "iat": int(time.time()),
            "client_id": cfg.client_id,
            "user_id": cfg.user_id,
            "user_representation": cfg.user_representation,
        }
        return jwt.encode(claims, cfg.secret, algorithm="HS256")

    async def request(
        self, method: str, url: str, *, json_body: Any = None, ok: tuple[int, ...] = (200, 201)
    ) -> tuple[int, Any]:
        """(status, JSON body) for `ok` statuses and 404; errors mapped to BackendError."""
        headers = {
            "Authorization": f"Bearer {self.token()}",
            "Accept": "application/json",
            "Accept-Crs": CRS,
        }
        if method in ("POST", "PUT", "PATCH"):
            headers["Content-Crs"] = CRS
        try:
            async with self.session.request(method, url, json=json_body, headers=headers) as resp:
                status, retry = resp.status, resp.headers.get("Retry-After")
                text = await resp.text()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise BackendUnavailable(f"ZGW API unreachable: {exc!r}") from exc
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = text[:300]
        if status in ok or status == 404:
            return status, body
        if status == 429:
            wait = float(retry) if retry and retry.isdigit() else None
            raise BackendThrottled("ZGW API: too many requests", retry_after=wait)
        if status >= 500:
            raise BackendUnavailable(f"ZGW API answered HTTP {status}: {zgw_message(body)}")
        if status in (401, 403):
            raise BackendRejected(
                f"ZGW API refused Balie's credentials (HTTP {status}): {zgw_message(body)}; "
                "check BALIE_ZGW_CLIENT_ID/SECRET and the application's rights"
            )
        raise BackendRejected(f"ZGW API refused the request (HTTP {status}): {zgw_message(body)}")

    # -- open meldingen near a place -----------------------------------------------------

    async def find_open_nearby(self, categorie: str, locatie: Locatie) -> list[CaseStatus]:
        """`POST {zaken}/zaken/_zoek` with `zaakgeometrie.within` a circle of the radius,
        the melding zaaktype and `startdatum__gte` the period's first day; then only open
        zaken Balie made (its `kenmerk`), whose receipt has the same main category.

        The Zaken API has no address fields to compare, so a typed address counts by its
        point (core/nearby.py).
        """
        zaaktype = self.config.zaaktypen.get("melding")
        main = nearby.main_category(categorie)
        point = (
            (locatie.lat, locatie.lon)
            if locatie.lat is not None and locatie.lon is not None
            else nearby.point_of(locatie.straat, locatie.huisnummer, locatie.postcode)
        )
        if zaaktype is None or main is None or point is None:
            return []
        rules = self.config.nearby
        since = clock.now().date() - timedelta(days=rules.days)
        body = {
            "zaaktype": zaaktype,
            "startdatum__gte": since.isoformat(),
            "zaakgeometrie": {"within": circle(point, rules.radius_m)},
        }
        _, page = await self.request(
            "POST", f"{self.zaken_url}/zaken/_zoek", json_body=body, ok=(200,)
        )
        found: list[CaseStatus] = []
        for zaak in (page or {}).get("results") or []:
            row = await self._nearby_receipt(zaak, point, main)
            if row is not None:
                status = await self._status(row)
                if status.status not in FINAL:
                    found.append(status)
        return sorted(found, key=lambda c: c.aangemaakt_op, reverse=True)

    async def _nearby_receipt(
        self, zaak: dict[str, Any], point: tuple[float, float], main: str
    ) -> Receipt | None:
        """The receipt of an open zaak of Balie's within the radius and main category."""
        if zaak.get("einddatum"):
            return None
        geometry = zaak.get("zaakgeometrie") or {}
        if geometry.get("type") == "Point":
            lon, lat = geometry["coordinates"][:2]
            if nearby.distance_m(point, (lat, lon)) > self.config.nearby.radius_m:
                return None
        keys = [k.get("kenmerk") for k in zaak.get("kenmerken") or [] if k.get("bron") == "Balie"]
        row = await self.ledger.by_key(keys[0]) if keys and keys[0] else None
        if row is None or row.backend != self.name:
            return None
        return row if nearby.main_category(row.categorie) == main else None

    # -- creating ---------------------------------------------------------------------------

    def zaak_payload(self, case: NewCase, today: str) -> dict[str, Any]:
        zaaktype = self.config.zaaktypen.get(case.type)
        if zaaktype is None:
            raise BackendRejected(f"no zaaktype configured for a {case.type} (ZGW)")
        text = " ".join(case.omschrijving.split())
        if not text:
            raise BackendRejected("a case needs a description")
        parts = [text]
        loc = case.locatie
        if loc is not None:
            adres = " ".join(p for p in (loc.straat, loc.huisnummer, loc.postcode, loc.plaats) if p)
            if adres:
                parts.append(f"Adres: {adres}")
            if loc.omschrijving:
                parts.append(f"Locatie volgens melder: {loc.omschrijving}")
        if case.tijdstip:
            # The Zaken API has no field for when it happened: staff read it here, local time.
            parts.append(f"Tijdstip volgens melder: {clock.local_text(case.tijdstip)}")
        if case.categorie:
            parts.append(f"Categorie: {case.categorie}")
        parts.append(f"Via Balie ({case.kanaal}).")
        key = case.idempotency_key
        if len(key) > 40:  # kenmerk is at most 40 characters
            key = hashlib.sha256(key.encode()).hexdigest()[:40]
        payload: dict[str, Any] = {
            "bronorganisatie": self.config.rsin,
            "verantwoordelijkeOrganisatie": self.config.rsin,
            "zaaktype": zaaktype,
            "startdatum": today,
            "registratiedatum": today,
            "omschrijving": shorten(case.onderwerp or text, OMSCHRIJVING_MAX),
            "toelichting": shorten("\n".join(parts), TOELICHTING_MAX),
            "kenmerken": [
                {
                    "kenmerk": key,
                    "bron": "Balie",
                }
            ],
        }
        if loc is not None and loc.lat is not None and loc.lon is not None:
            payload["zaakgeometrie"] = {"type": "Point", "coordinates": [loc.lon, loc.lat]}
        return payload

    async def create_case(self, case: NewCase) -> CaseStatus:
        async with self.ledger.lock(case.idempotency_key):
            existing = await self.ledger.by_key(case.idempotency_key)
            if existing is not None:
                return self._receipt_status(existing)
            now = clock.now()
            today = now.date().isoformat()  # ZGW dates are the gemeente's local dates
            payload = self.zaak_payload(case, today)
            _, zaak = await self.request(
                "POST", f"{self.zaken_url}/zaken", json_body=payload, ok=(201,)
            )
            await self.ledger.record(self.name, case, zaak["uuid"], zaak["url"], aangemaakt_op=now)
            row = await self.ledger.by_key(case.idempotency_key)
        assert row is not None
        await self._after_create(case, zaak["url"], now, today)
        return self._receipt_status(row)

    async def _after_create(self, case: NewCase, zaak_url: str, now: datetime, today: str) -> None:
        """Initial status and the full text: best effort, the zaak exists already."""
        statustype = self.config.statustypen.get(case.type)
        if statustype:
            try:
                await self.request(
                    "POST",
                    f"{self.zaken_url}/statussen",
                    json_body={
                        "zaak": zaak_url,
                        "statustype": statustype,
                        "datumStatusGezet": now.isoformat(),
                    },
                    ok=(201,),
                )
            except Exception:
                log.warning("initial status for %s failed", zaak_url, exc_info=True)
        if len(" ".join(case.omschrijving.split())) > TOELICHTING_MAX - 100:
            try:
                await self._link_document(
                    zaak_url,
                    titel="Volledige omschrijving",
                    bestandsnaam="omschrijving.txt",
                    formaat="text/plain",
                    data=case.omschrijving.encode("utf-8"),
                    today=today,
                )
            except BackendRejected as exc:
                log.info("full description not stored as a document: %s", exc)
            except Exception:
                log.warning("full description for %s not stored", zaak_url, exc_info=True)

    # -- following a zaak found nearby ---------------------------------------------------

    @property
    def can_follow(self) -> bool:  # type: ignore[override]  # LedgerBackend's is False
        """An extra report goes to the zaak as a document: only with the Documenten API."""
        return bool(self.documenten_url and self.config.informatieobjecttype)

    async def _add_extra(self, row: Receipt, heading: str, report: ReportIn) -> None:
        """A text document on the zaak."""
        await self._link_document(
            row.external_url or f"{self.zaken_url}/zaken/{row.external_id}",
            titel="Nog een melding van dezelfde zaak",
            bestandsnaam="nog-een-melding.txt",
            formaat="text/plain",
            data=f"{heading}:\n\n{report.omschrijving}\n".encode(),
            today=clock.now().date().isoformat(),
        )

    async def _add_extra_photo(self, row: Receipt, photo: Attachment) -> None:
        await self.add_attachment(row.identificatie, photo)

    # -- reading ----------------------------------------------------------------------------

    def map_statustype(self, statustype: str | None, case_type: str) -> Status:
        if statustype is None:
            return "gemeld"
        mapped = self.config.status_map.get(statustype)
        if mapped:
            return mapped
        initial = self.config.statustypen.get(case_type)
        return "gemeld" if statustype == initial else "in_behandeling"

    async def _status(self, row: Receipt) -> CaseStatus:
        url = row.external_url or f"{self.zaken_url}/zaken/{row.external_id}"
        code, zaak = await self.request("GET", url)
        if code == 404:
            raise BackendRejected(f"{row.identificatie} no longer exists in the Zaken API")
        statustype = toelichting = gewijzigd = None
        if zaak.get("status"):
            code, status = await self.request("GET", zaak["status"])
            if code == 200:
                statustype = status.get("statustype")
                toelichting = status.get("statustoelichting") or None
                gewijzigd = status.get("datumStatusGezet")
        balie = self.map_statustype(statustype, row.type)
        if zaak.get("einddatum") and balie not in FINAL:
            balie = "afgehandeld"
        return CaseStatus(
            identificatie=row.identificatie,
            type=row.type,
            status=balie,
            aangemaakt_op=row.aangemaakt_op,
            categorie=row.categorie,
            onderwerp=row.onderwerp,
            toelichting=toelichting,
            gewijzigd_op=datetime.fromisoformat(gewijzigd.replace("Z", "+00:00"))
            if gewijzigd
            else None,
        )

    # -- documents --------------------------------------------------------------------------

    async def _link_document(
        self,
        zaak_url: str,
        *,
        titel: str,
        bestandsnaam: str,
        formaat: str,
        data: bytes,
        today: str,
    ) -> None:
        if not self.documenten_url or not self.config.informatieobjecttype:
            raise BackendRejected(
                "documents need BALIE_ZGW_DOCUMENTEN_URL and BALIE_ZGW_INFORMATIEOBJECTTYPE"
            )
        inhoud = await asyncio.to_thread(lambda: base64.b64encode(data).decode("ascii"))
        _, document = await self.request(
            "POST",
            f"{self.documenten_url}/enkelvoudiginformatieobjecten",
            json_body={
                "bronorganisatie": self.config.rsin,
                "creatiedatum": today,
                "titel": shorten(titel, 200),
                "auteur": "Melder, via Balie",
                "taal": "dut",
                "informatieobjecttype": self.config.informatieobjecttype,
                "bestandsnaam": bestandsnaam[:255],
                "formaat": formaat,
                "bestandsomvang": len(data),
                "inhoud": inhoud,
                "indicatieGebruiksrecht": False,
            },
            ok=(201,),
        )
        await self.request(
            "POST",
            f"{self.zaken_url}/zaakinformatieobjecten",
            json_body={
                "zaak": zaak_url,
                "informatieobject": document["url"],
                "titel": shorten(titel, 200),
            },
            ok=(201,),
        )

    async def add_attachment(self, identificatie: str, attachment: Attachment) -> None:
        row = await self.ledger.find(identificatie)
        if row is None or row.backend != self.name:
            raise BackendRejected(f"case {identificatie} is not a zaak made by Balie")
        name = re.sub(r"[^\w.\-]", "_", attachment.filename)[-200:] or "foto"
        await self._link_document(
            row.external_url or f"{self.zaken_url}/zaken/{row.external_id}",
            titel=f"Foto van de melder: {name}",
            bestandsnaam=name,
            formaat=attachment.content_type,
            data=attachment.data,
            today=clock.now().date().isoformat(),
        )
