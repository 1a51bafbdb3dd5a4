"""Grouping the questions Balie could not answer by similarity (char n-gram TF-IDF)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from webapp.staff.similarity import vectors
from webapp.staff.tracker import shown

# Two questions belong together above this cosine similarity of their n-gram vectors.
SIMILAR = 0.5
EXAMPLES = 3


@dataclass
class Group:
    count: int
    examples: list[tuple[int, str]] = field(default_factory=list)  # (event id, masked text)


def texts_of(rows: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """(event id, typed text) from raw event data; button presses and junk left out."""
    found = []
    for event_id, data in rows:
        try:
            text = json.loads(data).get("text") or ""
        except (TypeError, ValueError, AttributeError):
            continue
        if isinstance(text, str) and text.strip() and not text.startswith("/"):
            found.append((event_id, text.strip()))
    return found


def group(messages: list[tuple[int, str]]) -> list[Group]:
    """Greedy single pass: each message joins the first group whose leader it resembles.

    Biggest groups first; examples are masked, as everything staff read."""
    if not messages:
        return []
    matrix = vectors([text for _, text in messages])
    leaders: list[int] = []
    groups: list[Group] = []
    for index, (event_id, text) in enumerate(messages):
        similarity = (matrix[leaders] @ matrix[index].T).toarray().ravel() if leaders else []
        best = max(range(len(leaders)), key=lambda i: similarity[i], default=None)
        if best is not None and similarity[best] >= SIMILAR:
            chosen = groups[best]
        else:
            leaders.append(index)
            chosen = Group(0)
            groups.append(chosen)
        chosen.count += 1
        if len(chosen.examples) < EXAMPLES:
            chosen.examples.append((event_id, shown(text)))
    return sorted(groups, key=lambda g: -g.count)
