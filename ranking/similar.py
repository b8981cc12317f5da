"""More like this: practices similar in meaning and in key terms, never the record itself.

Replication means learning from elsewhere, so results from the record's own province can
be pushed back, and each result says why it was suggested.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from indexer.engines.base import Filters, Hit
from indexer.schema import Innovation
from indexer.text import analyzer
from ranking.fusion import reciprocal_rank_fusion
from ranking.search import SearchService, result_card

SAME_REGION_PENALTY = 0.5
MAX_SHARED_TERMS = 5
# A record is compared by its title, tags and the start of its problem: enough for any
# real record (the sample's longest problem has 54 words), and a huge field costs no more.
MAX_KEY_WORDS = 300


class UnknownRecord(LookupError):
    """No innovation has this id."""


@dataclass(frozen=True)
class Reason:
    same_sector: bool
    shared_terms: list[str]
    other_region: bool

    def text(self, sector: str) -> str:
        """One short Indonesian sentence for the UI."""
        parts = [f"sektor sama ({sector})"] if self.same_sector else []
        if self.shared_terms:
            parts.append("istilah bersama: " + ", ".join(self.shared_terms))
        if self.other_region:
            parts.append("dari daerah lain")
        return ("; ".join(parts) or "makna serupa").capitalize()


def _key_text(record: Innovation) -> str:
    return " ".join(" ".join([record.title, *record.tags, record.problem]).split()[:MAX_KEY_WORDS])


def _surface_terms(record: Innovation) -> dict[str, str]:
    """Index term -> first word that produced it, for readable explanations."""
    terms: dict[str, str] = {}
    for surface, term in analyzer().pairs(_key_text(record)):
        terms.setdefault(term, surface)
    return terms


def explain(source: Innovation, other: Innovation, mine: dict[str, str] | None = None) -> Reason:
    """Why ``other`` is like ``source``; ``mine`` is ``_surface_terms(source)`` if known."""
    mine = _surface_terms(source) if mine is None else mine
    theirs = _surface_terms(other)
    # A word and its stem are both index terms: name each shared word once.
    words = dict.fromkeys(mine[t] for t in mine if t in theirs and len(t) > 2)
    shared = list(words)[:MAX_SHARED_TERMS]
    return Reason(
        source.sector == other.sector,
        shared,
        bool(source.province and other.province != source.province),
    )


def similar(
    service: SearchService, record_id: str, size: int = 5, other_regions: bool = False
) -> list[dict[str, Any]]:
    source = service.engine.get(record_id)
    vector = service.engine.get_vector(record_id)
    if source is None or vector is None:
        raise UnknownRecord(record_id)
    t = service.tuning
    k = max(t.candidates, size * 4)
    by_meaning = service.engine.knn(vector, Filters(), k, exclude=[record_id])
    by_terms = [
        h
        for h in service.engine.lexical(_key_text(source), Filters(), k + 1).hits
        if h.id != record_id
    ]
    fused = reciprocal_rank_fusion([(by_terms, 1.0), (by_meaning, 1.0)], t.rrf_k)
    records = service.engine.get_many([h.id for h in fused])  # one call for every candidate
    fused = [h for h in fused if h.id in records]  # deleted since the search ran
    if other_regions:
        fused = sorted(
            (
                Hit(
                    h.id,
                    h.score
                    * (SAME_REGION_PENALTY if records[h.id].province == source.province else 1.0),
                )
                for h in fused
            ),
            key=lambda h: (-h.score, h.id),
        )
    results = []
    source_terms = _surface_terms(source)
    for hit in fused[:size]:
        other = records[hit.id]
        reason = explain(source, other, source_terms)
        card = result_card(other, hit.score, set(source_terms))
        results.append(
            card
            | {
                "reason": reason.text(other.sector),
                "shared_terms": reason.shared_terms,
                "same_sector": reason.same_sector,
            }
        )
    return results
