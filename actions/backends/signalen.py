"""Meldingen in Signalen (Amsterdam/signals), through its public API, as a resident would.

`POST {base}/signals/v1/public/signals/` takes what `PublicSignalCreateSerializer`
takes: `text` (1..3000 characters), `text_extra` (up to 10000), `source` ("online"
unless the gemeente made another public source for Balie), `location` (`geometrie`:
a GeoJSON Point `[lon, lat]` inside Signalen's bounding box, by default the
Netherlands; optional BAG `address`), `category.sub_category` (the URL
`{base}/signals/v1/public/terms/categories/{main}/sub_categories/{sub}`), `reporter`
(email/phone only with the resident's consent; `sharing_allowed` stays false: the
consent is to be contacted by the gemeente, not to be shared with third parties) and
`incident_date_start`. Any other top-level key is refused by Signalen.

Signalen needs a point, and Balie has no geocoder. So:
* a melding with lat/lon is sent with that point (and the address, if any);
* a melding with only an address or a description is sent with the gemeente's
  fallback point `BALIE_SIGNALEN_DEFAULT_POINT` when one is configured; the address
  goes along (Signalen checks it against the BAG) and `text_extra` tells staff the
  pin is not the real spot;
* otherwise create_case raises BackendRejected: the dialogue must ask for a location.
If Signalen refuses the address itself, the melding is sent once more without it
(the address then stays readable in `text_extra`).

Reading back: the public detail endpoint `GET {base}/signals/v1/public/signals/{uuid}`
only says `status.state` "OPEN" or "CLOSED" (closed = afgehandeld, geannuleerd or
gesplitst). Balie shows OPEN as "gemeld" and CLOSED as "afgehandeld". With a token for
the private API (`BALIE_SIGNALEN_TOKEN`) the full workflow state is read from
`GET {base}/signals/v1/private/signals/{id}` (Signalen's number, kept in the receipt's
URL) and mapped by `STATE_MAP`, with `STATE_TEXT` and the staff's text for the reporter
as the note; actions/statusnieuws/signalen.py polls it for status news.
The token also lets Balie find open meldingen nearby (`find_open_nearby`:
`GET {base}/signals/v1/private/signals/` filtered by `maincategory_slug`, the open
`status` codes and `created_after`, then Balie's own meldingen near by core/nearby.py,
`BALIE_DUPLICATE_*`) and lets a resident follow one (`add_report`: a note by `PATCH`
with `notes`, photos to the private attachments endpoint, then the follower).

Photos go to `POST {base}/signals/v1/public/signals/{uuid}/attachments/` (multipart
field `file`, JPEG/PNG/GIF; WebP is converted to JPEG first). Signalen accepts public
uploads only while the melding is still "gemeld" (or a reaction was requested).

Anonymous POSTs are throttled per client address (`PUBLIC_THROTTLE_RATE`, by default
60/hour): a 429 becomes BackendThrottled with Signalen's Retry-After. Verzoeken are
not Signalen's business: create_case refuses them.

Settings (`SignalenConfig`, read only when `BALIE_BACKEND=signalen`):
* `BALIE_SIGNALEN_URL` (required): Signalen's API root, e.g. `https://api.meldingen.example.nl`
  (the part before `/signals/v1`).
* `BALIE_SIGNALEN_DEFAULT_POINT`: `lat,lon` (WGS84) used when a melding has an address or
  description but no point, e.g. the city hall `52.0907,5.1214`. Unset: such meldingen
  are refused.
* `BALIE_SIGNALEN_DEFAULT_CATEGORY`: sub category slug for meldingen without a category
  (default `overig`).
* `BALIE_SIGNALEN_SOURCE`: the `source` sent (default `online`; another value must be an
  active public Source in that Signalen).
* `BALIE_SIGNALEN_CATEGORIES`: path of this Signalen's category fixture (Django JSON), when
  its taxonomy differs from the one Balie ships (`core/signalen-categories.json`);
  used to find a sub category's main category for the category URL.
* `BALIE_SIGNALEN_TIMEOUT`: seconds per request (default 10).
* `BALIE_SIGNALEN_TOKEN`, `BALIE_SIGNALEN_POLL`, `BALIE_SIGNALEN_POLL_MAX`: status news
  (docs/cases.md, "Status news"); without a token, OPEN/CLOSED only.
* The receipts are kept by the web app, reached through its Case API
  (actions/backends/ledger.py).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiohttp
from PIL import Image, UnidentifiedImageError

from actions.backends.base import (
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
from core.categories import TAXONOMY_FILE
from core.categories import load_categories as load_taxonomy
from core.domain import FINAL, Status
from core.nearby import NearbyRules
from core.residents import texts
from core.settings import ConfigError, Env

log = logging.getLogger(__name__)

API = "/signals/v1/public"
PRIVATE = "/signals/v1/private"
PRIVATE_URL_RE = re.compile(r"/signals/v1/private/signals/(\d+)$")
TEXT_MAX = 3000
TEXT_EXTRA_MAX = 10000
PHONE_MAX = 17

# Signalen's workflow states (signals/apps/signals/workflow.py) and the public ones.
STATE_MAP: dict[str, Status] = {
    "m": "gemeld",  # gemeld
    "i": "gemeld",  # in afwachting van behandeling
    "b": "in_behandeling",  # in behandeling
    "h": "in_behandeling",  # on hold
    "ingepland": "ingepland",
    "o": "afgehandeld",  # afgehandeld
    "a": "geannuleerd",  # geannuleerd
    "s": "in_behandeling",  # gesplitst: handled further in its deelmeldingen
    "reopened": "in_behandeling",
    "closure requested": "in_behandeling",
    "reopen requested": "afgehandeld",
    "reaction requested": "in_behandeling",
    "reaction received": "in_behandeling",
    "forward to external": "in_behandeling",
    "ready to send": "in_behandeling",
    "sent": "in_behandeling",
    "send failed": "in_behandeling",
    "done external": "in_behandeling",
    "OPEN": "gemeld",
    "CLOSED": "afgehandeld",
}
# What the five Balie statuses do not say, for the resident (core/residents/texts.py: B1,
# no "u" or "je": the sentence stands before the text Signalen's staff wrote for the reporter).
STATE_TEXT: dict[str, str] = {
    "i": texts.SIGNALEN_WACHT,
    "h": texts.SIGNALEN_STIL,
    "reopened": texts.SIGNALEN_HEROPEND,
    "reopen requested": texts.SIGNALEN_HEROPENEN_GEVRAAGD,
    "closure requested": texts.SIGNALEN_BIJNA_KLAAR,
    "reaction requested": texts.SIGNALEN_VRAAG,
    "reaction received": texts.SIGNALEN_ANTWOORD,
    "s": texts.SIGNALEN_GESPLITST,
    "forward to external": texts.SIGNALEN_NAAR_ANDEREN,
    "ready to send": texts.SIGNALEN_NAAR_ANDEREN,
    "sent": texts.SIGNALEN_BIJ_ANDEREN,
    "send failed": texts.SIGNALEN_BIJ_ANDEREN,
    "done external": texts.SIGNALEN_KLAAR_BIJ_ANDEREN,
}
# The private workflow states Balie reads as open (STATE_MAP), for the nearby search.
OPEN_STATES = tuple(
    code for code, status in STATE_MAP.items() if code.islower() and status not in FINAL
)
PAGE_SIZE = 100
PAGES_MAX = 5
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif"}

CategoryResolver = Callable[[str], str | None]
"""Sub category slug ("grofvuil" or "afval/grofvuil") -> its main slug; None if unknown."""


def map_state(state: str | None) -> Status:
    return STATE_MAP.get(state or "", "gemeld")


def explain_state(state: str | None, text: str | None) -> str | None:
    """The note for the resident: what the state means beyond its status, then the text
    Signalen's staff wrote for the reporter."""
    parts = [STATE_TEXT.get(state or "", ""), " ".join((text or "").split())]
    return " ".join(p for p in parts if p) or None


