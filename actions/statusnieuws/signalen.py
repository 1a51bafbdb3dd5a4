"""Status news from Signalen, by polling its private API (only with a token configured).

Signalen sends nothing when a melding changes, so the action server asks: every
`BALIE_SIGNALEN_POLL` seconds it reads the current status of each melding Balie made
(`GET /signals/v1/private/signals/{id}`, the receipts listed by the web app) and hands
each to the web app (`…/ontvangstbewijzen/{id}/statusnieuws`, reference "state@created_at"),
which pushes what is new to the resident's chat. A round without news, or an error,
doubles the wait up to `BALIE_SIGNALEN_POLL_MAX` (a 429 waits at least its
Retry-After); news brings it back to the start value, since one change often follows
another.
"""

from __future__ import annotations

import asyncio
import logging

from actions.backends.base import BackendError, BackendRejected, BackendThrottled
from actions.backends.signalen import SignalenBackend, map_state, parse_moment
from core.caseapi.client import CaseApiClient
from core.caseapi.models import Receipt, StatusNewsIn

log = logging.getLogger(__name__)

PARALLEL = 4  # requests to Signalen at once


class SignalenStatusNews:
    def __init__(
        self, backend: SignalenBackend, api: CaseApiClient, *, interval: float, maximum: float
    ) -> None:
        self.backend = backend
        self.api = api
        self.interval = interval
        self.maximum = max(maximum, interval)

    async def poll_once(self) -> int:
        """Read every melding's status once; how many were news."""
        receipts = await self.api.receipts_of("signalen")
        limit = asyncio.Semaphore(PARALLEL)

        async def one(row: Receipt) -> bool:
            async with limit:
                try:
                    return await self.check(row)
                except BackendRejected as exc:  # this melding only (gone, refused)
                    log.info("no status news for %s: %s", row.identificatie, exc)
                    return False

        found = await asyncio.gather(*(one(row) for row in receipts))
        return sum(found)

    async def check(self, row: Receipt) -> bool:
        status = await self.backend.private_status(row)
        if status is None:
            return False
        moment = parse_moment(status.get("created_at")) or row.aangemaakt_op
        news = StatusNewsIn(
            referentie=f"{status['state']}@{status.get('created_at')}"[:500],
            gezet_op=moment,
            status=map_state(status["state"]),
        )
        outcome = await self.api.status_news(row.identificatie, news)
        return outcome is not None and outcome.uitkomst == "nieuw"

    def next_delay(self, delay: float, *, news: bool, retry_after: float | None = None) -> float:
        """The back-off: the start value after news, else double, capped."""
        if news:
            return self.interval
        doubled = min(delay * 2, self.maximum)
        return max(doubled, retry_after) if retry_after else doubled

    async def run(self) -> None:
        delay = self.interval
        while True:
            await asyncio.sleep(delay)
            try:
                delay = self.next_delay(delay, news=await self.poll_once() > 0)
            except BackendThrottled as exc:
                delay = self.next_delay(delay, news=False, retry_after=exc.retry_after)
            except BackendError as exc:
                log.warning("Signalen status poll failed: %s", exc)
                delay = self.next_delay(delay, news=False)
