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


def closest(term: str, candidates: Mapping[str, int]) -> str | None:
    """The candidate within ``max_edits`` of term: fewest edits, then most frequent, then a-z."""
    limit = max_edits(term)
    scored = [
        (distance, -frequency, candidate)
        for candidate, frequency in candidates.items()
        if candidate != term and (distance := Levenshtein.distance(term, candidate)) <= limit
    ]
    return min(scored)[2] if scored else None


def corrections(terms: Iterable[str], vocabulary: Mapping[str, int]) -> dict[str, str]:
    """Map each unknown term to the closest known term (see ``closest``)."""
    fixed: dict[str, str] = {}
    for term in terms:
        limit = max_edits(term)
        if term in vocabulary or limit == 0:
            continue
        found = process.extract(
            term, vocabulary.keys(), scorer=Levenshtein.distance, score_cutoff=limit, limit=10
        )
        best = closest(term, {match: vocabulary[match] for match, _, _ in found})
        if best is not None:
            fixed[term] = best
    return fixed
