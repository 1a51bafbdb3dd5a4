"""The key that encrypts the console's session cookies."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet

from core.settings import kept_secret


def session_key(data_dir: Path) -> bytes:
    """A Fernet key: from BALIE_SECRET_KEY, or random and kept in the data directory.

    With several web app replicas, set BALIE_SECRET_KEY so they all read each other's cookies.
    """
    configured = os.environ.get("BALIE_SECRET_KEY")
    if configured:
        # Any string works: hashing turns it into the 32 bytes Fernet needs.
        return base64.urlsafe_b64encode(hashlib.sha256(configured.encode()).digest())
    return kept_secret(data_dir / "secret-key", lambda: Fernet.generate_key().decode()).encode()
