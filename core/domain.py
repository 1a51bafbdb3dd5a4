"""Balie's domain words, once: case types, statuses and their transitions, channels.

Every process names these the same way; the Case API's models (core/caseapi/) and the
web app's tables use them, so a new channel or status is added here and nowhere else.
"""

from __future__ import annotations

from typing import Literal, get_args

CaseType = Literal["melding", "verzoek"]
CASE_TYPES: tuple[str, ...] = get_args(CaseType)

# A resident's channel, as in a case's `kanaal` and its `melder` ("telegram:12345").
Channel = Literal["web", "telegram", "rest"]
CHANNELS: tuple[str, ...] = get_args(Channel)
# Rasa's input channel names -> Balie's channel.
RASA_INPUT_CHANNELS: dict[str, Channel] = {
    "balie_web": "web",
    "socketio": "web",
    "telegram": "telegram",
    "rest": "rest",
}
# Balie's channel -> Rasa's output channel. A REST conversation cannot be reached, but it
# still records the news for its next turn.
RASA_OUTPUT_CHANNELS: dict[str, str | None] = {
    "web": "balie_web",
    "telegram": "telegram",
    "rest": None,
}

Status = Literal["gemeld", "in_behandeling", "ingepland", "afgehandeld", "geannuleerd"]
STATUSES: tuple[str, ...] = get_args(Status)
INITIAL = "gemeld"
FINAL = ("afgehandeld", "geannuleerd")

TRANSITIONS: dict[str, frozenset[str]] = {
    "gemeld": frozenset({"in_behandeling", "ingepland", "afgehandeld", "geannuleerd"}),
    "in_behandeling": frozenset({"ingepland", "afgehandeld", "geannuleerd"}),
    "ingepland": frozenset({"in_behandeling", "afgehandeld", "geannuleerd"}),
    # A finished case can be reopened when the problem comes back; a cancelled one cannot.
    "afgehandeld": frozenset({"in_behandeling"}),
    "geannuleerd": frozenset(),
}

LABELS = {
    "gemeld": "gemeld",
    "in_behandeling": "in behandeling",
    "ingepland": "ingepland",
    "afgehandeld": "afgehandeld",
    "geannuleerd": "geannuleerd",
}

CallbackStatus = Literal["open", "gebeld", "gesloten"]
CALLBACK_STATUSES: tuple[str, ...] = get_args(CallbackStatus)

# External case systems whose cases Balie keeps a receipt of (`/api/v1/ontvangstbewijzen`).
ExternalBackend = Literal["signalen", "zgw"]
EXTERNAL_BACKENDS: tuple[str, ...] = get_args(ExternalBackend)


class TransitionError(ValueError):
    pass


def check_transition(current: str, new: str, note: str | None) -> None:
    """Raise TransitionError unless `current` -> `new` is allowed.

    Keeping the status while adding a note for the resident is always allowed.
    """
    if new not in TRANSITIONS:
        raise TransitionError(f"unknown status {new!r}")
    if new == current:
        if not note:
            raise TransitionError(f"case is already {current!r}; add a 'toelichting' to note")
        return
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none"
        raise TransitionError(f"cannot go from {current!r} to {new!r} (allowed: {allowed})")
