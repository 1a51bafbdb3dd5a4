"""Thumbs up/down in the website widget (issue #16): Chromium against the real stack.

By keyboard only: a thumbs-down with a comment under an FAQ answer is stored masked,
offers a person (here a call-back: nobody is available), the same topic is not asked
about again, and the NLU inbox shows the resident's message
marked "antwoord was niet goed".
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import sqlalchemy as sa
from playwright.async_api import Browser, Page, async_playwright

from core import feedback, kcc
from core.db import create_engine, session_factory
from core.residents import texts
from core.settings import Settings
from tests.browser import Widget, launch
from webapp.cases.models import Feedback
from webapp.staff.inbox import Inbox
from webapp.staff.tracker import TrackerReader

pytestmark = pytest.mark.asyncio(loop_scope="session")
QUESTION = "wanneer is het gemeentehuis open?"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await launch(playwright)
        yield chromium
        await chromium.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Browser, stack: Settings) -> AsyncIterator[Page]:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="nl-NL")
    ctx.set_default_timeout(30_000)
    page = await ctx.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    yield page
    await ctx.close()
    assert problems == []


@pytest.mark.stack
async def test_thumbs_down_with_comment_is_stored_masked_and_reaches_the_inbox(
    page: Page, stack: Settings
) -> None:
    await page.goto(f"{stack.web_url}/demo")
    widget = Widget(page)
    await widget.open()
    answer = await widget.say(QUESTION)
    assert "8.30" in answer
    group = page.locator(".balie-feedback").last
    await group.get_by_role("button", name=feedback.BAD_LABEL).focus()
    await page.keyboard.press("Enter")
    comment = group.get_by_label("Wat was er niet goed?")
    await comment.wait_for()
    assert await comment.evaluate("e => e === e.getRootNode().activeElement")  # focus moved
    await page.keyboard.type("Bel mij op 06-12345678, dan leg ik het uit")
    await page.keyboard.press("Enter")
    await group.get_by_text(feedback.thanks(None)).wait_for()
    # A thumbs-down offers a person: nobody is available in this stack, so a call-back.
    await widget.wait_for_bot(texts.live_offer(False))
    reply = await widget.click(kcc.OFFER_BUTTON["title"])
    assert "terugbellen" in reply, reply
    await widget.click("Nee, dank u")
    # The same topic again: no second request.
    await widget.say(QUESTION)
    assert await page.locator(".balie-feedback").count() == 1

    engine = create_engine(stack.database_url)
    tracker = create_engine(stack.tracker_database_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(Feedback))).all()
        assert len(rows) == 1 and rows[0].goed is False
        assert rows[0].onderwerp.startswith("faq:")
        assert "06-12345678" not in rows[0].opmerking and "[telefoonnummer]" in rows[0].opmerking
        inbox = Inbox(TrackerReader(tracker), session_factory(engine), threshold=0.0)
        marked = [i for i in await inbox.items() if i.niet_goed is not None]
        assert marked and "gemeentehuis" in marked[0].masked
        down = marked[0].niet_goed
        assert down is not None and "8.30" in down.antwoord
    finally:
        await engine.dispose()
        await tracker.dispose()
