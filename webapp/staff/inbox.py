"""The NLU inbox: what residents asked that the bot was unsure about, not yet reviewed.

A message is "unsure" when it became nlu_fallback or its intent confidence is below
BALIE_INBOX_THRESHOLD. A small share of the confident ones (BALIE_INBOX_SAMPLE) comes by
too, marked "steekproef": chosen by the hash of the text, so the same message is always
in the sample or never. Only residents' own sentences count: button payloads, the
widget's "[locatie]" placeholder and typed controlecodes stay out. The same text asked
again is one item (with a count), and a decision on it (confirm, correct, discard) is
kept by its normalised text. Texts come masked from the tracker store ("mail me op
[e-mailadres]"), so the same question with different personal data is one item; a
message that is nothing but masked data (a controlecode, a case number with its code)
is no item at all. An example made from a message gets neutral stand-ins for the labels.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from core import codes
from core.dutch import patterns
from core.privacy import masking
from core.residents import choices
from webapp.cases.models import InboxReview
from webapp.feedback.store import ThumbsDown, thumbs_down
from webapp.staff import audit
from webapp.staff.tracker import FALLBACK, TrackerReader, UserMessage, shown
from webapp.staff.trainingdata import normalise

CONFIRMED, CORRECTED, DISCARDED = "bevestigd", "gecorrigeerd", "verworpen"
BATCH = 500
# A placeholder a channel sends instead of words: "[locatie]" for a shared location.
_PLACEHOLDER = re.compile(r"\[[^\[\]]*\]")


def text_key(text: str) -> str:
    return hashlib.sha256(normalise(text).encode()).hexdigest()


def in_sample(text: str, share: float) -> bool:
    """Whether a text is in the spot check: deterministic, about `share` of all texts."""
    return int(text_key(text)[:8], 16) < share * 0x1_0000_0000


def is_code(text: str) -> bool:
    """A typed controlecode, alone or after a case number ("M-2026-000042 AB3D7K").

    Six letters without a digit count only typed in capitals: "straat" is a word."""
    rest = text
    for found in reversed(patterns.find_zaaknummers(rest)):
        rest = rest[: found.start] + rest[found.end :]
    code = codes.normalize_code(rest.strip(" .,:;!"))
    if code is None:
        return False
    return any(c.isdigit() for c in code) or rest.strip(" .,:;!").isupper()


def resident_sentence(message: UserMessage) -> bool:
    """Words a resident typed: no button payload ("/faq{...}"), no system event, no
    placeholder ("[locatie]"), no controlecode, not only masked personal data."""
    if message.is_payload or message.intent.startswith("EXTERNAL_"):
        return False
    text = shown(message.text)  # a code in a row stored before codes were masked counts
    if masking.only_masked(text) or is_code(message.text):
        return False
    return any(c.isalnum() for c in _PLACEHOLDER.sub("", text))


@dataclass(frozen=True)
class InboxItem:
    message: UserMessage  # the newest time it was asked
    masked: str  # what the trainer sees
    count: int
    # A resident's thumbs-down on Balie's answer to it: shown as "antwoord was niet goed",
    # so confidently wrong answers reach trainers too.
    niet_goed: ThumbsDown | None = None
    # What the resident chose when Balie asked "Bedoelt u ...?": shown as a hint only,
    # the trainer always chooses the label.
    gekozen: str | None = None
    # Balie was sure: in the inbox as part of the spot check.
    steekproef: bool = False


def choice_after(message: UserMessage, following: UserMessage | None) -> str | None:
    """The intent or FAQ topic the resident chose with the button right after a
    "Bedoelt u ...?" question; None for "Iets anders", a typed answer, or no question."""
    if message.intent != choices.CLARIFY_INTENT or following is None:
        return None
    if following.sender_id != message.sender_id or not following.is_payload:
        return None
    return following.intent if choices.label(following.intent) else None


class Inbox:
    def __init__(
        self,
        tracker: TrackerReader,
        sessions: sessionmaker,
        threshold: float,
        sample: float = 0.0,
    ) -> None:
        self.tracker, self.sessions = tracker, sessions
        self.threshold, self.sample = threshold, sample

    def _doubted(self, message: UserMessage) -> bool:
        if message.intent == choices.CLARIFY_INTENT:
            return True  # Balie asked "Bedoelt u ...?": the answer is a labelled example
        return message.intent == FALLBACK or message.confidence < self.threshold

    def unsure(self, message: UserMessage) -> bool:
        return resident_sentence(message) and self._doubted(message)

    def spot_check(self, message: UserMessage) -> bool:
        """A confident message that comes by anyway, as part of the sample."""
        return (
            resident_sentence(message)
            and not self._doubted(message)
            and in_sample(message.text, self.sample)
        )

    async def items(self, limit: int = 50, scan: int = 5000) -> list[InboxItem]:
        """Unreviewed unsure messages, newest first; looks at the latest `scan` messages."""
        groups: dict[str, list[UserMessage]] = {}
        down: dict[str, ThumbsDown] = {}
        for found_down in await thumbs_down(self.sessions):
            down.setdefault(text_key(found_down.vraag), found_down)
        chosen: dict[str, str] = {}
        # Newest first, so a sender's message seen last is the one that came right after.
        following: dict[str, UserMessage] = {}
        before, seen = None, 0
        while seen < scan:
            batch = await self.tracker.user_messages(before, BATCH)
            if not batch:
                break
            seen += len(batch)
            before = batch[-1].id
            for message in batch:
                key = text_key(message.text)
                marked = key in down and resident_sentence(message)
                if (marked or self.unsure(message) or self.spot_check(message)) and normalise(
                    message.text
                ):
                    groups.setdefault(key, []).append(message)
                    choice = choice_after(message, following.get(message.sender_id))
                    if choice and key not in chosen:
                        chosen[key] = choice  # the newest choice for this text
                following[message.sender_id] = message
        reviewed = await self._reviewed(list(groups))
        items = [
            InboxItem(
                found[0],
                shown(found[0].text),
                len(found),
                down.get(key),
                chosen.get(key),
                steekproef=not any(map(self.unsure, found)) and key not in down,
            )
            for key, found in groups.items()
            if key not in reviewed
        ]
        return items[:limit]

    async def _reviewed(self, keys: list[str]) -> set[str]:
        done: set[str] = set()
        async with self.sessions() as session:
            for start in range(0, len(keys), BATCH):
                chunk = keys[start : start + BATCH]
                rows = await session.execute(
                    sa.select(InboxReview.tekst_sleutel).where(InboxReview.tekst_sleutel.in_(chunk))
                )
                done.update(rows.scalars())
        return done

    async def record(
        self, message: UserMessage, besluit: str, intent: str | None, door: str
    ) -> None:
        """Keep the decision, and log it in the audit log (the text masked, as shown)."""
        review = InboxReview(
            tekst_sleutel=text_key(message.text), besluit=besluit, intent=intent, door=door[:64]
        )
        logged = audit.entry(
            door,
            f"inbox_{besluit}",
            shown(message.text),
            intent=intent,
            voorspeld=message.predicted,
        )
        try:
            async with self.sessions() as session, session.begin():
                session.add_all([review, logged])
        except IntegrityError:
            pass  # a colleague decided on the same text a moment earlier
