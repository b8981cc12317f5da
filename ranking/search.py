"""Search: run the engine primitives for a request, fuse them, assemble the page."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from indexer.embeddings import MINILM, Embedder, canonical_name, check_model
from indexer.engines.base import Engine, Facets, Hit, MatchQuery
from indexer.schema import Innovation
from indexer.text import analyzer
from ranking.fusion import reciprocal_rank_fusion, score_fusion
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
    """Fusion settings, chosen by measurement with bench/relevance/tune.py (README).

    With the multilingual default model, min-max normalised score fusion with equal
    weights beats weighted RRF on both held-out halves of the judged queries: it keeps how
    far apart the scores are, so a strong meaning match outranks a weak keyword one. A
    record found by meaning alone joins the results (and the total and facet counts) only
    at cosine ``min_similarity``; E5's cosines are compressed (unrelated pairs sit near
    0.8), so the threshold is high. ``rrf_k`` applies when ``fusion`` is "rrf".
    """

    fusion: Literal["rrf", "score"] = "score"
    rrf_k: int = 10
    lexical_weight: float = 1.0
    semantic_weight: float = 1.0
    min_similarity: float = 0.8
    candidates: int = 100


# Models whose scores behave differently get their own measured settings.
MODEL_TUNINGS = {
    # English-only MiniLM: cosine on Indonesian text is a weak signal, so it only re-orders
    # the keyword list a little (the settings measured before the multilingual default).
    canonical_name(MINILM): Tuning(fusion="rrf", rrf_k=10, semantic_weight=0.2, min_similarity=0.35)
}


def tuning_for(model: str) -> Tuning:
    """The measured fusion settings for an embedding model (the default's otherwise)."""
    return MODEL_TUNINGS.get(canonical_name(model), Tuning())


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
        self.tuning = tuning or tuning_for(embedder.name)
        self._embedding = ThreadPoolExecutor(thread_name_prefix="query-embedding")

    def query_vector(self, text: str) -> np.ndarray:
        check_model(self.engine.model_info(), self.embedder.info)
        return self.embedder.encode_query(text)

    def search(self, request: SearchRequest) -> SearchResponse:
        started = time.perf_counter()
        hits, match, corrections = self.rank(request)
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

    def rank(self, request: SearchRequest) -> tuple[list[Hit], MatchQuery, dict[str, str]]:
        """Hits in order (to the request's depth), the match rule for counts, typo fixes."""
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
            lists = [(lexical, t.lexical_weight), (semantic, t.semantic_weight)]
            fused = (
                reciprocal_rank_fusion(lists, t.rrf_k) if t.fusion == "rrf" else score_fusion(lists)
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
