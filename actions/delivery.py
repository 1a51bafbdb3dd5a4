"""Submitting cases and call-backs: outbox first, then the backend, honestly reported.

One `Delivery` per action-server process holds the backend and the outbox; the
actions ask it to submit, and the background worker uses it to deliver later. The
entry point builds it from the process's settings and installs it (`install`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import aiohttp
from pydantic import ValidationError

from actions.backends import backend_of
from actions.backends.base import BackendError, BackendRejected, CaseBackend, NewCase
from actions.backends.builtin import BuiltinBackend
from actions.backends.metered import metered
from actions.outbox import Entry, Outbox, run_worker
from core.caseapi.client import CaseApiClient
from core.caseapi.models import CallbackIn
from core.observability import metrics
from core.settings import Settings

if TYPE_CHECKING:
    from actions.settings import ActionSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
# How long a resident waits for the case system before hearing it is queued.
SUBMIT_TIMEOUT = 6.0


@dataclass(frozen=True)
class Outcome:
    state: Literal["delivered", "queued", "rejected"]
    result: dict[str, Any] | None = None
    error: str | None = None
    # The code kept with the submission: a repeated submission (same key) must announce
    # the code the case system has, not the one a new attempt made up. None once a
    # delivered report's code was told and dropped.
    controlecode: str | None = None


def case_payload(case: NewCase, fotos: list[str] | None = None) -> dict[str, Any]:
    """The outbox's record of a case submission: the case and its staged photos."""
    payload: dict[str, Any] = json.loads(case.json())
    return payload | {"fotos": fotos or []}


def case_from_payload(payload: dict[str, Any]) -> NewCase:
    return NewCase.parse_obj({k: v for k, v in payload.items() if k != "fotos"})


def _parsed(parse: Callable[[dict[str, Any]], T], entry: Entry) -> T:
    """An outbox entry's submission, refused as the Case API would refuse it."""
    try:
        return parse(entry.payload)
    except ValidationError as exc:
        raise BackendRejected(f"invalid {entry.kind}: {exc}") from exc


class Delivery:
    def __init__(
        self, backend: CaseBackend, balie: BuiltinBackend, outbox: Outbox, settings: Settings
    ) -> None:
        self.backend = backend
        self.balie = balie  # Balie's own case API: call-backs and staged photos
        self.outbox = outbox
        self.settings = settings  # where Rasa is and its token: to tell a conversation

    @classmethod
    def of(cls, settings: ActionSettings) -> Delivery:
        balie = BuiltinBackend(CaseApiClient.of(settings))
        return cls(metered(backend_of(settings)), metered(balie), Outbox.of(settings), settings)

    async def deliver(self, entry: Entry) -> dict[str, Any]:
        if entry.kind == "case":
            case = _parsed(case_from_payload, entry)
            created = await self.backend.create_case(case)
            # A retry lands here again after the case exists; backends store a photo once.
            for upload_id in entry.payload.get("fotos") or []:
                photo = await self.balie.upload(upload_id)
                if photo:
                    await self.backend.add_attachment(created.identificatie, photo)
            metrics.CASES_CREATED.labels(case.type, self.backend.name).inc()
            return {"identificatie": created.identificatie}
        if entry.kind == "callback":
            callback = _parsed(CallbackIn.parse_obj, entry)
            callback_id = await self.balie.create_callback(callback, entry.key)
            metrics.CALLBACKS_CREATED.inc()
            return {"id": callback_id}
        raise ValueError(f"unknown outbox entry kind {entry.kind!r}")

    async def submit(
        self, key: str, kind: str, payload: dict[str, Any], sender: str | None
    ) -> Outcome:
        """Keep the submission durably, then try to deliver it now."""
        outcome = await self._submit(key, kind, payload, sender)
        metrics.SUBMISSIONS.labels(kind, outcome.state).inc()
        return outcome

    async def _submit(
        self, key: str, kind: str, payload: dict[str, Any], sender: str | None
    ) -> Outcome:
        entry = await self.outbox.put(key, kind, payload, sender)
        code = entry.payload.get("controlecode")
        if entry.state == "delivered":
            return Outcome("delivered", entry.result, controlecode=code)
        try:
            result = await asyncio.wait_for(self.deliver(entry), SUBMIT_TIMEOUT)
        except asyncio.TimeoutError:
            await self.outbox.failed(key, "timeout")
            return Outcome("queued", error="timeout", controlecode=code)
        except BackendError as exc:
            if exc.retryable:
                await self.outbox.failed(key, str(exc), retry_after=exc.retry_after)
                return Outcome("queued", error=str(exc), controlecode=code)
            await self.outbox.rejected(key, str(exc))
            return Outcome("rejected", error=str(exc))
        await self.outbox.delivered(entry, result)  # announced by the action right now
        return Outcome("delivered", result, controlecode=code)

    async def submit_case(
        self, case: NewCase, sender: str | None, fotos: list[str] | None = None
    ) -> Outcome:
        payload = case_payload(case, fotos)
        return await self.submit(case.idempotency_key, "case", payload, sender)

    async def notify_conversation(self, entry: Entry, result: dict[str, Any]) -> None:
        """Tell the resident's conversation that a queued submission went through."""
        if not entry.sender:
            return
        url = f"{self.settings.rasa_url}/conversations/{entry.sender}/trigger_intent"
        body = {"name": "EXTERNAL_afgeleverd", "entities": {"sleutel": entry.key}}
        params = {"output_channel": "latest"}
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            async with http.post(
                url, json=body, params=params, headers=self.settings.rasa_auth()
            ) as resp:
                if resp.status >= 400:
                    log.warning("trigger_intent for %s: HTTP %s", entry.sender, resp.status)

    async def run_worker(self) -> None:
        await run_worker(self.outbox, self.deliver, self.notify_conversation)

    async def close(self) -> None:
        await self.backend.close()
        await self.balie.close()
        await self.outbox.close()


# rasa-sdk makes the Action objects itself, without arguments (its ActionExecutor), so
# an action cannot be handed the Delivery it needs: the entry point installs the
# process's one Delivery here before it serves (actions/__main__.py), and a test that
# runs actions in-process installs its own. This is the action server's only such holder.
_installed: list[Delivery] = []


def install(delivery: Delivery | None) -> None:
    """The process's Delivery from now on; None: none (a test cleaning up)."""
    _installed[:] = [delivery] if delivery is not None else []


def delivery() -> Delivery:
    """The process-wide Delivery, installed by the entry point."""
    if not _installed:
        raise RuntimeError(
            "the action server is not set up: no Delivery installed "
            "(python -m actions installs one; a test calls actions.delivery.install)"
        )
    return _installed[0]
