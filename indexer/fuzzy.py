"""Typo correction of query terms against the index vocabulary.

Only terms the index has never seen are corrected, so an exact query matches exactly
the same records with or without the fuzzy path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein


def max_edits(term: str) -> int:
    """Like Lucene's AUTO fuzziness: none for short terms, two for long ones."""
    if len(term) < 4:
        return 0
    return 1 if len(term) <= 6 else 2


def corrections(terms: Iterable[str], vocabulary: Mapping[str, int]) -> dict[str, str]:
    """Map each unknown term to the closest known term (fewest edits, then most frequent)."""
    fixed: dict[str, str] = {}
    for term in terms:
        limit = max_edits(term)
        if term in vocabulary or limit == 0:
            continue
        found = process.extract(
            term, vocabulary.keys(), scorer=Levenshtein.distance, score_cutoff=limit, limit=10
        )
        if found:
            best = min(found, key=lambda m: (m[1], -vocabulary[m[0]], m[0]))
            fixed[term] = best[0]
    return fixed
