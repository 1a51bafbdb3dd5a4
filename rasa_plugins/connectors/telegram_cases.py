"""The web app's Case API as the Telegram connector uses it.

Photos are staged (`POST /uploads`) before the melding exists; the form attaches
them by id when the case is made. `/stop` and `/start` switch status messages off
and on for the chat (`PUT`/`DELETE /afmeldingen/{melder}`); `/vergeet` forgets the
resident (`POST /vergeten`). The HTTP plumbing is
the built-in backend's, so both reach the same Case API the same way.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from actions.backends.base import BackendError
from actions.backends.builtin import BuiltinBackend

log = logging.getLogger(__name__)


# What the Case API says about a photo it will not store (core/photos.py).
PHOTO_REFUSALS = (413, 415, 422)


class PhotoRefused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"photo refused with HTTP {status}")
        self.status = status


class CaseApiClient(BuiltinBackend):
    async def stage_photo(self, data: bytes, content_type: str = "image/jpeg") -> str | None:
        """The upload id of a checked photo; None when the Case API is away.

        PhotoRefused when the photo itself is the problem (too large, not an image, corrupt).
        """
        try:
            status, body = await self._request(
                "POST",
                "/uploads",
                ok=(201, *PHOTO_REFUSALS),
                data=data,
                headers={"Content-Type": content_type},
            )
        except BackendError as exc:
            log.warning("photo not staged: %s", exc)
            return None
        if status in PHOTO_REFUSALS:
            raise PhotoRefused(status)
        return str(body["upload_id"]) if isinstance(body, dict) and "upload_id" in body else None

    async def opt_out(self, melder: str) -> bool:
        """No more status messages for `melder`; False if that could not be recorded."""
        try:
            status, _ = await self._request("PUT", self._afmelding(melder), ok=(200, 201, 204))
        except BackendError as exc:
            log.warning("opt-out of %s not recorded: %s", melder, exc)
            return False
        return status != 404

    async def opt_in(self, melder: str) -> bool | None:
        """Status messages on again: True if they were off, False if not, None on failure."""
        try:
            status, _ = await self._request("DELETE", self._afmelding(melder), ok=(200, 204))
        except BackendError as exc:
            log.warning("opt-in of %s not recorded: %s", melder, exc)
            return None
        return status != 404

    async def forget(self, kanaal: str, identity: str) -> dict[str, int] | None:
        """Forget this resident; what was removed per kind, or None when it failed."""
        try:
            status, body = await self._request(
                "POST", "/vergeten", ok=(200,), json={"kanaal": kanaal, "id": identity}
            )
        except BackendError as exc:
            log.warning("forgetting a %s resident failed: %s", kanaal, exc)
            return None
        if status != 200 or not isinstance(body, dict):
            log.warning("forgetting a %s resident failed: HTTP %s", kanaal, status)
            return None
        return body.get("verwijderd") or {}

    @staticmethod
    def _afmelding(melder: str) -> str:
        return f"/afmeldingen/{quote(melder, safe=':')}"
