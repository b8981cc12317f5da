"""Fusion of ranked lists (weighted RRF, or normalised scores): the one place they meet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

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


def normalised(hits: Sequence[Hit]) -> list[Hit]:
    """Scores min-max normalised within the list: the best 1, the worst 0 (a lone hit 1)."""
    if not hits:
        return []
    low = min(h.score for h in hits)
    span = max(h.score for h in hits) - low
    return [Hit(h.id, (h.score - low) / span if span else 1.0) for h in hits]


def score_fusion(
    rankings: Sequence[tuple[Sequence[Hit], float]], trust: Mapping[str, float] | None = None
) -> list[Hit]:
    """score(d) = sum over lists of weight x (d's score min-max normalised in that list),
    the first list's scores also multiplied by ``trust[d]`` when given.

    Unlike RRF it keeps how far apart the scores are, so a strong semantic match beats a
    weak keyword one; a document missing from a list gets 0 there. Normalising makes the
    best keyword hit worth 1 however few query words it holds: ``trust`` (the share of
    the query's words a keyword hit contains) keeps a match on one incidental word from
    counting as a full match. Ties broken by id.
    """
    scores: dict[str, float] = {}
    for index, (hits, weight) in enumerate(rankings):
        if weight <= 0:
            continue
        for hit in normalised(hits):
            share = trust.get(hit.id, 0.0) if trust is not None and index == 0 else 1.0
            scores[hit.id] = scores.get(hit.id, 0.0) + weight * share * hit.score
    return [Hit(i, s) for i, s in sorted(scores.items(), key=lambda item: (-item[1], item[0]))]
