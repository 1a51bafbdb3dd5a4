"""Rasa's REST channel (`POST /webhooks/rest/webhook`) for integrations, guarded.

Configured in credentials.yml as `rasa_plugins.connectors.rest.BalieRestInput:` instead of `rest:`;
the route and the answer (a JSON list of bot messages) stay Rasa's. What it adds:

- `BALIE_REST_CHANNEL=off` switches it off (404); `BALIE_REST_TOKEN` set makes it
  require `Authorization: Bearer <token>` (401 without it).
- A message is refused before NLU runs, with a 4xx JSON `{"error": code, "text": Dutch
  text for the resident}` and no turn: longer than the widget's limit (413), a payload
  Balie did not offer or an internal one such as `/restart` or `/EXTERNAL_…` (403)
  (core/residents/guard.py).
- The caller's client address goes into the message metadata (`client_address`).
- A REST caller speaks for itself only: the input channel is always `rest` (a body's
  `input_channel` is ignored), a conversation another channel has used is refused
  (403), and so are sender ids that are whole numbers, which are Telegram chat ids.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

from rasa.core.channels.channel import InputChannel
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from core.bearer import CHALLENGE, bearer_ok
from core.client_address import of_request, stamp
from core.residents import texts
from core.residents.guard import TOO_LONG, Refusal
from core.settings import Network
from rasa_plugins import settings as plugin_settings
from rasa_plugins.connectors import guard
from rasa_plugins.connectors.ready import agent

MAX_BODY = 64 * 1024  # bytes: a message of MAX_LENGTH characters, escaped, plus metadata
MAX_SENDER = 255  # Rasa's SQL tracker store keeps sender ids in a VARCHAR(255)
TELEGRAM_SENDER = re.compile(r"^-?\d+$")
OTHER_CHANNEL = Refusal("ander_kanaal", texts.OTHER_CHANNEL)
REMEMBERED_SENDERS = 10_000  # REST conversations known to be REST's only (LRU)
STATUS = {TOO_LONG.code: 413}  # every other refusal: 403


def _error(status: int, error: str, text: str | None = None) -> HTTPResponse:
    body = {"error": error, **({"text": text} if text else {})}
    headers = {"WWW-Authenticate": CHALLENGE} if status == 401 else None
    return response.json(body, status=status, headers=headers)


class BalieRestInput(RestInput):
    def __init__(
        self, enabled: bool = True, token: str = "", trusted_proxies: tuple[Network, ...] = ()
    ) -> None:
        self.enabled = enabled
        self.token = token
        self.trusted_proxies = trusted_proxies
        self._rest_only: OrderedDict[str, None] = OrderedDict()

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def of(cls, settings: plugin_settings.PluginSettings) -> BalieRestInput:
        """BALIE_REST_CHANNEL (`on`, default, or `off`), BALIE_REST_TOKEN (empty: no
        token needed) and the proxies whose X-Forwarded-For is believed."""
        return cls(settings.rest_channel, settings.rest_token, settings.trusted_proxies)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Rasa's way in (credentials.yml has nothing for it): the Rasa server's settings."""
        return cls.of(plugin_settings.settings())

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()  # never what the caller claims

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """The caller's metadata with the client address set from the connection (and a
        trusted proxy's X-Forwarded-For), replacing any the caller claims: the status
        form throttles controlecode guessing per address (actions/guesser.py)."""
        address = of_request(request.ip, request.headers, self.trusted_proxies)
        return stamp(super().get_metadata(request), address)

    def blueprint(self, on_new_message: Any) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def check(request: Request) -> HTTPResponse | None:
            if not self.enabled:
                return _error(404, "the REST channel is switched off (BALIE_REST_CHANNEL)")
            if self.token and not bearer_ok(request.headers.get("Authorization"), self.token):
                return _error(401, "missing or invalid bearer token")
            if request.method != "POST":
                return None
            return await self.refuse(request)

        return webhook

    async def _other_channel(self, rasa: Any, sender: str) -> bool:
        """Did another channel ever speak in this conversation? Read once per sender:
        the answer 'no' cannot change (widget sender ids are made by the web app, Telegram
        ids are refused above), so later turns skip reading the whole conversation."""
        if sender in self._rest_only:
            self._rest_only.move_to_end(sender)
            return False
        if await guard.channels_of(rasa, sender) - {self.name(), ""}:
            return True
        self._rest_only[sender] = None
        if len(self._rest_only) > REMEMBERED_SENDERS:
            self._rest_only.popitem(last=False)
        return False

    async def refuse(self, request: Request) -> HTTPResponse | None:
        """A 4xx answer for a message that must not reach Rasa, or None."""
        if len(request.body or b"") > MAX_BODY:
            return _error(413, TOO_LONG.code, TOO_LONG.text)
        try:
            body = request.json
        except Exception:  # Sanic raises its own 400 type; the answer should be ours
            body = None
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object")
        sender, text = body.get("sender"), body.get("message")
        if not (isinstance(sender, str) and 0 < len(sender) <= MAX_SENDER):
            return _error(400, f"sender must be a string of 1 to {MAX_SENDER} characters")
        if not (isinstance(text, str) and text.strip()):
            return _error(400, "message must be a non-empty string")
        if TELEGRAM_SENDER.match(sender):
            return _error(403, OTHER_CHANNEL.code, OTHER_CHANNEL.text)
        rasa = agent(request)
        refused = await guard.check(rasa, sender, text)
        if refused is None:
            if rasa is None or not rasa.is_ready():
                return _error(503, "Rasa is starting; try again shortly")
            if await self._other_channel(rasa, sender):
                refused = OTHER_CHANNEL
        if refused:
            return _error(STATUS.get(refused.code, 403), refused.code, refused.text)
        return None
