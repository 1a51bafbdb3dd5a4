"""An event broker that keeps what it is given, for tests of what the tracker store publishes."""

from __future__ import annotations

from typing import Any

from rasa.core.brokers.broker import EventBroker


class CollectingBroker(EventBroker):
    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)
