"""Rasa's Redis lock store, configured by one URL (BALIE_REDIS_URL).

Two Rasa servers (or Sanic workers) answering the same conversation must take turns:
Rasa's ticket locks have to live in Redis then. Rasa's own `type: redis` wants host,
port, db and password separately; deployments set a single URL instead.
"""

from __future__ import annotations

from typing import Any

import redis
from rasa.core.lock_store import DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX, LockStore, RedisLockStore

from rasa_plugins import settings as plugin_settings

KEY_PREFIX = "balie:" + DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX
# Rasa asks Redis on every turn; a Redis that hangs must fail the turn, not freeze it.
SOCKET_TIMEOUT = 10.0


class RedisUrlLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Any = None, url: str | None = None) -> None:
        """Rasa passes only `endpoint_config`: the URL is then the Rasa server's setting."""
        url = url or plugin_settings.settings().redis_url
        if not url:
            raise ValueError("RedisUrlLockStore needs BALIE_REDIS_URL (redis://host:6379/0)")
        self.red = redis.StrictRedis.from_url(url, socket_timeout=SOCKET_TIMEOUT)
        self.key_prefix = KEY_PREFIX
        LockStore.__init__(self)
