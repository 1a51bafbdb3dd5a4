"""The Signalen category taxonomy, and proposing a sub category for a resident's description.

`load_categories()` reads `signalen-categories.json` (the upstream Signalen fixture, see
NOTICE-signalen.md): main categories and their active sub categories. Sub categories are keyed
by (main_slug, slug), because Signalen allows the same sub slug under two main categories;
`Taxonomy.get(slug)` resolves a sub slug when it is unambiguous.

`propose("de lantaarnpaal bij het park is kapot")` ranks sub categories with the keyword
rules in `content/categorieen.yml`: words and phrases residents use, matched on lower case,
accent-free tokens with light Dutch stemming (plurals, diminutives) and compound matching
("lantaarnpalen", "basketbalveldje"). Multi-word phrases weigh more. Pure Python, no model.
`choices()` is what the melding form offers: the best match and the runners-up that are
real evidence too, never ones that share only a hint word.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from core import ROOT

TAXONOMY_FILE = Path(__file__).with_name("signalen-categories.json")
KEYWORDS_FILE = ROOT / "content" / "categorieen.yml"


@dataclass(frozen=True)
class MainCategory:
    slug: str
    name: str


@dataclass(frozen=True)
class Category:
    """An active Signalen sub category with its main category."""

    slug: str
    name: str
    main_slug: str
    main_name: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.main_slug, self.slug)


@dataclass(frozen=True)
class Proposal:
    category: Category
    score: float


@dataclass(frozen=True)
class Taxonomy:
    """Main categories and active sub categories, in the fixture's order."""

    main_categories: tuple[MainCategory, ...]
    categories: tuple[Category, ...]
    _by_key: dict[tuple[str, str], Category] = field(repr=False, compare=False)
    _by_slug: dict[str, tuple[Category, ...]] = field(repr=False, compare=False)

    @classmethod
    def of(cls, mains: list[MainCategory], subs: list[Category]) -> Taxonomy:
        by_slug: dict[str, list[Category]] = {}
        for category in subs:
            by_slug.setdefault(category.slug, []).append(category)
        return cls(
            tuple(mains),
            tuple(subs),
            {c.key: c for c in subs},
            {slug: tuple(found) for slug, found in by_slug.items()},
        )

    def get(self, slug: str, main_slug: str | None = None) -> Category | None:
        """The sub category by slug ("ratten", or "overlast-van-dieren/ratten").

        None when unknown, inactive, or when the slug exists under several main categories
        and no main slug is given.
        """
        if main_slug is None and "/" in slug:
            main_slug, slug = slug.split("/", 1)
        if main_slug is not None:
            return self._by_key.get((main_slug, slug))
        found = self._by_slug.get(slug, ())
        return found[0] if len(found) == 1 else None

    def candidates(self, slug: str) -> tuple[Category, ...]:
        """Every active sub category with this slug (more than one if ambiguous)."""
        return self._by_slug.get(slug, ())

    def main(self, slug: str) -> MainCategory | None:
        return next((m for m in self.main_categories if m.slug == slug), None)

    def under(self, main_slug: str) -> list[Category]:
        return [c for c in self.categories if c.main_slug == main_slug]

    def __iter__(self) -> Iterator[Category]:
        return iter(self.categories)

    def __len__(self) -> int:
        return len(self.categories)

    def __contains__(self, slug: object) -> bool:
        return isinstance(slug, str) and slug in self._by_slug


def _parse_taxonomy(entries: list[dict[str, Any]]) -> Taxonomy:
    rows = [e for e in entries if e.get("model") == "signals.category"]
    mains = {
        row["pk"]: MainCategory(row["fields"]["slug"], row["fields"]["name"])
        for row in rows
        if row["fields"].get("parent") is None and row["fields"].get("is_active", True)
    }
    subs = [
        Category(
            row["fields"]["slug"],
            row["fields"]["name"],
            mains[row["fields"]["parent"]].slug,
            mains[row["fields"]["parent"]].name,
        )
        for row in rows
        if row["fields"].get("parent") in mains and row["fields"].get("is_active", True)
    ]
    return Taxonomy.of(list(mains.values()), subs)


