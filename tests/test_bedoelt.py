"""Asking "Bedoelt u …?" against the real stack (issue #14, part 1).

A message the model is unsure about gets one short question with the candidates as plain
Dutch buttons plus "Iets anders"; a button gives the FAQ answer or starts the form, and
the resident's words with their choice reach the staff NLU inbox as a labelled example.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from typing import Any

import aiohttp
import pytest

from core import ROOT
from core.settings import Settings
from tests.client import events, parse, say
from tests.conftest import settings_env
from tests.staff_helpers import PASSWORD, Client

pytestmark = [pytest.mark.stack, pytest.mark.asyncio(loop_scope="session")]

# Messages that sit between a form and a FAQ topic, or between two topics. Which of them
# the test model is unsure about depends on its training split: the test asks the model
# and uses the first that gets the question, with the kind of candidate it needs.
BORDERLINE = [
    "de bomen bij de school",
    "snoeien",
    "boom bij ons huis",
    "container",
    "vuilnis",
    "afval",
    "parkeren bij de school",
    "hangjongeren",
    "jongeren in het park",
    "de weg is dicht",
    "werkzaamheden",
    "een feest op straat",
    "vergunning",
    "paspoort",
    "ik heb een vraag over de stoep",
    "de stoep",
    "speeltuin",
    "bankje in het park",
    "straatverlichting",
    "rommel op straat",
    "graffiti",
    "de lamp",
]


async def borderline(http: aiohttp.ClientSession, stack: Settings, kind: str) -> str:
    """A message the model asks about, with a candidate of `kind` ("faq/" or a form)."""
    for text in BORDERLINE:
        result = await parse(http, stack, text)
        if result["intent"]["name"] != "verduidelijken":
            continue
        names = [c["keuze"] for c in result["verduidelijken"]["kandidaten"]]
        if any(n.startswith(kind) for n in names):
            return text
    pytest.fail(f"none of the borderline messages is asked about with a {kind} candidate")


async def question(http: aiohttp.ClientSession, stack: Settings, sender: str, text: str) -> dict:
    replies = await say(http, stack, sender, text)
    asked = [r for r in replies if r.get("buttons")]
    assert asked and "edoel" in asked[0]["text"], replies
    return asked[0]


def assert_plain_dutch(buttons: list[dict[str, Any]]) -> None:
    titles = [b["title"] for b in buttons]
    # One to three candidates (a lone guess is asked about too), then "Iets anders".
    assert 2 <= len(titles) <= 4 and titles[-1] == "Iets anders", titles
    assert not any(re.search(r"[_/{]", t) for t in titles), titles


async def bot_actions(http: aiohttp.ClientSession, stack: Settings, sender: str) -> list[str]:
    return [
        (e.get("metadata") or {}).get("utter_action") or ""
        for e in await events(http, stack, sender)
        if e["event"] == "bot"
    ]


async def test_a_faq_button_gives_the_answer(stack, http) -> None:
    sender = f"bedoelt-{uuid.uuid4().hex[:8]}"
    text = await borderline(http, stack, "faq/")
    asked = await question(http, stack, sender, text)
    assert_plain_dutch(asked["buttons"])
    faq = next(b for b in asked["buttons"] if b["payload"].startswith("/faq"))
    topic = re.search(r'"sleutel":"(\w+)"', faq["payload"])[1]
    replies = await say(http, stack, sender, faq["payload"])
    assert replies and "edoel" not in replies[0]["text"]
    assert (await bot_actions(http, stack, sender))[-1] == f"utter_faq/{topic}"


async def test_a_form_button_starts_the_form_and_iets_anders_asks_again(stack, http) -> None:
    sender = f"bedoelt-{uuid.uuid4().hex[:8]}"
    text = await borderline(http, stack, "melding_doen")
    asked = await question(http, stack, sender, text)
    assert_plain_dutch(asked["buttons"])
    await say(http, stack, sender, "/melding_doen")
    loops = [e for e in await events(http, stack, sender) if e["event"] == "active_loop"]
    assert loops and loops[-1]["name"] == "melding_form"

    other = f"bedoelt-{uuid.uuid4().hex[:8]}"
    await question(http, stack, other, text)
    replies = await say(http, stack, other, "/ontkennen")
    assert "andere woorden" in replies[0]["text"], replies


@pytest.fixture(scope="module")
def trainer(stack: Settings) -> str:
    """A trainer of the stack's staff console, made as an operator would."""
    name = f"trainer{uuid.uuid4().hex[:6]}"
    subprocess.run(
        [sys.executable, "-m", "bot", "create-user", name, "--password-stdin", "--by", "test",
         "--role=trainer"],
        input=PASSWORD + "\n", text=True, cwd=ROOT, check=True, capture_output=True,
        env={**settings_env(stack), "BALIE_DATABASE_URL": ""},
    )  # fmt: skip
    return name


async def test_the_choice_reaches_the_inbox_as_a_labelled_example(stack, http, trainer) -> None:
    sender = f"bedoelt-{uuid.uuid4().hex[:8]}"
    text = await borderline(http, stack, "faq/")
    asked = await question(http, stack, sender, text)
    faq = next(b for b in asked["buttons"] if b["payload"].startswith("/faq"))
    topic = re.search(r'"sleutel":"(\w+)"', faq["payload"])[1]
    await say(http, stack, sender, faq["payload"])

    client = Client(stack.web_url)
    try:
        assert (await client.login(trainer))[0] == 200
        status, page = await client.get("/staff/inbox")
    finally:
        await client.close()
    assert status == 200
    item = page[page.index(f">{text}</h2>") :]
    item = item[: item.index("</li>")]
    # The resident's choice is a hint; the trainer still chooses (nothing preselected).
    assert f'<code class="technisch">faq/{topic}</code></span>' in item
    assert 'value="" selected>' in item and f'<option value="faq/{topic}">' in item
