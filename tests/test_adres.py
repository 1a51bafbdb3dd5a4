"""Addresses as residents type them, checked against the gemeente's street list (no stack).

The list is the shipped extract of the demo gemeente Lindewaard
(content/openbare_ruimte.csv); a few tests use a small list of their own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.dutch.adres import Adres, parse_adres
from core.dutch.adrescontrole import controleer
from core.dutch.vraag import is_clear_question
from core.openbare_ruimte import Straatlijst, key, read, straatlijst

ROOT = Path(__file__).resolve().parent.parent
LIJST = straatlijst(ROOT / "content" / "openbare_ruimte.csv")


def check(text: str, bare: bool = True):
    return controleer(text, bare=bare, lijst=LIJST)


# --- the extract --------------------------------------------------------------------------


def test_the_extract_is_a_realistic_list_of_a_few_hundred_public_spaces() -> None:
    names = LIJST.namen()
    assert 250 <= len(names) <= 600
    # With and without the usual endings, with particles and articles.
    for name in ("Vogelzang", "Hoogte", "De Dreef", "Kortenhoeven", "Ringweg", "Achter de Kerk"):
        assert name in names
    assert "Burgemeester van Dijklaan" in names
    without_ending = [n for n in names if not key(n).endswith(("straat", "laan", "weg", "plein"))]
    assert len(without_ending) >= 60
    assert (ROOT / "content" / "openbare_ruimte.csv").stat().st_size < 150_000


def test_every_range_has_a_valid_postcode_and_a_point_in_the_gemeente() -> None:
    postcodes: dict[str, str] = {}
    for ruimte in LIJST.ruimtes:
        assert ruimte.punt is not None
        for reeks in ruimte.reeksen:
            assert reeks.van <= reeks.tot and reeks.reeks in ("even", "oneven")
            assert len(reeks.postcode) == 7 and reeks.postcode[4] == " "
            # One postcode belongs to one street.
            assert postcodes.setdefault(reeks.postcode, ruimte.naam) == ruimte.naam
            lat, lon = reeks.wgs84
            assert 51.9 < lat < 52.2 and 4.8 < lon < 5.2  # the demo gemeente, in South Holland
            x, y = reeks.rd
            assert 120_000 < x < 136_000 and 440_000 < y < 455_000


def test_the_generator_is_deterministic(tmp_path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_openbare_ruimte", ROOT / "scripts" / "make_openbare_ruimte.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import random

    text = module.write_csv(module.rows(random.Random(module.SEED)))
    assert text == (ROOT / "content" / "openbare_ruimte.csv").read_text(encoding="utf-8")


def test_the_lookup_table_holds_every_street_of_the_extract() -> None:
    lookups = (ROOT / "nlu_data" / "nlu" / "lookups.yml").read_text(encoding="utf-8")
    table = lookups.split("- lookup: straat", 1)[1].split("- lookup:", 1)[0]
    listed = {line.strip()[2:] for line in table.splitlines() if line.strip().startswith("- ")}
    assert listed == set(LIJST.namen())


def test_the_list_is_read_once_and_again_when_it_changes(tmp_path) -> None:
    path = tmp_path / "openbare_ruimte.csv"
    header = (
        "openbare_ruimte;type;woonplaats;huisnummer_van;huisnummer_tot;reeks;postcode;"
        "rd_x;rd_y;lat;lon\n"
    )
    path.write_text(header + "Zonnedauw;Weg;Dorp;1;9;oneven;1234 AB;1;2;52.0;5.0\n")
    first = straatlijst(path)
    assert straatlijst(path) is first and first.namen() == ["Zonnedauw"]
    import os

    path.write_text(header + "Klaverhoek;Weg;Dorp;;;;;1;2;52.0;5.0\n")
    os.utime(path, (1, 1))
    assert straatlijst(path).namen() == ["Klaverhoek"]
    assert not straatlijst(tmp_path / "missing.csv")  # no list: every street as typed


# --- streets the list knows -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "straat", "huisnummer"),
    [
        ("Stationsweg", "Stationsweg", None),
        ("stationsweg", "Stationsweg", None),
        ("Vogelzang 3", "Vogelzang", "3"),
        ("vogelzang 3a", "Vogelzang", "3A"),
        ("bij de Dreef", "De Dreef", None),
        ("de dreef 12", "De Dreef", "12"),
        ("Lange Dreef 4", "Lange Dreef", "4"),
        ("Kortenhoeven", "Kortenhoeven", None),
        ("hoogte", "Hoogte", None),
        ("aan de Hoogte", "Hoogte", None),
        ("Op de Hoogte 3", "Op de Hoogte", "3"),
        ("in de Brink", "De Brink", None),
        ("Brink 4", "Brink", "4"),
        ("Achter de Kerk 2", "Achter de Kerk", "2"),
        ("achter de kerk", "Achter de Kerk", None),
        ("Burgemeester van Dijklaan 4", "Burgemeester van Dijklaan", "4"),
        ("burg. v. dijklaan 4", "Burgemeester van Dijklaan", "4"),
        ("Van 't Hoffstraat 7", "Van 't Hoffstraat", "7"),
        ("van t hoffstraat 7", "Van 't Hoffstraat", "7"),
        ("Prins Bernhardlaan", "Prins Bernhardlaan", None),
        ("Ringweg, ter hoogte van nummer 20", "Ringweg", "20"),
        ("Vogelzang bij nummer 9", "Vogelzang", "9"),
        ("vogelzang, bij huisnummer 60", "Vogelzang", "60"),
        ("bij nummer 9 in de Vogelzang", "Vogelzang", "9"),
        ("bij huisnummer 60 aan de Ringweg", "Ringweg", "60"),
        ("Ringweg nr. 14", "Ringweg", "14"),
        ("Kerkstraat 12-2", "Kerkstraat", "12-2"),
        ("Het Want 3", "Het Want", "3"),
        ("Hoogeindseweg 2, Hoogeind", "Hoogeindseweg", "2"),
    ],
)
def test_a_known_street_is_recognised_with_its_number(
    text: str, straat: str, huisnummer: str | None
) -> None:
    found = check(text)
    assert found.soort == "bekend", found
    assert (found.adres.straat, found.adres.huisnummer) == (straat, huisnummer)
    assert found.adres.plaats


@pytest.mark.parametrize(
    "text",
    [
        "de lantaarnpaal op de Vogelzang bij nummer 9 is kapot",
        "Op de Vogelzang, bij nummer 9, is de lantaarnpaal kapot",
        "bij nummer 9 op de Vogelzang brandt de lamp niet",
    ],
)
def test_a_street_in_a_longer_message_keeps_its_number(text: str) -> None:
    found = check(text, bare=False)
    assert (found.adres.straat, found.adres.huisnummer) == ("Vogelzang", "9")


def test_a_house_number_gets_the_postcode_of_its_range() -> None:
    ruimte = LIJST.zoek("Ringweg")
    assert ruimte and ruimte.reeksen
    reeks = ruimte.reeksen[-1]
    found = check(f"Ringweg {reeks.tot}")
    assert found.adres.postcode == reeks.postcode and found.adres.plaats == ruimte.woonplaats


def test_a_postcode_with_a_number_finds_its_street() -> None:
    ruimte = LIJST.zoek("Vogelzang")
    assert ruimte
    reeks = ruimte.reeksen[0]
    for typed in (reeks.postcode, reeks.postcode.replace(" ", ""), reeks.postcode.lower()):
        found = check(f"{typed} {reeks.van}")
        assert found.soort == "bekend"
        assert found.adres.straat == "Vogelzang" and found.adres.huisnummer == str(reeks.van)
        assert found.adres.tekst() == f"Vogelzang {reeks.van}, {reeks.postcode} {ruimte.woonplaats}"


@pytest.mark.parametrize(
    ("adres", "shown"),
    [
        (Adres(postcode="2399 CD", huisnummer="14"), "2399 CD 14"),
        (Adres(straat="Ringweg", huisnummer="14"), "Ringweg 14"),
        (Adres(straat="Ringweg", huisnummer="14", postcode="2341 AB"), "Ringweg 14, 2341 AB"),
        (
            Adres(straat="Ringweg", huisnummer="14", postcode="2341 AB", plaats="Lindewaard"),
            "Ringweg 14, 2341 AB Lindewaard",
        ),
        (Adres(straat="Hoogte", plaats="Lindewaard"), "Hoogte, Lindewaard"),
    ],
)
def test_an_address_is_shown_as_on_an_envelope(adres: Adres, shown: str) -> None:
    assert adres.tekst() == shown


@pytest.mark.parametrize("text", ["2399 CD 14", "2399CD 14", "2399 cd, huisnummer 14"])
def test_a_postcode_outside_the_list_keeps_its_number_after_it(text: str) -> None:
    found = check(text)
    assert found.soort == "onbekend"
    assert found.adres.tekst() == "2399 CD 14"


# --- landmarks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "bij het zebrapad voor de school",
        "het schoolplein ligt vol glas",
        "in de speeltuin",
        "op ons schoolplein",
        "naast het fietspad langs het kanaal",
        "bij het speelveldje achter de flat",
        "op het kerkplein",
        "bij de bushalte",
        "tussen de speeltuin en het trapveld",
    ],
)
def test_a_landmark_is_not_a_street(text: str) -> None:
    assert parse_adres(text, lijst=LIJST).straat is None
    assert check(text).soort == "leeg"


def test_a_learned_street_entity_that_names_a_thing_is_ignored() -> None:
    assert parse_adres("bij het zebrapad", "zebrapad", lijst=LIJST).straat is None
    assert parse_adres("in de Kerkstraat", "Kerkstraat", lijst=LIJST).straat == "Kerkstraat"


def test_an_ordinary_word_in_a_sentence_is_not_a_street() -> None:
    # "hoogte", "wal", "brink" are streets of Lindewaard, and ordinary words.
    for text in (
        "de lamp hangt op grote hoogte boven de weg",
        "de boot ligt aan de wal",
        "ter hoogte van de Kerkstraat 5 ligt glas",
    ):
        found = check(text, bare=False)
        assert found.adres.straat in (None, "Kerkstraat"), (text, found)


# --- near misses and unknown streets --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("Ringwg", "Ringweg"),
        ("ringwg 14", "Ringweg"),
        ("Vogelzan 3", "Vogelzang"),
        ("Kortenhoeve", "Kortenhoeven"),
        ("stationstraat", "Stationsweg"),
        ("Stationstraat 5", "Stationsweg"),
        ("Kerstraat 8", "Kerkstraat"),
        ("Nieuwe straat 5", "Nieuwstraat"),
        ("Julianstraat", "Julianastraat"),
        ("Burgemeester van Dijkstraat", "Burgemeester van Dijklaan"),
        ("bij de Beukelaan", "Beukenlaan"),
    ],
)
def test_a_near_miss_proposes_the_street_meant(text: str, meant: str) -> None:
    found = check(text)
    assert found.soort == "bijna", found
    assert found.voorstel and found.voorstel.straat == meant
    assert found.adres.straat != meant  # the typed name is kept for "Nee"


def test_a_near_miss_keeps_the_house_number() -> None:
    found = check("ringwg 14")
    assert found.voorstel and found.voorstel.huisnummer == "14"
    assert found.adres.huisnummer == "14"


@pytest.mark.parametrize("text", ["Zonnedauwstraat 5", "Zonnedauw 5", "Speeltuinstraat 3"])
def test_a_street_not_on_the_list_is_taken_as_typed(text: str) -> None:
    found = check(text)
    assert found.soort == "onbekend"
    assert found.adres.straat and found.adres.straat.startswith(text.split()[0])
    assert found.adres.huisnummer == text.split()[-1]


def test_without_a_list_every_street_is_taken_as_typed() -> None:
    empty = Straatlijst()
    found = controleer("Ringwg 14", bare=True, lijst=empty)
    assert found.soort == "onbekend" and found.adres.straat == "Ringwg"  # nothing to propose
    found = controleer("Kerkstraat 3", bare=True, lijst=empty)
    assert found.soort == "onbekend" and found.adres.straat == "Kerkstraat"


def test_a_village_street_is_found_by_its_postcode_among_namesakes(tmp_path) -> None:
    path = tmp_path / "lijst.csv"
    path.write_text(
        "openbare_ruimte;type;woonplaats;huisnummer_van;huisnummer_tot;reeks;postcode;"
        "rd_x;rd_y;lat;lon\n"
        "Kerkstraat;Weg;Dorp;1;9;oneven;1111 AA;1;2;52.0;5.0\n"
        "Kerkstraat;Weg;Stad;1;9;oneven;2222 BB;1;2;52.0;5.0\n"
    )
    lijst = read(path)
    assert controleer("Kerkstraat 3, 2222 BB", lijst=lijst).adres.plaats == "Stad"
    assert controleer("Kerkstraat 3", lijst=lijst).adres.plaats == "Dorp"


# --- clear questions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "hoe vraag ik een paspoort aan?",
        "wanneer is het gemeentehuis open",
        "kan ik ook een afspraak maken?",
        "Wat kost een rijbewijs?",
        "ik wil weten waar ik mijn grofvuil kwijt kan?",
        "mag ik hier ook iets anders vragen",
    ],
)
def test_a_clear_question(text: str) -> None:
    assert is_clear_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "Stationsweg?",
        "bij de Dreef?",
        "vandaag",
        "gisteravond",
        "al weken",
        "net",
        "ja",
        "nee hoor",
        "Vogelzang 3",
        "bij het zebrapad voor de school",
        "weet ik niet?",
    ],
)
def test_not_a_clear_question(text: str) -> None:
    assert not is_clear_question(text)
