"""Fusion of ranked lists (weighted RRF, or normalised scores): the one place they meet."""

from __future__ import annotations

from collections.abc import Sequence

from indexer.engines.base import Hit


def reciprocal_rank_fusion(
    rankings: Sequence[tuple[Sequence[Hit], float]], k: int = 60
) -> list[Hit]:
    """score(d) = sum over lists of weight / (k + rank of d); ties broken by id."""
    scores: dict[str, float] = {}
    for hits, weight in rankings:
        if weight <= 0:
            continue
        for rank, hit in enumerate(hits, start=1):
            scores[hit.id] = scores.get(hit.id, 0.0) + weight / (k + rank)
    return [Hit(i, s) for i, s in sorted(scores.items(), key=lambda item: (-item[1], item[0]))]


def score_fusion(rankings: Sequence[tuple[Sequence[Hit], float]]) -> list[Hit]:
    """score(d) = sum over lists of weight x (d's score min-max normalised in that list).

    Unlike RRF it keeps how far apart the scores are, so a strong semantic match beats a
    weak keyword one; a document missing from a list gets 0 there. Ties broken by id.
    """
    scores: dict[str, float] = {}
    for hits, weight in rankings:
        if weight <= 0 or not hits:
            continue
        low = min(h.score for h in hits)
        span = max(h.score for h in hits) - low
        for hit in hits:
            normalised = (hit.score - low) / span if span else 1.0
            scores[hit.id] = scores.get(hit.id, 0.0) + weight * normalised
    return [Hit(i, s) for i, s in sorted(scores.items(), key=lambda item: (-item[1], item[0]))]
