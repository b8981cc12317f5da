"""Weighted reciprocal rank fusion: one place where ranked lists are combined."""

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
