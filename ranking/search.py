"""Search: run the engine primitives for a request, fuse them, assemble the page."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from indexer.embeddings import Embedder, check_model
from indexer.engines.base import Engine, Facets, Hit, MatchQuery
from indexer.schema import Innovation
from indexer.text import analyzer
from ranking.fusion import reciprocal_rank_fusion
from ranking.highlight import snippet
from ranking.query import SearchRequest

RESULT_FIELDS = (
    "id",
    "title",
    "agency",
    "agency_level",
    "province",
    "regency_city",
    "sector",
    "year",
    "source_program",
    "award",
    "digital",
)


@dataclass(frozen=True)
class Tuning:
    """Fusion settings, chosen by measurement on bench/relevance (see README).

    With the English-only default model, cosine similarity on Indonesian text is a weak
    signal: it re-orders the lexical list with a small weight, and a record found by
    meaning alone joins the results (and the total and facet counts) only when its
    similarity reaches ``min_similarity``.
    """

    rrf_k: int = 10
    lexical_weight: float = 1.0
    semantic_weight: float = 0.2
    min_similarity: float = 0.35
    candidates: int = 100


@dataclass
class SearchResponse:
    total: int
    page: int
    size: int
    took_ms: float
    results: list[dict[str, Any]]
    facets: Facets
    corrections: dict[str, str] = field(default_factory=dict)
    # Matches if one field's filter were dropped (see FacetCounts.without).
    total_without: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "page": self.page,
            "size": self.size,
            "took_ms": round(self.took_ms, 2),
            "corrections": self.corrections,
            "results": self.results,
            "facets": {
                name: [{"value": v, "count": c} for v, c in values]
                for name, values in self.facets.items()
            },
        }


def result_card(record: Innovation, score: float, terms: set[str]) -> dict[str, Any]:
    card = {name: getattr(record, name) for name in RESULT_FIELDS}
    return card | {"snippet": snippet(record, terms, analyzer()), "score": round(score, 6)}


class SearchService:
    """The query side of the service, shared by the API, the UI and the benchmarks."""

    def __init__(self, engine: Engine, embedder: Embedder, tuning: Tuning | None = None):
        self.engine = engine
        self.embedder = embedder
        self.tuning = tuning or Tuning()
        self._embedding = ThreadPoolExecutor(thread_name_prefix="query-embedding")

    def query_vector(self, text: str) -> np.ndarray:
        check_model(self.engine.model_info(), self.embedder.info)
        return self.embedder.encode_query(text)

    def search(self, request: SearchRequest) -> SearchResponse:
        started = time.perf_counter()
        hits, match, corrections = self._rank(request)
        counts = self.engine.facets(match, request.filters)
        page = hits[(request.page - 1) * request.size : request.depth]
        terms = set(analyzer().tokens(request.q)) | set(corrections.values())
        records = self.engine.get_many([h.id for h in page])
        results = [result_card(records[h.id], h.score, terms) for h in page if h.id in records]
        took = (time.perf_counter() - started) * 1000
        return SearchResponse(
            counts.total,
            request.page,
            request.size,
            took,
            results,
            counts.facets,
            corrections,
            counts.without,
        )

    def _rank(self, request: SearchRequest) -> tuple[list[Hit], MatchQuery, dict[str, str]]:
        t = self.tuning
        filters = request.filters
        if not request.q:
            return self.engine.browse(filters, request.depth), MatchQuery(), {}
        k = max(t.candidates, request.depth)
        lexical, semantic, corrections = [], [], {}
        vector = None
        # The query is embedded on another core while the lexical side runs.
        embedding = (
            self._embedding.submit(self.query_vector, request.q)
            if request.mode in ("semantic", "hybrid")
            else None
        )
        if request.mode in ("lexical", "hybrid"):
            found = self.engine.lexical(request.q, filters, k)
            lexical, corrections = found.hits, found.corrections
        if embedding is not None:
            vector = embedding.result()
            semantic = self.engine.knn(vector, filters, k)
        match = MatchQuery(
            request.q if request.mode != "semantic" else None, vector, t.min_similarity
        )
        admitted = {h.id for h in lexical} | {h.id for h in semantic if h.score >= t.min_similarity}
        if request.mode == "hybrid":
            fused = reciprocal_rank_fusion(
                [(lexical, t.lexical_weight), (semantic, t.semantic_weight)], t.rrf_k
            )
            hits = [h for h in fused if h.id in admitted]
        else:
            hits = [h for h in lexical or semantic if h.id in admitted]
        if request.sort == "year":
            hits = self._by_year(hits)
        return hits, match, corrections

    def _by_year(self, hits: list[Hit]) -> list[Hit]:
        records = self.engine.get_many([h.id for h in hits])
        return sorted(hits, key=lambda h: -(records[h.id].year if h.id in records else 0))
