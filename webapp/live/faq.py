"""FAQ answers a medewerker can put in their message box on the Live page.

Balie's own answers: the formal ("u") variant of every `utter_faq/<key>` in domain.yml,
with the gemeente's settings filled in (content/gemeente.yml, as Rasa fills its
`gemeente_*` slots), named by core/labels.py; and the answers staff added in the
console (webapp/staff/trainingdata.py), also before a model with them is live. The
medewerker edits before sending.
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


def _plain(responses: dict[str, Any]) -> dict[str, str]:
    """utter_faq/<key> -> the text of its variant without a condition (formal "u")."""
    found: dict[str, str] = {}
    for name, variants in responses.items():
        if not name.startswith(PREFIX) or not isinstance(variants, list):
            continue
        plain = [v for v in variants if "condition" not in v and v.get("text")]
        if plain:
            found[name[len(PREFIX) :]] = str(plain[0]["text"])
    return found


@functools.cache
def _templates(path: Path = DOMAIN_FILE) -> dict[str, str]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return _plain(data.get("responses") or {})


def answers(staff_responses: dict[str, Any] | None = None) -> list[Answer]:
    """Every FAQ answer, by its Dutch name; Balie's own win over a staff one's key."""
    values = gemeente_slots()
    found = []
    for key, template in (_plain(staff_responses or {}) | _templates()).items():
        label = FAQ_TOPICS.get(key)
        naam = label.naam if label else key.replace("_", " ").capitalize()
        tekst = SLOT_RE.sub(lambda m: values.get(m.group(1), m.group(0)), template)
        found.append(Answer(key, naam, tekst))
    return sorted(found, key=lambda a: a.naam.lower())
