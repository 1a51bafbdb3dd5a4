"""Shared-secret checks: constant time, on bytes (compare_digest refuses non-ASCII str).

A header with bytes that are not UTF-8 (aiohttp keeps them as surrogates) does not
match instead of raising.
"""

from __future__ import annotations

import hmac

CHALLENGE = 'Bearer realm="balie"'  # the WWW-Authenticate header of a 401


def same_secret(given: str | None, expected: str) -> bool:
    """True when `given` is `expected`; never for an empty `expected` (nothing configured)."""
    return bool(expected) and hmac.compare_digest(
        (given or "").encode("utf-8", "surrogatepass"), expected.encode()
    )


def bearer_ok(authorization: str | None, expected: str) -> bool:
    """Does an `Authorization` header carry `Bearer <expected>`?"""
    scheme, _, token = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and same_secret(token, expected)
