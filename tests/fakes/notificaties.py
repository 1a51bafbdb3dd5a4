"""A fake Notificaties API (VNG NRC 1.0, e.g. Open Notificaties), served by the fake Open Zaak.

Under `/notificaties/api/v1`, behind the same ZGW JWT as the other APIs:
* `POST /abonnement`: `callbackUrl` (a URL, <= 200) and `auth` (<= 1000) required,
  `kanalen` a non-empty list of `{naam, filters}` with an existing kanaal and filters
  only on that kanaal's kenmerken; before storing it the callback is checked with a
  test notification carrying `Authorization: <auth>`, which must answer 204 (as
  vng-api-common's CallbackURLValidator does). `auth` is write-only.
* `GET /abonnement` (a plain list), `GET`/`DELETE /abonnement/{uuid}`.
* Sending: every published notification (`kanaal`, `hoofdObject`, `resource`,
  `resourceUrl`, `actie`, `aanmaakdatum`, `kenmerken`) goes to each abonnement whose
  kanaal matches and whose filters all equal the notification's kenmerken.
Test controls: `publish(...)`, `send(abonnement, body)`, `drain()`, `delivered`.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime, timezone
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes import origin

NOTIFICATIES = "/notificaties/api/v1"
KANALEN = {
    "zaken": ("bronorganisatie", "zaaktype", "vertrouwelijkheidaanduiding"),
    "documenten": ("bronorganisatie", "informatieobjecttype", "vertrouwelijkheidaanduiding"),
}


class FakeNotificaties:
    def __init__(self) -> None:
        self.abonnementen: dict[str, dict[str, Any]] = {}
        # (callbackUrl, HTTP status, body sent) of every delivery attempt.
        self.delivered: list[tuple[str, int, dict[str, Any]]] = []
        self._sending: set[asyncio.Task[None]] = set()

    def install(self, app: web.Application) -> None:
        r = app.router
        r.add_get(f"{NOTIFICATIES}/abonnement", self.list)
        r.add_post(f"{NOTIFICATIES}/abonnement", self.create)
        r.add_get(f"{NOTIFICATIES}/abonnement/{{uuid}}", self.read)
        r.add_delete(f"{NOTIFICATIES}/abonnement/{{uuid}}", self.delete)

    # -- test controls ----------------------------------------------------------------------

    def notification(
        self,
        kanaal: str,
        hoofd_object: str,
        resource: str,
        resource_url: str,
        actie: str,
        kenmerken: dict[str, str],
    ) -> dict[str, Any]:
        return {
            "kanaal": kanaal,
            "hoofdObject": hoofd_object,
            "resource": resource,
            "resourceUrl": resource_url,
            "actie": actie,
            "aanmaakdatum": datetime.now(timezone.utc).isoformat(),
            "kenmerken": kenmerken,
        }

    def publish(self, body: dict[str, Any]) -> None:
        """Send in the background to every matching abonnement (as NRC does after Open Zaak
        told it); `await drain()` to wait for the deliveries."""
        for abonnement in list(self.abonnementen.values()):
            if self._matches(abonnement, body):
                task = asyncio.ensure_future(self.send(abonnement, body))
                self._sending.add(task)
                task.add_done_callback(self._sending.discard)

    async def drain(self) -> None:
        while self._sending:
            await asyncio.gather(*list(self._sending), return_exceptions=True)

    async def send(
        self, abonnement: dict[str, Any], body: dict[str, Any], *, auth: str | None = None
    ) -> None:
        """POST one notification to the abonnement's callback (with another `auth` if given)."""
        status = await self._post(abonnement["callbackUrl"], auth or abonnement["auth"], body)
        self.delivered.append((abonnement["callbackUrl"], status, body))

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _matches(abonnement: dict[str, Any], body: dict[str, Any]) -> bool:
        kenmerken = body.get("kenmerken") or {}
        for kanaal in abonnement["kanalen"]:
            if kanaal["naam"] != body["kanaal"]:
                continue
            if all(kenmerken.get(k) == v for k, v in (kanaal.get("filters") or {}).items()):
                return True
        return False

    @staticmethod
    async def _post(url: str, auth: str, body: dict[str, Any]) -> int:
        timeout = aiohttp.ClientTimeout(total=10)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as http:
                async with http.post(url, json=body, headers={"Authorization": auth}) as resp:
                    return resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return 0

    def _public(self, request: web.Request, abonnement: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"{origin(request)}{NOTIFICATIES}/abonnement/{abonnement['uuid']}",
            "callbackUrl": abonnement["callbackUrl"],
            "kanalen": abonnement["kanalen"],
        }

    @staticmethod
    def _problem(status: int, params: list[tuple[str, str, str]]) -> web.Response:
        body = {
            "type": "https://vng.nl/fouten/invalid",
            "code": "invalid",
            "title": "Invalid input.",
            "status": status,
            "detail": "",
            "instance": f"urn:uuid:{uuid.uuid4()}",
            "invalidParams": [{"name": n, "code": c, "reason": r} for n, c, r in params],
        }
        return web.json_response(body, status=status, content_type="application/problem+json")

    # -- routes -----------------------------------------------------------------------------

    async def list(self, request: web.Request) -> web.Response:
        return web.json_response([self._public(request, a) for a in self.abonnementen.values()])

    async def read(self, request: web.Request) -> web.Response:
        abonnement = self.abonnementen.get(request.match_info["uuid"])
        if abonnement is None:
            return web.json_response({"code": "not_found", "status": 404}, status=404)
        return web.json_response(self._public(request, abonnement))

    async def delete(self, request: web.Request) -> web.Response:
        if self.abonnementen.pop(request.match_info["uuid"], None) is None:
            return web.json_response({"code": "not_found", "status": 404}, status=404)
        return web.Response(status=204)

    async def create(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return self._problem(400, [("nonFieldErrors", "parse_error", "Ongeldige JSON.")])
        errors: list[tuple[str, str, str]] = []
        callback, auth, kanalen = body.get("callbackUrl"), body.get("auth"), body.get("kanalen")
        if not isinstance(callback, str) or not re.match(r"^https?://", callback):
            errors.append(("callbackUrl", "invalid", "Voer een geldige URL in."))
        elif len(callback) > 200:
            errors.append(("callbackUrl", "max_length", "Maximaal 200 karakters."))
        if not isinstance(auth, str) or not auth:
            errors.append(("auth", "required", "Dit veld is vereist."))
        elif len(auth) > 1000:
            errors.append(("auth", "max_length", "Maximaal 1000 karakters."))
        if not isinstance(kanalen, list) or not kanalen:
            errors.append(("kanalen", "required", "Dit veld is vereist."))
        else:
            for index, kanaal in enumerate(kanalen):
                naam = kanaal.get("naam") if isinstance(kanaal, dict) else None
                filters = (kanaal.get("filters") or {}) if isinstance(kanaal, dict) else None
                if naam not in KANALEN:
                    errors.append((f"kanalen.{index}.naam", "does_not_exist", "Onbekend kanaal."))
                elif not isinstance(filters, dict) or not set(filters) <= set(KANALEN[naam]):
                    reason = "Filters mogen alleen kenmerken van het kanaal gebruiken."
                    errors.append((f"kanalen.{index}.filters", "kenmerken-inconsistent", reason))
        if errors:
            return self._problem(400, errors)
        test = self.notification(
            "test", "http://some.hoofdobject.nl/", "some_resource", "http://some.resource.nl/",
            "create", {},
        )  # fmt: skip
        if await self._post(callback, auth, test) != 204:
            reason = "De callback-URL moet een 204 status code teruggeven."
            return self._problem(400, [("callbackUrl", "invalid-callback-url", reason)])
        key = str(uuid.uuid4())
        self.abonnementen[key] = {
            "uuid": key,
            "callbackUrl": callback,
            "auth": auth,
            "kanalen": [{"naam": k["naam"], "filters": k.get("filters") or {}} for k in kanalen],
        }
        return web.json_response(self._public(request, self.abonnementen[key]), status=201)
