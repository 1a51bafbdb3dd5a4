"""The retention terms and the purge rhythm, the same for every process that keeps data.

Each process purges its own tables (the web app: webapp/privacy/retention.py; the
action server: actions/retention.py) by the one `Policy` its settings read from the
environment (see docs/privacy.md), every BALIE_PURGE_INTERVAL_MINUTES (`run_periodically`).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from core.domain import CHANNELS
from core.settings import Env, Settings

log = logging.getLogger(__name__)

Counts = dict[str, int]
# The action server's route that forgets a resident's outbox entries (the web app calls it).
FORGET_PATH = "/vergeten"


def _days(env: Env, name: str, default: float, fallback: str = "") -> timedelta:
    # A term of zero would delete a conversation while the resident is still typing.
    return timedelta(days=env.number(name, default, minimum=0.0001, fallback=fallback))


@dataclass(frozen=True)
class Policy:
    """How long each kind of data is kept (see docs/privacy.md for the reasoning)."""

    # After a conversation's last message.
    conversation: timedelta = timedelta(days=30)
    # After the case was closed: long enough for a follow-up question or an objection
    # (bezwaar within six weeks, Awb 6:7) to reach the reporter, then the name goes.
    contact: timedelta = timedelta(days=90)
    # After the request was made: a call-back happens within days.
    callback: timedelta = timedelta(days=90)
    # After the case was closed, per final status.
    cancelled: timedelta = timedelta(days=365)
    handled: timedelta = timedelta(days=1826)

    @classmethod
    def read(cls, env: Env) -> Policy:
        """The terms from BALIE_RETENTION_*_DAYS; ConfigError on a bad one."""
        return cls(
            # BALIE_CHAT_RETENTION_DAYS is the widget's old name for the same term.
            conversation=_days(
                env, "BALIE_RETENTION_CONVERSATION_DAYS", 30, fallback="BALIE_CHAT_RETENTION_DAYS"
            ),
            contact=_days(env, "BALIE_RETENTION_CONTACT_DAYS", 90),
            callback=_days(env, "BALIE_RETENTION_CALLBACK_DAYS", 90),
            cancelled=_days(env, "BALIE_RETENTION_CANCELLED_DAYS", 365),
            handled=_days(env, "BALIE_RETENTION_HANDLED_DAYS", 1826),
        )

    def describe(self) -> dict[str, float]:
        """The terms in days, for logs and the CLI."""
        return {
            "conversation": self.conversation / timedelta(days=1),
            "contact": self.contact / timedelta(days=1),
            "callback": self.callback / timedelta(days=1),
            "cancelled": self.cancelled / timedelta(days=1),
            "handled": self.handled / timedelta(days=1),
        }


def read_purge_interval(env: Env) -> float | None:
    """Seconds between a process's purges (BALIE_PURGE_INTERVAL_MINUTES); None: off."""
    minutes = env.number("BALIE_PURGE_INTERVAL_MINUTES", 60, minimum=0)
    return minutes * 60 if minutes else None


@dataclass(frozen=True)
class RetentionSettings(Settings):
    """The settings of a process that keeps residents' data: the web app, the action server."""

    retention: Policy = field(default_factory=Policy)
    # Seconds between purges; None: none (purge from cron with `python -m bot purge`).
    purge_interval: float | None = 3600.0

    @classmethod
    def read(cls, env: Env) -> dict[str, Any]:
        return {
            **super().read(env),
            "retention": Policy.read(env),
            "purge_interval": read_purge_interval(env),
        }


async def run_periodically(purge: Callable[[], Awaitable[Any]], interval: float) -> None:
    """Purge every `interval` seconds, forever; a failure waits for the next round."""
    # Instances started together (a deployment) spread out instead of all trying at once.
    await asyncio.sleep(random.uniform(0, min(interval, 60.0)))
    while True:
        try:
            await purge()
        except Exception:
            log.exception("retention purge failed")
        await asyncio.sleep(interval)


def check_identity(kanaal: str, identity: str) -> None:
    """A resident to forget: ValueError unless a known channel and a sensible sender id."""
    if kanaal not in CHANNELS:
        raise ValueError(f"kanaal must be one of {', '.join(CHANNELS)}")
    if not identity or len(identity) > 255:
        raise ValueError("identity must be 1 to 255 characters")


def log_counts(what: str, counts: Counts) -> None:
    """The counts only: who it was must never end up in a log."""
    text = " ".join(f"{kind}={n}" for kind, n in counts.items())
    log.info("%s: %s", what, text or "nothing to purge")
