"""Whether a melding is "already reported": the built-in search on SQLite and PostgreSQL,
extra reports and who follows a case, and the Case API routes (auth, bad input)."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa

from core import nearby as rules_of
from core.caseapi.models import CaseIn, LocatieIn, NearbyIn, ReportIn
from core.clock import utcnow
from tests.images import jpeg_bytes
from tests.webapp import AUTH, client, serve
from webapp.cases import nearby
from webapp.cases.models import Case
from webapp.cases.store import CaseStore

RULES = rules_of.NearbyRules()
# Molenweg 3 is in the extract (content/openbare_ruimte.csv): 52.007164, 5.017888.
MOLENWEG = {"straat": "Molenweg", "huisnummer": "3"}
LAMP = "straatverlichting-openbare-klok"


def melding(locatie: dict, categorie: str = "grofvuil", **extra) -> CaseIn:  # type: ignore[type-arg]
    return CaseIn.parse_obj(
        {
            "type": "melding",
            "omschrijving": "Er ligt een berg grofvuil naast de container.",
            "categorie": categorie,
            "locatie": locatie,
            "kanaal": "telegram",
            "melder": "telegram:1",
            **extra,
        }
    )


@pytest_asyncio.fixture
async def store(db_url):
    store = CaseStore.from_url(db_url)
    yield store
    await store.close()


async def found(store: CaseStore, locatie: dict, categorie: str = "grofvuil") -> list[str]:  # type: ignore[type-arg]
    cases = await nearby.find_open_nearby(store, categorie, LocatieIn(**locatie), RULES)
    return [c.identificatie for c in cases]


def test_typed_addresses_get_the_point_of_their_row() -> None:
    assert rules_of.point_of("Molenweg", "3", None) == (52.007164, 5.017888)
    assert rules_of.point_of("molenweg", "40", None) == (52.008203, 5.015324)  # even, 36-70
    assert rules_of.point_of(None, None, "2341 NW") == (52.00705, 5.017745)
    assert rules_of.point_of("Nergensweg", "1", None) is None
    assert 15 < rules_of.distance_m((52.007164, 5.017888), (52.00705, 5.017745)) < 17


async def test_same_street_postcode_or_radius_finds_the_open_melding(store) -> None:
    case, _, _ = await store.create(melding(MOLENWEG))
    # The typed address was given its point from the extract.
    assert (case.lat, case.lon) == (52.007164, 5.017888)
    ident = case.identificatie
    # Same street, a few numbers on; the same main category under another sub category.
    assert await found(store, {"straat": "molenweg", "huisnummer": "13"}) == [ident]
    assert await found(store, {"straat": "Molenweg", "huisnummer": "13"}, "huisafval") == [ident]
    # Too far up the street, and a shared point beyond the radius: not the same.
    assert await found(store, {"straat": "Molenweg", "huisnummer": "61"}) == []
    assert await found(store, {"lat": 52.0080, "lon": 5.0179}) == []
    # A shared point within 50 m, and the same postcode.
    assert await found(store, {"lat": 52.00730, "lon": 5.01800}) == [ident]
    other, _, _ = await store.create(melding({"postcode": "2341 AA", "straat": "Aan de Dijk"}))
    assert await found(store, {"postcode": "2341AA"}) == [other.identificatie]
    # Another main category, even at the same spot: not the same.
    assert await found(store, MOLENWEG, LAMP) == []


async def test_closed_old_and_verzoeken_are_left_out(store) -> None:
    old, _, _ = await store.create(melding(MOLENWEG))
    closed, _, _ = await store.create(melding(MOLENWEG))
    await store.create(CaseIn(type="verzoek", omschrijving="Een bankje bij Molenweg 3 graag"))
    await store.change_status(closed.identificatie, "afgehandeld", "Opgehaald.", "mia")
    async with store.sessions() as session, session.begin():
        await session.execute(
            sa.update(Case)
            .where(Case.id == old.id)
            .values(aangemaakt_op=utcnow() - timedelta(days=RULES.days + 1))
        )
    assert await found(store, MOLENWEG) == []
    wider = rules_of.NearbyRules(days=RULES.days + 2)
    cases = await nearby.find_open_nearby(store, "grofvuil", LocatieIn(**MOLENWEG), wider)
    assert [c.identificatie for c in cases] == [old.identificatie]


async def test_an_extra_report_counts_is_followed_and_is_idempotent(store) -> None:
    case, _, _ = await store.create(melding(MOLENWEG))
    upload = await store.stage_upload("vuil.jpg", "image/jpeg", jpeg_bytes())
    report = ReportIn(
        omschrijving="Nog steeds een berg vuil, nu ook matrassen.",
        kanaal="web",
        melder="web:abc",
        uploads=[upload.id, "verlopen-upload"],
    )
    added = await nearby.add_report(store, case.identificatie, report, idempotency_key="k1")
    again = await nearby.add_report(store, case.identificatie, report, idempotency_key="k1")
    assert added is not None and again is not None
    assert (added[1], again[1]) == (True, False) and again[0].melders == 2
    reports = await nearby.reports(store, case.identificatie)
    assert [(r.melder, r.kanaal) for r in reports] == [("web:abc", "web")]
    photos = await store.attachments(case.identificatie)
    assert [p.report_id for p in photos] == [reports[0].id]
    # The follower sees the status as its own reporter does; a stranger does not.
    assert await store.inzage(case.identificatie, melder="web:abc") is not None
    assert await store.inzage(case.identificatie, melder="web:other") is None
    assert await nearby.followers(store, case) == ["telegram:1", "web:abc"]
    await store.opt_out("telegram:1")
    assert await nearby.followers(store, case) == ["web:abc"]
    # Staff can sort by the number of reporters.
    single, _, _ = await store.create(melding({"postcode": "2341 AA"}))
    newest_first, _ = await store.list(nearby_filters())
    by_melders, _ = await store.list(nearby_filters(), by_melders=True)
    assert newest_first[0].identificatie == single.identificatie
    assert by_melders[0].identificatie == case.identificatie
    # A closed case takes no more reports.
    await store.change_status(case.identificatie, "geannuleerd", "Dubbel.", "mia")
    with pytest.raises(nearby.ReportRefused):
        await nearby.add_report(store, case.identificatie, report, idempotency_key="k2")
    assert await nearby.add_report(store, "M-2026-999999", report) is None


def nearby_filters():  # type: ignore[no-untyped-def]
    from webapp.cases.store import Filters

    return Filters(type="melding")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_case_api_routes(db_url, tmp_path) -> None:
    async with serve(db_url, tmp_path) as (_, settings):
        base = f"{settings.web_url}/api/v1"
        api = client(base)
        try:
            case = await api.create_case(_new_case())
            near = await api.open_nearby(
                NearbyIn(categorie="grofvuil", locatie=LocatieIn(lat=52.00716, lon=5.01789))
            )
            assert [c.identificatie for c in near] == [case.identificatie]
            # What the resident may see: status and date, nothing of who reported it.
            assert "melder" not in near[0].json() and "omschrijving" not in near[0].json()
            report = ReportIn(omschrijving="Ook bij mij om de hoek.", melder="rest:buur")
            seen = await api.add_report(case.identificatie, report, "sleutel-1")
            assert seen is not None and seen.identificatie == case.identificatie
            assert (await api.case(case.identificatie)).melders == 2  # type: ignore[union-attr]
            assert await api.add_report("M-2026-999999", report, "sleutel-2") is None
        finally:
            await api.close()
        async with aiohttp.ClientSession() as http:
            url = f"{base}/cases/nabij"
            body = {"categorie": "grofvuil", "locatie": MOLENWEG}
            async with http.post(url, json=body) as resp:
                assert resp.status == 401
            bad = [
                {"categorie": "bestaat-niet", "locatie": MOLENWEG},
                {"categorie": "grofvuil", "locatie": {}},
                {"categorie": "grofvuil", "locatie": {"lat": 52.0}},
                {"categorie": "grofvuil"},
                {"categorie": True, "locatie": MOLENWEG},
            ]
            for wrong in bad:
                async with http.post(url, json=wrong, headers=AUTH) as resp:
                    assert resp.status == 422, wrong
            async with http.post(url, data="{", headers=AUTH | _json()) as resp:
                assert resp.status == 400
            extra = f"{base}/cases/{case.identificatie}/meldingen"
            async with http.post(extra, json={"omschrijving": "Hier ook."}) as resp:
                assert resp.status == 401
            for wrong in (
                {"omschrijving": "x"},
                {"omschrijving": "Hier ook.", "uploads": [1]},
                {"omschrijving": "Hier ook.", "melder": "geen melder"},
                {"omschrijving": "Hier ook.", "tijdstip": "2999-01-01T00:00:00+01:00"},
            ):
                async with http.post(extra, json=wrong, headers=AUTH) as resp:
                    assert resp.status == 422, wrong
            await api_status(http, base, case.identificatie)
            async with http.post(extra, json={"omschrijving": "Hier ook."}, headers=AUTH) as resp:
                assert resp.status == 409


def _new_case():  # type: ignore[no-untyped-def]
    from core.caseapi.models import NewCase

    return NewCase(
        **melding(MOLENWEG).dict(exclude={"controlecode"}),
        controlecode="HX4T9B",
        idempotency_key="eerste",
    )


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


async def api_status(http: aiohttp.ClientSession, base: str, identificatie: str) -> None:
    body = {"status": "geannuleerd", "toelichting": "Dubbel gemeld."}
    async with http.patch(f"{base}/cases/{identificatie}", json=body, headers=AUTH) as resp:
        assert resp.status == 200
