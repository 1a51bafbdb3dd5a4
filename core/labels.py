"""Dutch names of every intent and FAQ topic: the one source of labels.

Staff never read raw intent names as the main text: the console shows `naam(...)`
("Paspoort en ID-kaart (vraag)", "Melding openbare ruimte") with the technical name
small beside it. The business intents and FAQ topics also carry the resident's words
for a "Bedoelt u ...?" button (`keuze`, read by core/residents/choices.py).
tests/test_inbox_rules.py checks that every intent of domain.yml and every FAQ topic
has an entry here.
"""

from __future__ import annotations

from dataclasses import dataclass

FAQ_PREFIX = "faq/"


@dataclass(frozen=True)
class Label:
    naam: str  # what staff read: a short noun phrase
    keuze: str | None = None  # the resident's words on a "Bedoelt u ...?" button


INTENTS: dict[str, Label] = {
    "groeten": Label("Groet"),
    "afscheid": Label("Afscheid"),
    "bedanken": Label("Bedankje"),
    "bevestigen": Label("Ja, bevestigen"),
    "ontkennen": Label("Nee, ontkennen"),
    "hulp": Label("Vraagt om hulp bij Balie"),
    "stoppen": Label("Stoppen met het gesprek"),
    "bot_vraag": Label("Vraag over Balie zelf"),
    "medewerker_spreken": Label("Wil een medewerker spreken"),
    "melding_doen": Label("Melding openbare ruimte", "Iets melden in de openbare ruimte"),
    "verzoek_indienen": Label("Verzoek aan de gemeente", "Iets aan de gemeente vragen"),
    "status_opvragen": Label("Status van een zaak", "Hoe het staat met mijn melding"),
    "informeren": Label("Algemene informatievraag"),
    "faq": Label("Vraag over een onderwerp"),
    "buiten_bereik": Label("Buiten wat Balie doet"),
    "smalltalk": Label("Praatje"),
    "boosheid": Label("Boosheid of klacht"),
    "verduidelijken": Label("Balie vroeg: Bedoelt u ...?"),
    "nlu_fallback": Label("Niet begrepen"),
    "EXTERNAL_afgeleverd": Label("Zaak doorgegeven aan het zaaksysteem (systeem)"),
    "EXTERNAL_status_gewijzigd": Label("Status van een zaak gewijzigd (systeem)"),
}

# FAQ topics (`faq/<key>`, utter_faq/<key> in domain.yml); staff show "<naam> (vraag)".
FAQ_TOPICS: dict[str, Label] = {
    "openingstijden": Label("Openingstijden", "Wanneer het gemeentehuis open is"),
    "contact": Label("Contact met de gemeente", "Hoe ik de gemeente bereik"),
    "afspraak_maken": Label("Afspraak maken", "Hoe ik een afspraak maak"),
    "paspoort_id_kaart": Label("Paspoort en ID-kaart", "Hoe ik een paspoort aanvraag"),
    "rijbewijs": Label("Rijbewijs", "Hoe ik een rijbewijs aanvraag"),
    "verhuizing": Label("Verhuizing doorgeven", "Hoe ik een verhuizing doorgeef"),
    "geboorteaangifte": Label("Geboorteaangifte", "Hoe ik een geboorte aangeef"),
    "trouwen": Label("Trouwen en partnerschap", "Hoe ik ga trouwen"),
    "uittreksel_brp": Label("Uittreksel BRP", "Hoe ik een uittreksel krijg"),
    "afvalkalender": Label("Afvalkalender", "Wanneer het afval wordt opgehaald"),
    "grofvuil": Label("Grof afval", "Hoe ik grof afval kwijt kan"),
    "parkeervergunning": Label("Parkeervergunning", "Hoe ik een parkeervergunning krijg"),
    "omgevingsvergunning": Label(
        "Omgevingsvergunning", "Of ik een vergunning nodig heb voor een verbouwing"
    ),
    "kapvergunning": Label("Kapvergunning", "Of ik een boom mag kappen"),
    "evenementenvergunning": Label(
        "Evenementenvergunning", "Hoe ik een feest of evenement aanvraag"
    ),
    "pgb": Label("Persoonsgebonden budget (pgb)", "Hoe het zit met een pgb"),
    "wmo_zorgloket": Label("Wmo en zorgloket", "Hulp en zorg thuis"),
    "jongerenwerk": Label("Jongerenwerk", "Wat het jongerenwerk doet"),
    "wijksteunpunt": Label("Wijksteunpunt", "Activiteiten in het wijksteunpunt"),
    "wegwerkzaamheden": Label("Wegwerkzaamheden", "Werk aan de weg"),
    "ondernemersloket": Label("Ondernemersloket", "Vragen als ondernemer"),
}


def naam(intent: str) -> str:
    """What staff read for an intent or `faq/<key>`.

    A FAQ topic staff added in the console has no entry: its key becomes the name
    ("faq/hondenbelasting" -> "Hondenbelasting (vraag)"); an unknown intent keeps its name.
    """
    if intent.startswith(FAQ_PREFIX):
        key = intent[len(FAQ_PREFIX) :]
        found = FAQ_TOPICS.get(key)
        text = found.naam if found else key.replace("_", " ").strip().capitalize() or key
        return f"{text} (vraag)"
    found = INTENTS.get(intent)
    return found.naam if found else intent


def keuzes() -> dict[str, str]:
    """Intent or `faq/<key>` -> the resident's words, for those offered as a choice."""
    found = {name: label.keuze for name, label in INTENTS.items() if label.keuze}
    found.update(
        {FAQ_PREFIX + key: label.keuze for key, label in FAQ_TOPICS.items() if label.keuze}
    )
    return found
