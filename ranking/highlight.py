"""Snippets: the passage of a record that best matches the query, terms in <mark>.

The text is HTML-escaped before marks are added, so a snippet is safe to render.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from indexer.schema import Innovation
from indexer.text import Analyzer

SNIPPET_FIELDS = ("problem", "solution", "impact")
WINDOW = 32
WORD = re.compile(r"\S+")
EDGES = re.compile(r"(\W*)(.*?)(\W*)", re.DOTALL)


def _mark(word: str) -> str:
    """Mark the word itself, not the punctuation around it ("<mark>panjang</mark>.")."""
    lead, core, trail = EDGES.fullmatch(word).groups()  # type: ignore[union-attr]
    return str(escape(lead) + Markup("<mark>{}</mark>").format(core) + escape(trail))


def _marked(words: list[str], hits: set[int]) -> str:
    return " ".join(_mark(w) if i in hits else str(escape(w)) for i, w in enumerate(words))


def _matching(analyzer: Analyzer, words: list[str], terms: set[str]) -> set[int]:
    return {i for i, w in enumerate(words) if any(t in terms for t in analyzer.tokens(w))}


def snippet(record: Innovation, terms: set[str], analyzer: Analyzer) -> str:
    """Best window of the best field; without matches, the start of the problem."""
    best: tuple[int, list[str], int, set[int]] | None = None
    for name in SNIPPET_FIELDS:
        words = WORD.findall(getattr(record, name) or "")
        hits = _matching(analyzer, words, terms) if terms else set()
        for start in sorted(hits) or [0]:
            lo = max(0, min(start - WINDOW // 4, len(words) - WINDOW))
            count = sum(lo <= h < lo + WINDOW for h in hits)
            if best is None or count > best[0]:
                best = (count, words, lo, hits)
    assert best is not None
    _, words, lo, hits = best
    window = words[lo : lo + WINDOW]
    text = _marked(window, {h - lo for h in hits})
    return ("… " if lo > 0 else "") + text + (" …" if lo + WINDOW < len(words) else "")
