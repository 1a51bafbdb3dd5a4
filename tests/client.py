"""Talking to the running Rasa server over real HTTP, as the channels do."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from core.settings import Settings

# Actions Rasa runs on its own around every turn; test stories leave them out.
INTERNAL_ACTIONS = {"action_listen", "action_extract_slots", "action_session_start"}


def full_intent(parse_data: dict[str, Any]) -> str:
    """'faq/pgb' for a retrieval intent, else the intent name."""
    name = parse_data["intent"]["name"]
    selector = parse_data.get("response_selector", {}).get(name)
    if selector:
        return selector["response"]["intent_response_key"] or name
    return name


async def parse(http: aiohttp.ClientSession, settings: Settings, text: str) -> dict[str, Any]:
    url, auth = f"{settings.rasa_url}/model/parse", settings.rasa_auth()
    async with http.post(url, json={"text": text}, headers=auth) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def parse_all(
    http: aiohttp.ClientSession, settings: Settings, texts: list[str], concurrency: int = 8
) -> list[dict[str, Any]]:
    """Parse many messages, a few at a time (the order of `texts` is kept)."""
    limit = asyncio.Semaphore(concurrency)

    async def one(text: str) -> dict[str, Any]:
        async with limit:
            return await parse(http, settings, text)

    return await asyncio.gather(*(one(t) for t in texts))


async def say(
    http: aiohttp.ClientSession,
    settings: Settings,
    sender: str,
    text: str,
    metadata: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"sender": sender, "message": text}
    if metadata:
        body["metadata"] = metadata
    async with http.post(f"{settings.rasa_url}/webhooks/rest/webhook", json=body) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def events(http: aiohttp.ClientSession, settings: Settings, sender: str) -> list[dict]:
    url, auth = f"{settings.rasa_url}/conversations/{sender}/tracker", settings.rasa_auth()
    async with http.get(url, headers=auth) as resp:
        assert resp.status == 200, await resp.text()
        return (await resp.json())["events"]
