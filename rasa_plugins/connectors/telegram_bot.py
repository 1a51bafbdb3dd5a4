"""What the Telegram connector and the long-polling process share.

The `TELEGRAM_*` settings, the python-telegram-bot `Bot` built from them, and
`call`, which runs one Bot API request the way Telegram asks clients to: wait out
a 429 `retry_after`, back off on network errors, give up on refusals.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from telegram import Bot
    from telegram.error import RetryAfter

    from core.settings import Env

log = logging.getLogger(__name__)
# httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
logging.getLogger("httpx").setLevel(logging.WARNING)

T = TypeVar("T")

DEFAULT_API_URL = "https://api.telegram.org"
WEBHOOK_PATH = "/webhooks/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Only what the connector handles; Telegram then keeps the rest (polls, member changes) away.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
# A 429 asks for a pause; longer than this and the message is dropped rather than held.
MAX_RETRY_AFTER = 120.0
ATTEMPTS = 5


@dataclass(frozen=True)
class TelegramConfig:
    """`TELEGRAM_*` environment variables; an empty token means the channel is off."""

    token: str = field(default="", repr=False)
    secret: str = field(default="", repr=False)
    webhook_url: str = ""
    api_url: str = ""

    @classmethod
    def read(cls, env: Env) -> TelegramConfig:
        return cls(
            token=env.text("TELEGRAM_TOKEN"),
            secret=env.text("TELEGRAM_WEBHOOK_SECRET"),
            webhook_url=env.text("TELEGRAM_WEBHOOK_URL"),
            api_url=env.text("TELEGRAM_API_URL"),
        )

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    @property
    def polling(self) -> bool:
        """No public URL: a separate process fetches updates (`python -m bot telegram-poll`)."""
        return self.enabled and not self.webhook_url

    def make_bot(self) -> Bot:
        from telegram import Bot
        from telegram.request import HTTPXRequest

        base = (self.api_url or DEFAULT_API_URL).rstrip("/")
        # getUpdates holds its connection for the long-poll timeout: give it room.
        return Bot(
            self.token,
            base_url=f"{base}/bot",
            base_file_url=f"{base}/file/bot",
            request=HTTPXRequest(connection_pool_size=64, read_timeout=15.0),
            get_updates_request=HTTPXRequest(connection_pool_size=2, read_timeout=40.0),
        )

    def process_env(self) -> dict[str, str]:
        """`TELEGRAM_*` for the Rasa server and the poller, started by the supervisor.

        All four are always set, empty when unused, because credentials.yml reads them
        with `${VAR}` and Rasa refuses unset variables. Without a configured secret, one
        is made up for this run: Balie registers the webhook (or forwards updates) itself.
        """
        secret = self.secret or (secrets.token_urlsafe(32) if self.enabled else "")
        return {
            "TELEGRAM_TOKEN": self.token,
            "TELEGRAM_WEBHOOK_SECRET": secret,
            "TELEGRAM_WEBHOOK_URL": self.webhook_url,
            "TELEGRAM_API_URL": self.api_url,
        }


def retry_after_seconds(exc: RetryAfter) -> float:
    """`retry_after` is an int or, after PTB's migration to timedelta, a timedelta."""
    with warnings.catch_warnings():  # the int form warns about that migration
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def call(
    request: Callable[[], Awaitable[T]], what: str, *, attempts: int = ATTEMPTS
) -> T | None:
    """Run one Bot API request; None when Telegram refused it or stayed unreachable.

    A 429 (`RetryAfter`) waits exactly as long as Telegram says; timeouts and network
    errors retry with exponential backoff and jitter; anything Telegram rejects
    (blocked by the user, message not found, bad request) is logged, not raised.
    """
    from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

    delay = 0.5
    for attempt in range(1, attempts + 1):
        try:
            return await request()
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            if wait > MAX_RETRY_AFTER or attempt == attempts:
                log.error("telegram %s: flood limit, retry after %.0fs; dropped", what, wait)
                return None
            log.warning("telegram %s: flood limit, waiting %.1fs", what, wait)
            await asyncio.sleep(wait + random.uniform(0, 0.2))
        except (Forbidden, BadRequest) as exc:
            log.warning("telegram %s refused: %s", what, exc)
            return None
        except NetworkError as exc:  # includes TimedOut; BadRequest was caught above
            if attempt == attempts:
                log.error("telegram %s failed after %d attempts: %s", what, attempts, exc)
                return None
            log.warning("telegram %s: %s; retrying in %.1fs", what, exc, delay)
            await asyncio.sleep(delay + random.uniform(0, delay / 2))
            delay = min(delay * 2, 30.0)
        except TelegramError as exc:
            log.error("telegram %s failed: %s", what, exc)
            return None
    return None
