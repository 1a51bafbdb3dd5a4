"""How readable Balie's Dutch is: every text a resident reads, scored as they read it.

`python -m bot.readability` (`make readability`) prints the figures per text set;
tests/test_readability.py holds every set to the limits below, set just at today's level,
so a longer, harder text fails there.

The texts: every variant of every response in `domain.yml` ("faq" for `utter_faq/*`,
"dialoog" for the rest) and every sentence in `core/residents/texts.py` ("python"), the one
home of the Dutch that Balie's Python says itself. A text is scored as a resident reads
it: placeholders filled (the municipality's settings from the content file, sample values
for what the actions pass), a markdown link as its words, a list item as a sentence.

The measure is Flesch–Douma, the Dutch Flesch reading ease (206.835 − 0.93 × words per
sentence − 77 × syllables per word; higher is easier, B1 is about 60 and up), with
syllables from textstat's Dutch hyphenation (Pyphen). Sentences and words are counted
here rather than by textstat: its sentence count splits "8.30 uur" and
"info@lindewaard.example" at their dots and ignores sentences of two words. LIX (words
per sentence + the percentage of words over six letters; lower is easier) is reported too.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import re
import statistics
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import textstat
import yaml

from core import ROOT, content
from core.links import segments

textstat.set_lang("nl")

# What the actions pass to a response (actions/*.py), as a resident would read it.
SAMPLES = {
    "soort": "melding",
    "identificatie": "M-2026-000123",
    "zaaknummer": "M-2026-000123",
    "controlecode": "K7P2QX",
    "status": "in behandeling",
    "toelichting": "De lamp wordt volgende week vervangen.",
    "omschrijving": "De lantaarnpaal bij het park is kapot.",
    "categorie_naam": "Straatverlichting",
    "locatie_tekst": "Parkweg 1",
    "tijdstip_tekst": "gisteravond om 23.00 uur",
    "fotos_tekst": "1",
    "contact_tekst": "naam@voorbeeld.nl",
    "voorkeur": "morgenochtend",
    "aantal": "1",
    "tot": "om 14:35",
    "straat": "de Ringweg",
    "datum": "2 december",
    "wanneer": "maandag 7 december tussen 8.30 en 17.00 uur",
    "positie": "2",
    "wachttijd": "Het duurt nog zo'n 4 minuten.",
}
# Arguments of the functions in texts.py, by parameter name.
ARGUMENTS: dict[str, Any] = {
    "max_length": 1000,
    "telefoon": "14 0123",
    "naam": "Marieke",
    "collega": "Joost",
    "soort": "melding",
    "identificatie": "M-2026-000123",
    "controlecode": "AB3K7P",
    "wanneer": "vandaag vóór 17.00 uur",
    "beschikbaar": True,
    "minuten": 4,
}

SETS = ("faq", "dialoog", "python")


@dataclass(frozen=True)
class Limits:
    min_score: float  # every text's Flesch–Douma at least this
    mean_score: float  # the set's mean at least this
    sentence_words: int  # no sentence longer
    text_words: int  # no text longer
    lines: int  # no text with more lines
    first_sentence_words: int  # the sentence that answers comes first, and is short


# Just at the level of the rewritten texts (docs/nlu.md, "B1 answers"): raise a score or
# lower a length when the texts get better, never the other way round.
LIMITS = {
    "faq": Limits(
        min_score=59, mean_score=75, sentence_words=24, text_words=93, lines=6,
        first_sentence_words=16,
    ),
    "dialoog": Limits(
        min_score=53, mean_score=86, sentence_words=21, text_words=57, lines=8,
        first_sentence_words=13,
    ),
    "python": Limits(
        min_score=56, mean_score=85, sentence_words=16, text_words=100, lines=6,
        first_sentence_words=15,
    ),
}  # fmt: skip
# A Flesch score over a button-sized text ("Geen statusberichten meer over uw meldingen")
# says little: one long word decides it. Shorter texts are held to the lengths only.
SCORED_FROM_WORDS = 8

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# A sentence ends at . ! ? followed by a space, or at the end of a line: "8.30 uur",
# "info@lindewaard.example" and "M-2026-000123" stay one word.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")
_WORD = re.compile(r"[^\W_][\w@.'’/-]*[^\W_]|[^\W_]")
_BULLET = re.compile(r"^\s*(?:[-•*]|\d+[.)])\s+", re.MULTILINE)


@dataclass(frozen=True)
class Text:
    set: str
    name: str  # "utter_faq/pgb", "utter_faq/pgb (je)", "texts.FORGET_ASK"
    raw: str


@dataclass(frozen=True)
class Figures:
    score: float  # Flesch–Douma
    lix: float
    sentences: int
    words: int
    lines: int
    longest_sentence: int  # words
    first_sentence: int  # words, a setting filled in counting as one


def read_as_resident(raw: str, values: dict[str, str]) -> str:
    """The text as shown: placeholders filled, links as their words, bullets gone."""
    missing = set(_PLACEHOLDER.findall(raw)) - set(values)
    if missing:
        raise KeyError(f"no sample value for {sorted(missing)} (bot/readability.py SAMPLES)")
    filled = _PLACEHOLDER.sub(lambda m: values[m.group(1)], raw)
    shown = "".join(piece for piece, _ in segments(filled))
    return _BULLET.sub("", shown).strip()


def sentences(shown: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(shown) if words(s)]


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def measure(shown: str, template: str | None = None) -> Figures:
    """The figures of a text as shown; `template`: the same with each setting as one word,
    for the first sentence (the opening hours are the answer, not a long sentence)."""
    found = sentences(shown)
    lengths = [len(words(s)) for s in found] or [0]
    every = [w for s in found for w in words(s)]
    n = max(len(every), 1)
    syllables = sum(textstat.syllable_count(w) for w in every)
    per_sentence = len(every) / max(len(found), 1)
    long_words = sum(1 for w in every if len(w) > 6)
    return Figures(
        score=round(206.835 - 0.93 * per_sentence - 77 * syllables / n, 1),
        lix=round(per_sentence + 100 * long_words / n, 1),
        sentences=len(found),
        words=len(every),
        lines=len([line for line in shown.splitlines() if line.strip()]),
        longest_sentence=max(lengths),
        first_sentence=len(words((sentences(template or shown) or [""])[0])),
    )


# --- the texts ---------------------------------------------------------------------------


def domain_texts(domain_file: Path) -> Iterator[Text]:
    """Every variant of every response; a conditional one named by its condition's value."""
    domain = yaml.safe_load(domain_file.read_text(encoding="utf-8"))
    for name, variants in domain.get("responses", {}).items():
        for variant in variants:
            if not variant.get("text"):
                continue
            conditions = variant.get("condition") or []
            label = "".join(f" ({c.get('value')})" for c in conditions)
            kind = "faq" if name.startswith("utter_faq/") else "dialoog"
            yield Text(kind, f"{name}{label}", variant["text"])


