"""The staff console's Live page (issue #16) passes axe-core (WCAG 2.1 AA) in chromium, in
the states a medewerker works in: available, with a resident waiting in the queue and a
chat going on (messages both ways), and with the closing note open. No Rasa: the
residents are widget sockets queued through the Case API (tests/test_live_security.py).
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import async_playwright

from tests.browser import axe_violations, describe, launch
from tests.staff_helpers import PASSWORD
from tests.test_live import until
from tests.test_live_security import live_web_app, resident


@pytest.mark.asyncio
async def test_the_live_page_passes_axe_with_a_waiting_resident_and_a_chat(
    tmp_path: Path,
) -> None:
    problems: list[str] = []
    async with live_web_app(tmp_path) as live, aiohttp.ClientSession() as http:
        async with async_playwright() as playwright:
            browser = await launch(playwright)
            try:
                page = await browser.new_page(locale="nl-NL")
                page.on("pageerror", lambda exc: problems.append(str(exc)))
                page.on(
                    "response",
                    lambda r: (
                        problems.append(r.url)
                        if r.status >= 400 and not r.url.endswith("/favicon.ico")
                        else None
                    ),
                )
                await page.goto(live.base + "/staff/live")  # the login form, then back here
                await page.get_by_label("Gebruikersnaam").fill("marieke")
                await page.get_by_label("Wachtwoord").fill(PASSWORD)
                await page.get_by_role("button", name="Inloggen").click()
                await page.get_by_role("heading", name="Live chat met inwoners").wait_for()
                violations = await axe_violations(page)
                assert violations == [], f"empty: {describe(violations)}"

                await page.get_by_label("Ik ben beschikbaar voor chats").check()
                await page.get_by_text("U bent beschikbaar als Marieke.").wait_for()
                first, _ = await resident(live, http)
                await first.send_json(
                    {"type": "message", "id": "a1", "text": "Hallo, mijn pas is kwijt"}
                )
                queue = page.locator(".live-wachtrij li")
                await queue.first.wait_for()
                await page.get_by_role("button", name="Neem deze inwoner").click()
                chat = page.locator(".live-chat")
                await chat.wait_for()
                await until(first, lambda f: f.get("status") == "live")
                await first.send_json({"type": "message", "id": "a2", "text": "Kunt u helpen?"})
                await chat.get_by_text("Kunt u helpen?").wait_for()
                await chat.get_by_label("Uw bericht").fill("Zeker, een moment.")
                await chat.get_by_label("Uw bericht").press("Enter")
                await chat.get_by_text("Zeker, een moment.").wait_for()
                second, _ = await resident(live, http)  # waits while Marieke chats
                await queue.first.wait_for()
                violations = await axe_violations(page)
                assert violations == [], f"waiting and chatting: {describe(violations)}"

                await chat.get_by_role("button", name="Afsluiten met notitie").click()
                await chat.get_by_label("Korte notitie (zonder persoonsgegevens)").wait_for()
                violations = await axe_violations(page)
                assert violations == [], f"closing note: {describe(violations)}"
                for ws in (first, second):
                    await ws.close()
            finally:
                await browser.close()
    assert problems == []
