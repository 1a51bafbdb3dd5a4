"""Rasa's REST channel, with the caller's client address in the message metadata.

Only `get_metadata` differs from Rasa's `RestInput`: the action server throttles
controlecode guessing per client address (actions/guesser.py), so the address is set
here from the connection (and a trusted proxy's X-Forwarded-For, bot/client_address.py),
replacing whatever `client_address` the caller put in its metadata.
Enabled in credentials.yml as `connectors.rest_address.RestInput:`; the channel is
still called `rest` (/webhooks/rest/webhook).
"""

from __future__ import annotations

from typing import Any

from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic.request import Request

from bot.client_address import of_request, stamp


class RestInput(RasaRestInput):
    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        return stamp(super().get_metadata(request), of_request(request.ip, request.headers))
