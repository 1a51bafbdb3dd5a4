"""What goes wrong reaching a case system, whichever it is (Case API, Signalen, ZGW).

`retryable` errors send a submission to the outbox for a later attempt; the others
reject it.
"""

from __future__ import annotations


class BackendError(Exception):
    """The case system refused or failed. `retryable` errors go to the outbox."""

    retryable: bool = False

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BackendUnavailable(BackendError):
    """Down, slow (timeout) or answering 5xx: try again later."""

    retryable = True


class BackendThrottled(BackendUnavailable):
    """429: too many requests; `retry_after` seconds if the system said so."""


class BackendRejected(BackendError):
    """4xx other than 429: the submission itself is wrong; retrying will not help."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status, when an HTTP answer said so


class PhotoRefused(BackendRejected):
    """The Case API will not store this photo: too large (413), not an image (415) or
    corrupt (422)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"photo refused with HTTP {status}", status=status)
