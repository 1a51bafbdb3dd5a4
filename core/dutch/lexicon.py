"""Which words are Dutch: spaCy's Dutch lemma list (spacy-lookups-data), word forms and
lemmas alike.

No trained Dutch model can be installed here; the lemma list is the largest Dutch word
list that ships in a package (about 320,000 forms). It tells real words from keyboard
noise ("qwzp", "vrbk") and from other languages, not whether a sentence makes sense.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources


def lemma_list_words() -> frozenset[str]:
    """Every form and lemma in the lemma list, in lower case (empty if it is missing),
    read anew: a caller that keeps only a few of them does not hold them all."""
    try:
        data = resources.files("spacy_lookups_data") / "data" / "nl_lemma_lookup.json.gz"
        table: dict[str, str] = json.loads(gzip.decompress(data.read_bytes()))
    except (ModuleNotFoundError, OSError, ValueError):
        return frozenset()
    return frozenset(w.lower() for pair in table.items() for w in pair)


@lru_cache(maxsize=1)
def dutch_words() -> frozenset[str]:
    """The lemma list's words, kept once read (some 30 MB)."""
    return lemma_list_words()


def known_share(words: Iterable[str], also: frozenset[str] = frozenset()) -> float:
    """The share of `words` (lower case) that are Dutch or in `also`; 0 for no words."""
    listed = list(words)
    if not listed:
        return 0.0
    lexicon = dutch_words()
    return sum(w in lexicon or w in also for w in listed) / len(listed)
