"""Rasa input channel `balie_web`: the website chat widget, relayed by Balie's web app.

The browser never talks to Rasa. The web app POSTs a resident's message to
`/webhooks/balie_web/webhook`; every bot message is POSTed back, one by one and in
order, to the web app's callback (`BALIE_WEB_CALLBACK_URL`, default
`<web app>/chat/callback`), which logs it per conversation and pushes it to the open
widget. Because replies go through the callback rather than the webhook's response,
messages Rasa sends on its own (a status change via `trigger_intent` with
`output_channel=balie_web`) reach the resident the same way.

Both directions carry a shared secret derived from `BALIE_API_TOKEN`.
Enabled in credentials.yml as `rasa_plugins.connectors.web.BalieWebInput:`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from rasa.core.channels.callback import CallbackInput, CallbackOutput
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.utils.endpoints import ClientResponseError, EndpointConfig
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from core import feedback
from core.bearer import same_secret
from core.channel_hints import CARD, card_values
from core.residents.guard import MAX_LENGTH, TOO_LONG
from core.widget_protocol import CHANNEL, SECRET_HEADER, channel_secret
from rasa_plugins import settings as plugin_settings
from rasa_plugins.connectors.ready import agent_ready

log = logging.getLogger(__name__)
# A web app restarting or a load balancer switching over: a couple of quick retries.
# Each message carries an id, so a retry after a lost answer is not stored twice.
RETRY_DELAYS = (0.2, 1.0)


class BalieWebOutput(CallbackOutput):
    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """Channel hints (core/channel_hints.py) travel with their text (below): no callback."""

    @staticmethod
    def _with_card(message: dict[str, Any], custom: Any) -> dict[str, Any]:
        """A hint's card (case number, controlecode) goes along, for the widget to show."""
        card = card_values(custom)
        return {**message, "custom": {CARD: card}} if card else message

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        parts = text.strip().split("\n\n")  # as Rasa's CollectingOutputChannel does
        for n, part in enumerate(parts):
            message = self._message(recipient_id, text=part)
            if n == len(parts) - 1:
                message = self._with_card(message, kwargs.get("custom"))
                # What it answered, for the widget's thumbs up/down (issue #16).
                topic = feedback.topic(kwargs)
                if topic:
                    message[feedback.MESSAGE_KEY] = topic
            await self._persist_message(message)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        message = self._message(recipient_id, text=text, buttons=buttons)
        await self._persist_message(self._with_card(message, kwargs.get("custom")))

    async def _persist_message(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        body = {**message, "id": uuid.uuid4().hex}
        for delay in (*RETRY_DELAYS, None):
            try:
                await self.callback_endpoint.request("post", json=body)
                return
            except ClientResponseError as exc:
                if exc.status < 500:  # the web app refused it; retrying changes nothing
                    log.error("callback refused a message: %s %s", exc.status, exc.text)
                    return
                error: Exception = exc
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                error = exc
            if delay is None:
                # Raising would abort the resident's whole turn; the message is lost either way.
                log.error("could not deliver a message to the web widget: %r", error)
                return
            await asyncio.sleep(delay)


class BalieWebInput(CallbackInput):
    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        settings = plugin_settings.settings()
        url = (credentials or {}).get("url") or settings.web_callback_url
        secret = channel_secret(settings.api_token())
        return cls(EndpointConfig(url, headers={SECRET_HEADER: secret}), secret)

    def __init__(self, endpoint: EndpointConfig, secret: str) -> None:
        super().__init__(endpoint)
        self.secret = secret

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("balie_web_webhook", __name__)

        # Public, unlike Rasa's /status (which needs the API token): 200 once the model is
        # loaded. The supervisor, HAProxy and Kubernetes ask here whether Rasa is ready.
        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            if not agent_ready(request):
                return response.json({"status": "starting"}, status=503)
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not same_secret(request.headers.get(SECRET_HEADER), self.secret):
                return response.json({"error": "missing or wrong channel secret"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            sender, text = body.get("sender"), body.get("message")
            metadata = body.get("metadata")
            if not (isinstance(sender, str) and 0 < len(sender) <= 64):
                return response.json({"error": "sender must be a short string"}, status=400)
            if not (isinstance(text, str) and text):
                return response.json({"error": "message must be a non-empty string"}, status=400)
            if len(text) > MAX_LENGTH:  # the relay refuses these already; never NLU on them
                return response.json({"error": TOO_LONG.code, "text": TOO_LONG.text}, status=413)
            # The turn runs to its end before we answer: the web app then knows that
            # every reply has been through the callback.
            await on_new_message(
                UserMessage(
                    text,
                    self.get_output_channel(),
                    sender,
                    input_channel=self.name(),
                    metadata=metadata if isinstance(metadata, dict) else None,
                )
            )
            return response.json({"status": "ok"})

        return webhook

    def get_output_channel(self) -> BalieWebOutput:
        return BalieWebOutput(self.callback_endpoint)
