"""JSON that is safe to use, for every process that parses what strangers send.

`loads` is the stdlib parser plus what it lets through that Balie cannot store or
should not recurse into: lone surrogates and NUL characters in strings, nesting deeper
than a real message has, NaN/Infinity and huge integers. The web app parses request
bodies with it, the Telegram connector Telegram's updates.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 20  # Balie's deepest real message (a Rasa message with buttons) has 4 levels
MAX_INT = 2**63 - 1


class InvalidJson(ValueError):
    pass


def clean_text(value: str) -> bool:
    """Text a database can store: no NUL, no lone surrogates (aiohttp keeps bytes that are
    not UTF-8 as surrogates; JSON can spell them as \\udXXX)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _constant(name: str) -> Any:
    raise InvalidJson(f"{name} is not a JSON number")


def _check(value: Any, depth: int) -> None:
    if isinstance(value, str):
        if not clean_text(value):
            raise InvalidJson("JSON text contains a NUL character or a lone surrogate")
    elif isinstance(value, bool | float) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > MAX_INT:
            raise InvalidJson("JSON number too large")
    elif depth >= MAX_DEPTH:
        raise InvalidJson(f"JSON nested deeper than {MAX_DEPTH} levels")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, depth)
            _check(item, depth + 1)
    else:
        for item in value:
            _check(item, depth + 1)


def loads(raw: bytes | str) -> Any:
    """Parsed JSON; InvalidJson (a ValueError) with a reason a client can act on."""
    try:
        data = json.loads(raw, parse_constant=_constant)
    except RecursionError:
        raise InvalidJson(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except InvalidJson:
        raise
    except ValueError:  # also UnicodeDecodeError and over-long integers
        raise InvalidJson("body is not valid JSON") from None
    _check(data, 0)
    return data
