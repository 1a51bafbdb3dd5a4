"""Thumbs up/down under Balie's answers on Telegram (issue #16).

Each offer gets random callback data bound to its chat, so a click is only accepted
for a button Balie really sent there (an update can carry any callback data). Offers
live in this process: after a restart an old button is answered "no longer offered".
A chat is offered feedback at most once per topic; the web app's unique key on
(conversation, topic) keeps that true across restarts and instances, too.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core import feedback

if TYPE_CHECKING:
    from telegram import InlineKeyboardMarkup

PREFIX = "fb:"
GOOD, BAD = "g", "n"
CAPACITY = 20_000


def _data(verdict: str, token: str) -> str:
    return f"{PREFIX}{verdict}:{token}"  # well under Telegram's 64 bytes


@dataclass(frozen=True)
class Offer:
    chat_id: str
    topic: str
    question: str  # the resident's message that was answered (masked by the web app)
    answer: str


class FeedbackOffers:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._offers: OrderedDict[str, Offer] = OrderedDict()
        self._offered: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._heard: OrderedDict[str, str] = OrderedDict()

    def heard(self, chat_id: str, text: str) -> None:
        """The resident's latest typed message: what the next answer answers."""
        self._heard[chat_id] = text
        self._heard.move_to_end(chat_id)
        self._trim(self._heard)

    def offer(self, chat_id: str, topic: str, answer: str) -> InlineKeyboardMarkup | None:
        """The buttons for this answer; None when this chat was asked about the topic before."""
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup

        if (chat_id, topic) in self._offered:
            return None  # never nagging: one request per topic per conversation
        self._offered[(chat_id, topic)] = None
        self._trim(self._offered)
        token = secrets.token_urlsafe(12)
        self._offers[token] = Offer(chat_id, topic, self._heard.get(chat_id, ""), answer)
        self._trim(self._offers)
        return InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        f"👍 {feedback.GOOD_LABEL}", callback_data=f"{PREFIX}{GOOD}:{token}"
                    ),
                    InlineKeyboardButton(
                        f"👎 {feedback.BAD_LABEL}", callback_data=f"{PREFIX}{BAD}:{token}"
                    ),
                ]
            ]
        )

    @staticmethod
    def is_feedback(data: str) -> bool:
        return data.startswith(PREFIX)

    def take(self, chat_id: str, data: str) -> tuple[Offer, bool] | None:
        """The offer behind a click in this chat and whether it was a thumbs up; None when
        Balie did not offer it here (or no longer knows it). Each offer is taken once."""
        verdict, _, token = data[len(PREFIX) :].partition(":")
        offer = self._offers.get(token)
        if verdict not in (GOOD, BAD) or offer is None or offer.chat_id != chat_id:
            return None
        del self._offers[token]
        return offer, verdict == GOOD

    def _trim(self, table: OrderedDict) -> None:
        while len(table) > self.capacity:
            table.popitem(last=False)
