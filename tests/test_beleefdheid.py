"""What staff read (issue #14, part 10): a case's description holds no salutation or closing.

Varied letters and chat openings: salutations with titles and names, pairs like
"heer, mevrouw", a letter's address line; closers with a signature of a name, a title, an
address or a phone number on lines of their own. Words that only look like a greeting or a
closing stay: the message is content first (core/dutch/beleefdheid.py).
"""

from __future__ import annotations

import pytest

from core.dutch.beleefdheid import zonder_aanhef_en_groet

BODY = "er ligt afval op straat"


@pytest.mark.parametrize(
    "aanhef",
    [
        "Goedemorgen,",
        "Goedemiddag meneer Jansen,",
        "Goedenavond!",
        "Goeiemorgen",
        "Hallo daar,",
        "Hallo daar!",
        "Hoi hoi,",
        "Hey Balie,",
        "Hallo allemaal,",
        "Hai,",
        "Dag mevrouw,",
        "Beste,",
        "Beste heer Pietersen,",
        "Beste gemeente Lindewaard,",
        "Beste medewerker van de gemeente,",
        "Beste meneer/mevrouw,",
        "Geachte heer/mevrouw,",
        "Geachte heer, mevrouw,",
        "Geachte mevrouw, meneer,",
        "Geachte dames en heren,",
        "Geachte heer Jansen,",
        "Geachte mevrouw De Vries,\n",
        "Geachte college van B&W,",
        "Goedemorgen heer/mevrouw,",
        "L.S.,",
        "Aan de gemeente Lindewaard,\n",
        "Hallo, goedemiddag.",
        "Goedemorgen! Goedemorgen,",
    ],
)
def test_a_salutation_is_taken_off(aanhef: str) -> None:
    assert zonder_aanhef_en_groet(f"{aanhef} {BODY}.") == f"{BODY}."


@pytest.mark.parametrize(
    "afsluiting",
    [
        "Met vriendelijke groet, Jan",
        "Met vriendelijke groet, J. de Vries",
        "Met vriendelijke groeten,\n\nMevr. A. Bakker",
        "Met vriendelijke groet,\nJan Jansen\nKerkstraat 4\n06-12345678",
        "Vriendelijke groet, Ahmed",
        "Hartelijke groet,\nfamilie Yilmaz",
        "Hoogachtend, dhr. P. Jansen",
        "Met groet, Piet",
        "Groet, Kees",
        "Groetjes, Fatima",
        "Groeten uit de Dreef",
        "Gr. Anja",
        "Mvg",
        "MVG, P. Jansen",
        "m.v.g. Els",
        "Vr.gr. Jan",
        "Alvast bedankt voor de moeite!",
        "Bij voorbaat dank.",
        "Bvd, Sanne",
        "Dank u wel alvast.",
        "Fijne dag!",
        "Fijn weekend!",
        "Tot ziens",
        "Doei!",
        "Liefs, oma Truus",
        "Alvast bedankt! Groet, Kees",
    ],
)
def test_a_closing_at_the_end_is_taken_off(afsluiting: str) -> None:
    assert zonder_aanhef_en_groet(f"Er ligt afval op straat. {afsluiting}") == (
        "Er ligt afval op straat."
    )


@pytest.mark.parametrize(
    "text,kept",
    [
        (
            "Geachte heer/mevrouw,\n\nDe stoep is verzakt.\n\n"
            "Met vriendelijke groet,\nJan de Vries",
            "De stoep is verzakt.",
        ),
        ("Hallo Balie! De lamp is kapot, dank je wel", "De lamp is kapot"),
        (
            "Goedemiddag, ik wil melden dat de bank kapot is. Groetjes",
            "ik wil melden dat de bank kapot is.",
        ),
    ],
)
def test_both_ends_go_together(text: str, kept: str) -> None:
    assert zonder_aanhef_en_groet(text) == kept


@pytest.mark.parametrize(
    "text",
    [
        "Hallo-roepende jongeren zitten elke nacht op het bankje",
        "Aan de overkant, bij de school, ligt afval",
        "Ik stuur een hartelijke groet naar de buurman die de boom heeft weggehaald",
        "Groeten uit Lindewaard staat op de kapotte muur gekalkt",
        "Er ligt afval. Groen afval vooral.",
        "De lamp is al de hele dag kapot",
        "Er staat een bord: tot ziens in Lindewaard",
        "Het bord 'Goedemorgen Lindewaard' is omgewaaid",
        "Dag en nacht staat de muziek hard",
        "Beste manier om dit op te lossen is de put te legen",
        "De lamp is kapot, dank zij de storm",
        "Mijn naam is Jan. Er ligt afval op straat.",
    ],
)
def test_content_that_looks_like_a_greeting_stays(text: str) -> None:
    assert zonder_aanhef_en_groet(text) == text
