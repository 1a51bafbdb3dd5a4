"""Generate content/openbare_ruimte.csv: the demo gemeente Lindewaard's public spaces.

A fictional but realistic extract of the BAG "openbare ruimte" register with, per street,
house number ranges, their postcodes and a point (RD New and WGS84). The format is in
docs/openbare_ruimte.md. Fixed seed: re-running gives the same file.

    python scripts/make_openbare_ruimte.py            # writes content/openbare_ruimte.csv
    python scripts/make_openbare_ruimte.py --lookup   # also nlu_data/nlu/lookups.yml's streets
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "content" / "openbare_ruimte.csv"
LOOKUPS = ROOT / "nlu_data" / "nlu" / "lookups.yml"
SEED = 20261205
HEADER = [
    "openbare_ruimte",
    "type",
    "woonplaats",
    "huisnummer_van",
    "huisnummer_tot",
    "reeks",
    "postcode",
    "rd_x",
    "rd_y",
    "lat",
    "lon",
]

# Woonplaatsen of the gemeente: RD centre, first PC4, how many generated streets.
WOONPLAATSEN = {
    "Lindewaard": ((128_400, 447_300), 2341, 150),
    "Oosterwaard": ((131_900, 447_900), 2346, 45),
    "Westerwaard": ((124_800, 446_600), 2347, 40),
    "Bredeveld": ((129_300, 444_100), 2348, 30),
    "Hoogeind": ((127_200, 450_200), 2349, 25),
}

# Streets every Dutch town has, and the ones residents of Lindewaard name in the tests and
# training data: always in Lindewaard.
FIXED = """Kerkstraat Dorpsstraat Molenweg Molenstraat Schoolstraat Lindelaan Lindeweg Lindeplein
Waardsedijk Waardseweg Hoofdstraat Stationsweg Stationsplein Nieuwstraat Marktplein Raadhuisplein
Julianastraat Beatrixlaan Wilhelminastraat Emmastraat Irenestraat Oranjestraat Kastanjelaan
Eikenlaan Beukenlaan Berkenweg Populierenlaan Meidoornstraat Wilgenhof Esdoornstraat Tulpstraat
Rozenstraat Narcissenlaan Merelstraat Reigerlaan Zwanenhof Vlinderweg Sportlaan Parklaan Parkweg
Bosweg Heideweg Veldweg Zandweg Akkerstraat Polderweg Kanaalweg Sluisweg Havenkade Brugstraat
Dijkstraat Ambachtsweg Industrieweg Vondelstraat Torenstraat Kapelstraat Kloosterpad Westeinde
Noordeinde Oosteinde Gemaalweg Bredeveldseweg Oosterwaardsestraat Vijverlaan Bergweg
Bibliotheekplein Ringweg Vogelzang Hoogte Kortenhoeven Zandhoek Kerkhoek Achterom Overtoom
Groenendaal Buitenom Brink Voorstraat Achterstraat Singel Wal""".split()
FIXED_MULTI = [
    "Prins Bernhardlaan",
    "Burgemeester Jansenlaan",
    "Burgemeester de Withstraat",
    "Burgemeester van Dijklaan",
    "Pastoor van Leeuwenstraat",
    "Dokter van der Waalsstraat",
    "Koningin Julianalaan",
    "Graaf Florisstraat",
    "Jan van Goyenstraat",
    "Van Goghstraat",
    "Van 't Hoffstraat",
    "Sint Janstraat",
    "Meester Visserstraat",
    "Achter de Kerk",
    "Onder de Linden",
    "Over de Vaart",
    "Achter het Raadhuis",
    "Aan de Dijk",
    "De Dreef",
    "Lange Dreef",
    "Oude Rijksweg",
    "Oude Gracht",
    "Nieuwe Gracht",
    "Hoge Akker",
    "Lage Einde",
    "Het Want",
    "Het Zand",
    "De Kolk",
    "Korte Brugstraat",
    "Lange Nieuwstraat",
]
# In a village too: Dutch gemeenten have a Kerkstraat in more than one woonplaats.
VILLAGE_FIXED = {
    "Oosterwaard": ["Kerkstraat", "Dorpsstraat", "Oosterwaardsedijk", "De Brink"],
    "Westerwaard": ["Dorpsstraat", "Westerwaardseweg", "Kerkpad"],
    "Bredeveld": ["Bredeveldse Dreef", "Schoolstraat", "Op de Hoogte"],
    "Hoogeind": ["Hoogeindseweg", "Kerkstraat", "Achter de Hoven"],
}

# Generated streets: a stem from a theme, and a suffix that fits it.
STEMS = {
    "boom": (
        "Linden|Iepen|Essen|Elzen|Hazelaar|Lijsterbes|Acacia|Plataan|Walnoot|Kersen|Appel|Peren|"
        "Taxus|Hulst|Vlier|Wilgen|Dennen|Sparren|Lariks|Moerbei|Olmen",
        ["laan", "straat", "hof", "plein", "singel"],
    ),
    "bloem": (
        "Anjer|Lelie|Iris|Krokus|Hyacint|Dahlia|Aster|Klaproos|Korenbloem|Zonnebloem|Seringen|"
        "Jasmijn|Lavendel|Viooltjes|Boterbloem|Madelief|Margriet|Goudsbloem",
        ["straat", "laan", "hof", "pad"],
    ),
    "vogel": (
        "Kievit|Grutto|Leeuwerik|Lijster|Spreeuwen|Zwaluw|Mussen|Vinken|Roodborst|Koekoek|Uilen|"
        "Havik|Valk|Buizerd|Ooievaar|Fazant|Patrijs|Meeuwen|Kraanvogel|Wielewaal|Nachtegaal",
        ["straat", "laan", "hof", "weg", "veld"],
    ),
    "schilder": (
        "Rembrandt|Vermeer|Frans Hals|Jan Steen|Ruisdael|Mondriaan|Breitner|Mesdag|Israëls|"
        "Hobbema|Paulus Potter|Ter Borch|Avercamp|Toorop",
        ["straat", "laan", "plein"],
    ),
    "schrijver": (
        "Bredero|Hooft|Huygens|Jacob Cats|Bilderdijk|Multatuli|Gorter|Couperus|Vestdijk|"
        "Annie M.G. Schmidt|Nescio|Potgieter",
        ["straat", "laan", "hof"],
    ),
    "beroep": (
        "Smids|Bakkers|Kuipers|Molenaars|Wevers|Schippers|Vissers|Timmermans|Brouwers|Touwslagers|"
        "Klompenmakers|Pottenbakkers|Leidekkers|Hoefsmid",
        ["straat", "steeg", "weg", "erf"],
    ),
    "landschap": (
        "Weide|Vaart|Wetering|Sloten|Kreek|Geer|Kampen|Maten|Venne|Beemd|Broek|"
        "Zegge|Riet|Veen|Gors|Esch",
        ["weg", "straat", "laan", "pad", "dijk", "kade"],
    ),
    "componist": (
        "Sweelinck|Bach|Mozart|Beethoven|Chopin|Schubert|Händel|Haydn|Vivaldi|Mahler|Grieg|"
        "Diepenbrock|Andriessen",
        ["straat", "laan", "plein"],
    ),
    "hemel": (
        "Mercurius|Venus|Jupiter|Saturnus|Orion|Pegasus|Poolster|Morgenster|Zonnewijzer|Maanlicht",
        ["straat", "laan", "baan"],
    ),
    "water": (
        "Lek|Linge|Vecht|Amstel|Gouwe|Hollandse IJssel|Dommel|Eem|Rotte|Schie",
        ["straat", "kade", "laan", "oever"],
    ),
}
PAST_NAMES = "Zuidende Hoogland Kromme Zijde Binnenhof Rietveld Nieuwland Oudeland".split()
LETTERS = [
    a + b
    for a in "ABCDEGHJKLMNPRSTVWXZ"
    for b in "ABCDEGHJKLMNPRSTVWXZ"
    if a + b not in {"SA", "SD", "SS"}
]


def rd_to_wgs84(x: float, y: float) -> tuple[float, float]:
    """RD New to WGS84 by the published polynomial approximation (within about a metre)."""
    dx, dy = (x - 155_000) * 1e-5, (y - 463_000) * 1e-5
    k = [(0, 1, 3235.65389), (2, 0, -32.58297), (0, 2, -0.24750), (2, 1, -0.84978),
         (0, 3, -0.06550), (2, 2, -0.01709), (1, 0, -0.00738), (4, 0, 0.00530),
         (2, 3, -0.00039), (4, 1, 0.00033), (1, 1, -0.00012)]  # fmt: skip
    lam = [(1, 0, 5260.52916), (1, 1, 105.94684), (1, 2, 2.45656), (3, 0, -0.81885),
           (1, 3, 0.05594), (3, 1, -0.05607), (0, 1, 0.01199), (3, 2, -0.00256),
           (1, 4, 0.00128), (0, 2, 0.00022), (2, 0, -0.00022), (5, 0, 0.00026)]  # fmt: skip
    lat = 52.15517440 + sum(c * dx**p * dy**q for p, q, c in k) / 3600
    lon = 5.38720621 + sum(c * dx**p * dy**q for p, q, c in lam) / 3600
    return lat, lon


def generated(rng: random.Random, taken: set[str], used_stems: set[str], count: int) -> list[str]:
    """`count` new names, one per stem: "Kievitlaan", "Frans Halsstraat" (glued, as in BAG)."""
    pool = [
        (stem, stem + suffix)
        for stems, suffixes in STEMS.values()
        for stem in stems.split("|")
        for suffix in suffixes
    ]
    rng.shuffle(pool)
    out: list[str] = []
    for stem, name in pool:
        if name in taken or stem in used_stems:
            continue
        used_stems.add(stem)
        out.append(name)
        if len(out) == count:
            break
    return out


def bag_type(name: str) -> str:
    lower = name.lower()
    if lower.endswith(("plein", "markt", "brink")) or lower in {"het zand", "de brink"}:
        return "Terrein"
    if lower.endswith(("gracht", "vaart", "wetering")) and " " not in lower:
        return "Water"
    return "Weg"


def streets(rng: random.Random) -> dict[str, list[str]]:
    taken = set(FIXED) | set(FIXED_MULTI) | set(PAST_NAMES)
    used_stems: set[str] = set()
    per_place: dict[str, list[str]] = {}
    for place, (_, _, count) in WOONPLAATSEN.items():
        if place == "Lindewaard":
            own = [*FIXED, *FIXED_MULTI, *PAST_NAMES]
        else:
            own = list(VILLAGE_FIXED.get(place, []))
        extra = generated(rng, taken, used_stems, count - len(own))
        taken |= set(extra)
        per_place[place] = own + extra
    return per_place


def rows(rng: random.Random) -> list[list[str]]:
    out: list[list[str]] = []
    for place, names in streets(rng).items():
        (cx, cy), pc4, _ = WOONPLAATSEN[place]
        letter = iter(LETTERS)
        pc = pc4
        for name in sorted(names):
            # A street is a line through the woonplaats: a start, a direction, a length.
            radius = 1600 if place == "Lindewaard" else 700
            sx, sy = cx + rng.uniform(-radius, radius), cy + rng.uniform(-radius, radius)
            angle = rng.uniform(0, math.pi)
            kind = bag_type(name)
            if (kind != "Weg" and rng.random() < 0.5) or kind == "Water":
                out.append(_row(name, kind, place, "", "", "", "", sx, sy))
                continue
            highest = rng.choice([8, 14, 24, 36, 52, 70, 96])
            segments = 1 if highest <= 36 else 2
            per = math.ceil(highest / segments)
            for i in range(segments):
                low, high = i * per + 1, min(highest, (i + 1) * per)
                step = (i + 0.5) * per * 6  # about 6 m of street per house number
                x, y = sx + math.cos(angle) * step, sy + math.sin(angle) * step
                for reeks in ("oneven", "even"):
                    code = next(letter, None)
                    if code is None:  # a PC4 area holds at most the letter pairs
                        pc, letter = pc + 1, iter(LETTERS)
                        code = next(letter)
                    van = low if (low % 2 == 1) == (reeks == "oneven") else low + 1
                    tot = high if (high % 2 == 1) == (reeks == "oneven") else high - 1
                    if van > tot:
                        continue
                    side = 8 if reeks == "even" else -8  # across the street
                    out.append(
                        _row(
                            name,
                            kind,
                            place,
                            str(van),
                            str(tot),
                            reeks,
                            f"{pc} {code}",
                            x - math.sin(angle) * side,
                            y + math.cos(angle) * side,
                        )
                    )
    return out


def _row(name: str, kind: str, place: str, van: str, tot: str, reeks: str, postcode: str,
         x: float, y: float) -> list[str]:  # fmt: skip
    lat, lon = rd_to_wgs84(x, y)
    return [
        name,
        kind,
        place,
        van,
        tot,
        reeks,
        postcode,
        f"{x:.0f}",
        f"{y:.0f}",
        f"{lat:.6f}",
        f"{lon:.6f}",
    ]


def write_csv(data: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(data)
    return buffer.getvalue()


def write_lookup(names: list[str]) -> None:
    """Replace the `straat` lookup table with every street of the extract."""
    text = LOOKUPS.read_text(encoding="utf-8")
    table = "".join(f"    - {n}\n" for n in names)
    new = re.sub(
        r"(- lookup: straat\n  examples: \|\n)(?:    - .*\n)+",
        lambda m: m.group(1) + table,
        text,
    )
    LOOKUPS.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lookup", action="store_true", help="also rewrite the straat lookup table"
    )
    args = parser.parse_args()
    data = rows(random.Random(SEED))
    OUT.write_text(write_csv(data), encoding="utf-8")
    names = sorted({r[0] for r in data})
    print(f"{OUT.relative_to(ROOT)}: {len(names)} streets, {len(data)} rows")
    if args.lookup:
        write_lookup(names)
        print(f"{LOOKUPS.relative_to(ROOT)}: {len(names)} streets")


if __name__ == "__main__":
    main()