@lru_cache(maxsize=4)
def load_categories(path: Path = TAXONOMY_FILE) -> Taxonomy:
    """The taxonomy (cached): main categories and active sub categories."""
    return _parse_taxonomy(json.loads(Path(path).read_text(encoding="utf-8")))


# --- text normalisation and light Dutch stemming -------------------------------------------

# Function words carry no category; negations ("niet", "geen") and "vol"/"kapot" do.
STOPWORDS = frozenset(
    (
        "de het een en in op van bij is zijn er aan te dat die dit deze met voor naar om of al "
        "ook nog wel maar ik we wij je u ze zij hij mijn ons onze hun mn daar hier heel erg "
        "echt zo als dan toen wordt worden werd was waren heeft hebben had staat staan ligt "
        "liggen zit zitten gaat gaan"
    ).split()
)

_VOWELS = set("aeiouy")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """Lower case, accent-free word tokens; "auto's" → "autos", "ov-fiets" → "ov", "fiets"."""
    text = _strip_accents(text.lower()).replace("'", "").replace("’", "")
    return re.findall(r"[a-z0-9]+", text)


def _undouble(word: str) -> str:
    """ "ratt" → "rat", "bakk" → "bak"."""
    if len(word) >= 3 and word[-1] == word[-2] and word[-1] not in _VOWELS:
        return word[:-1]
    return word


def _lengthen(word: str) -> str:
    """ "bot" → "boot", "strat" → "straat": an open syllable's vowel after "-en" is stripped."""
    if len(word) >= 3 and word[-1] not in _VOWELS and word[-2] in "aou" and word[-3] not in _VOWELS:
        return word[:-1] + word[-2] + word[-1]
    return word


def stem(word: str) -> str:
    """A crude Dutch stem: plural and diminutive endings off ("lantaarnpalen" → "lantaarnpaal").

    Only ever compared with other stems from this function, so consistency matters more than
    linguistic accuracy.
    """
    for _ in range(2):
        before = word
        word = _strip_suffix(word)
        if word == before:
            break
    return word


