"""A typed async client of the web app's Case API (`/api/v1`), for the action server and
the Rasa connectors: the same models as the server (core/caseapi/models.py) on the wire.

Errors are the backend family (core/caseapi/errors.py): unreachable, slow or 5xx is
`BackendUnavailable` (retry later), 429 `BackendThrottled`, any other refusal
`BackendRejected`. "Not found" is an answer, not an error: the methods return None or
False for a 404.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
from pydantic import BaseModel, ValidationError

from core.caseapi import models as m
from core.caseapi.errors import (
    BackendRejected,
    BackendThrottled,
    BackendUnavailable,
    PhotoRefused,
)
from core.feedback import API_PATH as FEEDBACK_PATH
from core.kcc import API_PATH as LIVE_PATH
from core.kcc import MESSAGE_PATH as LIVE_MESSAGE_PATH
from core.kcc import STOP_PATH as LIVE_STOP_PATH
from core.settings import Settings

Model = TypeVar("Model", bound=BaseModel)
# What the Case API says about a photo it will not store (core/photos.py).
PHOTO_REFUSALS = (413, 415, 422)


class CaseApiClient:
    def __init__(self, url: str, token: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def of(cls, settings: Settings) -> CaseApiClient:
        """The web app's Case API; `BALIE_CASE_API_URL` when it runs elsewhere."""
        return cls(settings.case_api_url, settings.api_token())

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session:
            await self._session.close()

    # -- plumbing ----------------------------------------------------------------------

    async def request(
        self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201), **kwargs: Any
    ) -> tuple[int, Any]:
        """(status, JSON body) for a status in `ok` or 404; raises the backend errors."""
        try:
            async with self.session.request(method, self.url + path, **kwargs) as resp:
                body = await resp.json(content_type=None) if resp.content_length != 0 else None
                status = resp.status
                retry_after = resp.headers.get("Retry-After")
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise BackendUnavailable(f"case system unreachable: {exc!r}") from exc
        if status in ok or status == 404:
            return status, body
        message = (body or {}).get("error", f"HTTP {status}") if isinstance(body, dict) else status
        if status == 429:
            raise BackendThrottled(str(message), retry_after=float(retry_after or 60))
        if status >= 500:
            raise BackendUnavailable(f"case system error: {message}")
        raise BackendRejected(f"case system refused: {message} {body}", status=status)

    async def _answer(
        self, model: type[Model], method: str, path: str, **kwargs: Any
    ) -> Model | None:
        """The answer read into `model`, or None for a 404."""
        status, body = await self.request(method, path, **kwargs)
        if status == 404:
            return None
        try:
            return model.parse_obj(body)
        except ValidationError as exc:
            raise BackendUnavailable(f"case system answered what it should not: {exc}") from exc

    async def _found(self, model: type[Model], method: str, path: str, **kwargs: Any) -> Model:
        """The answer read into `model`; a 404 here means the route is not there."""
        found = await self._answer(model, method, path, **kwargs)
        if found is None:
            raise BackendRejected(f"case system refused: {path} not found", status=404)
        return found

    # -- cases -------------------------------------------------------------------------

    async def create_case(self, case: m.NewCase) -> m.Case:
        """Create the case; the same `idempotency_key` again returns the first case."""
        headers = {"Idempotency-Key": case.idempotency_key}
        return await self._found(m.Case, "POST", "/cases", json=case.wire(), headers=headers)

    async def case(self, identificatie: str) -> m.Case | None:
        """One case with its contact and photos (staff's view)."""
        return await self._answer(m.Case, "GET", f"/cases/{_segment(identificatie)}")

    async def list_cases(self, **filters: str | int) -> m.CasePage:
        """A page of cases, newest first; filters as `GET /cases` takes them."""
        params = {name: str(value) for name, value in filters.items()}
        return await self._found(m.CasePage, "GET", "/cases", params=params)

    async def inzage(
        self, identificatie: str, *, controlecode: str | None = None, melder: str | None = None
    ) -> m.CaseStatus | None:
        """What a resident may see of a case, if the code or reporter matches; else None."""
        proof = m.InzageIn.construct(controlecode=controlecode, melder=melder)
        path = f"/cases/{_segment(identificatie)}/inzage"
        return await self._answer(m.CaseStatus, "POST", path, json=proof.wire())

    async def add_attachment(
        self, identificatie: str, photo: m.Attachment
    ) -> m.AttachmentInfo | None:
        """Attach a photo to a case; None if there is no such case."""
        return await self._answer(
            m.AttachmentInfo,
            "POST",
            f"/cases/{_segment(identificatie)}/bijlagen",
            params={"bestandsnaam": photo.filename},
            data=photo.data,
            headers={"Content-Type": photo.content_type},
        )

    async def open_nearby(self, query: m.NearbyIn) -> list[m.CaseStatus]:
        """Open meldingen of the same main category near a melding about to be made."""
        found = await self._found(m.CaseStatusList, "POST", "/cases/nabij", json=query.wire())
        return found.items

    async def add_report(
        self, identificatie: str, report: m.ReportIn, idempotency_key: str
    ) -> m.CaseStatus | None:
        """Report an open melding again and follow it; None if there is no such case.
        The same key again adds nothing more."""
        return await self._answer(
            m.CaseStatus,
            "POST",
            f"/cases/{_segment(identificatie)}/meldingen",
            json=report.wire(),
            headers={"Idempotency-Key": idempotency_key},
        )

    # -- what channels send ------------------------------------------------------------

    async def stage_upload(self, data: bytes, content_type: str = "image/jpeg") -> m.Upload:
        """Stage a photo before its case exists; PhotoRefused when the photo is the problem
        (too large, not an image, corrupt)."""
        status, body = await self.request(
            "POST",
            "/uploads",
            ok=(201, *PHOTO_REFUSALS),
            data=data,
            headers={"Content-Type": content_type},
        )
        if status in PHOTO_REFUSALS:
            raise PhotoRefused(status)
        try:
            return m.Upload.parse_obj(body)
        except ValidationError as exc:
            raise BackendUnavailable(f"case system answered what it should not: {exc}") from exc

    async def upload(self, upload_id: str) -> m.Attachment | None:
        """A staged photo, or None if it expired."""
        try:
            async with self.session.get(f"{self.url}/uploads/{_segment(upload_id)}") as resp:
                if resp.status == 404:
                    return None
                if resp.status != 200:
                    raise BackendUnavailable(f"upload {upload_id}: HTTP {resp.status}")
                data = await resp.read()
                disposition = resp.headers.get("Content-Disposition", "")
                name = disposition.split('filename="', 1)[-1].rstrip('"') or "foto"
                return m.Attachment(name, resp.content_type, data)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise BackendUnavailable(f"case system unreachable: {exc!r}") from exc

    async def create_callback(self, callback: m.CallbackIn, idempotency_key: str) -> m.Callback:
        """Register a call-back request; the same key again returns the first one."""
        headers = {"Idempotency-Key": idempotency_key}
        return await self._found(
            m.Callback, "POST", "/terugbelverzoeken", json=callback.wire(), headers=headers
        )

    async def opt_out(self, melder: str) -> bool:
        """No more status messages to `melder`'s chat; True when that is new."""
        status, _ = await self.request("PUT", _afmelding(melder))
        if status == 404:
            raise BackendRejected("case system refused: no opt-outs here", status=404)
        return status == 201

    async def opted_out(self, melder: str) -> bool:
        status, _ = await self.request("GET", _afmelding(melder))
        return status == 200

    async def opt_in(self, melder: str) -> bool:
        """Status messages on again; True if they were off."""
        status, _ = await self.request("DELETE", _afmelding(melder), ok=(200, 204))
        return status != 404

    async def forget(self, kanaal: str, identity: str) -> m.Forgotten:
        """Forget a resident by channel identity; what was removed per kind."""
        body = m.ForgetIn.construct(kanaal=kanaal, id=identity).wire()
        return await self._found(m.Forgotten, "POST", "/vergeten", json=body)

    async def feedback(self, body: dict[str, Any]) -> bool:
        """Store a resident's feedback; False when the conversation already rated the topic."""
        status, _ = await self.request("POST", FEEDBACK_PATH, ok=(201, 409), json=body)
        if status == 404:
            raise BackendRejected("case system refused: no feedback route", status=404)
        return status == 201

    async def live(self, melder: str) -> dict[str, Any]:
        """Ask for a medewerker to chat with (webapp/live/api.py): `{"wachtrij": true,
        "positie", "wacht_minuten"}` when the conversation joined the queue, else
        `{"wachtrij": false}` (out of hours, nobody available, a channel without live chat)."""
        status, body = await self.request("POST", LIVE_PATH, ok=(200, 201), json={"melder": melder})
        if status == 404 or not isinstance(body, dict):
            raise BackendRejected("case system refused: no live chat route", status=404)
        return body

    async def live_available(self) -> bool:
        """Could a resident chat with a medewerker now (the KCC open, someone available)?"""
        status, body = await self.request("GET", LIVE_PATH)
        return status == 200 and isinstance(body, dict) and body.get("beschikbaar") is True

    async def live_message(
        self, melder: str, bericht: dict[str, Any], message_id: str | None = None
    ) -> bool:
        """A resident's message while they wait for or chat with a medewerker: stored for
        the medewerker (once per `message_id`); True when one has the chat (then it must
        not reach Rasa)."""
        body: dict[str, Any] = {"melder": melder, "bericht": bericht}
        if message_id:
            body["id"] = message_id
        status, answer = await self.request("POST", LIVE_MESSAGE_PATH, json=body)
        return status == 200 and isinstance(answer, dict) and answer.get("live") is True

    async def live_stop(self, melder: str) -> bool:
        """The resident stops waiting, or ends the chat; False when nothing was open."""
        status, answer = await self.request("POST", LIVE_STOP_PATH, json={"melder": melder})
        return status == 200 and isinstance(answer, dict) and answer.get("gestopt") is True

    # -- receipts of cases in Signalen or ZGW ------------------------------------------

    async def record_receipt(self, receipt: m.ReceiptIn, idempotency_key: str) -> m.Receipt:
        """Receipt an external case under a new identifier; the same key again returns
        the first receipt."""
        headers = {"Idempotency-Key": idempotency_key}
        return await self._found(
            m.Receipt, "POST", "/ontvangstbewijzen", json=receipt.wire(), headers=headers
        )

    async def receipt_by_key(self, idempotency_key: str) -> m.Receipt | None:
        found = await self._receipts({"sleutel": idempotency_key})
        return found[0] if found else None

    async def receipts_for(self, melder: str, backend: str | None = None) -> list[m.Receipt]:
        """Receipts made from this channel identity, newest first."""
        return await self._receipts({"melder": melder, **({"backend": backend} if backend else {})})

    async def follow_receipt(
        self, identificatie: str, follower: m.FollowIn, idempotency_key: str
    ) -> m.Receipt | None:
        """A resident follows an open external melding; None if there is no such receipt."""
        return await self._answer(
            m.Receipt,
            "POST",
            f"/ontvangstbewijzen/{_segment(identificatie)}/volgers",
            json=follower.wire(),
            headers={"Idempotency-Key": idempotency_key},
        )

    async def receipt(self, identificatie: str) -> m.Receipt | None:
        return await self._answer(m.Receipt, "GET", f"/ontvangstbewijzen/{_segment(identificatie)}")

    async def authorize_receipt(
        self, identificatie: str, *, controlecode: str | None = None, melder: str | None = None
    ) -> m.Receipt | None:
        """The receipt for a resident who proves the case is theirs, else None."""
        proof = m.InzageIn.construct(controlecode=controlecode, melder=melder)
        path = f"/ontvangstbewijzen/{_segment(identificatie)}/inzage"
        return await self._answer(m.Receipt, "POST", path, json=proof.wire())

    async def receipts_of(self, backend: str) -> list[m.Receipt]:
        """Every receipt of one external system, newest first (for status polling)."""
        return await self._receipts({"backend": backend})

    async def receipt_by_external_url(self, backend: str, url: str) -> m.Receipt | None:
        """The receipt of the external case at `url` (a ZGW zaak URL), if Balie made it."""
        found = await self._receipts({"backend": backend, "extern": url})
        return found[0] if found else None

    async def status_news(self, identificatie: str, news: m.StatusNewsIn) -> m.StatusNews | None:
        """Record an external status change; the web app pushes it to the reporter once.
        None when there is no such receipt."""
        path = f"/ontvangstbewijzen/{_segment(identificatie)}/statusnieuws"
        return await self._answer(m.StatusNews, "POST", path, json=news.wire())

    async def _receipts(self, params: dict[str, str]) -> list[m.Receipt]:
        found = await self._found(m.ReceiptList, "GET", "/ontvangstbewijzen", params=params)
        return found.items


def _segment(value: str) -> str:
    """One path segment, whatever the caller passes."""
    return quote(value, safe="")


def _afmelding(melder: str) -> str:
    return f"/afmeldingen/{quote(melder, safe=':')}"
