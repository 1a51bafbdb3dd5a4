"""The web app's Case API as the Telegram connector uses it (core/caseapi/client.py).

Photos are staged (`POST /uploads`) before the melding exists; the form attaches
them by id when the case is made. `/stop` and `/start` switch status messages off
and on for the chat (`PUT`/`DELETE /afmeldingen/{melder}`); `/vergeet` forgets the
resident (`POST /vergeten`). A chat command must answer the resident whatever happens,
so failures become None or False here, logged, instead of errors.
"""

from __future__ import annotations

import logging
from typing import Any

from core.caseapi.client import CaseApiClient
from core.caseapi.errors import BackendError, PhotoRefused
from core.settings import Settings

__all__ = ["ChatCases", "PhotoRefused"]

log = logging.getLogger(__name__)


class ChatCases:
    def __init__(self, api: CaseApiClient) -> None:
        self.api = api

    @classmethod
    def of(cls, settings: Settings) -> ChatCases:
        """The Case API of these settings (`BALIE_CASE_API_URL`, `BALIE_API_TOKEN`)."""
        return cls(CaseApiClient.of(settings))

    async def close(self) -> None:
        await self.api.close()

    async def stage_photo(self, data: bytes, content_type: str = "image/jpeg") -> str | None:
        """The upload id of a checked photo; None when the Case API is away.

        PhotoRefused when the photo itself is the problem (too large, not an image, corrupt).
        """
        try:
            return (await self.api.stage_upload(data, content_type)).upload_id
        except PhotoRefused:
            raise
        except BackendError as exc:
            log.warning("photo not staged: %s", exc)
            return None

    async def opt_out(self, melder: str) -> bool:
        """No more status messages for `melder`; False if that could not be recorded."""
        try:
            await self.api.opt_out(melder)
        except BackendError as exc:
            log.warning("opt-out of %s not recorded: %s", melder, exc)
            return False
        return True

    async def opt_in(self, melder: str) -> bool | None:
        """Status messages on again: True if they were off, False if not, None on failure."""
        try:
            return await self.api.opt_in(melder)
        except BackendError as exc:
            log.warning("opt-in of %s not recorded: %s", melder, exc)
            return None

    async def forget(self, kanaal: str, identity: str) -> dict[str, int] | None:
        """Forget this resident; what was removed per kind, or None when it failed."""
        try:
            return (await self.api.forget(kanaal, identity)).verwijderd
        except BackendError as exc:
            log.warning("forgetting a %s resident failed: %s", kanaal, exc)
            return None

    async def live_message(
        self, melder: str, bericht: dict[str, Any], message_id: str | None = None
    ) -> bool:
        """Hand a message to the live chat (webapp/live/telegram.py); True when a
        medewerker has the chat. When the web app is away the message goes to Balie."""
        try:
            return await self.api.live_message(melder, bericht, message_id)
        except BackendError as exc:
            log.warning("live chat message of %s not delivered: %s", melder, exc)
            return False

    async def live_available(self) -> bool:
        """Is a medewerker free to chat now? False when the web app cannot say."""
        try:
            return await self.api.live_available()
        except BackendError as exc:
            log.warning("asking whether a medewerker is free failed: %s", exc)
            return False

    async def live_stop(self, melder: str) -> bool:
        """Stop waiting for, or end the chat with, a medewerker; False when nothing was open."""
        try:
            return await self.api.live_stop(melder)
        except BackendError as exc:
            log.warning("stopping the live chat of %s failed: %s", melder, exc)
            return False

    async def feedback(self, body: dict[str, Any]) -> bool | None:
        """Store a resident's feedback: True when stored, False when already given, None
        when it failed (the resident is thanked all the same)."""
        try:
            return await self.api.feedback(body)
        except BackendError as exc:
            log.warning("feedback not stored: %s", exc)
            return None
