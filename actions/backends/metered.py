"""Metrics for any case backend: every call timed, every failure counted.

`metered(backend)` wraps an adapter without changing what it does: the same
methods, results and exceptions, plus `balie_backend_request_duration_seconds`
and `balie_backend_errors_total` (core/observability/metrics.py).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from typing import Any, TypeVar

from actions.backends.base import BackendError, BackendThrottled
from core.observability import metrics

T = TypeVar("T")
# Calls that are not requests to the case system.
UNTIMED = frozenset({"close"})


def error_kind(exc: BaseException) -> tuple[str, bool]:
    """(kind, retryable) of a failed backend call."""
    if isinstance(exc, BackendThrottled):
        return "throttled", True
    if isinstance(exc, BackendError):
        return ("unavailable" if exc.retryable else "rejected"), exc.retryable
    if isinstance(exc, asyncio.TimeoutError | asyncio.CancelledError):
        # The caller stopped waiting (SUBMIT_TIMEOUT): the outbox tries again later.
        return "timeout", True
    return "unexpected", False


class Metered:
    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.name: str = backend.name

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._backend, attr)
        if attr.startswith("_") or attr in UNTIMED or not inspect.iscoroutinefunction(value):
            return value

        @functools.wraps(value)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await value(*args, **kwargs)
            except (Exception, asyncio.CancelledError) as exc:
                kind, retryable = error_kind(exc)
                metrics.BACKEND_ERRORS.labels(
                    self.name, attr, kind, "true" if retryable else "false"
                ).inc()
                raise
            finally:
                metrics.BACKEND_SECONDS.labels(self.name, attr).observe(
                    time.perf_counter() - started
                )

        return timed


def metered(backend: T) -> T:
    """The backend, with its calls measured (typed as the backend itself)."""
    return Metered(backend)  # type: ignore[return-value]  # a proxy: same methods, other class
