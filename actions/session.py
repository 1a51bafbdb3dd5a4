"""Starts each conversation with the municipality's settings in its slots."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from core.content import gemeente_slots


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        settings = gemeente_slots()
        if domain.get("session_config", {}).get("carry_over_slots_to_new_session", True):
            events += [
                SlotSet(name, value)
                for name, value in tracker.slots.items()
                if value is not None and name not in settings
            ]
        events += [SlotSet(name, value) for name, value in settings.items()]
        events.append(ActionExecuted("action_listen"))
        return events
