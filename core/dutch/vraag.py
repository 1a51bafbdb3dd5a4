"""Is a message a clear question? Inside a form, only that interrupts an answer.

"hoe vraag ik een paspoort aan?", "wanneer is het gemeentehuis open", "kan ik hier ook
een melding over een boom doen?" are questions. "Stationsweg?", "bij de Dreef?",
"vandaag", "ja" are not, even with a question mark: a resident unsure of an answer
still gives one.
"""

from __future__ import annotations

import re

# Words that open a Dutch question, and verbs that do so by inversion ("kan ik …");
# not "weet": "weet ik niet" is an answer.
QUESTION_WORDS = {
    "hoe", "wat", "wanneer", "waar", "waarom", "wie", "welke", "welk", "hoeveel", "hoelang",
    "waarmee", "waarvoor", "waarover", "wat's", "hoezo",
}  # fmt: skip
INVERSION_VERBS = {
    "kan", "kun", "kunt", "kunnen", "mag", "mogen", "moet", "moeten", "is", "zijn", "heb",
    "hebt", "heeft", "hebben", "wordt", "worden", "ga", "gaat", "doet", "doen", "zou", "zal",
    "zullen", "wil", "wilt", "willen", "krijg", "krijgt", "bestaat",
}  # fmt: skip
PRONOUNS = {"ik", "je", "jij", "u", "we", "wij", "jullie", "het", "er", "dat", "dit", "ze", "zij"}


def words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def is_clear_question(text: str) -> bool:
    """A question with a question word or an inverted verb, of at least three words."""
    said = words(text)
    if len(said) < 3:
        return False
    if said[0] in QUESTION_WORDS:
        return True
    if said[0] in INVERSION_VERBS and said[1] in PRONOUNS:
        return True
    # "ik wil weten hoe …", "en waar kan ik …?": a question word later, with a "?".
    return text.rstrip().endswith("?") and any(w in QUESTION_WORDS for w in said[1:])
