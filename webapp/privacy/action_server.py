"""The web app asks the action server to forget a resident's outbox entries.

The outbox is the action server's table (actions/outbox.py, its own database): the web
app never opens it, it calls `POST /vergeten` there (FORGET_PATH) (actions/retention.py) with Rasa's
token, which the action server demands of every caller (actions/auth.py).
"""

from __future__ import annotations

import asyncio

import aiohttp

from core.privacy.retention import FORGET_PATH, Counts
from core.settings import Settings

TIMEOUT = 15.0  # seconds; the action server answers from its own database


class OutboxUnavailable(Exception):
    """The action server did not forget: unreachable, or it answered with an error."""


class ActionServer:
    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token

    @classmethod
    def from_settings(cls, settings: Settings) -> ActionServer:
        """Where Rasa reaches the action servers (BALIE_ACTION_URL, their webhook; a load
        balancer in a cluster), else this host's action port."""
        return cls(settings.action_webhook.removesuffix("/webhook"), settings.rasa_token())

    async def forget(self, kanaal: str, identity: str, *, dry_run: bool = False) -> Counts:
        body = {"kanaal": kanaal, "id": identity, "dry_run": dry_run}
        headers = {"Authorization": f"Bearer {self.token}"}
        timeout = aiohttp.ClientTimeout(total=TIMEOUT)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as http:
                url = f"{self.base_url}{FORGET_PATH}"
                async with http.post(url, json=body, headers=headers) as resp:
                    if resp.status != 200:
                        raise OutboxUnavailable(f"the action server answered {resp.status}")
                    answer = await resp.json()
            return {str(kind): int(n) for kind, n in answer["verwijderd"].items()}
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise OutboxUnavailable(f"the action server could not be reached: {exc!r}") from exc
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise OutboxUnavailable(f"the action server's answer made no sense: {exc!r}") from exc
