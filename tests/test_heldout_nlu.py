"""Utterance-level scores on residents' messages Balie was never trained on.

tests/data/heldout_nlu.yml was written apart from nlu_data/ (other words and shapes) and
is never training data (tests/test_data.py checks no example copies it). The model is the
test run's usual one, trained on 80% of nlu_data/.
"""

from __future__ import annotations

from collections import Counter

import pytest

from core.residents.choices import CANDIDATES_KEY, CLARIFY_INTENT
from tests.client import full_intent, parse_all
from tests.training_data import HELDOUT, nlu_examples

pytestmark = [pytest.mark.stack, pytest.mark.asyncio(loop_scope="session")]

# Issue #14's goal is 0.97 of messages not trained on ending as the resident wanted.
# A message Balie is unsure about gets "Bedoelt u ...?" (rasa_plugins/nlu/clarify.py):
# that ends as wanted when the right answer is among the buttons, so it counts as right
# then ("understood"); a question without it counts as wrong, like a wrong guess. The
# floors are a point under the measured levels (docs/nlu.md), so a regression fails.
MIN_INTENT_ACCURACY = 0.975
# FAQ topics included (faq/pgb against faq/wmo_zorgloket counts as wrong).
MIN_FULL_ACCURACY = 0.97
# Right at once, without a question: asking must not replace understanding.
MIN_AT_ONCE = 0.945


def understood(truth: str, parse_data: dict) -> str:
    """What the resident ends up with: the prediction, or for "Bedoelt u ...?" the
    right answer when it is among the buttons."""
    predicted = full_intent(parse_data)
    if predicted != CLARIFY_INTENT:
        return predicted
    offered = [c["keuze"] for c in parse_data[CANDIDATES_KEY]["kandidaten"]]
    if truth in offered:
        return truth
    return predicted


def confusion(pairs: list[tuple[str, str]]) -> list[str]:
    """One line per true label with mistakes: what it was taken for, how often."""
    wrong: dict[str, Counter[str]] = {}
    totals = Counter(truth for truth, _ in pairs)
    for truth, predicted in pairs:
        if truth != predicted:
            wrong.setdefault(truth, Counter())[predicted] += 1
    return [
        f"  {truth:<28} {totals[truth] - sum(c.values()):>3}/{totals[truth]:<3} right; taken for "
        + ", ".join(f"{label} {n}" for label, n in c.most_common())
        for truth, c in sorted(wrong.items())
    ]


async def test_intents_of_unseen_messages(stack, http) -> None:
    held_out = nlu_examples(HELDOUT)
    results = await parse_all(http, stack, [text for _, text in held_out])
    pairs = list(zip(held_out, results, strict=True))
    full = [(truth, understood(truth, r)) for (truth, _), r in pairs]
    at_once = sum(truth == full_intent(r) for (truth, _), r in pairs) / len(pairs)
    asked = sum(full_intent(r) == CLARIFY_INTENT for _, r in pairs) / len(pairs)
    base = [(t.split("/")[0], p.split("/")[0]) for t, p in full]
    intent_accuracy = sum(t == p for t, p in base) / len(base)
    full_accuracy = sum(t == p for t, p in full) / len(full)
    print(
        f"\nheld-out ({HELDOUT.name}): {len(full)} utterances, intent accuracy "
        f"{intent_accuracy:.3f}, with FAQ topics {full_accuracy:.3f}; right at once "
        f"{at_once:.3f}, asked 'Bedoelt u' {asked:.3f}"
    )
    print("confusion (intents):", *confusion(base), sep="\n")
    print("confusion (with FAQ topics):", *confusion(full), sep="\n")
    for (truth, text), (_, predicted) in zip(held_out, full, strict=True):
        if truth != predicted:
            print(f"  wrong: {text!r}: {truth} -> {predicted}")
    assert intent_accuracy >= MIN_INTENT_ACCURACY
    assert full_accuracy >= MIN_FULL_ACCURACY
    assert at_once >= MIN_AT_ONCE
