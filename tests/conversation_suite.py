"""The conversation suite: residents' multi-turn conversations written as data, played
over Rasa's REST channel against the real stack and checked in the Case API.

The conversations live in tests/conversations/*.yml (format in tests/conversations/README.md).
Checks are about what matters to the resident, not about wording: the FAQ topic that was
answered (read from the tracker), the form that runs, the case in the Case API with its
category and location, a person offered. Forms are answered by what they ask (the tracker's
`requested_slot`), so a new or reordered question does not break a conversation, and a
"Bedoelt u ...?" question is answered when the conversation says how.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from core import ROOT
from core.codes import new_code
from core.settings import Settings
from tests.client import say

SUITE_DIR = ROOT / "tests" / "conversations"
IDENT_RE = re.compile(r"\b([MV]-\d{4}-\d{6})\b")
CODE_RE = re.compile(r"controlecode\W+(?:is\W+)?([A-Z0-9]{6})\b")
# A question that offers the resident a choice between meanings ("Bedoelt u ...?").
CLARIFY_RE = re.compile(r"\bbedoel", re.IGNORECASE)
# What a resident sees when offered a person: the gemeente's phone, or a button for one.
PERSON_RE = re.compile(r"medewerker|bel |bellen|terugbel|iemand spreken|mens", re.IGNORECASE)
MAX_FORM_TURNS = 16


class ConversationFailed(Exception):
    """A check did not hold; the message says which, and what the bot said."""


@dataclass
class Outcome:
    name: str
    source: str
    failure: str | None = None
    transcript: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failure is None


def load_suite(directory: Path = SUITE_DIR) -> list[dict[str, Any]]:
    """Every conversation of every file, each with the file it came from."""
    conversations = []
    for path in sorted(directory.glob("*.yml")):
        for conversation in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            conversations.append({**conversation, "source": path.name})
    return conversations


class CaseApi:
    """The Case API as the suite needs it: read cases, make one for a status question."""

    def __init__(self, http: aiohttp.ClientSession, settings: Settings) -> None:
        self.http = http
        self.base = f"{settings.web_url}/api/v1"
        self.headers = {"Authorization": f"Bearer {settings.api_token()}"}

    async def get(self, ident: str) -> dict[str, Any]:
        async with self.http.get(f"{self.base}/cases/{ident}", headers=self.headers) as resp:
            if resp.status != 200:
                raise ConversationFailed(f"case {ident}: HTTP {resp.status}")
            return await resp.json()

    async def find(self, text: str) -> list[dict[str, Any]]:
        params = {"zoek": text, "per_page": "50"}
        async with self.http.get(f"{self.base}/cases", headers=self.headers, params=params) as resp:
            assert resp.status == 200, await resp.text()
            return (await resp.json())["items"]

    async def create(self, spec: dict[str, Any]) -> dict[str, str]:
        """A case made elsewhere (another device, the phone): its number, code and note."""
        code = new_code()
        body = {k: v for k, v in spec.items() if k not in ("status", "toelichting")}
        body = {"kanaal": "web", **body, "controlecode": code}
        async with self.http.post(f"{self.base}/cases", json=body, headers=self.headers) as resp:
            assert resp.status == 201, await resp.text()
            ident = (await resp.json())["identificatie"]
        if spec.get("status"):
            change = {"status": spec["status"], "toelichting": spec.get("toelichting")}
            async with self.http.patch(
                f"{self.base}/cases/{ident}", json=change, headers=self.headers
            ) as resp:
                assert resp.status == 200, await resp.text()
        return {"nummer": ident, "code": code, "toelichting": spec.get("toelichting") or ""}


def placeholders(case: dict[str, str] | None) -> dict[str, str]:
    """The ways residents type a case number and code: {nummer_klein}, {code_streep}, ..."""
    if not case:
        return {}
    ident, code = case["nummer"], case["code"]
    return {
        "nummer": ident,
        "nummer_klein": ident.lower(),
        "nummer_los": ident.replace("-", "").lower(),
        "nummer_spaties": ident.replace("-", " "),
        "code": code,
        "code_klein": code.lower(),
        "code_streep": f"{code[:3]}-{code[3:]}".lower(),
        "code_spatie": f"{code[:3]} {code[3:]}",
        "toelichting": case["toelichting"],
    }


def _contains(text: str, part: str) -> bool:
    return part.lower() in text.lower()


class Player:
    """Plays one conversation as one resident (one REST sender)."""

    def __init__(self, http: aiohttp.ClientSession, settings: Settings, api: CaseApi) -> None:
        self.http, self.settings, self.api = http, settings, api
        self.sender = f"suite-{uuid.uuid4().hex[:12]}"
        self.replies: list[dict[str, Any]] = []
        self.transcript: list[str] = []
        self.bot_texts: list[str] = []
        self.values: dict[str, str] = {}

    # --- talking ------------------------------------------------------------------------

    @property
    def text(self) -> str:
        return "\n".join(r.get("text", "") for r in self.replies)

    @property
    def buttons(self) -> list[dict[str, str]]:
        return [b for r in self.replies for b in r.get("buttons", [])]

    async def say(self, text: str) -> None:
        text = text.format(**self.values)
        await self._send(text, text)

    async def click(self, button: dict[str, str]) -> None:
        await self._send(f"[{button['title']}]", button["payload"])

    async def _send(self, shown: str, message: str) -> None:
        self.transcript.append(f"> {shown}")
        self.replies = await say(self.http, self.settings, self.sender, message)
        for reply in self.replies:
            line = reply.get("text", "")
            titles = [b["title"] for b in reply.get("buttons", [])]
            self.transcript.append(f"< {line}" + (f" {titles}" if titles else ""))
            self.bot_texts.append(line)

    def find_button(self, *wanted: str) -> dict[str, str] | None:
        for part in wanted:
            for button in self.buttons:
                if _contains(button["title"], part) or _contains(button["payload"], part):
                    return button
        return None

    async def tracker(self) -> dict[str, Any]:
        url = f"{self.settings.rasa_url}/conversations/{self.sender}/tracker"
        async with self.http.get(url, headers=self.settings.rasa_auth()) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    async def form(self) -> tuple[str | None, str | None]:
        """The running form (melding, verzoek, status, terugbel) and the slot it asks."""
        tracker = await self.tracker()
        loop = (tracker.get("active_loop") or {}).get("name")
        name = loop.removesuffix("_form") if loop else None
        return name, tracker["slots"].get("requested_slot") if name else None

    async def answered_faq(self, since: int) -> list[str]:
        """FAQ topics answered since event number `since` (faq/<key> keys)."""
        events = (await self.tracker())["events"][since:]
        topics = []
        for event in events:
            if event["event"] != "bot":
                continue
            action = (event.get("metadata") or {}).get("utter_action") or ""
            if action.startswith("utter_faq/"):
                topics.append(action.removeprefix("utter_faq/"))
        return topics

    # --- a "Bedoelt u ...?" question --------------------------------------------------

    async def clarify(self, *wanted: str) -> bool:
        """Answer a clarification question with the button that fits `wanted`, if asked."""
        if not CLARIFY_RE.search(self.text) or not self.buttons:
            return False
        button = self.find_button(*[w for w in wanted if w])
        if button is None:
            return False
        await self.click(button)
        return True

    # --- steps --------------------------------------------------------------------------

    async def step(self, step: dict[str, Any]) -> None:
        start = len((await self.tracker())["events"])
        expect = step.get("expect") or {}
        if "say" in step:
            await self.say(str(step["say"]))
            hints = [step.get("choose"), expect.get("faq"), expect.get("form")]
            await self.clarify(*[str(h) for h in hints if h and h != "none"])
        elif "choose" in step:
            button = self.find_button(str(step["choose"]))
            if button is not None:
                await self.click(button)
            elif not step.get("optional"):
                raise ConversationFailed(f"no button like {step['choose']!r}")
        elif "fill" in step:
            await self.fill(step["fill"] or {})
        else:
            raise ConversationFailed(f"unknown step {step}")
        await self.check(expect, start)

    async def fill(self, answers: dict[str, Any]) -> None:
        """Answer every question of the running form until it ends."""
        asked: dict[str, int] = {}
        for _ in range(MAX_FORM_TURNS):
            form, slot = await self.form()
            if form is None or (slot and slot == answers.get("until")):
                return
            if await self.clarify("Ja", *self._streets(answers)):
                continue
            slot = slot or "?"
            asked[slot] = asked.get(slot, 0) + 1
            if asked[slot] > 3:
                raise ConversationFailed(f"{form} form asks {slot} again and again")
            await self.answer(slot, asked[slot], answers)
        raise ConversationFailed(f"form did not end after {MAX_FORM_TURNS} answers")

    @staticmethod
    def _streets(answers: dict[str, Any]) -> list[str]:
        return [str(answers[k]).split(" ")[0] for k in ("locatie", "locatie_extra") if k in answers]

    async def answer(self, slot: str, times: int, answers: dict[str, Any]) -> None:
        yes, no = self.find_button("/bevestigen"), self.find_button("/ontkennen")
        if slot == "categorie":
            wanted = answers.get("categorie") or []
            wanted = [wanted] if isinstance(wanted, str) else list(wanted)
            choices = [b for b in self.buttons if "Iets anders" not in b["title"]]
            button = self.find_button(*[f'"{slug}"' for slug in wanted]) or (
                choices[0] if choices else None
            )
            if button is None:
                raise ConversationFailed("the category question offers no category")
            await self.click(button)
        elif slot == "locatie":
            key = "locatie" if times == 1 else "locatie_extra"
            if key in answers:
                await self.say(str(answers[key]))
            elif "locatie" not in answers and no:  # "Geen locatie": the request has no place
                await self.click(no)
            elif yes:  # "is that in Lindewaard?" and the like: the resident confirms
                await self.click(yes)
            else:
                raise ConversationFailed(f"the location is asked again: {self.text!r}")
        elif slot in ("fotos", "contact_toestemming") and not answers.get(slot.split("_")[0]):
            await (self.click(no) if no else self.say("nee"))
        elif slot == "contact_toestemming":
            await (self.click(yes) if yes else self.say("ja"))
        elif slot == "bevestiging":
            await (self.click(yes) if yes else self.say("ja, versturen"))
        elif slot == "tijdstip" and "tijdstip" not in answers:
            button = self.find_button("weet ik niet")
            await (self.click(button) if button else self.say("weet ik niet"))
        elif slot in answers:
            await self.say(str(answers[slot]))
        elif yes:  # a question this conversation does not know: a resident agrees
            await self.click(yes)
        else:
            raise ConversationFailed(f"no answer for the question {slot!r}: {self.text!r}")

    # --- checks -------------------------------------------------------------------------

    async def check(self, expect: dict[str, Any], since: int) -> None:
        text = self.text
        fail = []
        for part in _listed(expect.get("says")):
            if not _contains(text, part.format(**self.values)):
                fail.append(f"reply lacks {part!r}")
        any_of = [p.format(**self.values) for p in _listed(expect.get("says_any"))]
        if any_of and not any(_contains(text, p) for p in any_of):
            fail.append(f"reply has none of {any_of}")
        for part in _listed(expect.get("not_says")):
            if _contains(text, part.format(**self.values)):
                fail.append(f"reply has {part!r}")
        titles = " | ".join(b["title"] for b in self.buttons)
        for part in _listed(expect.get("buttons_any")):
            if _contains(titles, part):
                break
        else:
            if expect.get("buttons_any"):
                fail.append(f"no button like {expect['buttons_any']} in [{titles}]")
        form, _ = await self.form()
        if "form" in expect and (form or "none") != expect["form"]:
            fail.append(f"form is {form or 'none'}, expected {expect['form']}")
        if "faq" in expect:
            topics = await self.answered_faq(since)
            if expect["faq"] not in topics:
                fail.append(f"FAQ answered: {topics or 'none'}, expected {expect['faq']}")
        if expect.get("person") and not (
            "14 0123" in text or PERSON_RE.search(titles) or PERSON_RE.search(text)
        ):
            fail.append("no person offered")
        if expect.get("out_of_scope"):
            topics = await self.answered_faq(since)
            if form or topics or IDENT_RE.search(text):
                fail.append(f"treated as business: form {form}, FAQ {topics}")
            if not text.strip():
                fail.append("no reply")
        if fail:
            raise ConversationFailed("; ".join(fail) + f" -- bot said: {text!r}")

    async def check_case(self, expect: dict[str, Any], known: set[str]) -> None:
        new = {i for t in self.bot_texts for i in IDENT_RE.findall(t)} - known
        if len(new) != 1:
            raise ConversationFailed(f"expected one new case, the bot named {sorted(new)}")
        case = await self.api.get(new.pop())
        if not CODE_RE.search("\n".join(self.bot_texts)):
            raise ConversationFailed("no controlecode given")
        fail = []
        locatie, contact = case.get("locatie") or {}, case.get("contact") or {}
        actual = {
            "type": case["type"],
            "categorie": case.get("categorie"),
            "straat": locatie.get("straat"),
            "huisnummer": locatie.get("huisnummer"),
            "postcode": locatie.get("postcode"),
            "email": contact.get("email"),
            "telefoon": contact.get("telefoon"),
        }
        for key, value in actual.items():
            if key in expect and value not in _listed(expect[key]):
                fail.append(f"{key} is {value!r}, expected {expect[key]!r}")
        omschrijving = case.get("omschrijving") or ""
        for part in _listed(expect.get("omschrijving")):
            if not _contains(omschrijving, part):
                fail.append(f"omschrijving lacks {part!r}: {omschrijving!r}")
        for part in _listed(expect.get("not_in_omschrijving")):
            if _contains(omschrijving, part):
                fail.append(f"omschrijving has {part!r}: {omschrijving!r}")
        if "tijdstip" in expect and bool(case.get("tijdstip")) != bool(expect["tijdstip"]):
            fail.append(f"tijdstip is {case.get('tijdstip')!r}")
        if fail:
            raise ConversationFailed("case: " + "; ".join(fail))


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


async def play(
    conversation: dict[str, Any], http: aiohttp.ClientSession, settings: Settings, api: CaseApi
) -> Outcome:
    player = Player(http, settings, api)
    outcome = Outcome(conversation["name"], conversation["source"], transcript=player.transcript)
    known: set[str] = set()
    try:
        if conversation.get("case"):
            case = await api.create(conversation["case"])
            known.add(case["nummer"])
            player.values = placeholders(case)
        for step in conversation["turns"]:
            await player.step(step)
        if conversation.get("expect_case"):
            await player.check_case(conversation["expect_case"], known)
        if conversation.get("expect_no_case"):
            named = {i for t in player.bot_texts for i in IDENT_RE.findall(t)} - known
            found = await api.find(conversation["expect_no_case"])
            if named or found:
                raise ConversationFailed(f"a case was made: {sorted(named)} {found[:1]}")
    except ConversationFailed as failure:
        outcome.failure = str(failure)
    return outcome


async def play_all(
    conversations: Iterable[dict[str, Any]],
    http: aiohttp.ClientSession,
    settings: Settings,
    concurrency: int = 4,
) -> list[Outcome]:
    """Every conversation, a few residents at a time, in the order given."""
    api = CaseApi(http, settings)
    limit = asyncio.Semaphore(concurrency)

    async def one(conversation: dict[str, Any]) -> Outcome:
        async with limit:
            return await play(conversation, http, settings, api)

    return await asyncio.gather(*(one(c) for c in conversations))


def report(outcomes: list[Outcome]) -> str:
    """The success rate, then every failure with its transcript."""
    passed = sum(o.ok for o in outcomes)
    lines = [f"conversations: {passed}/{len(outcomes)} = {passed / len(outcomes):.1%} succeeded"]
    for o in outcomes:
        if not o.ok:
            lines.append(f"\nFAILED {o.source}: {o.name}\n  {o.failure}")
            lines.extend(f"    {line}" for line in o.transcript)
    return "\n".join(lines)
