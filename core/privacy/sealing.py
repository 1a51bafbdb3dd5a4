"""Encryption of personal data at rest: one Fernet key for every place Balie keeps it.

The tracker store's personal slot values, the outbox's payloads and the widget's
transcript are sealed with the same key: derived (HMAC-SHA256) from BALIE_SECRET_KEY, or
from the key file in BALIE_DATA_DIR, the web app's session secret, but never the same
key. Every process with the same secret reads what every other one wrote.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from core.privacy import masking
from core.privacy.keys import session_key
from core.settings import Settings

log = logging.getLogger(__name__)

_KEY_CONTEXT = b"balie: personal data in stored conversations"


def personal_data_key(base: bytes) -> bytes:
    """The Fernet key for personal data at rest: derived from the web app's secret."""
    return base64.urlsafe_b64encode(hmac.new(base, _KEY_CONTEXT, hashlib.sha256).digest())


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(masking.ENCRYPTED_PREFIX)


class Sealer:
    """Encrypts a value (any JSON) into one string "enc:v1:<Fernet token>", and back."""

    def __init__(self, key: bytes) -> None:
        self.fernet = Fernet(key)

    def seal(self, value: Any) -> str:
        token = self.fernet.encrypt(json.dumps(value, ensure_ascii=False).encode())
        return masking.ENCRYPTED_PREFIX + token.decode("ascii")

    def open(self, value: Any) -> Any:
        """The real value; None when it was encrypted with another key."""
        if not is_sealed(value):
            return value
        try:
            return json.loads(self.fernet.decrypt(value[len(masking.ENCRYPTED_PREFIX) :]))
        except (InvalidToken, ValueError):
            log.warning("a stored value cannot be decrypted (another BALIE_SECRET_KEY?)")
            return None

    def open_json(self, stored: str) -> Any:
        """A column that holds either a sealed value or (written before sealing) plain JSON."""
        return self.open(stored) if is_sealed(stored) else json.loads(stored)


@lru_cache(maxsize=8)
def _sealer(key: bytes) -> Sealer:
    return Sealer(key)


def sealer(settings: Settings) -> Sealer:
    """The process's Sealer for BALIE_SECRET_KEY (or the data directory's key file)."""
    return _sealer(personal_data_key(session_key(settings)))
