"""The key that encrypts the console's session cookies."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet


def session_key(data_dir: Path) -> bytes:
    """A Fernet key: from BALIE_SECRET_KEY, or random and kept in the data directory.

    With several web app replicas, set BALIE_SECRET_KEY so they all read each other's cookies.
    """
    configured = os.environ.get("BALIE_SECRET_KEY")
    if configured:
        # Any string works: hashing turns it into the 32 bytes Fernet needs.
        return base64.urlsafe_b64encode(hashlib.sha256(configured.encode()).digest())
    path = data_dir / "secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_bytes().strip()
        with os.fdopen(fd, "wb") as out:
            out.write(Fernet.generate_key())
    return path.read_bytes().strip()
