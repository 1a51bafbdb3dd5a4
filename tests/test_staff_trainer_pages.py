"""The trainer's pages as a non-technical trainer reads them, in the real web app.

An example that looks more like another intent's examples is saved only after the
trainer saw the nearest examples and confirmed (or took the other label); numbers have
a decimal comma; intents, statuses and headings are Dutch, technical names only small
beside them (<code>).
"""

from __future__ import annotations

import html
import re
import time

import pytest

from tests.browser import axe_violations, describe, launch
from tests.staff_helpers import PASSWORD, fake_evaluation, fake_model, fake_staff_evaluation
from tests.test_staff_console import Console, add_events, console, user_event
from webapp.staff.jobs import EVALUATE, TRAIN, Jobs
from webapp.staff.registry import Registry

pytestmark = pytest.mark.asyncio(loop_scope="session")
__all__ = ["console"]  # the console fixture: the web app with its users

# Balie's examples say this is the waste calendar (faq/afvalkalender), not a report.
LOOKS_LIKE = "wanneer wordt het grofvuil opgehaald"


async def test_a_lookalike_example_is_saved_only_after_confirmation(console: Console) -> None:
    tom = await console.client("tom")
    staff_file = console.tmp / "staff.yml"
    status, page = await tom.post(
        "/staff/voorbeelden", {"tekst": LOOKS_LIKE, "intent": "melding_doen"}
    )
    assert status == 200 and "Weet u het zeker?" in page
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "lijkt meer op de voorbeelden van Afvalkalender (vraag)" in " ".join(text.split())
    assert "wanneer wordt het restafval opgehaald" in page  # a nearest example
    assert "Melding openbare ruimte" in page and re.search(r"\d+%", page)
    # Nothing saved yet; the choice is a plain form with the session's CSRF token.
    assert not staff_file.exists() or LOOKS_LIKE not in staff_file.read_text()
    assert 'name="csrf"' in page and '<input type="hidden" name="bevestigd" value="ja">' in page
    assert f'<input type="hidden" name="tekst" value="{LOOKS_LIKE}">' in page
    assert 'name="intent" value="melding_doen"' in page
    assert 'name="intent" value="faq/afvalkalender"' in page

    # Without the token the confirmation is refused like every form.
    async with tom.http.post(
        tom.base + "/staff/voorbeelden",
        data={"tekst": LOOKS_LIKE, "intent": "melding_doen", "bevestigd": "ja"},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 403
    # The trainer takes the other label: saved there.
    _, page = await tom.post(
        "/staff/voorbeelden",
        {"tekst": LOOKS_LIKE, "intent": "faq/afvalkalender", "bevestigd": "ja"},
    )
    assert "Voorbeeld toegevoegd aan “Afvalkalender (vraag)”" in page
    assert f"- {LOOKS_LIKE}\n" in staff_file.read_text()

    # Or keeps their own, once sure: saved under the chosen intent.
    mine = "wanneer wordt het oud papier bij mij niet opgehaald"
    _, page = await tom.post("/staff/voorbeelden", {"tekst": mine, "intent": "melding_doen"})
    assert "Weet u het zeker?" in page
    _, page = await tom.post(
        "/staff/voorbeelden", {"tekst": mine, "intent": "melding_doen", "bevestigd": "ja"}
    )
    assert "Voorbeeld toegevoegd aan “Melding openbare ruimte”" in page


async def test_a_lookalike_inbox_message_asks_first_and_stays_until_decided(
    console: Console,
) -> None:
    question = "wanneer wordt het snoeiafval opgehaald"
    add_events(console, "tg-lijkt", [user_event(question, "nlu_fallback", 0.2)])
    tom = await console.client("tom")
    _, page = await tom.get("/staff/inbox")
    number = re.search(rf'id="bericht-(\d+)">{question}<', page)
    assert number, "the message is not in the inbox"
    _, page = await tom.post(
        f"/staff/inbox/{number[1]}", {"intent": "verzoek_indienen", "actie": "opslaan"}
    )
    assert "Weet u het zeker?" in page and "Afvalkalender (vraag)" in page
    assert f'action="/staff/inbox/{number[1]}"' in page
    assert f'href="/staff/inbox#bericht-{number[1]}"' in page  # back without saving
    _, page = await tom.get("/staff/inbox")
    assert f">{question}<" in page  # not decided yet
    _, page = await tom.post(
        f"/staff/inbox/{number[1]}",
        {"intent": "faq/afvalkalender", "actie": "opslaan", "bevestigd": "ja"},
    )
    assert "Opgeslagen als voorbeeld voor “Afvalkalender (vraag)”" in page
    assert f">{question}<" not in page


# Words a trainer should not read: English statuses and terms, raw floats.
ENGLISH = re.compile(
    r"\b(running|done|failed|pending|queued|success|error|recall|precision|accuracy|"
    r"confusion|pipeline|support|train|evaluate|true|false|none)\b",
    re.I,
)
RAW_FLOAT = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")
# An intent's or FAQ topic's technical name: only beside its Dutch name.
TECHNICAL = re.compile(r"\b(?:faq/\w+|[a-z]+_[a-z_]+)\b")


def visible(page: str) -> str:
    """What a reader sees, without the technical names (<code>; a choice's name follows
    its Dutch name in the <select>) and the job's log."""
    page = re.sub(r"<(script|style|code|pre|select)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(page).split())


async def test_trainer_pages_read_dutch_with_decimal_commas(console: Console) -> None:
    models = console.settings.models_dir
    registry = Registry(models)
    for name, score in (("lees-live", 0.8123), ("lees-nieuw", 0.9537)):
        registry.register(fake_model(models, name))
        fake_evaluation(models, name, score)
    registry.set_live("lees-live", door="test", actie="start")
    fake_staff_evaluation(models, "lees-nieuw", [True, True, False])
    fake_staff_evaluation(models, "lees-live", [False, True, False])
    jobs = Jobs(console.settings.data_dir / "staff" / "jobs", models)
    done = jobs.create(TRAIN, "tom")
    done.update(status="klaar", stage="klaar", percent=100, klaar_op=done.state().gestart + 95)
    done.update(model="lees-nieuw")
    failed = jobs.create(EVALUATE, "tom")
    failed.update(status="mislukt", fout="gestopt", klaar_op=time.time())
    add_events(
        console,
        "web-lees",
        [
            user_event("wanneer is de milieustraat open", "faq", 0.62, "faq/grofvuil"),
            user_event("mag mijn kat op de maan", "nlu_fallback", 0.2),
        ],
    )

    tom = await console.client("tom")
    pages = {}
    for path in (
        "/staff/",
        "/staff/inbox",
        "/staff/voorbeelden",
        "/staff/training",
        f"/staff/training/{done.id}",
        f"/staff/training/{failed.id}",
        "/staff/modellen",
        "/staff/modellen/lees-nieuw",
        "/staff/modellen/lees-live",
        "/staff/overzicht",
    ):
        status, page = await tom.get(path)
        assert status == 200, path
        pages[path] = visible(page)
    # The promotion is logged with both scores: the beheerder reads them as percentages.
    _, page = await tom.post("/staff/modellen/lees-nieuw/promoveren", {})
    assert "is nu live" in page
    _, page = await (await console.client("bea")).get("/staff/accounts")
    pages["accounts"] = visible(page)
    assert "kandidaat_macro_f1: 95,4%" in pages["accounts"]
    plastic = {"tekst": "wanneer wordt het plastic opgehaald", "intent": "hulp"}
    _, page = await tom.post("/staff/voorbeelden", plastic)
    assert "Weet u het zeker?" in page
    pages["lijkt op"] = visible(page)

    for path, text in pages.items():
        assert not RAW_FLOAT.findall(text), f"{path}: {RAW_FLOAT.findall(text)}"
        if path == "accounts":
            continue  # the log's technical keys are for a beheerder
        assert not ENGLISH.findall(text), f"{path}: {ENGLISH.findall(text)}"
        assert not TECHNICAL.findall(text), f"{path}: {TECHNICAL.findall(text)}"
    model = pages["/staff/modellen/lees-nieuw"]
    assert "95,4%" in model and "81,2%" in model  # the scores, with a decimal comma
    assert "gemiddelde score (macro-F1) 95,4% tegen 81,2%" in model  # the verdict too
    assert "+33,3 punt op uw nieuwe voorbeelden" in model
    assert "Groet" in model and "Melding openbare ruimte" in model
    assert "Persoonsgebonden budget (pgb) (vraag)" in model  # the heat map, in Dutch
    assert "eerste model" in pages["/staff/modellen"]
    training = pages["/staff/training"]
    assert "klaar" in training and "mislukt" in training and "evaluatie" in training
    assert "Grof afval (vraag)" in pages["/staff/overzicht"]
    assert "Telegram" in pages["/staff/inbox"]


async def test_the_confirmation_passes_axe_in_chromium(console: Console) -> None:
    """The page has no script (the plain-form tests above show it works without)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            page = await browser.new_page()
            await page.goto(console.base + "/staff/inloggen")
            await page.fill("#gebruikersnaam", "tom")
            await page.fill("#wachtwoord", PASSWORD)
            await page.click("main button[type=submit]")
            await page.goto(console.base + "/staff/voorbeelden")
            await page.fill("#tekst", "wanneer wordt het glas opgehaald")
            await page.select_option("#intent", "groeten")
            await page.click("text=Voorbeeld toevoegen")
            assert await page.locator("h1").inner_text() == "Weet u het zeker?"
            violations = await axe_violations(page)
            assert violations == [], describe(violations)
            await page.click("text=Nee, opslaan als Afvalkalender (vraag)")
            assert "Voorbeeld toegevoegd aan" in await page.inner_text("main")
        finally:
            await browser.close()
