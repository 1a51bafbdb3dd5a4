"""Test stories (Rasa's test-story format) played over the REST channel of the running stack.

Each `user` step is sent to the real Rasa server; the step's `intent` must be what the
model understood (`faq/<key>` for FAQ questions), the `action` steps must be exactly
the actions Rasa ran, and a `bot` step's text must appear in one of the replies.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml

from tests.client import INTERNAL_ACTIONS, events, full_intent, say

pytestmark = [pytest.mark.stack, pytest.mark.asyncio(loop_scope="session")]

STORIES = sorted((Path(__file__).parent / "stories").glob("*.yml"))


def load_stories() -> list[dict]:
    stories = []
    for path in STORIES:
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]:
            # A story may name a known gap (`xfail: reason`): it still runs and is reported.
            marks = (
                [pytest.mark.xfail(reason=story["xfail"], strict=False)] if "xfail" in story else []
            )
            stories.append(pytest.param(story, id=f"{path.stem}: {story['story']}", marks=marks))
    return stories


def turns(steps: list[dict]) -> list[tuple[dict, list[str], list[str]]]:
    """Group steps into (user step, expected actions, expected bot texts) per turn."""
    grouped: list[tuple[dict, list[str], list[str]]] = []
    for step in steps:
        if "user" in step:
            grouped.append((step, [], []))
        elif "action" in step:
            grouped[-1][1].append(step["action"])
        elif "bot" in step:
            grouped[-1][2].append(step["bot"])
    return grouped


def actions_of_turn(all_events: list[dict]) -> tuple[dict, list[str]]:
    """The last user event and the actions Rasa ran after it."""
    last_user = max(i for i, e in enumerate(all_events) if e["event"] == "user")
    actions = [
        e["name"]
        for e in all_events[last_user + 1 :]
        if e["event"] == "action" and e["name"] not in INTERNAL_ACTIONS
    ]
    return all_events[last_user], actions


@pytest.mark.parametrize("story", load_stories())
async def test_story(stack, http, story: dict) -> None:
    sender = f"story-{uuid.uuid4().hex[:10]}"
    for user_step, expected_actions, expected_texts in turns(story["steps"]):
        text = user_step["user"].strip()
        replies = await say(http, stack, sender, text)
        user_event, actions = actions_of_turn(await events(http, stack, sender))
        where = f"after {text!r}"
        if "intent" in user_step:
            assert full_intent(user_event["parse_data"]) == user_step["intent"], where
        assert actions == expected_actions, where
        reply_texts = "\n".join(r.get("text", "") for r in replies)
        for expected in expected_texts:
            assert expected in reply_texts, f"{where}: {expected!r} not in {reply_texts!r}"