def _strip_suffix(word: str) -> str:
    for suffix in ("etjes", "tjes", "pjes", "jes", "etje", "tje", "pje", "je"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    if word.endswith("en") and len(word) >= 5:
        base = word[:-2]
        undoubled = _undouble(base)
        return undoubled if undoubled != base else _lengthen(base)
    if word.endswith("s") and len(word) >= 5 and word[-2] != "s":
        return word[:-1]
    if word.endswith("e") and len(word) >= 5 and word[-2] not in _VOWELS:
        return _undouble(word[:-1])
    return word


# --- keyword rules -------------------------------------------------------------------------

EXACT, STEM, COMPOUND, TYPO = 1.0, 0.95, 0.85, 0.7
MIN_TYPO = 7  # words this long match with one typo ("prullebak", "lantarnpaal")
PHRASE_BONUS = 0.5  # per extra content word of a phrase
MAX_GAP = 4  # a phrase's next word may be this far on ("het licht brandt al dagen niet")
MIN_COMPOUND = 4  # shortest keyword that matches as part of a compound
MIN_REST = 3  # and the rest of the compound is at least this long ("gevaar" is no "vaar")
OVERIG_FACTOR = 0.8  # the catch-all "overig" categories lose ties
# An alternative to the best match must itself be evidence, not noise: at least one
# full keyword (hint words such as "kapot" weigh 0.5) and a fair share of the best score.
MIN_ALTERNATIVE = 1.0
ALTERNATIVE_SHARE = 0.4


@dataclass(frozen=True)
class Term:
    """One keyword or phrase: its content words (and stems) and its weight."""

    text: str
    words: tuple[str, ...]
    stems: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class Rule:
    category: Category
    terms: tuple[Term, ...]
    required: tuple[Term, ...] = ()


def _term(text: str, weight: float = 1.0) -> Term | None:
    words = tuple(tokens(text))
    content = [w for w in words if w not in STOPWORDS]
    if not content:
        return None
    bonus = 1 + PHRASE_BONUS * (len(content) - 1)
    return Term(text, words, tuple(stem(w) for w in words), weight * bonus)


def _terms(items: list[Any]) -> tuple[Term, ...]:
    """YAML items: "lantaarnpaal" or {"jongeren": 2} (a weight)."""
    found: list[Term | None] = []
    for item in items or []:
        if isinstance(item, dict):
            found.extend(_term(str(k), float(v)) for k, v in item.items())
        else:
            found.append(_term(str(item)))
    return tuple(t for t in found if t is not None)


def _rule(category: Category, spec: Any) -> Rule:
    if isinstance(spec, dict):
        return Rule(category, _terms(spec.get("woorden", [])), _terms(spec.get("vereist", [])))
    return Rule(category, _terms(spec))


def _resolve(taxonomy: Taxonomy, key: str) -> Category:
    category = taxonomy.get(key)
    if category is None:
        raise ValueError(f"categorieen.yml: unknown or ambiguous sub category {key!r}")
    return category


@lru_cache(maxsize=4)
def load_rules(path: Path = KEYWORDS_FILE, taxonomy_path: Path = TAXONOMY_FILE) -> tuple[Rule, ...]:
    """The keyword rules per sub category from `content/categorieen.yml` (cached)."""
    taxonomy = load_categories(taxonomy_path)
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    specs = data.get("categorieen") or {}
    return tuple(_rule(_resolve(taxonomy, str(key)), spec) for key, spec in specs.items())


def missing_rules(
    path: Path = KEYWORDS_FILE, taxonomy_path: Path = TAXONOMY_FILE
) -> list[Category]:
    """Active sub categories without keywords (should be none)."""
    covered = {rule.category.key for rule in load_rules(path, taxonomy_path) if rule.terms}
    return [c for c in load_categories(taxonomy_path) if c.key not in covered]


# --- matching ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    words: tuple[str, ...]
    stems: tuple[str, ...]


def _word_match(text: _Text, i: int, word: str, word_stem: str) -> float:
    """How well text word i matches a keyword word: exact, stem, or part of a compound."""
    if text.words[i] == word:
        return EXACT
    if text.words[i] in STOPWORDS:
        return 0.0  # "bij" (at) is no "bijen" (bees)
    if text.stems[i] == word_stem:
        return STEM
    if len(word_stem) >= MIN_COMPOUND and len(text.stems[i]) >= len(word_stem) + MIN_REST:
        candidate, original = text.stems[i], text.words[i]
        if _compound_part(candidate, word_stem) or _compound_part(original, word):
            return COMPOUND
    if len(word) >= MIN_TYPO and _one_edit(text.words[i], word):
        return TYPO
    return 0.0


def _compound_part(compound: str, part: str) -> bool:
    """`part` is how `compound` begins or ends, and no longer keyword there holds it: in
    "stoeptegel" the end is "tegel", so "egel" (a hedgehog) is no part of it."""
    if compound.startswith(part):
        heads = _extensions(part, at_end=False)
        if not any(compound.startswith(v) and _smaller(v, compound) for v in heads):
            return True
    if compound.endswith(part):
        tails = _extensions(part, at_end=True)
        return not any(compound.endswith(v) and _smaller(v, compound) for v in tails)
    return False


def _smaller(keyword: str, compound: str) -> bool:
    # A keyword that is the whole compound ("stoeptegel" in "stoeptegels") says nothing
    # about how the compound is split.
    return len(keyword) < len(compound) and stem(keyword) != stem(compound)


@lru_cache(maxsize=4096)
def _extensions(part: str, at_end: bool) -> tuple[str, ...]:
    """The longer keyword words (and stems) that end (or begin) with `part`."""
    terms = (t for rule in load_rules() for t in (*rule.terms, *rule.required))
    vocabulary = {w for t in terms for w in (*t.words, *t.stems)}
    if at_end:
        return tuple(v for v in vocabulary if len(v) > len(part) and v.endswith(part))
    return tuple(v for v in vocabulary if len(v) > len(part) and v.startswith(part))


def _one_edit(a: str, b: str) -> bool:
    """True if a and b differ by one inserted, deleted, replaced or swapped letter."""
    if abs(len(a) - len(b)) > 1 or a[0] != b[0] or a == b:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    if a[i + 1 :] == b[i + 1 :]:
        return True
    swapped = i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i]
    return swapped and a[i + 2 :] == b[i + 2 :]


