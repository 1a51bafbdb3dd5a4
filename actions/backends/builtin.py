"""The built-in case system, reached over its HTTP Case API (`/api/v1`)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from datetime import datetime
from typing import Any

import aiohttp

from actions.backends.base import (
    Attachment,
    BackendRejected,
    BackendThrottled,
    BackendUnavailable,
    CaseStatus,
    NewCase,
)
from core.settings import Settings


def _status(body: dict[str, Any]) -> CaseStatus:
    notes = [h["toelichting"] for h in body.get("statusgeschiedenis", []) if h.get("toelichting")]
    return CaseStatus(
        identificatie=body["identificatie"],
        type=body["type"],
        status=body["status"],
        aangemaakt_op=datetime.fromisoformat(body["aangemaakt_op"]),
        categorie=body.get("categorie"),
        onderwerp=body.get("onderwerp"),
        toelichting=body.get("toelichting", notes[-1] if notes else None),
        gewijzigd_op=datetime.fromisoformat(body["gewijzigd_op"])
        if body.get("gewijzigd_op")
        else None,
    )


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    return value


class BuiltinBackend:
    name = "builtin"

    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_env(cls) -> BuiltinBackend:
        """The web app's Case API; `BALIE_CASE_API_URL` when it runs elsewhere."""
        settings = Settings.from_env()
        url = os.environ.get("BALIE_CASE_API_URL", f"{settings.web_url}/api/v1")
        return cls(url, settings.api_token())

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session:
            await self._session.close()

    async def _request(
        self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201), **kwargs: Any
    ) -> tuple[int, Any]:
        try:
            async with self.session.request(method, self.base_url + path, **kwargs) as resp:
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
        raise BackendRejected(f"case system refused: {message} {body}")

    async def create_case(self, case: NewCase) -> CaseStatus:
        payload = _drop_none(
            {
                "type": case.type,
                "omschrijving": case.omschrijving,
                "categorie": case.categorie,
                "onderwerp": case.onderwerp,
                "locatie": dataclasses.asdict(case.locatie) if case.locatie else None,
                "tijdstip": case.tijdstip.isoformat() if case.tijdstip else None,
                "kanaal": case.kanaal,
                "melder": case.melder,
                "contact": dataclasses.asdict(case.contact) if case.contact else None,
                "controlecode": case.controlecode,
            }
        )
        _, body = await self._request(
            "POST", "/cases", json=payload, headers={"Idempotency-Key": case.idempotency_key}
        )
        return _status(body)

    async def get_case(
        self, identificatie: str, *, controlecode: str | None = None, melder: str | None = None
    ) -> CaseStatus | None:
        status, body = await self._request(
            "POST",
            f"/cases/{identificatie}/inzage",
            json=_drop_none({"controlecode": controlecode, "melder": melder}),
        )
        return None if status == 404 else _status(body)

    async def list_cases(self, melder: str) -> list[CaseStatus]:
        _, body = await self._request("GET", "/cases", params={"melder": melder, "per_page": "20"})
        return [_status(item) for item in body["items"]]

    async def add_attachment(self, identificatie: str, attachment: Attachment) -> None:
        status, _ = await self._request(
            "POST",
            f"/cases/{identificatie}/bijlagen",
            params={"bestandsnaam": attachment.filename},
            data=attachment.data,
            headers={"Content-Type": attachment.content_type},
        )
        if status == 404:
            raise BackendRejected(f"case {identificatie} not found")

    async def create_callback(self, payload: dict[str, Any], idempotency_key: str) -> int:
        """Register a call-back request in Balie's own case system; returns its id."""
        _, body = await self._request(
            "POST",
            "/terugbelverzoeken",
            json=_drop_none(payload),
            headers={"Idempotency-Key": idempotency_key},
        )
        return int(body["id"])

    async def upload(self, upload_id: str) -> Attachment | None:
        """A photo a channel staged in Balie's web app, or None if it expired."""
        try:
            async with self.session.get(f"{self.base_url}/uploads/{upload_id}") as resp:
                if resp.status == 404:
                    return None
                if resp.status != 200:
                    raise BackendUnavailable(f"upload {upload_id}: HTTP {resp.status}")
                data = await resp.read()
                disposition = resp.headers.get("Content-Disposition", "")
                name = disposition.split('filename="', 1)[-1].rstrip('"') or "foto"
                return Attachment(name, resp.content_type, data)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise BackendUnavailable(f"case system unreachable: {exc!r}") from exc
