"""A resident asks Balie to forget them, in the chat itself: `/vergeet`, then a button.

The channels (rasa_plugins/connectors/telegram.py, webapp/chat/routes.py) handle the command and
the two buttons themselves, without Rasa: no intent is involved, typed text can never
confirm (only the button can), and the answer says what is and is not removed.
"""

from __future__ import annotations

COMMANDS = ("vergeet", "vergeten")
# Button payloads. Telegram's callback data and the widget's button payloads; both
# channels only act on them when they come from a button Balie offered.
YES, NO = "/vergeet:ja", "/vergeet:nee"
YES_TITLE, NO_TITLE = "Ja, vergeet mij", "Nee, niets wissen"

ASK = (
    "Wilt u dat de gemeente uw gegevens in deze chat vergeet? Dan wissen wij:\n"
    "• onze gesprekken met u;\n"
    "• uw naam, e-mailadres en telefoonnummer bij uw meldingen en verzoeken;\n"
    "• uw verzoeken om teruggebeld te worden (wij bellen u dan niet meer terug).\n\n"
    "Wat blijft: uw meldingen en verzoeken zelf, met wat u erin heeft geschreven en de "
    "foto's. De gemeente handelt ze gewoon af, maar weet niet meer dat ze van u zijn. U "
    "krijgt er daarom geen berichten meer over. Met het zaaknummer en de controlecode kunt "
    "u de status nog wel opvragen.\n\n"
    "Wilt u dat wij uw gegevens vergeten?"
)
TELEGRAM_NOTE = (
    "\n\nLet op: de berichten in deze chat staan ook in Telegram op uw eigen telefoon. "
    "Die kunt u daar zelf wissen."
)
DONE = (
    "Uw gegevens zijn gewist: onze gesprekken met u, uw contactgegevens bij uw meldingen "
    "en verzoeken, en uw terugbelverzoeken. Uw meldingen en verzoeken zelf blijven bij de "
    "gemeente, zonder uw naam. U kunt mij gewoon nieuwe vragen stellen."
)
CANCELLED = "Goed, er is niets gewist."
FAILED = (
    "Het wissen is nu helaas niet gelukt. Wilt u het over een tijdje nog eens proberen "
    "met /vergeet? U kunt ook contact opnemen met de gemeente."
)


def is_command(text: str) -> bool:
    """`/vergeet` (or `/vergeten`, `/vergeet@balie_bot`), typed by the resident."""
    words = text.strip().split(maxsplit=1)
    if len(words) != 1 or not words[0].startswith("/"):
        return False
    return words[0][1:].split("@", 1)[0].lower() in COMMANDS


def buttons() -> list[dict[str, str]]:
    return [{"title": YES_TITLE, "payload": YES}, {"title": NO_TITLE, "payload": NO}]
