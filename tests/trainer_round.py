"""A trainer's full round in a real browser, timed, with a screenshot of every page.

    PYTHONPATH=$PWD .venv/bin/python -m tests.trainer_round /work/shots/17

Starts the stack as `python -m bot run` does (on free ports, the weak starting model of
tests/test_staff_stack.py, candidates trained with its reduced pipeline), lets a
resident ask something Balie is unsure of, and then, as a trainer in Debian's chromium:
log in -> inbox: label the question -> examples: add some, one of which looks like
another intent's (the console asks first) -> start a training -> follow its progress ->
read the gain on the new examples -> promote. Prints the time of each step and the
whole round; the screenshots (full page, PNG) go to the given folder.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from playwright.async_api import Locator, Page, async_playwright

from tests.browser import launch
from tests.client import say
from tests.staff_helpers import PASSWORD
from tests.test_staff_stack import LABEL, PRIEEL, QUESTION, start_staff_stack

# On the examples page: an example given the wrong label, as a hurried trainer might.
LOOKALIKE = ("wanneer wordt het grofvuil opgehaald", "melding_doen")


class Round:
    def __init__(self, page: Page, base: str, shots: Path) -> None:
        self.page, self.base, self.shots = page, base, shots
        self.times: list[tuple[str, float]] = []
        self.count = 0

    async def shot(self, name: str) -> None:
        self.count += 1
        path = self.shots / f"{self.count:02d}-{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        print(f"  screenshot {path}", flush=True)

    def timed(self, step: str, started: float) -> None:
        took = time.monotonic() - started
        self.times.append((step, took))
        print(f"{step}: {took:.1f} s", flush=True)

    async def done(self, step: str, started: float, shot: str) -> None:
        self.timed(step, started)
        await self.shot(shot)

    async def menu(self, item: str, shot: str) -> float:
        """Start a step from the menu; returns when it started."""
        started = time.monotonic()
        await self.page.click(f"nav >> text={item}")
        await self.shot(shot)
        return started


async def press(page: Page, button: Locator) -> str:
    """Press a form's button; what the next page says."""
    await button.click()
    await page.wait_for_load_state()
    return await page.inner_text("main")


async def add_example(page: Page, text: str, label: str) -> str:
    """Through the examples page's form."""
    await page.fill("#tekst", text)
    await page.select_option("#intent", label)
    return await press(page, page.locator("text=Voorbeeld toevoegen"))


async def trainer_round(base: str, shots: Path) -> Round:
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="nl-NL")
            r = Round(page, base, shots)
            whole = time.monotonic()

            started = time.monotonic()
            await page.goto(base + "/staff/inloggen")
            await r.shot("inloggen")
            await page.fill("#gebruikersnaam", "tanja")
            await page.fill("#wachtwoord", PASSWORD)
            await page.click("main button[type=submit]")
            await page.wait_for_load_state()
            await r.done("inloggen", started, "start")

            started = await r.menu("Inbox", "inbox")
            item = page.locator("ol.inbox > li", has_text=QUESTION)
            await item.locator("select").select_option(LABEL)
            saved = await press(page, item.locator("button[value=opslaan]"))
            assert "Opgeslagen als voorbeeld" in saved
            await r.done("inbox: vraag gelabeld", started, "inbox-opgeslagen")

            started = await r.menu("Voorbeelden en antwoorden", "voorbeelden")
            for text in PRIEEL:
                assert "Voorbeeld toegevoegd" in await add_example(page, text, LABEL), text
            assert "Weet u het zeker?" in await add_example(page, *LOOKALIKE)
            await r.shot("voorbeeld-lijkt-op")
            other = await press(page, page.locator("button.secundair[name=intent]"))  # the other
            assert "Voorbeeld toegevoegd" in other
            await r.done("voorbeelden: 8, 1 na bevestiging", started, "voorbeelden-toegevoegd")

            started = await r.menu("Training", "training")
            await page.click("text=Nieuw model trainen")
            await page.wait_for_load_state()
            await page.wait_for_selector("[data-veld=stand]")
            await asyncio.sleep(20)
            await r.shot("taak-bezig")
            # staff.js reloads the page when the job ends.
            await page.wait_for_selector(
                "section[data-status=klaar], section[data-status=mislukt]", timeout=900_000
            )
            await r.done("training met beoordeling", started, "taak-klaar")
            assert await page.locator("section[data-status=klaar]").count(), "job failed"

            started = time.monotonic()
            await page.click("text=Bekijk de scores")
            await page.wait_for_load_state()
            gain = await page.locator(".winst").inner_text()
            print(f"  {gain}", flush=True)
            await r.done("scores en winst gelezen", started, "model")

            started = time.monotonic()
            await page.click("text=Dit model live zetten")
            await page.wait_for_load_state()
            assert "is nu live" in await page.inner_text("main")
            await r.done("live gezet", started, "modellen")
            r.timed("hele ronde", whole)

            for name, path in (
                ("overzicht", "/staff/overzicht"),
                ("gesprekken", "/staff/gesprekken"),
            ):
                await page.goto(base + path)
                await r.shot(name)
            await page.click("table a[href^='/staff/gesprekken/']")
            await page.wait_for_load_state()
            await r.shot("gesprek")
            return r
        finally:
            await browser.close()


async def main(shots: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="trainer-round-"))
    print(f"stack in {tmp}", flush=True)
    stack, settings = await asyncio.to_thread(start_staff_stack, tmp, {"tanja": ["trainer"]})
    try:
        async with aiohttp.ClientSession() as http:
            resident = f"inwoner-{uuid.uuid4().hex[:8]}"
            for text in ("hallo", "mijn e-mailadres is jan.jansen@example.com", QUESTION):
                await say(http, settings, resident, text)
        found = await trainer_round(settings.web_url, shots)
    finally:
        stack.stop()
    print("\nstep | seconds")
    for step, took in found.times:
        print(f"{step} | {took:.1f}")


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "shots")
    folder.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(folder))
