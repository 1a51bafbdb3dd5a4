"""Status news from a ZGW Zaken API, through its Notificaties API (VNG, e.g. Open Notificaties).

At start the action server makes sure an abonnement exists for its callback
(`POST {notificaties}/abonnement` with `callbackUrl`, `auth` and kanaal `zaken`, filtered
on the gemeente's `bronorganisatie`) and checks every `BALIE_ZGW_ABONNEMENT_CHECK`
seconds that it is still there, making it again when it is gone.

The Notificaties API posts every zaken event to the callback: `kanaal`, `hoofdObject`
(the zaak's URL), `resource`, `resourceUrl`, `actie`, `aanmaakdatum`, `kenmerken`.
Only `resource` "status" with `actie` "create" on a zaak Balie made is news: the
callback reads the status (`datumStatusGezet`, `statustype`) and hands it to the web
app (`…/ontvangstbewijzen/{id}/statusnieuws`), which pushes it to the resident's chat
like a built-in status change, once: the same status URL again, or a status set before
the last one pushed, is not pushed. The callback answers 204 to everything it accepts
(the Notificaties API checks the callback with a test notification that way), 401
without the subscription's `auth`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError

from actions.backends.base import BackendError
from actions.backends.zgw import ZgwBackend, ZgwConfig
from core.caseapi.client import CaseApiClient
from core.caseapi.models import StatusNewsIn

log = logging.getLogger(__name__)

KANAAL = "zaken"
NOTIFICATION_FIELDS = ("kanaal", "hoofdObject", "resource", "resourceUrl", "actie")


class CallbackRefused(Exception):
    """A call to the callback that is not a notification from our subscription."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ZgwStatusNews:
    def __init__(self, config: ZgwConfig, backend: ZgwBackend, api: CaseApiClient) -> None:
        assert config.notificaties_url and config.callback_url
        self.config = config
        self.backend = backend
        self.api = api
        self.url = config.notificaties_url.rstrip("/")

    # -- the subscription -------------------------------------------------------------------

    def abonnement(self) -> dict[str, Any]:
        return {
            "callbackUrl": self.config.callback_url,
            "auth": self.config.callback_auth,
            "kanalen": [{"naam": KANAAL, "filters": {"bronorganisatie": self.config.rsin}}],
        }

    async def ensure_subscription(self) -> bool:
        """Make the abonnement unless one for our callback on `zaken` exists; True if made."""
        _, found = await self.backend.request("GET", f"{self.url}/abonnement")
        items = found.get("results", []) if isinstance(found, dict) else found or []
        for item in items:
            kanalen = {k.get("naam") for k in item.get("kanalen") or [] if isinstance(k, dict)}
            if item.get("callbackUrl") == self.config.callback_url and KANAAL in kanalen:
                return False
        await self.backend.request(
            "POST", f"{self.url}/abonnement", json_body=self.abonnement(), ok=(201,)
        )
        log.info("subscribed to the Notificaties API (kanaal %s)", KANAAL)
        return True

    async def keep_subscribed(self) -> None:
        """Check now and then that the abonnement exists (it may be removed by an admin or
        lost with the Notificaties API's database); make it again when it is gone."""
        while True:
            try:
                await self.ensure_subscription()
            except BackendError as exc:
                log.warning("Notificaties API subscription check failed: %s", exc)
            await asyncio.sleep(self.config.abonnement_check)

    # -- the callback -----------------------------------------------------------------------

    async def answer(self, authorization: str | None, body: Any) -> tuple[int, dict[str, str]]:
        """The callback's HTTP answer to one call: 204 for every notification it accepts
        (also those that are no news), 401/400 JSON for a wrong caller or body, 503 when
        the Zaken API or the web app cannot be reached now (the Notificaties API retries)."""
        try:
            outcome = await self.receive(authorization, body)
        except CallbackRefused as exc:
            return exc.status, {"error": str(exc)}
        except ValidationError:
            return 400, {"error": "the status cannot be read"}
        except BackendError as exc:
            log.warning("ZGW notification not handled now: %s", exc)
            return 503, {"error": "not handled now, try again later"}
        log.info("ZGW notification: %s", outcome)
        return 204, {}

    def authorized(self, header: str | None) -> bool:
        expected = self.config.callback_auth.encode()
        return hmac.compare_digest((header or "").encode(), expected)

    async def receive(self, authorization: str | None, body: Any) -> str:
        """Handle one notification; what became of it (for the log and tests)."""
        if not self.authorized(authorization):
            raise CallbackRefused(401, "missing or wrong Authorization")
        if not isinstance(body, dict) or not all(
            isinstance(body.get(name), str) for name in NOTIFICATION_FIELDS
        ):
            fields = ", ".join(NOTIFICATION_FIELDS)
            raise CallbackRefused(400, f"a notification has the text fields {fields}")
        if (body["kanaal"], body["resource"], body["actie"]) != (KANAAL, "status", "create"):
            return "not a new status"
        # Balie's JWT goes only to its own Zaken API, whatever a notification names.
        if not body["resourceUrl"].startswith(f"{self.backend.zaken_url}/statussen/"):
            raise CallbackRefused(400, "resourceUrl is not a status of the configured Zaken API")
        receipt = await self.api.receipt_by_external_url("zgw", body["hoofdObject"])
        if receipt is None:
            return "not a zaak of Balie"
        code, status = await self.backend.request("GET", body["resourceUrl"])
        if code == 404 or not isinstance(status, dict):
            return "status gone"
        if status.get("zaak") != body["hoofdObject"]:
            raise CallbackRefused(400, "the status belongs to another zaak")
        gezet = status.get("datumStatusGezet")
        try:
            moment = datetime.fromisoformat(str(gezet).replace("Z", "+00:00"))
        except ValueError:
            return "status without datumStatusGezet"
        if moment.tzinfo is None:  # ZGW date-times without an offset are UTC
            moment = moment.replace(tzinfo=timezone.utc)
        news = StatusNewsIn(
            referentie=body["resourceUrl"],
            gezet_op=moment,
            status=self.backend.map_statustype(status.get("statustype"), receipt.type),
        )
        outcome = await self.api.status_news(receipt.identificatie, news)
        return outcome.uitkomst if outcome else "receipt gone"
