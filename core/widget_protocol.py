"""What the web app and the Rasa input channel `balie_web` agree on: the widget relay's protocol."""

from __future__ import annotations

import hashlib
import hmac

CHANNEL = "balie_web"
# Both directions (web app -> Rasa webhook, Rasa -> web app callback) carry this header.
SECRET_HEADER = "X-Balie-Channel-Secret"
CALLBACK_PATH = "/chat/callback"
WEBHOOK_PATH = f"/webhooks/{CHANNEL}/webhook"
# The channel's GET route: 200 once Rasa has its model loaded, without the API token.
RASA_READY_PATH = f"/webhooks/{CHANNEL}/"


def channel_secret(api_token: str) -> str:
    """A secret for the relay derived from the API token, so the token itself never travels."""
    return hmac.new(api_token.encode(), b"balie-web-channel", hashlib.sha256).hexdigest()
