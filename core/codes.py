"""Controlecodes: short codes a resident types to see a case, stored only as argon2 hashes."""

from __future__ import annotations

import asyncio
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# No 0/O, 1/I/L: the code is read aloud and typed on phones.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 6
CODE_RE = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_code(text: str) -> str | None:
    """'ab3 d7k', 'AB3-D7K' -> 'AB3D7K'; None if it cannot be a code."""
    code = re.sub(r"[\s\-.]", "", text).upper()
    return code if CODE_RE.match(code) else None


async def hash_code(code: str) -> str:
    return await asyncio.to_thread(_hasher.hash, code)


def _verify(hashed: str, code: str) -> bool:
    try:
        return _hasher.verify(hashed, code)
    except (VerificationError, InvalidHashError):
        return False


async def verify_code(hashed: str, code: str) -> bool:
    return await asyncio.to_thread(_verify, hashed, code)


# Checked against when a case does not exist, so both answers take as long.
DUMMY_HASH = _hasher.hash(new_code())
