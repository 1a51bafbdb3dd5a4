"""The cases map in the staff console: the list always, Leaflet with the configured tiles.

The web app runs without Rasa; a loopback server plays the tile server and counts what
the browser asks of it. Chromium (Playwright) checks the markers, the CSP and WCAG AA.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from playwright.async_api import async_playwright

from core.caseapi.models import CaseIn
from core.settings import ConfigError, Env
from tests.browser import axe_violations, describe, launch
from tests.conftest import free_port
from tests.images import png_bytes
from tests.staff_helpers import PASSWORD, Client, create_users, settings_in, web_app
from webapp.cases.store import CaseStore
from webapp.staff.config import StaffConfig

# Two open cases with a point, one closed with a point, one typed address without a point.
CASES = [
    {"locatie": {"lat": 52.1012, "lon": 5.1203}, "omschrijving": "Lamp <b>kapot</b>"},
    {"locatie": {"straat": "Ringweg", "huisnummer": "3", "lat": 52.1051, "lon": 5.1302}},
    {"locatie": {"lat": 52.0987, "lon": 5.1111}, "status": "afgehandeld"},
    {"locatie": {"straat": "Nergensstraat", "huisnummer": "1"}},
]


class Tiles:
    """A tile server on loopback that answers every tile with a small PNG."""

    def __init__(self) -> None:
        self.asked = 0
        self.port = free_port()

    async def tile(self, request: web.Request) -> web.Response:
        self.asked += 1
        return web.Response(body=png_bytes(), content_type="image/png")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{{z}}/{{x}}/{{y}}.png"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def site(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[str, Tiles, list[str]]]:
    tmp: Path = tmp_path_factory.mktemp("kaart")
    tiles = Tiles()
    app = web.Application()
    app.router.add_get("/{z}/{x}/{y}.png", tiles.tile)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", tiles.port).start()
    port = free_port()
    staff = StaffConfig(
        data_file=tmp / "staff.yml", map_tiles=tiles.url, map_attribution="© <i>Kaartmakers</i>"
    )
    settings = settings_in(tmp, port, staff=staff)
    async with web_app(settings, port) as base:
        await create_users(settings.database_url, {"mia": ["medewerker"], "tom": ["trainer"]})
        store = CaseStore.from_url(settings.database_url)
        made = []
        try:
            for extra in CASES:
                data = {
                    "type": "melding",
                    "categorie": "straatverlichting-openbare-klok",
                    "omschrijving": "De lantaarnpaal is kapot.",
                    "kanaal": "web",
                    **{k: v for k, v in extra.items() if k != "status"},
                }
                case, _, _ = await store.create(CaseIn.parse_obj(data))
                if "status" in extra:
                    await store.change_status(case.identificatie, extra["status"], None, "mia")
                made.append(case.identificatie)
        finally:
            await store.close()
        yield base, tiles, made
    await runner.cleanup()


@pytest.mark.asyncio(loop_scope="session")
async def test_the_list_shows_open_cases_with_a_point_and_counts_the_rest(site) -> None:  # type: ignore[no-untyped-def]
    base, _, made = site
    mia = Client(base)
    try:
        await mia.login("mia")
        status, page = await mia.get("/staff/kaart")
        assert status == 200
        assert made[0] in page and made[1] in page
        assert made[2] not in page  # closed: only with "alle"
        assert "1 zaak zonder plaats staat niet op de kaart" in page
        assert "Lamp <b>" not in page  # descriptions are not on the map page at all
        _, page = await mia.get("/staff/kaart?alle=1")
        assert made[2] in page
        _, page = await mia.get("/staff/kaart?zoek=ringweg")
        assert made[1] in page and made[0] not in page
        async with mia.http.get(base + "/staff/kaart") as response:
            csp = response.headers["Content-Security-Policy"]
        assert "img-src 'self' http://127.0.0.1:" in csp and "script-src 'self';" in csp
        async with mia.http.get(base + "/vendor/leaflet/leaflet.js") as response:
            assert response.status == 200 and "Leaflet" in (await response.text())[:2000]
    finally:
        await mia.close()


@pytest.mark.asyncio(loop_scope="session")
async def test_only_medewerkers_see_the_map(site) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = site
    anonymous, tom = Client(base), Client(base)
    try:
        status, location = await anonymous.get("/staff/kaart", follow=False)
        assert status == 303 and "inloggen" in location
        await tom.login("tom")
        status, _ = await tom.get("/staff/kaart")
        assert status == 403
    finally:
        await anonymous.close()
        await tom.close()


@pytest.mark.asyncio(loop_scope="session")
async def test_without_a_tile_server_the_page_is_a_plain_list(tmp_path: Path) -> None:
    port = free_port()
    settings = settings_in(tmp_path, port, staff=StaffConfig(data_file=tmp_path / "s.yml"))
    async with web_app(settings, port) as base:
        await create_users(settings.database_url, {"mia": ["medewerker"]})
        mia = Client(base)
        try:
            await mia.login("mia")
            status, page = await mia.get("/staff/kaart")
            assert status == 200 and "geen kaartserver ingesteld" in page
            assert "leaflet.js" not in page and 'id="kaart"' not in page
        finally:
            await mia.close()


@pytest.mark.asyncio(loop_scope="session")
async def test_the_browser_draws_a_marker_per_case_on_the_tiles(site) -> None:  # type: ignore[no-untyped-def]
    base, tiles, made = site
    problems: list[str] = []
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("pageerror", lambda e: problems.append(f"error: {e}"))
            page.on(
                "console",
                lambda m: problems.append(m.text) if "Content Security" in m.text else None,
            )
            page.on(
                "response",
                lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
            )
            await page.goto(base + "/staff/inloggen")
            await page.fill("#gebruikersnaam", "mia")
            await page.fill("#wachtwoord", PASSWORD)
            await page.click("button[type=submit]")
            await page.goto(base + "/staff/kaart")
            await page.wait_for_selector("#kaart[data-markers]")
            assert await page.get_attribute("#kaart", "data-markers") == "2"
            assert await page.locator(".leaflet-marker-icon").count() == 2
            await page.wait_for_function(
                "document.querySelectorAll('.leaflet-tile-loaded').length > 0"
            )
            assert tiles.asked > 0
            attribution = await page.inner_text(".leaflet-control-attribution")
            assert "© <i>Kaartmakers</i>" in attribution
            assert await page.locator(".leaflet-control-attribution i").count() == 0
            await page.locator(".leaflet-marker-icon").first.click()
            popup = page.locator(".leaflet-popup-content a")
            assert (await popup.inner_text()) in made[:2]
            violations = await axe_violations(page)
            assert violations == [], describe(violations)
        finally:
            await browser.close()
    assert problems == []


def test_the_tile_setting_is_checked_at_start() -> None:
    url = "https://tiles.example/{z}/{x}/{y}.png"
    assert (
        StaffConfig.read(Env({"BALIE_MAP_TILES": url})).map_tile_origin == "https://tiles.example"
    )
    assert StaffConfig.read(Env({})).map_tiles == ""
    for wrong in ("ftp://tiles.example/{z}/{x}/{y}.png", "https://tiles.example/tile.png", "tiles"):
        with pytest.raises(ConfigError):
            StaffConfig.read(Env({"BALIE_MAP_TILES": wrong}))
