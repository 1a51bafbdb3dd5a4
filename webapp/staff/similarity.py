"""Which texts look alike: character n-gram TF-IDF vectors and their cosine similarity.

One way of comparing texts for the console: the overview groups the questions Balie
could not answer with it (insight_groups), and a trainer who adds an example sees the
nearest existing examples when they mostly belong to another intent (trainingdata).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

# A new example "looks like" an existing one from this cosine similarity on; below it
# short texts share little more than word parts ("prieel" and "prima": 0,39).
ALIKE = 0.45
# How many nearest examples are shown and vote on the intent the new one looks like.
NEAREST = 5


def vectoriser() -> Any:
    """Character n-grams within words: robust to typos, plurals and compound words."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # slow import: only here

    return TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4), lowercase=True)


def vectors(texts: list[str]) -> Any:
    """Rows of unit length: a product of two rows is their cosine similarity."""
    return vectoriser().fit_transform(texts)


@dataclass(frozen=True)
class Neighbour:
    text: str
    intent: str
    similarity: float


@dataclass(frozen=True)
class Lookalike:
    """A new example whose nearest examples mostly belong to another intent."""

    text: str
    chosen: str
    other: str  # the intent most of the nearest examples have
    nearest: list[Neighbour]


class ExampleSpace:
    """Every training example as a vector, to find the nearest ones to a new text.

    Built once from all examples (under a second for Balie's data); examples added
    later are placed in the same space without fitting it again."""

    def __init__(self, examples: list[tuple[str, str]]) -> None:
        self.texts = [text for text, _ in examples]
        self.intents = [intent for _, intent in examples]
        self._vectoriser = vectoriser()
        self._matrix = self._vectoriser.fit_transform(self.texts)

    def add(self, text: str, intent: str) -> None:
        from scipy.sparse import vstack  # slow import: only here

        self._matrix = vstack([self._matrix, self._vectoriser.transform([text])], "csr")
        self.texts.append(text)
        self.intents.append(intent)

    def nearest(self, text: str, count: int = NEAREST) -> list[Neighbour]:
        similarity = (self._matrix @ self._vectoriser.transform([text]).T).toarray().ravel()
        best = similarity.argsort()[::-1][:count]
        return [
            Neighbour(self.texts[i], self.intents[i], round(float(similarity[i]), 3)) for i in best
        ]

    def lookalike(self, text: str, chosen: str) -> Lookalike | None:
        """The other intent when most of the nearest examples that look like text have
        it (and fewer have the chosen one); None when the choice fits."""
        return judge(text, chosen, self.nearest(text))


def judge(text: str, chosen: str, nearest: list[Neighbour]) -> Lookalike | None:
    votes = Counter(n.intent for n in nearest if n.similarity >= ALIKE)
    if not votes:
        return None
    other, count = votes.most_common(1)[0]
    if other == chosen or count <= NEAREST // 2 or votes[chosen] >= count:
        return None
    return Lookalike(text, chosen, other, nearest)