def _match(text: _Text, term: Term) -> tuple[float, tuple[int, ...]]:
    """The best occurrence of a term: (quality, positions); (0, ()) if absent."""
    best: tuple[float, tuple[int, ...]] = (0.0, ())
    for start in range(len(text.words)):
        quality = _word_match(text, start, term.words[0], term.stems[0])
        if not quality:
            continue
        positions, total = [start], quality
        for word, word_stem in zip(term.words[1:], term.stems[1:], strict=True):
            found = _next(text, positions[-1], word, word_stem)
            if found is None:
                break
            positions.append(found[0])
            total += found[1]
        else:
            score = total / len(term.words)
            if score > best[0]:
                best = (score, tuple(positions))
    return best


def _next(text: _Text, after: int, word: str, word_stem: str) -> tuple[int, float] | None:
    for j in range(after + 1, min(after + 1 + MAX_GAP, len(text.words))):
        if quality := _word_match(text, j, word, word_stem):
            return j, quality
    return None


def _score(rule: Rule, text: _Text) -> float:
    """Sum of matched terms; each text word counts for at most one term of the rule."""
    if rule.required and not any(_match(text, t)[0] for t in rule.required):
        return 0.0
    matches = []
    for term in rule.terms:
        quality, positions = _match(text, term)
        if quality:
            matches.append((term.weight * quality, positions))
    used: set[int] = set()
    total = 0.0
    for score, positions in sorted(matches, key=lambda m: -m[0]):
        if used.isdisjoint(positions):
            used.update(positions)
            total += score
    if rule.category.slug.startswith("overig"):
        total *= OVERIG_FACTOR
    return total


# Dutch intensifiers glued to a noun ("megagat", "reuzenkuil"):
# the noun decides the category, and a keyword as short as "gat" is too short to match
# as part of a compound.
INTENSIFIERS = ("mega", "giga", "reuzen", "reuze", "kei", "knoert")


def _without_intensifier(word: str) -> str:
    for prefix in INTENSIFIERS:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return word[len(prefix) :]
    return word


def prepare(text: str) -> _Text:
    words = tuple(_without_intensifier(w) for w in tokens(text))
    return _Text(words, tuple(stem(w) for w in words))


def propose(omschrijving: str, limit: int = 3) -> list[Proposal]:
    """The most likely sub categories for a description, best first; [] if nothing matches."""
    text = prepare(omschrijving)
    if not any(w not in STOPWORDS for w in text.words):
        return []
    scored = [(_score(rule, text), index, rule) for index, rule in enumerate(load_rules())]
    ranked = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))
    return [Proposal(rule.category, round(score, 3)) for score, _, rule in ranked[:limit]]


def choices(omschrijving: str, alternatives: int = 3) -> list[Proposal]:
    """The best match first, then at most `alternatives` other plausible ones; [] if none.

    What the melding form offers as buttons: the runners-up only when the description
    really points at them too (`MIN_ALTERNATIVE`, `ALTERNATIVE_SHARE`), so a lamp post
    never gets "Container is kapot" because both mention "kapot".
    """
    ranked = propose(omschrijving, limit=alternatives + 1)
    if not ranked:
        return []
    best, *rest = ranked
    floor = max(MIN_ALTERNATIVE, best.score * ALTERNATIVE_SHARE)
    return [best, *(p for p in rest if p.score >= floor)]
