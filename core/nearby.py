"""Whether a melding is "already reported": what counts as the same melding nearby.

A melding is a likely duplicate of an open one of the same Signalen main category,
made within a period, on the same street a few house numbers away, with the same
postcode, or within a radius of its point. Typed addresses get their point from the
gemeente's BAG extract (core/openbare_ruimte.py), so a typed "Parkweg 3" and a shared
location by the park compare. The built-in case system applies these rules
(webapp/cases/nearby.py); the adapters ask their own system as far as it can answer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from core import openbare_ruimte
from core.categories import load_categories
from core.settings import Env

DAYS = 14
HOUSE_NUMBERS = 10
RADIUS_M = 50.0
EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class NearbyRules:
    """How near and how recent counts as "the same" (BALIE_DUPLICATE_*)."""

    days: int = DAYS
    house_numbers: int = HOUSE_NUMBERS
    radius_m: float = RADIUS_M
    # BALIE_DUPLICATE_CHECK=false: never "already reported", every melding is a new case.
    enabled: bool = True

    @classmethod
    def read(cls, env: Env) -> NearbyRules:
        return cls(
            enabled=env.flag("BALIE_DUPLICATE_CHECK", True),
            days=env.integer("BALIE_DUPLICATE_DAYS", DAYS, minimum=1),
            house_numbers=env.integer("BALIE_DUPLICATE_HOUSE_NUMBERS", HOUSE_NUMBERS, minimum=0),
            radius_m=env.number("BALIE_DUPLICATE_RADIUS_M", RADIUS_M, minimum=1.0),
        )


def point_of(
    straat: str | None, huisnummer: str | None, postcode: str | None
) -> tuple[float, float] | None:
    """(lat, lon) of a typed address from the BAG extract: the row of the house number,
    else the postcode's row, else the street's own point; None when it is not listed."""
    lijst = openbare_ruimte.straatlijst()
    if not lijst:
        return None
    if straat:
        ruimte = lijst.zoek(straat, postcode)
        if ruimte is not None:
            reeks = ruimte.reeks_van(huisnummer)
            if reeks is None and postcode:
                reeks = next((r for r in ruimte.reeksen if r.postcode == postcode), None)
            if reeks is not None:
                return reeks.wgs84
            return ruimte.punt or (ruimte.reeksen[0].wgs84 if ruimte.reeksen else None)
    if postcode:
        found = lijst.bij_postcode(postcode, huisnummer)
        if found is not None and found[1] is not None:
            return found[1].wgs84
        rows = (r for ruimte in lijst.ruimtes for r in ruimte.reeksen if r.postcode == postcode)
        first = next(rows, None)
        if first is not None:
            return first.wgs84
    return None


def with_point(locatie: dict[str, Any]) -> dict[str, Any]:
    """The location with a point for its typed address, if it had none."""
    if locatie.get("lat") is not None:
        return locatie
    point = point_of(locatie.get("straat"), locatie.get("huisnummer"), locatie.get("postcode"))
    if point is None:
        return locatie
    return {**locatie, "lat": point[0], "lon": point[1]}


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres (haversine): exact enough within a gemeente."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def bounding_box(point: tuple[float, float], radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) around a point: a cheap first filter in SQL."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    dlon = dlat / max(math.cos(math.radians(point[0])), 0.01)
    return point[0] - dlat, point[0] + dlat, point[1] - dlon, point[1] + dlon


def main_category(slug: str | None) -> str | None:
    """The Signalen main category of a sub category slug ("ratten" or "main/ratten")."""
    category = load_categories().get(slug) if slug else None
    return category.main_slug if category else None


def sub_slugs(main_slug: str) -> list[str]:
    """Every way a case may store a sub category of this main category."""
    subs = load_categories().under(main_slug)
    return [c.slug for c in subs] + [f"{c.main_slug}/{c.slug}" for c in subs]


def house_number(value: str | None) -> int | None:
    m = re.match(r"\d+", value or "")
    return int(m.group(0)) if m else None
