"""Greetings and closings around a resident's message, which staff need not read.

`zonder_aanhef_en_groet("Goedemorgen, de lamp is kapot. Met vriendelijke groet, Jan")` gives
"de lamp is kapot." Only the edges are touched: a word that could be content ("Dag en nacht
herrie", "bedankt voor het weghalen van de boom") stays.
"""

from __future__ import annotations

import re

# Greetings that are never content, so they may stand without punctuation: "Hallo ik wil...".
# Not when a hyphen follows: "Hallo-roepende jongeren" is content.
_GROET_ALTIJD = (
    r"(?:goede?n?\s?(?:morgen|middag|avond|dag)|goeie(?:n)?\s?(?:morgen|middag|avond|dag)"
    r"|hallo+|hoi+|hey+|hee+|hai|hoihoi|mogg?e+)(?![\w-])"
)
# Greetings that need punctuation after them: "Dag, ..." but "Dag en nacht ...".
_GROET_MET_LEESTEKEN = r"dag|beste|geachte|lieve|hi|ha|l\.?\s?s\.?|morgen|moi"
# Who is greeted: "heer/mevrouw", "heer, mevrouw", "college van B&W", "medewerker van de
# gemeente". A pair with a comma comes first, or "Geachte heer," would leave "mevrouw,".
_AANGESPROKENE = (
    r"(?:\s*/\s*|\s+)(?:(?:heer|meneer|mevrouw)\s*[,/]\s*(?:heer|meneer|mevrouw)\b"
    r"|(?:de|het|heer|mevrouw|meneer|mevr\.?|dhr\.?|gemeente\w*|balie|bot|chatbot"
    r"|medewerkers?|team|allen|iedereen|dames|heren|en|of|afdeling|behandelaar|lezer|ambtenaar"
    r"|u|jullie|daar|zeer|heer/mevrouw|van|college|b\s?&\s?w|burgemeester|wethouders?)\b)"
)
_NAAM = r"(?:\s+[A-Z][\w'-]*)?"
# A letter's address line: "Aan de gemeente Lindewaard," (only to the gemeente, so "Aan de
# overkant, bij de school, ..." stays).
_AAN = r"aan\s+(?:de\s+|het\s+)?(?:gemeente|balie|afdeling|team)\b[^,:\n]{0,40}[,:\n]"
_AANHEF_RE = re.compile(
    rf"^\s*(?:(?:{_GROET_ALTIJD})(?:{_AANGESPROKENE})*{_NAAM}\s*[,!:.;]+|(?:{_GROET_ALTIJD})"
    rf"|(?:{_GROET_MET_LEESTEKEN})(?:{_AANGESPROKENE})*{_NAAM}\s*[,!:;]+|{_AAN})\s*",
    re.IGNORECASE,
)

# Closers that are never content, wherever they stand.
_AFSLUITING_ALTIJD = (
    r"m\.?\s?v\.?\s?g\.?|vr\.?\s?gr\.?"
    r"|(?:met\s+)?(?:vriendelijke|vr\.?|hartelijke|beleefde)\s+groet(?:en)?"
)
# Closers that could be words of a sentence: only after a sentence boundary.
_AFSLUITING_NA_GRENS = (
    r"(?:met\s+)?groet(?:en|jes)?(?:\s+(?:uit|van)(?:\s+\w+){1,3})?|gr\.?|doei|liefs|hoogachtend"
    r"|(?:fijne|prettige)\s+(?:dag|avond|middag|week|weekend|feestdagen)(?:\s+nog)?"
    r"|fijn\s+weekend(?:\s+nog)?|tot\s+(?:ziens|later|snel)|thanks|thx|bvd|b\.v\.d\."
    r"|(?:alvast\s+|bij\s+voorbaat\s+)?(?:hartelijk\s+|heel\s+|erg\s+|vriendelijk\s+)?"
    r"(?:bedankt|dank(?:\s+(?:u|je|jullie))?(?:\s+wel)?)(?:\s+alvast|\s+voor\s+(?:de\s+moeite"
    r"|uw\s+hulp|je\s+hulp|de\s+hulp|uw\s+tijd|het\s+lezen|de\s+medewerking|het\s+oplossen))?"
)
# A signature after the closer: a name of a few words ("Jan de Vries", "dhr. P. Jansen",
# "familie Yilmaz"), capitalised, so "dank zij de storm" keeps its words; then, each on a
# line of its own, up to three more short lines such as an address or a phone number.
_TITEL = (
    r"(?:dhr|mevr|mw|fam|dr|drs|ir|ing|mr)\.?|familie|de\s+heer|mevrouw|meneer"
    r"|oma|opa|buurman|buurvrouw"
)
_NAAMREGEL = rf"(?:(?:{_TITEL})[ \t]+)?(?-i:[A-Z])[\w.'-]*(?:[ \t]+[\w.'-]+){{0,4}}"
_EXTRA_REGEL = r"[ \t]*(?:(?-i:[A-Z0-9])[\w.'@+-]*(?:[ \t]+[\w.'@+()-]+){0,4}|[\d+(][\d ()+-]{6,})"
_ONDERTEKENING = rf"(?:[\s,]+{_NAAMREGEL}(?:[ \t]*\n\s*{_EXTRA_REGEL}(?=\s*(?:\n|$))){{0,3}})?"
_AFSLUITING_RE = re.compile(
    rf"(?:\s*\b(?:{_AFSLUITING_ALTIJD})|(?:^|(?<=[\n.!?,;]))\s*(?:{_AFSLUITING_NA_GRENS}))"
    rf"[\s,!.]*{_ONDERTEKENING}[\s!.]*$",
    re.IGNORECASE,
)


def zonder_aanhef_en_groet(text: str) -> str:
    """The message without a greeting at its start and closings at its end."""
    text = text.strip()
    while True:
        kaal = _AFSLUITING_RE.sub("", _AANHEF_RE.sub("", text, count=1), count=1)
        kaal = kaal.strip().rstrip(",;:").rstrip()
        if kaal == text:
            return kaal
        text = kaal
