"""Signalen taxonomy and the category proposer (core.categories)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core import ROOT
from core.categories import (
    KEYWORDS_FILE,
    TAXONOMY_FILE,
    Category,
    choices,
    load_categories,
    load_rules,
    missing_rules,
    propose,
    stem,
    tokens,
)

SHARED_FIXTURE = ROOT.parent / "shared" / "reference" / "signalen-categories.json"

# A resident's description and the sub category it belongs in. Written for these tests in
# residents' own words: typos, no capitals, no punctuation, informal and formal.
DESCRIPTIONS: list[tuple[str, str]] = [
    # the two from the acceptance scenarios
    (
        "bij het basketbalveldje hangen elke avond jongeren die herrie maken en troep achterlaten",
        "jongerenoverlast",
    ),
    ("de lantaarnpaal bij de ingang van het park is kapot", "straatverlichting-openbare-klok"),
    # afval
    ("overal ligt zwerfvuil langs de singel, blikjes en chipszakken", "veeg-zwerfvuil"),
    ("de stoep ligt vol met peuken en glasscherven", "veeg-zwerfvuil"),
    ("er staat een oude bank en een matras naast de flat", "grofvuil"),
    ("iemand heeft een koelkast en een kapotte kast op de stoep gezet", "grofvuil"),
    ("onze vuilniszakken zijn vandaag niet opgehaald", "huisafval"),
    ("de kliko is deze week weer niet geleegd", "huisafval"),
    (
        "de supermarkt zet elke dag dozen en karton buiten, bedrijfsafval op de stoep",
        "bedrijfsafval",
    ),
    ("er is een hoop bouwpuin en oude tegels gestort bij het hek", "puin-sloopafval"),
    ("de glasbak op het plein zit helemaal vol", "container-is-vol"),
    ("ondergrondse container puilt uit, zakken staan ernaast", "container-is-vol"),
    ("de prullenbak bij de bushalte is overvol", "prullenbak-is-vol"),
    ("klep van de container zit vast, ik krijg hem niet open", "container-is-kapot"),
    ("het afvalbakje aan de lantaarnpaal hangt los en is kapot", "prullenbak-is-kapot"),
    ("er liggen asbest golfplaten in de berm", "asbest-accu"),
    ("iemand heeft een oude autoaccu in de struiken gegooid", "asbest-accu"),
    ("de plastic container bij de school is vol", "container-voor-plastic-afval-is-vol"),
    ("pmd container is stuk de klep gaat niet open", "container-voor-plastic-afval-is-kapot"),
    # wegen, verkeer, straatmeubilair
    (
        "losse stoeptegel voor nummer 14, mijn moeder is er bijna over gestruikeld",
        "onderhoud-stoep-straat-en-fietspad",
    ),
    ("er zit een groot gat in de weg bij de rotonde", "onderhoud-stoep-straat-en-fietspad"),
    ("het fietspad ligt vol kuilen en is verzakt", "onderhoud-stoep-straat-en-fietspad"),
    (
        "het verkeersbord op de hoek is omgereden en ligt op de grond",
        "verkeersbord-verkeersafzetting",
    ),
    ("de stoep is spekglad, er is niet gestrooid", "gladheid"),
    ("de witte strepen op de weg zijn helemaal vervaagd", "omleiding-belijning-verkeer"),
    ("de ophaalbrug gaat niet meer dicht", "brug"),
    ("het bankje in het park is kapot, een plank ontbreekt", "straatmeubilair"),
    ("de fietsenrekken bij het station zijn verbogen", "fietsrek-nietje"),
    ("het putje in onze straat is verstopt, het water blijft staan", "put-riolering-verstopt"),
    ("de glijbaan in de speeltuin heeft een scherpe rand", "speelplaats"),
    ("het doel op het trapveldje is kapot, het net is gescheurd", "sportvoorziening"),
    (
        "de straatlantaarns in de hele straat branden niet, het is pikdonker",
        "straatverlichting-openbare-klok",
    ),
    ("lamp van de lantarenpaal knippert de hele tijd", "straatverlichting-openbare-klok"),
    ("het stoplicht bij het kruispunt springt niet op groen voor fietsers", "verkeerslicht"),
    ("de stationsklok staat al dagen stil", "klok"),
    ("de laadpaal voor elektrische autos doet het niet", "overig-wegen-verkeer-straatmeubilair"),
    (
        "auto's rijden veel te hard door onze woonwijk, echt gevaarlijk",
        "verkeersoverlast-verkeerssituaties",
    ),
    # overlast in de openbare ruimte
    (
        "er is olie in de sloot gedumpt, je ziet een regenboogvlek",
        "lozing-dumping-bodemverontreiniging",
    ),
    ("er wordt steeds op de stoep geparkeerd voor mijn uitrit", "parkeeroverlast"),
    ("al maanden staat er een verroeste fiets zonder wiel tegen het hek", "fietswrak"),
    ("sinds vanmorgen gaat er een autoalarm af, herrie", "stank-geluidsoverlast"),
    ("de bouwvakkers beginnen om zes uur al met heien", "bouw-sloopoverlast"),
    ("er staat een auto zonder kenteken al weken op dezelfde plek", "auto-scooter-bromfietswrak"),
    ("het transformatorhuisje is helemaal beklad met graffiti", "graffiti-wildplak"),
    ("overal posters en stickers geplakt op de elektriciteitskast", "graffiti-wildplak"),
    ("het grasveld ligt vol hondenpoep", "hondenpoep"),
    (
        "een bouwcontainer staat midden op de stoep, ik kan er met de rolstoel niet langs",
        "hinderlijk-geplaatst-object",
    ),
    ("allemaal deelscooters liggen op de stoep voor de deur", "deelfiets"),
    ("kan mijn buurman zijn auto laten wegslepen, hij staat voor mijn garage", "wegsleep"),
    # groen en water
    ("er is een grote tak van de kastanjeboom afgebroken", "boom"),
    ("het gras in het plantsoen is al weken niet gemaaid", "maaien-snoeien"),
    ("de heg hangt over het fietspad, graag snoeien", "maaien-snoeien"),
    ("tussen de tegels groeit overal onkruid", "onkruid"),
    ("in de gracht drijft heel veel plastic en afval", "drijfvuil"),
    ("de kademuur langs het water brokkelt af", "oever-kade-steiger"),
    ("de fontein in het park spuit al een week geen water", "overig-groen-en-water"),
    # dieren
    ("ik zie ratten bij de ondergrondse containers", "ratten"),
    ("het wemelt hier van de ganzen en overal ligt ganzenpoep", "ganzen"),
    ("duiven op het balkon van de overburen, alles zit onder de duivenpoep", "duiven"),
    ("meeuwen pikken de vuilniszakken open", "meeuwen"),
    ("er zit een wespennest in de boom bij de speeltuin", "wespen"),
    ("er ligt een dode kat op de stoep", "dode-dieren"),
    ("een vos loopt elke nacht door onze tuinen", "overig-dieren"),
    # personen en groepen
    (
        "er worden de hele avond zware knallers en rotjes afgestoken",
        "overlast-door-afsteken-vuurwerk",
    ),
    ("iemand verkoopt illegaal vuurwerk vanuit zijn garage", "vuurwerkoverlast"),
    ("er slapen daklozen in het portiek van de bibliotheek", "daklozen-bedelen"),
    ("bij het station wordt steeds gebedeld om geld", "daklozen-bedelen"),
    ("mannen plassen na het stappen tegen onze voordeur", "wildplassen-poepen-overgeven"),
    ("op het bankje wordt gedeald en geblowd, overal lachgaspatronen", "drank-en-drugsoverlast"),
    ("een verwarde man schreeuwt en valt voorbijgangers lastig", "overige-overlast-door-personen"),
    ("er zwemmen steeds mensen in de gracht en ze springen van de brug", "personen-op-het-water"),
    (
        "taxi's staan met draaiende motor te wachten en toeteren",
        "overlast-van-taxis-bussen-en-fietstaxis",
    ),
    ("groepjes tieners op scooters scheuren rond het winkelcentrum", "jongerenoverlast"),
    # bedrijven en horeca
    ("het cafe op de hoek draait elke nacht keiharde muziek", "geluidsoverlast-muziek"),
    ("de airco van de supermarkt bromt dag en nacht", "geluidsoverlast-installaties"),
    ("het terras van het restaurant staat tot ver op de stoep", "overlast-terrassen"),
    ("de snackbar verspreidt een vieze frituurlucht door de hele straat", "stank-horecabedrijven"),
    ("de fabriek op het industrieterrein stinkt naar chemicalien", "stankoverlast"),
    (
        "na sluitingstijd blijven kroegbezoekers op straat hangen en schreeuwen",
        "overlast-door-bezoekers-niet-op-terras",
    ),
    (
        "vrachtwagens van de winkel komen om vijf uur 's ochtends bevoorraden met laden en lossen",
        "overig-horecabedrijven",
    ),
    # water
    ("speedboten varen veel te hard door de gracht", "overlast-op-het-water-snel-varen"),
    (
        "een rondvaartboot met harde muziek en schreeuwende mensen aan boord",
        "overlast-op-het-water-geluid",
    ),
    ("er ligt een half gezonken bootje in het kanaal", "overlast-op-het-water-gezonken-boot"),
    (
        "een woonboot ligt zonder vergunning op een ligplaats voor de sluis",
        "scheepvaart-nautisch-toezicht",
    ),
    (
        "schipper van een sloep vaart dronken en gevaarlijk, bijna aangevaren",
        "overlast-op-het-water-vaargedrag",
    ),
    ("mensen gooien vanaf een boot blikjes naar de kant", "overlast-vanaf-het-water"),
    ("er ligt al maanden een verwaarloosde boot in de vaart", "overig-boten"),
]

# More descriptions, written as a held-out check after the keywords above were tuned (the
# second half was first scored unseen: 63 of 69 top-1); scored together, not one by one.
MORE_DESCRIPTIONS: list[tuple[str, str]] = [
    ("er zwerven overal chipszakken en blikjes rond bij het busstation", "veeg-zwerfvuil"),
    ("de straat is een vuilnisbelt geworden", "veeg-zwerfvuil"),
    ("oude matrassen in de groenstrook", "grofvuil"),
    ("er staat een oud fornuis bij de ondergrondse container", "grofvuil"),
    ("het huisvuil is vergeten", "huisafval"),
    ("de groene container is niet geleegd", "huisafval"),
    ("een kapsalon zet elke dag zijn afval naast de bak", "bedrijfsafval"),
    ("een aannemer heeft stenen en zand achtergelaten", "puin-sloopafval"),
    ("de glasbak zit vol", "container-is-vol"),
    ("textielcontainer vol", "container-is-vol"),
    ("de vuilnisbak bij de speeltuin zit propvol", "prullenbak-is-vol"),
    ("container klep kapot", "container-is-kapot"),
    ("afvalbak aan de paal is kapot gemaakt", "prullenbak-is-kapot"),
    ("er ligt een accu in de berm", "asbest-accu"),
    ("pmd bak vol", "container-voor-plastic-afval-is-vol"),
    ("tegels liggen los op het trottoir", "onderhoud-stoep-straat-en-fietspad"),
    ("gat in fietspad", "onderhoud-stoep-straat-en-fietspad"),
    ("het stopbord is omgevallen", "verkeersbord-verkeersafzetting"),
    ("ijzel op de stoep", "gladheid"),
    ("de haaientanden zijn verdwenen", "omleiding-belijning-verkeer"),
    ("de brug blijft open staan", "brug"),
    ("het hek bij de speeltuin is kapot", "straatmeubilair"),
    ("het fietsenrek bij de bibliotheek is kapot", "fietsrek-nietje"),
    ("de put is verstopt", "put-riolering-verstopt"),
    ("het klimrek is kapot", "speelplaats"),
    ("het basketbalbord is kapot", "sportvoorziening"),
    ("lantaren paal kapot", "straatverlichting-openbare-klok"),
    ("de verlichting in het park doet het niet", "straatverlichting-openbare-klok"),
    ("het verkeerslicht staat altijd op rood", "verkeerslicht"),
    ("mensen rijden door rood bij het stoplicht", "verkeerslicht"),
    ("op onze straat wordt heel hard gereden", "verkeersoverlast-verkeerssituaties"),
    ("iemand heeft verf in de sloot gegooid", "lozing-dumping-bodemverontreiniging"),
    ("parkeren op de invalidenplek", "parkeeroverlast"),
    ("een weesfiets bij mijn voordeur", "fietswrak"),
    ("er staat een autowrak op de parkeerplaats", "auto-scooter-bromfietswrak"),
    ("graffitie op de muur van de school", "graffiti-wildplak"),
    ("hondendrollen op de stoep", "hondenpoep"),
    ("een aanhanger staat al weken op de stoep", "hinderlijk-geplaatst-object"),
    ("een deelscooter ligt midden op het fietspad", "deelfiets"),
    ("er is een tak op een auto gevallen", "boom"),
    ("hoog gras in de berm", "maaien-snoeien"),
    ("onkruid in de goot", "onkruid"),
    ("vuil in de sloot", "drijfvuil"),
    ("de kade is verzakt", "oever-kade-steiger"),
    ("ratten in de tuin", "ratten"),
    ("nijlganzen op het grasveld", "ganzen"),
    ("iemand voert de duiven en nu zitten er honderden", "duiven"),
    ("meeuwen vallen mensen aan", "meeuwen"),
    ("een bijennest in de boom", "wespen"),
    ("dode vogel in de tuin", "dode-dieren"),
    ("er zit een gewonde kat op straat", "overig-dieren"),
    ("vuurwerk afsteken in december", "overlast-door-afsteken-vuurwerk"),
    ("zwerver die bedelt bij de supermarkt", "daklozen-bedelen"),
    ("iemand poept in de bosjes", "wildplassen-poepen-overgeven"),
    ("joints roken bij de school", "drank-en-drugsoverlast"),
    ("een groep dronken mannen bij het station", "drank-en-drugsoverlast"),
    ("een man die vrouwen lastigvalt", "overige-overlast-door-personen"),
    ("jongeren met scooters op de stoep", "jongerenoverlast"),
    ("muziek uit het restaurant", "geluidsoverlast-muziek"),
    ("de ventilator van de bakker zoemt de hele nacht", "geluidsoverlast-installaties"),
    ("stoelen van het terras op de stoep", "overlast-terrassen"),
    ("de pizzeria stinkt", "stank-horecabedrijven"),
    ("stank van de vuilverwerking", "stankoverlast"),
    ("taxi's blokkeren de straat", "overlast-van-taxis-bussen-en-fietstaxis"),
    ("boot met herrie", "overlast-op-het-water-geluid"),
    ("speedboot scheurt door het kanaal", "overlast-op-het-water-snel-varen"),
    ("boot is aan het zinken", "overlast-op-het-water-gezonken-boot"),
    ("een boot ligt al maanden verwaarloosd aan de kade", "overig-boten"),
    ("iemand zwemt in de haven", "personen-op-het-water"),
    ("ik wil een auto laten wegslepen", "wegsleep"),
    ("bij de bushalte ligt altijd veel rotzooi", "veeg-zwerfvuil"),
    ("de straat ligt bezaaid met flesjes na het feest", "veeg-zwerfvuil"),
    ("een oude kledingkast en stoelen bij de stoeprand", "grofvuil"),
    ("iemand heeft zijn oude tv op straat neergezet", "grofvuil"),
    ("er liggen vuilniszakken op straat omdat de ophaaldienst niet is geweest", "huisafval"),
    ("de kliko's in onze straat zijn niet geleegd", "huisafval"),
    ("de kapper gooit zijn afval in onze container", "bedrijfsafval"),
    ("een hoop stenen en puin van een tuinverbouwing op de stoep", "puin-sloopafval"),
    ("de papierbak bij de supermarkt is vol", "container-is-vol"),
    ("de afvalcontainer voor restafval zit vol", "container-is-vol"),
    ("de prullenbakken langs het pad worden nooit geleegd", "prullenbak-is-vol"),
    ("de ondergrondse container gaat niet open", "container-is-kapot"),
    ("de afvalbak is omver gereden door een auto", "prullenbak-is-kapot"),
    ("asbest dakplaten bij het schuurtje", "asbest-accu"),
    ("de plastic bak is overvol", "container-voor-plastic-afval-is-vol"),
    ("tegel steekt uit en ik ben gestruikeld", "onderhoud-stoep-straat-en-fietspad"),
    ("de weg zit vol gaten", "onderhoud-stoep-straat-en-fietspad"),
    ("een verkeersbord is gedraaid", "verkeersbord-verkeersafzetting"),
    ("het fietspad is erg glad door de bladeren en het ijs", "gladheid"),
    ("de strepen van het zebrapad zijn weg", "omleiding-belijning-verkeer"),
    ("de brugklep zit vast", "brug"),
    ("de fietsnietjes bij het station zijn verdwenen", "fietsrek-nietje"),
    ("het riool stinkt en loopt over", "put-riolering-verstopt"),
    ("de zandbak ligt vol glas", "speelplaats"),
    ("het voetbaldoel op het veldje is omgevallen", "sportvoorziening"),
    ("de straatverlichting is uit", "straatverlichting-openbare-klok"),
    ("de lampen langs het fietspad branden niet", "straatverlichting-openbare-klok"),
    ("de klok op het plein geeft de verkeerde tijd aan", "klok"),
    ("het voetgangerslicht blijft op rood staan", "verkeerslicht"),
    (
        "vrachtwagens rijden door onze woonstraat terwijl het niet mag",
        "verkeersoverlast-verkeerssituaties",
    ),
    ("er is diesel in het water gelekt", "lozing-dumping-bodemverontreiniging"),
    ("de auto van de buren staat half op de stoep geparkeerd", "parkeeroverlast"),
    ("fietswrak bij de flat", "fietswrak"),
    ("een kapotte brommer staat al maanden in de straat", "auto-scooter-bromfietswrak"),
    ("er zijn tags gespoten op de brug", "graffiti-wildplak"),
    ("veel hondenpoep op het grasveldje", "hondenpoep"),
    ("een verhuiswagen blokkeert al dagen de stoep", "hinderlijk-geplaatst-object"),
    ("huurfietsen liggen in de struiken", "deelfiets"),
    ("de boom voor ons huis hangt scheef en kan omvallen", "boom"),
    ("het gras wordt nooit gemaaid", "maaien-snoeien"),
    ("brandnetels op de stoep", "onkruid"),
    ("er drijft een hoop afval in het kanaal", "drijfvuil"),
    ("de walkant is aan het afbrokkelen", "oever-kade-steiger"),
    ("er lopen ratten rond de afvalcontainers", "ratten"),
    ("de ganzen laten overal poep achter", "ganzen"),
    ("duiven poepen alles onder op het station", "duiven"),
    ("meeuwen maken de zakken open", "meeuwen"),
    ("wespen bij het bankje", "wespen"),
    ("een dode vos aan de kant van de weg", "dode-dieren"),
    ("konijnen graven gaten in het grasveld", "overig-dieren"),
    ("vuurwerk knallen tot diep in de nacht", "overlast-door-afsteken-vuurwerk"),
    ("een bedelaar valt mensen lastig bij de geldautomaat", "daklozen-bedelen"),
    ("iemand heeft in het portiek overgegeven", "wildplassen-poepen-overgeven"),
    ("er worden drugs gebruikt in het trappenhuis", "drank-en-drugsoverlast"),
    ("twee mannen vechten op straat", "overige-overlast-door-personen"),
    ("tieners maken herrie bij het bushokje", "jongerenoverlast"),
    ("de kroeg draait veel te harde muziek", "geluidsoverlast-muziek"),
    ("de aircos van het kantoor maken veel lawaai", "geluidsoverlast-installaties"),
    ("terras staat tot laat vol luidruchtige gasten", "overlast-terrassen"),
    ("de afzuiging van het restaurant stinkt", "stank-horecabedrijven"),
    ("een vieze lucht van de fabriek", "stankoverlast"),
    (
        "gasten van het hotel maken 's nachts lawaai op straat",
        "overlast-door-bezoekers-niet-op-terras",
    ),
    ("bussen staan met draaiende motor", "overlast-van-taxis-bussen-en-fietstaxis"),
    ("sloepen varen veel te snel", "overlast-op-het-water-snel-varen"),
    ("boot met harde muziek op de gracht", "overlast-op-het-water-geluid"),
    ("een gezonken boot in de haven", "overlast-op-het-water-gezonken-boot"),
    ("mensen zwemmen in het kanaal terwijl dat niet mag", "personen-op-het-water"),
    ("kunt u de auto laten wegslepen", "wegsleep"),
]

# Genuinely ambiguous between neighbouring sub categories: the expected one must be in the
# top 3 (the resident picks from the proposals).
AMBIGUOUS: list[tuple[str, str]] = [
    ("de klok bij het station loopt achter", "straatverlichting-openbare-klok"),
    ("vuurwerkoverlast in de wijk", "overlast-door-afsteken-vuurwerk"),
    ("stankoverlast", "stank-horecabedrijven"),
    ("de buren maken veel lawaai", "overige-overlast-door-personen"),
    ("er ligt afval naast de container", "container-is-vol"),
    ("er ligt afval naast de container", "huisafval"),
    ("dode vissen drijven in de vijver", "dode-dieren"),
    ("kinderen spelen voetbal tegen onze gevel", "overige-overlast-door-personen"),
    ("scooter ligt al weken in de struiken", "auto-scooter-bromfietswrak"),
    ("harde muziek", "geluidsoverlast-muziek"),
    ("de bank bij de vijver is beklad en kapot", "straatmeubilair"),
]

NOTHING = [
    "",
    "hallo",
    "ik wil iets melden",
    "wanneer is het gemeentehuis open",
    "dank u wel",
]


def top(description: str) -> str | None:
    proposals = propose(description)
    return proposals[0].category.slug if proposals else None


def test_fixture_is_an_unchanged_copy() -> None:
    if SHARED_FIXTURE.exists():
        assert TAXONOMY_FILE.read_bytes() == SHARED_FIXTURE.read_bytes()
    assert (TAXONOMY_FILE.parent / "NOTICE-signalen.md").exists()


def test_taxonomy() -> None:
    taxonomy = load_categories()
    raw = json.loads(TAXONOMY_FILE.read_text(encoding="utf-8"))
    active_subs = [r for r in raw if r["fields"]["parent"] is not None and r["fields"]["is_active"]]
    assert len(taxonomy.main_categories) == 9
    assert len(taxonomy) == len(active_subs) == 77
    ratten = taxonomy.get("ratten")
    assert ratten == Category("ratten", "Ratten", "overlast-van-dieren", "Overlast van dieren")
    assert taxonomy.get("ratten", "overlast-van-dieren") == ratten
    assert taxonomy.get("overlast-van-dieren/ratten") == ratten
    assert taxonomy.get("ratten", "afval") is None
    assert taxonomy.get("bestaat-niet") is None
    assert taxonomy.get("afval") is None  # a main category, not a sub category
    assert taxonomy.main("afval").name == "Afval"
    assert [c.slug for c in taxonomy.under("overlast-van-dieren")][:2] == ["ratten", "ganzen"]
    assert "jongerenoverlast" in taxonomy
    assert load_categories() is taxonomy  # cached


def test_overig_is_both_a_main_and_a_sub_slug() -> None:
    taxonomy = load_categories()
    assert taxonomy.get("overig") == Category("overig", "Overig", "overig", "Overig")


def test_ambiguous_sub_slugs_are_keyed_by_main(tmp_path: Path) -> None:
    raw = json.loads(TAXONOMY_FILE.read_text(encoding="utf-8"))
    raw.append(
        {
            "model": "signals.category",
            "pk": 999,
            "fields": {"parent": 86, "slug": "ratten", "name": "Ratten", "is_active": True},
        }
    )
    raw.append(
        {
            "model": "signals.category",
            "pk": 998,
            "fields": {"parent": 86, "slug": "oud", "name": "Oud", "is_active": False},
        }
    )
    path = tmp_path / "categories.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    taxonomy = load_categories(path)
    assert taxonomy.get("ratten") is None
    assert len(taxonomy.candidates("ratten")) == 2
    assert taxonomy.get("ratten", "overig").main_slug == "overig"
    assert taxonomy.get("overlast-van-dieren/ratten").main_slug == "overlast-van-dieren"
    assert taxonomy.get("oud") is None  # inactive


def test_every_active_sub_category_has_keywords() -> None:
    assert missing_rules() == []
    assert len(load_rules()) == len(load_categories())
    assert KEYWORDS_FILE.exists()


def test_tokens_and_stems() -> None:
    assert tokens("Auto's op de STOEP, café!") == ["autos", "op", "de", "stoep", "cafe"]
    assert stem("lantaarnpalen") == stem("lantaarnpaal")
    assert stem("paaltjes") == stem("paal")
    assert stem("ratten") == stem("rat")
    assert stem("boten") == stem("boot")
    assert stem("prullenbakken") == stem("prullenbak")
    assert stem("fietsen") == stem("fiets")
    assert stem("jongeren") == stem("jongere")


@pytest.mark.parametrize(("description", "slug"), DESCRIPTIONS)
def test_top_proposal(description: str, slug: str) -> None:
    assert top(description) == slug, [
        (p.category.slug, p.score) for p in propose(description, limit=5)
    ]


@pytest.mark.parametrize(("description", "slug"), AMBIGUOUS)
def test_ambiguous_in_top_three(description: str, slug: str) -> None:
    assert slug in [p.category.slug for p in propose(description, limit=3)]


def test_top1_accuracy() -> None:
    cases = DESCRIPTIONS + MORE_DESCRIPTIONS + AMBIGUOUS
    correct = sum(top(description) == slug for description, slug in cases)
    accuracy = correct / len(cases)
    assert len(DESCRIPTIONS) >= 60
    assert accuracy >= 0.85, f"top-1 accuracy {accuracy:.0%} over {len(cases)} descriptions"


def test_top3_accuracy() -> None:
    cases = DESCRIPTIONS + MORE_DESCRIPTIONS + AMBIGUOUS
    found = sum(slug in [p.category.slug for p in propose(d)] for d, slug in cases)
    assert found / len(cases) >= 0.95


@pytest.mark.parametrize("description", NOTHING)
def test_nothing_matches(description: str) -> None:
    assert propose(description) == []


def test_proposals_are_ranked_and_limited() -> None:
    proposals = propose("de lantaarnpaal is kapot en de prullenbak zit vol", limit=2)
    assert len(proposals) == 2
    assert proposals[0].score >= proposals[1].score > 0
    assert all(isinstance(p.category, Category) for p in proposals)


def test_variants_land_in_the_same_category() -> None:
    for text in [
        "lantaarnpalen kapot",
        "Straatlantaarn doet het niet!!",
        "straat verlichting is uit",
        "de lamp in de lantaarnpaal brand niet",
    ]:
        assert top(text) == "straatverlichting-openbare-klok", text
    for text in [
        "hangjongeren bij het winkelcentrum",
        "overlast van jongeren",
        "jeugd op de hangplek",
    ]:
        assert top(text) == "jongerenoverlast", text


def test_an_intensifier_glued_to_the_noun_does_not_hide_it() -> None:
    for text in [
        "er zit een megagat in de weg bij de rotonde",
        "reuzenkuil in het fietspad",
        "een gigagat in de straat, echt gevaarlijk",
    ]:
        assert top(text) == "onderhoud-stoep-straat-en-fietspad", text


@pytest.mark.parametrize(
    ("description", "not_slug"),
    [
        ("de stoeptegels liggen los", "overig-dieren"),  # stoep+tegel, not stoept+egel
        ("losse trottoirtegels bij de school", "overig-dieren"),
        ("het is spiegelglad op de brug", "overig-wegen-verkeer-straatmeubilair"),
    ],
)
def test_a_keyword_inside_a_longer_one_is_no_part_of_a_compound(
    description: str, not_slug: str
) -> None:
    assert not_slug not in [p.category.slug for p in choices(description)]
    # The compound's real part still counts.
    assert choices("er loopt een egeltje door de tuin")[0].category.slug == "overig-dieren"