def python_texts(module: ModuleType) -> Iterator[Text]:
    """Every public sentence of a texts module: its string constants, and its functions
    called with sample arguments (ARGUMENTS, by parameter name)."""
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        if name.isupper() and isinstance(value, str):
            yield Text("python", f"texts.{name}", value)
        elif inspect.isfunction(value) and value.__module__ == module.__name__:
            yield Text("python", f"texts.{name}()", _call(value))


def _call(function: Callable[..., str]) -> str:
    params = inspect.signature(function).parameters
    return function(**{p: ARGUMENTS[p] for p in params})


def load_texts_module(root: Path) -> ModuleType:
    """core/residents/texts.py of the checkout at `root` (this one, or another to compare)."""
    if root.resolve() == ROOT.resolve():
        from core.residents import texts

        return texts
    spec = importlib.util.spec_from_file_location(
        "balie_texts_elsewhere", root / "core" / "residents" / "texts.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def all_texts(root: Path = ROOT) -> list[Text]:
    return [*domain_texts(root / "domain.yml"), *python_texts(load_texts_module(root))]


def values() -> dict[str, str]:
    return {**content.gemeente_slots(content.DEFAULT_CONTENT_FILE), **SAMPLES}


def scored(root: Path = ROOT) -> list[tuple[Text, Figures]]:
    known = values()
    one_word = dict.fromkeys(known, "x")
    return [
        (t, measure(read_as_resident(t.raw, known), read_as_resident(t.raw, one_word)))
        for t in all_texts(root)
    ]


# --- the report --------------------------------------------------------------------------


def summary(rows: list[tuple[Text, Figures]], kind: str) -> dict[str, Any]:
    mine = [(t, f) for t, f in rows if t.set == kind]
    if not mine:
        return {"texts": 0}
    worst = min((r for r in mine if r[1].words >= SCORED_FROM_WORDS), key=lambda r: r[1].score)
    longest = max(mine, key=lambda r: r[1].longest_sentence)
    biggest = max(mine, key=lambda r: r[1].words)
    return {
        "texts": len(mine),
        "mean_score": round(statistics.mean(f.score for _, f in mine), 1),
        "min_score": (worst[1].score, worst[0].name),
        "mean_lix": round(statistics.mean(f.lix for _, f in mine), 1),
        "longest_sentence": (longest[1].longest_sentence, longest[0].name),
        "longest_text_words": (biggest[1].words, biggest[0].name),
        "most_lines": max(f.lines for _, f in mine),
        "longest_first_sentence": max(f.first_sentence for _, f in mine),
        "mean_words": round(statistics.mean(f.words for _, f in mine), 1),
    }


def report(root: Path, worst: int) -> str:
    rows = scored(root)
    out = [f"Readability of the resident texts in {root} (Flesch–Douma: higher is easier)"]
    for kind in SETS:
        s = summary(rows, kind)
        if not s["texts"]:
            continue
        out += [
            "",
            f"{kind}: {s['texts']} texts, Flesch–Douma mean {s['mean_score']}, "
            f"min {s['min_score'][0]} ({s['min_score'][1]}); LIX mean {s['mean_lix']}",
            f"  longest sentence {s['longest_sentence'][0]} words ({s['longest_sentence'][1]}); "
            f"longest text {s['longest_text_words'][0]} words ({s['longest_text_words'][1]}), "
            f"mean {s['mean_words']}; most lines {s['most_lines']}; "
            f"longest first sentence {s['longest_first_sentence']} words",
            f"  limits: {LIMITS[kind]}",
        ]
        hardest = sorted(
            (r for r in rows if r[0].set == kind and r[1].words >= SCORED_FROM_WORDS),
            key=lambda r: r[1].score,
        )
        for text, f in hardest[:worst]:
            out.append(
                f"    {f.score:6.1f}  lix {f.lix:5.1f}  longest {f.longest_sentence:2d}  "
                f"words {f.words:3d}  {text.name}"
            )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.readability", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout to score")
    parser.add_argument("--worst", type=int, default=5, help="list this many hardest texts")
    args = parser.parse_args(argv)
    print(report(args.root, args.worst))
    return 0


if __name__ == "__main__":
    sys.exit(main())
