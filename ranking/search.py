"""Search: run the engine primitives for a request, fuse them, assemble the page."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from indexer.embeddings import MINILM, Embedder, canonical_name
from indexer.engines.base import (
    Answer,
    Engine,
    FacetCounts,
    Facets,
    Hit,
    MatchQuery,
    QueryPlan,
    Resolved,
)
from indexer.fields import Registry
from indexer.schema import Innovation
from indexer.text import analyzer
from ranking.explain import QueryWords, explain
from ranking.fusion import reciprocal_rank_fusion, score_fusion
from ranking.highlight import marked, snippet
from ranking.practices import also_recorded, listed
from ranking.query import SearchRequest
from ranking.signals import Home, comparable, nudged, practice_bonus

# Scores within this of a threshold count as reaching it: the engines add float32 and
# float64 numbers, and a record exactly at the cut must match on both.
EPSILON = 1e-6


@dataclass(frozen=True)
class Tuning:
    """Fusion and match-set settings, chosen by measurement with bench/relevance/tune.py.

    Ranking: with the multilingual default model, min-max normalised score fusion wins on
    all judged queries (on the halves, once each with weighted RRF; tuning.md): it keeps
    how far apart the scores are, so a strong meaning match outranks a weak keyword one.
    ``rrf_k`` applies when ``fusion`` is "rrf".

    Match set (the total, the facet counts and which hits are shown; see MatchQuery): a
    hybrid query matches a record when cosine + ``coverage_weight`` x the share of the
    query's words it contains reaches the best cosine in the store minus ``margin`` (and
    ``floor`` at least). E5's cosines are compressed (unrelated pairs sit near 0.8), so
    only a record close to the best meaning match, or one nearly as close that also
    shares the query's words, is relevant. Semantic mode cuts at the best cosine minus
    ``semantic_margin``, and so does a hybrid query whose words the store does not hold
    (between the two margins as that share rises); lexical mode needs
    ``lexical_coverage`` of the query's words.
    Before all this the query vector is moved toward the store's best match by
    ``expansion`` (see ``SearchService._expanded``); "best cosine" is then that match's.
    The threshold comes from the whole store, not the filtered part, so a facet value's
    count is what clicking it returns.
    """

    fusion: Literal["rrf", "score"] = "score"
    rrf_k: int = 10
    lexical_weight: float = 1.0
    semantic_weight: float = 1.0
    candidates: int = 100
    coverage_weight: float = 0.08
    margin: float = 0.08
    semantic_margin: float = 0.1
    floor: float = 0.63
    lexical_coverage: float = 0.01
    expansion: float = 1.0


# Models whose scores behave differently get their own measured settings.
MODEL_TUNINGS = {
    # English-only MiniLM: cosine on Indonesian text is a weak signal, so it only re-orders
    # the keyword list a little, and its cosines spread wide (bench/relevance/tuning.md).
    canonical_name(MINILM): Tuning(
        fusion="rrf",
        rrf_k=5,
        semantic_weight=0.2,
        floor=0.37,
        margin=0.2,
        coverage_weight=0.3,
        semantic_margin=0.1,
        expansion=0.0,
    )
}


def tuning_for(model: str) -> Tuning:
    """The measured fusion settings for an embedding model (the default's otherwise)."""
    return MODEL_TUNINGS.get(canonical_name(model), Tuning())


@dataclass(frozen=True)
class Ranking:
    """A query's hits in order, its match rule and that set's counts, the typo fixes."""

    hits: list[Hit]
    match: MatchQuery
    counts: FacetCounts
    corrections: dict[str, str]
    # Every hit's record when the ranking read them (to weigh signals or sort by year).
    records: dict[str, Innovation] = field(default_factory=dict)
    # Hits close enough in meaning to match on that alone (semantic mode's cut).
    by_meaning: frozenset[str] = frozenset()


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

    def to_dict(self, fields: Registry) -> dict[str, Any]:
        return {
            "total": self.total,
            "page": self.page,
            "size": self.size,
            "took_ms": round(self.took_ms, 2),
            "corrections": self.corrections,
            "results": self.results,
            "facets": facet_entries(self.facets, fields),
        }


def facet_entries(facets: Facets, fields: Registry) -> dict[str, list[dict[str, Any]]]:
    """Facet counts as the API gives them, each value with the label the pages show."""
    return {
        name: [{"value": v, "label": fields[name].value_label(v), "count": c} for v, c in values]
        for name, values in facets.items()
    }


def result_card(
    record: Innovation, score: float, terms: set[str], fields: Registry
) -> dict[str, Any]:
    """What a result list shows of a record: the id, the registry's card fields, a
    passage with the matched words marked, and the score."""
    card = {name: getattr(record, name) for name in ("id", *fields.card_fields)}
    highlight = {
        "title": marked(record.title, terms, analyzer()),
        "tags": [marked(tag, terms, analyzer()) for tag in record.tags],
    }
    return card | {
        "snippet": snippet(record, terms, analyzer()),
        "highlight": highlight,
        "score": round(score, 6),
    }


def reordered(hits: list[Hit], records: dict[str, Innovation], home: Home | None) -> list[Hit]:
    """Hits with the signals beside relevance (ranking/signals.py), best first: among
    about equally relevant practices, replicated and still-running ones, and those from
    regions comparable to ``home``, come first."""

    def bonus(record: Innovation) -> float:
        return practice_bonus(record) + (comparable(home, record)[0] if home else 0.0)

    known = [h for h in hits if h.id in records]
    scores = nudged([(h.score, records[h.id]) for h in known], bonus)
    scored = [Hit(h.id, s) for h, s in zip(known, scores, strict=True)]
    return sorted(scored, key=lambda h: -h.score)


class SearchService:
    """The query side of the service, shared by the API, the UI and the benchmarks."""

    def __init__(self, engine: Engine, embedder: Embedder, tuning: Tuning | None = None):
        self.engine = engine
        self.embedder = embedder
        self.tuning = tuning or tuning_for(embedder.name)

    def query_vector(self, text: str) -> np.ndarray:
        self.engine.check_store(self.embedder.info)
        return self.embedder.encode_query(text)

    def search(self, request: SearchRequest) -> SearchResponse:
        started = time.perf_counter()
        ranking = self.rank(request)
        hits, counts = ranking.hits, ranking.counts
        page = hits[(request.page - 1) * request.size : request.depth]
        terms = set(analyzer().tokens(request.q)) | set(ranking.corrections.values())
        records = self.records(ranking, page)
        words = QueryWords.of(request.q, ranking.corrections)
        results = [
            result_card(records[h.id], h.score, terms, self.engine.fields)
            | {"also": also_recorded(records[h.id])}
            | {"why": self._why(request, records[h.id], words, ranking)}
            | ({"comparable": comparable(request.home, records[h.id])[1]} if request.home else {})
            for h in page
            if h.id in records
        ]
        took = (time.perf_counter() - started) * 1000
        return SearchResponse(
            counts.total,
            request.page,
            request.size,
            took,
            results,
            counts.facets,
            ranking.corrections,
            counts.without,
        )

    def records(self, ranking: Ranking, hits: list[Hit]) -> dict[str, Innovation]:
        """The records of ``hits``: those the ranking already read, else one get_many."""
        ids = [h.id for h in hits]
        return ranking.records or (self.engine.get_many(ids) if ids else {})

    def rank(self, request: SearchRequest) -> Ranking:
        """Hits in order (to the request's depth), only from the match set, and its counts.

        The query is resolved once (its words and typo fixes, its vector and the store's
        nearest record) and the plan executed once: two steps, each one round trip to an
        OpenSearch node.
        """
        filters = listed(request.filters)
        if not request.q:
            answer = self.engine.execute(QueryPlan(filters, request.depth))
            return Ranking(answer.keyword, MatchQuery(), answer.counts, {}, answer.records)
        keywords = request.mode in ("lexical", "hybrid")
        vector = self.query_vector(request.q) if request.mode != "lexical" else None
        resolved = self.engine.resolve(request.q if keywords else None, vector, request.correct)
        vector, anchor = self._expanded(vector, resolved)
        match = self._match(request, vector, anchor, resolved)
        k = max(self.tuning.candidates, request.depth)
        answer = self.engine.execute(QueryPlan(filters, k, resolved.terms, vector, match))
        fused = (
            self._fused(answer, resolved.known)
            if request.mode == "hybrid"
            else answer.keyword or answer.semantic
        )
        hits = [h for h in fused if h.id in answer.counts.matched]
        records = answer.records
        if request.sort == "year":
            ordered = sorted(hits, key=lambda h: -(records[h.id].year if h.id in records else 0))
        else:
            ordered = reordered(hits, records, request.home)
        meaning = self._by_meaning(answer.semantic, anchor) if vector is not None else frozenset()
        corrections = resolved.terms.corrections if resolved.terms else {}
        return Ranking(ordered, match, answer.counts, corrections, records, meaning)

    def _why(
        self, request: SearchRequest, record: Innovation, words: QueryWords, ranking: Ranking
    ) -> dict[str, Any]:
        meaning = record.id in ranking.by_meaning
        return explain(record, words, meaning, request.filters, self.engine.fields).to_dict()

    def _by_meaning(self, semantic: list[Hit], anchor: float) -> frozenset[str]:
        """Hits that semantic mode would match."""
        cut = self._semantic_cut(anchor)
        return frozenset(h.id for h in semantic if h.score >= cut)

    def _fused(self, answer: Answer, known: float) -> list[Hit]:
        """Keyword and meaning lists as one. The keyword list weighs as much as the store
        knows the query's words (``known``: an English query over Indonesian records
        matches only incidental words), and each keyword hit as much of the query as it
        contains."""
        t = self.tuning
        lists = [(answer.keyword, t.lexical_weight * known), (answer.semantic, t.semantic_weight)]
        if t.fusion == "rrf":
            return reciprocal_rank_fusion(lists, t.rrf_k)
        return score_fusion(lists, trust=answer.coverage)

    def _expanded(
        self, vector: np.ndarray | None, resolved: Resolved
    ) -> tuple[np.ndarray | None, float]:
        """The query vector moved toward the store's best meaning match, and that match's
        cosine to it (the anchor of the match threshold).

        Pseudo-relevance feedback: a query's best match is nearly always relevant, and
        being written like the records (Indonesian, their vocabulary) it pulls a short or
        English query toward them (bench/relevance/tuning.md). The best match comes from
        the whole store, not the filtered part, so the threshold does not move with the
        filters.
        """
        nearest, best = resolved.nearest, resolved.nearest_vector
        if vector is None or nearest is None:
            return vector, 1.0
        if best is None or not self.tuning.expansion:
            return vector, nearest.score
        moved = vector + self.tuning.expansion * best
        moved = (moved / (np.linalg.norm(moved) or 1.0)).astype(np.float32)
        return moved, float(best @ moved)

    def _match(
        self,
        request: SearchRequest,
        vector: np.ndarray | None,
        anchor: float,
        resolved: Resolved,
    ) -> MatchQuery:
        """The match rule of ``Tuning`` for this request's mode, on the query as resolved.
        A hybrid query whose words the store does not hold (``resolved.known``, the share
        it does) has no keyword evidence to add, so its cut slides from ``margin`` toward
        semantic mode's ``semantic_margin``."""
        t = self.tuning
        if vector is None:
            cut = t.lexical_coverage - EPSILON
            return MatchQuery(request.q, threshold=cut, terms=resolved.terms)
        if request.mode == "semantic":
            return MatchQuery(vector=vector, threshold=self._semantic_cut(anchor))
        margin = t.semantic_margin + (t.margin - t.semantic_margin) * resolved.known
        cut = max(t.floor, anchor - margin) - EPSILON
        return MatchQuery(request.q, vector, t.coverage_weight, cut, resolved.terms)

    def _semantic_cut(self, anchor: float) -> float:
        """Semantic mode's match threshold: within ``semantic_margin`` of the best match."""
        t = self.tuning
        return max(t.floor, anchor - t.semantic_margin) - EPSILON
