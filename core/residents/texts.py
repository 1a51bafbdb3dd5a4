"""Every Dutch sentence a resident reads that is not one of Rasa's responses.

Rasa's responses (what the dialogue says) live in `domain.yml`; this module is the home
of everything else the channels say themselves: refusals of a message, the widget's
error notices, Telegram's answers to what it cannot read, the status-message commands,
the Telegram command menu and the forget confirmation. Each sentence is here once and
every channel that needs it uses this one. Language: B1, formal "u" (checked by
tests/test_resident_texts.py, scored by tests/test_readability.py). The last section is
what the medewerker's filing form in a live chat says: read by staff, held to the same
standard, and kept here so the same tests check them.
"""

from __future__ import annotations

from core.photos import limit_text

# --- refused messages, on every channel (core/residents/guard.py) -------------------------


def too_long(max_length: int) -> str:
    return (
        f"Uw bericht is te lang. Gebruikt u maximaal {max_length} tekens? "
        "U kunt het ook in twee berichten sturen."
    )


NOT_OFFERED = "Deze knop werkt niet meer. Wilt u uw antwoord typen?"
OTHER_CHANNEL = "Dit gesprek is via een ander kanaal begonnen. Gaat u daar verder met uw vraag."

# --- photos, on every channel ---------------------------------------------------------------

PHOTO_TOO_BIG = (
    f"De foto is te groot. Een foto mag maximaal {limit_text()} zijn. "
    "Kunt u een kleinere foto sturen?"
)
PHOTO_BROKEN = (
    "Deze foto kan ik niet openen: het bestand is beschadigd of niet helemaal verstuurd. "
    "Wilt u de foto nog een keer sturen?"
)
NOT_A_PHOTO = (
    "Dit bestand kan ik niet gebruiken. Ik kan alleen foto's ontvangen (JPEG, PNG of WebP)."
)
PHOTO_NOT_SAVED = "Het lukte niet om uw foto op te slaan. Wilt u het nog een keer proberen?"
TOO_MANY_PHOTOS = "U heeft al veel foto's gestuurd. Probeert u het over een uur opnieuw."

# --- the widget's error notices (webapp/chat/routes.py) -------------------------------------

TOO_FAST = (
    "U stuurt veel berichten kort na elkaar. Wacht u even een minuut en probeert u het dan opnieuw."
)
UNREADABLE = "Dit bericht kon niet worden verstuurd. Probeert u het opnieuw."
SESSION_EXPIRED = "Het gesprek is verlopen. Laadt u de pagina opnieuw."


def unavailable(telefoon: str) -> str:
    """Rasa cannot be reached; `telefoon` is the municipality's number."""
    return (
        "Het lukt nu even niet om uw bericht te verwerken. Probeert u het over een "
        f"paar minuten opnieuw, of belt u met {telefoon}."
    )


def too_many_conversations(telefoon: str) -> str:
    return (
        "Vanaf uw internetverbinding zijn het afgelopen uur veel nieuwe gesprekken "
        f"begonnen. Probeert u het over een uur opnieuw, of belt u met {telefoon}."
    )


# --- Telegram (rasa_plugins/connectors/telegram*.py) ----------------------------------------

SOMETHING_WENT_WRONG = "Sorry, er ging bij mij iets mis. Wilt u het nog eens proberen?"
EDITED = (
    "U heeft een bericht aangepast, maar aanpassingen kan ik helaas niet lezen. "
    "Wilt u de nieuwe tekst als nieuw bericht sturen?"
)
UNSUPPORTED = (
    "Dit soort bericht kan ik helaas niet lezen. Ik begrijp tekst, foto's en een gedeelde "
    "locatie. Wilt u uw vraag typen?"
)
STICKER = "Dank u wel! Stickers kan ik helaas niet lezen. Waarmee kan ik u helpen?"
VOICE = "Gesproken berichten kan ik helaas niet beluisteren. Wilt u uw vraag typen?"
VIDEO_NOTE = "Video's kan ik helaas niet bekijken. Wilt u uw vraag typen?"
VIDEO = "Video's kan ik helaas niet bekijken. Wilt u uw vraag typen, of een foto sturen?"
AUDIO = "Geluidsbestanden kan ik helaas niet beluisteren. Wilt u uw vraag typen?"
CONTACT_CARD = (
    "Een contactkaart kan ik niet gebruiken. Als ik om uw telefoonnummer vraag, "
    "kunt u het gewoon typen."
)
PRIVATE_ONLY = (
    "Ik werk alleen in een privégesprek. Stuur mij een persoonlijk bericht, dan help ik u graag."
)
# Buttons need a text to hang from; a question about a place gets Telegram's own button.
CHOOSE = "Kies een van deze mogelijkheden:"
SHARE_LOCATION = "Deel mijn locatie"
TYPE_ADDRESS = "Of typ het adres"  # the input field's placeholder while the button shows

