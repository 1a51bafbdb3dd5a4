"""Staff passwords: argon2id hashes, verified off the event loop."""

from __future__ import annotations

# The controlecode hasher uses OWASP's argon2id minimum (m=19 MiB, t=2, p=1), which is
# also the recommendation for passwords: one hasher for both.
from core.codes import DUMMY_HASH, hash_code, verify_code

MIN_LENGTH = 12
MAX_LENGTH = 200


def policy_error(password: str, username: str) -> str | None:
    """Why a new password is not acceptable (Dutch, for the form), or None."""
    if len(password) < MIN_LENGTH:
        return f"Kies een wachtwoord van minstens {MIN_LENGTH} tekens."
    if len(password) > MAX_LENGTH:
        return f"Kies een wachtwoord van hoogstens {MAX_LENGTH} tekens."
    if username and username.lower() in password.lower():
        return "Het wachtwoord mag uw gebruikersnaam niet bevatten."
    if len(set(password)) < 5:
        return "Het wachtwoord is te eenvoudig: gebruik meer verschillende tekens."
    return None


async def hash_password(password: str) -> str:
    return await hash_code(password)


async def verify_password(hashed: str | None, password: str) -> bool:
    """False for a wrong password; an unknown user (hashed=None) takes just as long."""
    ok = await verify_code(hashed or DUMMY_HASH, password)
    return ok and hashed is not None