def private_id(external_url: str | None) -> str | None:
    """Signalen's own number of a melding, from the receipt's private-API URL."""
    match = PRIVATE_URL_RE.search(external_url or "")
    return match[1] if match else None


def load_categories(path: Path | None = None) -> CategoryResolver:
    """The main category of a sub category, by the taxonomy in `path` (Balie's by default)."""
    taxonomy = load_taxonomy(path or TAXONOMY_FILE)

    def main_slug(slug: str) -> str | None:
        category = taxonomy.get(slug)
        return category.main_slug if category else None

    return main_slug


def parse_point(value: str | None) -> tuple[float, float] | None:
    """'52.09,5.12' -> (52.09, 5.12) as (lat, lon)."""
    if not value:
        return None
    try:
        lat, lon = (float(part) for part in value.split(","))
    except ValueError:
        raise ConfigError(
            f"BALIE_SIGNALEN_DEFAULT_POINT must be 'lat,lon', not {value!r}"
        ) from None
    return lat, lon


@dataclass(frozen=True)
class SignalenConfig:
    """How Balie reaches this gemeente's Signalen (the module's docstring: Settings)."""

    url: str
    categories_file: Path | None = None  # None: the taxonomy Balie ships
    default_point: tuple[float, float] | None = None
    default_category: str = "overig"
    source: str = "online"
    timeout: float = 10.0
    # Status news (actions/statusnieuws/signalen.py): a token for the private API turns on
    # the full workflow states and polling; without one, OPEN/CLOSED as before.
    token: str = field(default="", repr=False)
    poll_interval: float = 60.0
    poll_max: float = 900.0
    nearby: NearbyRules = field(default_factory=NearbyRules)

    @classmethod
    def read(cls, env: Env) -> SignalenConfig:
        """The BALIE_SIGNALEN_* settings; ConfigError when one cannot be used."""
        url = env.text("BALIE_SIGNALEN_URL")
        if not url:
            raise ConfigError("BALIE_SIGNALEN_URL is required for BALIE_BACKEND=signalen")
        categories = env.text("BALIE_SIGNALEN_CATEGORIES")
        return cls(
            url=url,
            categories_file=Path(categories) if categories else None,
            default_point=parse_point(env.text("BALIE_SIGNALEN_DEFAULT_POINT")),
            default_category=env.text("BALIE_SIGNALEN_DEFAULT_CATEGORY", "overig"),
            source=env.text("BALIE_SIGNALEN_SOURCE", "online"),
            timeout=env.number("BALIE_SIGNALEN_TIMEOUT", 10.0, minimum=0.1),
            token=env.text("BALIE_SIGNALEN_TOKEN"),
            poll_interval=env.number("BALIE_SIGNALEN_POLL", 60.0, minimum=1.0),
            poll_max=env.number("BALIE_SIGNALEN_POLL_MAX", 900.0, minimum=1.0),
            nearby=NearbyRules.read(env),
        )


def retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (it may be a number or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def parse_moment(value: Any) -> datetime | None:
    """An ISO 8601 moment from Signalen ('Z' or an offset); None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def drf_message(body: Any) -> str:
    """Django REST framework errors ({"location": {"geometrie": ["..."]}}) as one line."""

    def walk(value: Any, path: str) -> list[str]:
        if isinstance(value, dict):
            return [m for k, v in value.items() for m in walk(v, f"{path}.{k}" if path else k)]
        if isinstance(value, list):
            return [m for v in value for m in walk(v, path)]
        return [f"{path}: {value}" if path and path != "non_field_errors" else str(value)]

    return "; ".join(walk(body, ""))[:500] if body else "no details"


def _split_huisnummer(value: str) -> dict[str, Any]:
    """'12', '12a', '12 A-3', '12-bis' -> BAG huisnummer, huisletter, huisnummer_toevoeging."""
    match = re.fullmatch(
        r"(\d{1,5})\s*([A-Za-z])?(?:\s*[-\s]\s*([A-Za-z0-9]{1,4}))?", value.strip()
    )
    if not match:
        return {}
    parts: dict[str, Any] = {"huisnummer": int(match[1])}
    if match[2]:
        parts["huisletter"] = match[2].upper()
    if match[3]:
        parts["huisnummer_toevoeging"] = match[3]
    return parts


def _to_jpeg(data: bytes) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as image:
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=90)
    except (UnidentifiedImageError, OSError) as exc:
        raise BackendRejected(f"photo could not be converted for Signalen: {exc}") from exc
    return out.getvalue()


class SignalenBackend(LedgerBackend):
    name = "signalen"

    def __init__(
        self,
        base_url: str,
        ledger: Ledger,
        *,
        categories: CategoryResolver,
        default_point: tuple[float, float] | None = None,
        default_category: str = "overig",
        source: str = "online",
        timeout: float = 10.0,
        token: str = "",
        rules: NearbyRules | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token  # the private API's: full workflow states, search, follow
        self.rules = rules or NearbyRules()
        self.ledger = ledger
        self.categories = categories
        self.default_point = default_point
        self.default_category = default_category
        self.source = source
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def of(cls, config: SignalenConfig, ledger: Ledger) -> SignalenBackend:
        """The adapter for `config`, its receipts in `ledger`."""
        return cls(
            config.url,
            ledger,
            categories=load_categories(config.categories_file),
            default_point=config.default_point,
            default_category=config.default_category,
            source=config.source,
            timeout=config.timeout,
            token=config.token,
            rules=config.nearby,
        )

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout, headers={"Accept": "application/json"}
            )
        return self._session

    async def close(self) -> None:
        if self._session:
            await self._session.close()
        await self.ledger.close()

    # -- HTTP -------------------------------------------------------------------------------

    async def _request(
        self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201), **kwargs: Any
    ) -> tuple[int, Any]:
        """(status, JSON body) for the statuses in `ok` and 404; errors mapped to BackendError."""
        try:
            async with self.session.request(method, self.base_url + path, **kwargs) as resp:
                status, headers = resp.status, resp.headers
                text = await resp.text()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise BackendUnavailable(f"Signalen unreachable: {exc!r}") from exc
        try:
            body = json.loads(text) if text else None
        except ValueError:
            body = text[:200]
        if status in ok or status == 404:
            return status, body
        if status == 429:
            wait = retry_after(headers.get("Retry-After"))
            raise BackendThrottled(
                "Signalen throttles anonymous reports from Balie's address (by default 60 an "
                f"hour); try again {f'in {wait:.0f} s' if wait is not None else 'later'}",
                retry_after=wait,
            )
        if status >= 500:
            raise BackendUnavailable(f"Signalen answered HTTP {status}")
        raise BackendRejected(f"Signalen refused the request (HTTP {status}): {drf_message(body)}")

    # -- creating ---------------------------------------------------------------------------

    def category_url(self, slug: str | None) -> str:
        """The sub category's public URL; `slug` is "grofvuil" or "afval/grofvuil"."""
        wanted = slug or self.default_category
        main = self.categories(wanted)
        if main is None:
            raise BackendRejected(f"Signalen knows no (unambiguous) active sub category {wanted!r}")
        sub = wanted.rsplit("/", 1)[-1]
        return f"{self.base_url}{API}/terms/categories/{main}/sub_categories/{sub}"

    def payload(self, case: NewCase, *, with_address: bool = True) -> dict[str, Any]:
        """The body for POST /signals/v1/public/signals/ (raises BackendRejected if unfit)."""
        text = " ".join(case.omschrijving.split())
        if not text:
            raise BackendRejected("a melding for Signalen needs a description")
        extra: list[str] = []
        if len(text) > TEXT_MAX:
            extra.append(f"Volledige omschrijving: {text}")
            text = text[: TEXT_MAX - 1] + "…"

        loc = case.locatie
        if loc is not None and loc.lat is not None and loc.lon is not None:
            lat, lon, pinned = loc.lat, loc.lon, True
        elif self.default_point and loc is not None and (not loc.is_empty() or loc.omschrijving):
            (lat, lon), pinned = self.default_point, False
        else:
            raise BackendRejected(
                "Signalen needs a point on the map: ask for the location (a shared location "
                "or a pin), or configure BALIE_SIGNALEN_DEFAULT_POINT"
            )
        location: dict[str, Any] = {"geometrie": {"type": "Point", "coordinates": [lon, lat]}}
        adres = " ".join(
            p for p in (loc.straat, loc.huisnummer, loc.postcode, loc.plaats) if p
        ).strip()
        if with_address and loc.straat:
            address: dict[str, Any] = {"openbare_ruimte": loc.straat.strip()}
            address.update(_split_huisnummer(loc.huisnummer or ""))
            if loc.postcode:
                address["postcode"] = loc.postcode.replace(" ", "").upper()
            if loc.plaats:
                address["woonplaats"] = loc.plaats.strip()
            location["address"] = address
        elif adres:
            extra.append(f"Adres volgens melder: {adres}")
        if not pinned:
            extra.append(
                "Geen kaartpunt opgegeven: het punt op de kaart is het standaardpunt van de "
                "gemeente, niet de plek van de melding."
            )
        if loc.omschrijving:
            extra.append(f"Locatie volgens melder: {loc.omschrijving}")
        extra.append(f"Gemeld via Balie ({case.kanaal}).")

        reporter: dict[str, Any] = {"sharing_allowed": False}
        if case.contact and case.contact.email:
            reporter["email"] = case.contact.email
        if case.contact and case.contact.telefoon and len(case.contact.telefoon) <= PHONE_MAX:
            reporter["phone"] = case.contact.telefoon
        # Signalen takes ISO 8601 with an offset; the local one reads as the resident said it.
        when = clock.local(case.tijdstip or clock.now())
        return {
            "source": self.source,
            "text": text,
            "text_extra": "\n".join(extra)[:TEXT_EXTRA_MAX],
            "location": location,
            "category": {"sub_category": self.category_url(case.categorie)},
            "reporter": reporter,
            "incident_date_start": when.isoformat(),
        }

    async def create_case(self, case: NewCase) -> CaseStatus:
        if case.type != "melding":
            raise BackendRejected(
                "Signalen takes meldingen about public space only; a verzoek cannot go there"
            )
        async with self.ledger.lock(case.idempotency_key):
            existing = await self.ledger.by_key(case.idempotency_key)
            if existing is not None:
                return self._receipt_status(existing)
            payload = self.payload(case)
            status, body = await self._request(
                "POST", f"{API}/signals/", json=payload, ok=(201, 400)
            )
            # Signalen's BAG check answers {"location": ["Niet-bestaand adres."]}.
            problem = body.get("location") if isinstance(body, dict) else None
            refused_address = isinstance(problem, list) or (
                isinstance(problem, dict) and "address" in problem
            )
            if status == 400 and refused_address and "address" in payload["location"]:
                log.info("Signalen refused the address (%s); sending without it", body)
                payload = self.payload(case, with_address=False)
                status, body = await self._request(
                    "POST", f"{API}/signals/", json=payload, ok=(201, 400)
                )
            if status != 201:
                raise BackendRejected(f"Signalen refused the melding: {drf_message(body)}")
            signal_id = str(body["signal_id"])
            # The private API knows a melding by its number ("SIG-123"): kept as the
            # receipt's URL, so status news can read it there.
            number = re.fullmatch(r"SIG-(\d+)", str(body.get("id_display") or ""))
            url = (
                f"{self.base_url}{PRIVATE}/signals/{number[1]}"
                if number
                else f"{self.base_url}{API}/signals/{signal_id}"
            )
            await self.ledger.record(self.name, case, signal_id, url)
            row = await self.ledger.by_key(case.idempotency_key)
        assert row is not None
        return self._receipt_status(row)

    # -- reading ----------------------------------------------------------------------------

    async def private_status(self, row: Receipt) -> dict[str, Any] | None:
        """The melding's current `status` from the private API (`state`, `state_display`,
        `text`, `created_at`, ...); None without a token or Signalen's number."""
        number = private_id(row.external_url)
        if not self.token or number is None:
            return None
        headers = {"Authorization": f"Bearer {self.token}"}
        status, body = await self._request("GET", f"{PRIVATE}/signals/{number}", headers=headers)
        if status == 404:
            raise BackendRejected(f"{row.identificatie} no longer exists in Signalen")
        found = body.get("status") if isinstance(body, dict) else None
        if not isinstance(found, dict) or not isinstance(found.get("state"), str):
            raise BackendUnavailable("Signalen's private API answered without a status")
        return found

    async def _status(self, row: Receipt) -> CaseStatus:
        private = await self.private_status(row)
        if private is not None:
            when = parse_moment(private.get("created_at"))
            return CaseStatus(
                identificatie=row.identificatie,
                type=row.type,
                status=map_state(private["state"]),
                aangemaakt_op=row.aangemaakt_op,
                categorie=row.categorie,
                onderwerp=row.onderwerp,
                toelichting=explain_state(private["state"], private.get("text")),
                gewijzigd_op=when,
            )
        status, body = await self._request("GET", f"{API}/signals/{row.external_id}")
        if status == 404:
            raise BackendRejected(f"{row.identificatie} no longer exists in Signalen")
        updated = body.get("updated_at")
        return CaseStatus(
            identificatie=row.identificatie,
            type=row.type,
            status=map_state((body.get("status") or {}).get("state")),
            aangemaakt_op=row.aangemaakt_op,
            categorie=row.categorie,
            onderwerp=row.onderwerp,
            gewijzigd_op=datetime.fromisoformat(updated.replace("Z", "+00:00"))
            if updated
            else None,
        )

    # -- open meldingen near a place (private API) ---------------------------------------

    def _private_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def find_open_nearby(self, categorie: str, locatie: Locatie) -> list[CaseStatus]:
        """`GET {base}/signals/v1/private/signals/` with Signalen's filters
        `maincategory_slug`, the open `status` codes and `created_after` the period's start;
        then only meldingen Balie made (a receipt for its number) of the same main
        category, near by core/nearby.py: the radius around the point, the same street
        within the house numbers, or the same postcode. Without a token: none.
        The private API failing also gives none: the melding is then made as new."""
        main = nearby.main_category(categorie)
        if not self.token or not self.rules.enabled or main is None:
            return []
        point = (
            (locatie.lat, locatie.lon)
            if locatie.lat is not None and locatie.lon is not None
            else nearby.point_of(locatie.straat, locatie.huisnummer, locatie.postcode)
        )
        if point is None and not (locatie.straat or locatie.postcode):
            return []
        since = clock.utcnow() - timedelta(days=self.rules.days)
        params: list[tuple[str, str]] = [
            ("maincategory_slug", main),
            *(("status", code) for code in OPEN_STATES),
            ("created_after", since.isoformat()),
            ("page_size", str(PAGE_SIZE)),
        ]
        signals: list[dict[str, Any]] = []
        try:
            for page in range(1, PAGES_MAX + 1):
                status, body = await self._request(
                    "GET",
                    f"{PRIVATE}/signals/",
                    params=[*params, ("page", str(page))],
                    headers=self._private_headers(),
                )
                if status != 200 or not isinstance(body, dict):
                    break
                signals.extend(s for s in body.get("results") or [] if isinstance(s, dict))
                if not (body.get("_links") or {}).get("next", {}).get("href"):
                    break
        except (BackendUnavailable, BackendRejected, BackendThrottled) as exc:
            log.warning("Signalen's private search failed, no duplicates: %s", exc)
            return []
        found: list[CaseStatus] = []
        for signal in signals:
            if not self._near(signal, locatie, point):
                continue
            row = await self.ledger.api.receipt_by_external_url(
                self.name, f"{self.base_url}{PRIVATE}/signals/{signal.get('id')}"
            )
            if row is None or nearby.main_category(row.categorie) != main:
                continue
            state = (signal.get("status") or {}).get("state")
            if map_state(state) in FINAL:
                continue
            found.append(
                CaseStatus(
                    identificatie=row.identificatie,
                    type=row.type,
                    status=map_state(state),
                    aangemaakt_op=row.aangemaakt_op,
                    categorie=row.categorie,
                    onderwerp=row.onderwerp,
                    toelichting=explain_state(state, (signal.get("status") or {}).get("text")),
                    gewijzigd_op=parse_moment((signal.get("status") or {}).get("created_at")),
                )
            )
        return sorted(found, key=lambda c: c.aangemaakt_op, reverse=True)

    def _near(
        self, signal: dict[str, Any], locatie: Locatie, point: tuple[float, float] | None
    ) -> bool:
        """Within the radius, on the same street a few house numbers away, or same postcode."""
        location = signal.get("location") or {}
        geometry = location.get("geometrie") or {}
        coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if point is not None and isinstance(coordinates, list) and len(coordinates) >= 2:
            lon, lat = coordinates[:2]
            if nearby.distance_m(point, (float(lat), float(lon))) <= self.rules.radius_m:
                return True
        address = location.get("address") or {}
        if not isinstance(address, dict):
            return False
        postcode = re.sub(r"\s", "", str(address.get("postcode") or "")).upper()
        if (
            locatie.postcode
            and postcode
            and postcode == re.sub(r"\s", "", locatie.postcode).upper()
        ):
            return True
        street = str(address.get("openbare_ruimte") or "").strip().lower()
        if locatie.straat and street and street == locatie.straat.strip().lower():
            mine = nearby.house_number(locatie.huisnummer)
            theirs = nearby.house_number(str(address.get("huisnummer") or ""))
            return (
                mine is not None
                and theirs is not None
                and abs(mine - theirs) <= self.rules.house_numbers
            )
        return False

    # -- following a melding found nearby --------------------------------------------------

    @property
    def can_follow(self) -> bool:  # type: ignore[override]  # LedgerBackend's is False
        """An extra report goes to the melding as a note: only with the private API."""
        return bool(self.token)

    def _check_followable(self, row: Receipt) -> None:
        if not self.token or private_id(row.external_url) is None:
            raise BackendRejected(f"{row.identificatie} cannot be followed without the private API")

    async def _add_extra(self, row: Receipt, heading: str, report: ReportIn) -> None:
        """A note on the melding (`PATCH` with `notes`, the private API)."""
        text = f"{heading}: {report.omschrijving}"
        status, _ = await self._request(
            "PATCH",
            f"{PRIVATE}/signals/{private_id(row.external_url)}",
            json={"notes": [{"text": text[:TEXT_EXTRA_MAX]}]},
            headers=self._private_headers(),
            ok=(200,),
        )
        if status == 404:
            raise BackendRejected(f"{row.identificatie} no longer exists in Signalen")

    async def _add_extra_photo(self, row: Receipt, photo: Attachment) -> None:
        number = private_id(row.external_url)
        await self._attach(f"{PRIVATE}/signals/{number}/attachments/", photo, True)

    # -- photos -----------------------------------------------------------------------------

    async def add_attachment(self, identificatie: str, attachment: Attachment) -> None:
        row = await self.ledger.find(identificatie)
        if row is None or row.backend != self.name:
            raise BackendRejected(f"case {identificatie} is not a Signalen melding of Balie")
        await self._attach(f"{API}/signals/{row.external_id}/attachments/", attachment, False)

    async def _attach(self, path: str, attachment: Attachment, private: bool) -> None:
        """A photo as multipart `file` (WebP and others converted to JPEG first)."""
        data, content_type = attachment.data, attachment.content_type
        if content_type not in PHOTO_TYPES:
            data, content_type = await asyncio.to_thread(_to_jpeg, data), "image/jpeg"
        stem = re.sub(r"[^\w\-]", "_", attachment.filename.rsplit(".", 1)[0])[:80] or "foto"
        form = aiohttp.FormData()
        form.add_field(
            "file",
            data,
            filename=f"{stem}.{PHOTO_TYPES[content_type]}",
            content_type=content_type,
        )
        headers = self._private_headers() if private else {}
        status, _ = await self._request("POST", path, data=form, headers=headers)
        if status == 404:
            raise BackendRejected(f"{path} no longer exists in Signalen")
