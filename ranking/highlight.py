"""Snippets: the passage of a record that best matches the query, terms in <mark>.

The text is HTML-escaped before marks are added, so a snippet is safe to render. The
work is bounded whatever a record holds: only the first MAX_SCAN_WORDS words of a field
are looked at, the best window is found in one pass over the matches, and a "word"
longer than MAX_WORD_CHARS is shown cut short.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from markupsafe import Markup, escape

from indexer.schema import Innovation
from indexer.text import Analyzer

SNIPPET_FIELDS = ("problem", "solution", "impact")
WINDOW = 32
MAX_SCAN_WORDS = 2_000
MAX_WORD_CHARS = 60
WORD = re.compile(r"\S+")
EDGES = re.compile(r"(\W*)(.*?)(\W*)", re.DOTALL)


def _shown(word: str) -> str:
    return word if len(word) <= MAX_WORD_CHARS else word[:MAX_WORD_CHARS] + "…"


def _mark(word: str) -> str:
    """Mark the word itself, not the punctuation around it ("<mark>panjang</mark>.")."""
    lead, core, trail = EDGES.fullmatch(word).groups()  # type: ignore[union-attr]
    return str(escape(lead) + Markup("<mark>{}</mark>").format(core) + escape(trail))


def _marked(words: list[str], hits: set[int]) -> str:
    return " ".join(_mark(w) if i in hits else str(escape(w)) for i, w in enumerate(words))


def _matching(analyzer: Analyzer, words: list[str], terms: set[str]) -> list[int]:
    """Positions of the words that produce a query term, in order."""
    return [i for i, w in enumerate(words) if any(t in terms for t in analyzer.word_tokens(w))]


def _best_window(hits: list[int], length: int) -> tuple[int, int]:
    """(matches inside, start) of the best WINDOW-word window starting near a match.

    ``hits`` is sorted, so counting a window's matches is two binary searches.
    """
    best = (0, 0)
    for start in hits:
        lo = max(0, min(start - WINDOW // 4, length - WINDOW))
        count = bisect_left(hits, lo + WINDOW) - bisect_left(hits, lo)
        if count > best[0]:
            best = (count, lo)
    return best


def snippet(record: Innovation, terms: set[str], analyzer: Analyzer) -> str:
    """Best window of the best field; without matches, the start of the problem."""
    best: tuple[int, list[str], int, list[int]] | None = None
    for name in SNIPPET_FIELDS:
        words = [_shown(w) for w in WORD.findall(getattr(record, name) or "")[:MAX_SCAN_WORDS]]
        hits = _matching(analyzer, words, terms) if terms else []
        count, lo = _best_window(hits, len(words))
        if best is None or count > best[0]:
            best = (count, words, lo, hits)
    assert best is not None
    _, words, lo, hits = best
    window = words[lo : lo + WINDOW]
    text = _marked(window, {h - lo for h in hits if lo <= h < lo + WINDOW})
    return ("… " if lo > 0 else "") + text + (" …" if lo + WINDOW < len(words) else "")


def marked(text: str, terms: set[str], analyzer: Analyzer) -> str:
    """A short field (a title, a tag) whole, HTML-escaped, its matching words marked."""
    words = [_shown(w) for w in WORD.findall(text)[:MAX_SCAN_WORDS]]
    return _marked(words, set(_matching(analyzer, words, terms)) if terms else set())
