"""FAQ answers a medewerker can put in their message box on the Live page.

Balie's own answers: the formal ("u") variant of every `utter_faq/<key>` in domain.yml,
with the gemeente's settings filled in (content/gemeente.yml, as Rasa fills its
`gemeente_*` slots), named by core/labels.py. The medewerker edits before sending.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from core import ROOT
from core.content import gemeente_slots
from core.labels import FAQ_TOPICS

DOMAIN_FILE = ROOT / "domain.yml"
PREFIX = "utter_faq/"
SLOT_RE = re.compile(r"\{(gemeente_[a-z_]+)\}")


@dataclass(frozen=True)
class Answer:
    key: str
    naam: str  # Dutch, from core/labels.py
    tekst: str


@functools.cache
def _templates(path: Path = DOMAIN_FILE) -> dict[str, str]:
    """utter_faq/<key> -> the text of its variant without a condition (formal "u")."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    found: dict[str, str] = {}
    for name, variants in (data.get("responses") or {}).items():
        if not name.startswith(PREFIX):
            continue
        plain = [v for v in variants if "condition" not in v and v.get("text")]
        if plain:
            found[name[len(PREFIX) :]] = str(plain[0]["text"])
    return found


def answers() -> list[Answer]:
    """Every FAQ answer, by its Dutch name."""
    values = gemeente_slots()
    found = []
    for key, template in _templates().items():
        label = FAQ_TOPICS.get(key)
        naam = label.naam if label else key.replace("_", " ").capitalize()
        tekst = SLOT_RE.sub(lambda m: values.get(m.group(1), m.group(0)), template)
        found.append(Answer(key, naam, tekst))
    return sorted(found, key=lambda a: a.naam.lower())
