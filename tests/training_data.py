"""Reading Balie's training data the way Rasa reads it."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from core import ROOT
from webapp.staff.training import load_nlu

SHARED = ROOT.parent / "shared"
PERSONAS = SHARED / "spec" / "personas.md"
XSID = SHARED / "reference" / "xsid-nl-valid.conll"
# Utterances written apart from nlu_data/ to score the NLU on: never training data.
HELDOUT = ROOT / "tests" / "data" / "heldout_nlu.yml"


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


@cache
def nlu_examples(path: Path | None = None) -> list[tuple[str, str]]:
    """(full intent, plain text) for every example of nlu_data/ or one file, markup removed."""
    data = load_nlu([path] if path else None)
    return [
        (m.get("intent_response_key") or m.get("intent"), m.get("text"))
        for m in data.intent_examples
    ]


def persona_sentences() -> list[str]:
    """The residents' quoted sentences in personas.md (the acceptance tests)."""
    text = PERSONAS.read_text(encoding="utf-8")
    return [" ".join(s.split()) for s in re.findall(r'"([^"]{12,})"', text)]


def xsid_utterances() -> list[str]:
    return [
        line.removeprefix("# text = ").strip()
        for line in XSID.read_text(encoding="utf-8").splitlines()
        if line.startswith("# text = ")
    ]
