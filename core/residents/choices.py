"""Plain Dutch labels for what a resident may have meant, for "Bedoelt u …?" buttons.

When Balie is unsure which business intent or FAQ topic a message is about
(rasa_plugins/nlu/clarify.py), it offers the best candidates as buttons. A resident
never reads an intent name: each candidate has one label (core/labels.py `keuze`),
written from the resident's side and in B1.
"""

from __future__ import annotations

from core import labels

# The intent a guessed message becomes, and the parse-data key of its candidates
# (rasa_plugins/nlu/clarify.py sets both, actions/clarify.py reads them).
CLARIFY_INTENT = "verduidelijken"
CANDIDATES_KEY = "verduidelijken"
# The intents and FAQ topics Balie acts on; only these are offered as a choice.
BUSINESS_INTENTS = ("melding_doen", "verzoek_indienen", "status_opvragen")
FAQ_INTENT = "faq"

# The resident's words for each choice, from the one source of labels (core/labels.py).
LABELS: dict[str, str] = labels.keuzes()
OTHER = "Iets anders"


def label(choice: str) -> str | None:
    """The resident's words for an intent or `faq/<topic>`; None when it is no choice."""
    return LABELS.get(choice)


def payload(choice: str) -> str:
    """The button payload that does what the choice says: a form intent starts its form,
    a FAQ topic asks for that topic's answer (`/faq{"sleutel": topic}`)."""
    intent, _, topic = choice.partition("/")
    if topic:
        return f'/{intent}{{"sleutel":"{topic}"}}'
    return f"/{intent}"


def choice_of(intent: str, sleutel: str | None) -> str:
    """The choice a button payload stands for: the inverse of `payload`."""
    return f"{intent}/{sleutel}" if intent == FAQ_INTENT and sleutel else intent


def is_business(choice: str) -> bool:
    return choice in BUSINESS_INTENTS or choice.startswith(f"{FAQ_INTENT}/")
