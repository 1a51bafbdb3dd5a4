"""The key that encrypts the console's session cookies."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet

from core.settings import Settings, kept_secret


def session_key(settings: Settings) -> bytes:
    """A Fernet key: from BALIE_SECRET_KEY, or random and kept in the data directory.

    With several web app replicas, set BALIE_SECRET_KEY so they all read each other's cookies.
    """
    if settings.secret_key:
        # Any string works: hashing turns it into the 32 bytes Fernet needs.
        return base64.urlsafe_b64encode(hashlib.sha256(settings.secret_key.encode()).digest())
    path = settings.data_dir / "secret-key"
    return kept_secret(path, lambda: Fernet.generate_key().decode()).encode()