# --- status messages: /stop and /start (Telegram) -------------------------------------------

STATUS_MESSAGES_OFF = (
    "U krijgt van mij geen berichten meer over de status van uw meldingen en verzoeken. "
    "Wilt u die later toch weer ontvangen? Stuur dan /start. U kunt mij gewoon vragen "
    "blijven stellen."
)
STOP_FAILED = "Dat lukte nu helaas niet. Wilt u /stop later nog eens sturen?"
STATUS_MESSAGES_ON = "U krijgt weer berichten over de status van uw meldingen en verzoeken."

# The command menu Telegram shows behind "/" (core/residents/commands.py MENU).
MENU_START = "Beginnen, en weer berichten over de status krijgen"
MENU_STOP = "Geen statusberichten meer over uw meldingen"
MENU_FORGET = "Laat Balie uw gegevens vergeten"
MENU_HELP = "Wat Balie voor u kan doen"

# --- forgetting: /vergeet, on every channel -------------------------------------------------

FORGET_YES = "Ja, vergeet mij"  # the buttons' titles
FORGET_NO = "Nee, niets wissen"
FORGET_ASK = (
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
# Added on Telegram, where the chat also lives on the resident's phone.
FORGET_TELEGRAM_NOTE = (
    "\n\nLet op: de berichten in deze chat staan ook in Telegram op uw eigen telefoon. "
    "Die kunt u daar zelf wissen."
)
FORGET_DONE = (
    "Uw gegevens zijn gewist. Dat zijn onze gesprekken, uw contactgegevens bij meldingen "
    "en verzoeken, en uw terugbelverzoeken. Uw meldingen en verzoeken zelf blijven bij de "
    "gemeente, maar zonder uw naam. U kunt mij gewoon nieuwe vragen stellen."
)
FORGET_CANCELLED = "Goed, er is niets gewist."
FORGET_FAILED = (
    "Het wissen is nu helaas niet gelukt. Wilt u het over een tijdje nog eens proberen "
    "met /vergeet? U kunt ook contact opnemen met de gemeente."
)

# --- status news from Signalen (actions/backends/signalen.py STATE_TEXT) ------------------
# What a Signalen workflow state means beyond Balie's five statuses; said before the text
# Signalen's staff wrote for the reporter, in the "status is now" message.

SIGNALEN_WACHT = "De melding staat in de rij."
SIGNALEN_STIL = "Het werk ligt even stil."
SIGNALEN_HEROPEND = "De melding is weer open."
SIGNALEN_HEROPENEN_GEVRAAGD = "Er is gevraagd om de melding weer open te zetten."
SIGNALEN_BIJNA_KLAAR = "De melding is bijna klaar."
SIGNALEN_VRAAG = "Er is een vraag over de melding gestuurd."
SIGNALEN_ANTWOORD = "Het antwoord op de vraag is binnen."
SIGNALEN_GESPLITST = "De melding is in delen gesplitst. Elk deel gaat apart verder."
SIGNALEN_NAAR_ANDEREN = "Een andere partij pakt de melding op."
SIGNALEN_BIJ_ANDEREN = "De melding is nu bij een andere partij."
SIGNALEN_KLAAR_BIJ_ANDEREN = "Een andere partij heeft het werk gedaan."

# --- live chat with a medewerker (webapp/live/) ------------------------------------------


def live_taken(naam: str) -> str:
    return f"U chat nu met {naam} van de gemeente."


def live_handed_back(naam: str) -> str:
    return f"{naam} heeft het gesprek teruggegeven aan Balie. Waarmee kan ik u nog helpen?"


def live_closed(naam: str) -> str:
    return (
        f"{naam} heeft de chat afgesloten. Heeft u nog een vraag? Dan kunt u die aan mij stellen."
    )


def live_transferred(naam: str, collega: str) -> str:
    return f"{naam} heeft u doorverbonden met een collega. U chat nu met {collega} van de gemeente."


def live_connection_lost(naam: str) -> str:
    return (
        f"De verbinding met {naam} is verbroken. U staat weer in de wachtrij. "
        "Wilt u liever verder met Balie? Kies dan 'Stoppen met wachten'."
    )


def live_case_filed(naam: str, soort: str, identificatie: str, controlecode: str) -> str:
    return (
        f"{naam} heeft uw {soort} geregistreerd onder nummer {identificatie}. "
        f"Uw controlecode is {controlecode}. Bewaar het nummer en de code goed: "
        "daarmee kunt u later de status opvragen."
    )


def live_callback_filed(naam: str, wanneer: str) -> str:
    return f"{naam} heeft een terugbelverzoek voor u gemaakt. Wij bellen u {wanneer}."


LIVE_CANCELLED = "U wacht niet meer op een medewerker. Waarmee kan ik u helpen?"
LIVE_ENDED = "U heeft de chat met de medewerker beëindigd. Waarmee kan ik u nog helpen?"


def live_wait(minuten: int | None) -> str:
    """The expected wait on Telegram (from recent hand-offs; none yet: we say so)."""
    if minuten is None:
        return "Hoe lang het duurt, weten we nog niet."
    return f"Het duurt nog zo'n {minuten} {'minuut' if minuten == 1 else 'minuten'}."


def live_offer(beschikbaar: bool) -> str:
    """After a thumbs-down: a person instead, now in the chat or by a call-back."""
    if beschikbaar:
        return "Wilt u liever met een medewerker chatten? Dat kan nu."
    return "Wilt u liever dat de gemeente u belt?"


LIVE_NOTHING_OPEN = "U wacht niet op iemand. U chat ook niet met iemand."

# --- the medewerker's form to file for the resident from a live chat (webapp/live/filing.py)
# Read by the medewerker, not the resident, and held to the same B1 all the same. What to
# fix, by the field pydantic names first:

FILING_OMSCHRIJVING = "Schrijf een omschrijving van minstens 3 tekens."
FILING_CATEGORIE = "Kies een categorie voor de melding."
FILING_LOCATIE = "Vul een straat of postcode in voor de melding."
FILING_STRAAT = "De straat is te lang."
FILING_HUISNUMMER = "Het huisnummer is te lang."
FILING_POSTCODE = "Vul een geldige postcode in, zoals 1234 AB."
FILING_PLAATS = "De plaats is te lang."
FILING_ONDERWERP = "Het onderwerp is te lang."
FILING_NAAM = "Vul de naam in van wie wij terugbellen."
FILING_TELEFOON = "Vul een geldig telefoonnummer in, zoals 06 12345678."
FILING_VOORKEUR = "De voorkeur is te lang."
FILING_CHECK_FORM = "Controleer de gegevens in het formulier."
FILING_CHOOSE_SOORT = "Kies wat u wilt vastleggen: een melding, verzoek of terugbelverzoek."
FILING_CONVERSATION_GONE = "Dit gesprek bestaat niet meer."
FILING_FAILED = "Het vastleggen is niet gelukt. Probeer het zo nog eens."


def filed_for_medewerker(soort: str, identificatie: str) -> str:
    """Filed: `soort` is melding, verzoek or terugbellen (then a call-back's number)."""
    naam = "Terugbelverzoek" if soort == "terugbellen" else soort.capitalize()
    return f"{naam} {identificatie} is gemaakt. De inwoner ziet het nummer in de chat."
