"""The OpenSearch engine: one index per generation behind an alias.

Lexical matching runs on the Python analyzer's output, indexed into whitespace-analysed
copies of the text fields (``analysed.*``), so both engines match exactly the same
records for a query and correct the same typos. The raw text fields (``text.*``) carry an
Indonesian analyzer (same synonyms and stopwords) for ad-hoc queries and dashboards.
Vectors live in a Lucene HNSW ``knn_vector`` (cosine); the index ``_meta`` records the
embedding model that built it, so another model is refused.
"""

from __future__ import annotations

import contextlib
import functools
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlsplit

import numpy as np
from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import ConnectionError as NodeUnreachable
from opensearchpy.exceptions import NotFoundError, RequestError, TransportError

from indexer.embeddings import Embedder, ModelInfo, check_model
from indexer.engines.base import (
    COMPLETED_FIELDS,
    Answer,
    Completion,
    EngineUnavailable,
    FacetCounts,
    Filters,
    Hit,
    MatchQuery,
    QueryPlan,
    QueryTerms,
    ReindexReport,
    Resolved,
    WriteFailed,
    WriteResult,
    candidate_ids,
    check_layout,
    check_vectors,
    completion,
    ordered_facet,
    query_terms,
    ranked,
    term_budget,
    utc_now,
    write_status,
)
from indexer.fields import FIELDS, Registry
from indexer.fuzzy import closest, max_edits
from indexer.locks import StoreLock, ThreadLock
from indexer.schema import Innovation, stale_vectors, store_layout
from indexer.text import analyzer, stopwords, synonym_lines

ANALYZER = "jippnas_indonesian"
KNN_BREADTH = 100  # candidates an HNSW search explores, whatever k is asked for
BULK_CHUNK = 500
MAX_FACET_VALUES = 10_000
SUGGESTIONS = 10
# In-flight searches that resolved the alias before a swap finish on the old index.
DRAIN_SECONDS = 1.0
META_SECONDS = 5.0  # how long a search trusts its last read of the index's _meta
MERGE_SECONDS = 3600.0  # a force merge of a national index takes minutes
BUSY_STATUSES = (429, 502, 503, 504)
SCORE_ORDER = [{"_score": "desc"}, {"id": "asc"}]
SUGGEST = {  # candidates only; indexer.fuzzy.closest picks exactly like the embedded engine
    "field": "vocabulary",
    "suggest_mode": "missing",
    "max_edits": 2,
    "prefix_length": 0,
    "min_word_length": 4,
    "string_distance": "levenshtein",
    "accuracy": 0.1,
    "size": SUGGESTIONS,
}


@dataclass(frozen=True)
class ShardLayout:
    """How an index is split: ``shards`` primaries and ``replicas`` copies of each (a
    number, or None for one copy wherever a second node exists).

    With several shards each scores BM25 from its own term statistics; searches whose
    order depends on them ask for ``dfs_query_then_fetch`` (global statistics first), so
    the order is the one a single shard gives (measured: see README, "A real cluster").
    """

    shards: int = 1
    replicas: int | None = None

    def replica_setting(self) -> dict[str, Any]:
        if self.replicas is None:
            return {"auto_expand_replicas": "0-1"}
        return {"number_of_replicas": self.replicas}

    @property
    def search_type(self) -> str | None:
        return "dfs_query_then_fetch" if self.shards > 1 else None


P = ParamSpec("P")
R = TypeVar("R")


# -- index layout -----------------------------------------------------------------------
def index_settings(layout: ShardLayout | None = None) -> dict[str, Any]:
    """Shards and replicas as the deployment asks (one shard and a replica where a second
    node exists, by default), the Indonesian analysis chain and k-NN."""
    layout = layout or ShardLayout()
    return {
        "index": {
            "number_of_shards": layout.shards,
            **layout.replica_setting(),
            "knn": True,
        },
        "analysis": {
            "filter": {
                "jippnas_synonyms": {
                    "type": "synonym",
                    "synonyms": synonym_lines(),
                    "expand": False,
                    "lenient": True,
                },
                "jippnas_stop": {"type": "stop", "stopwords": sorted(stopwords())},
                "jippnas_stemmer": {"type": "stemmer", "language": "indonesian"},
            },
            "analyzer": {
                ANALYZER: {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": [
                        "lowercase",
                        "asciifolding",
                        "jippnas_synonyms",
                        "jippnas_stop",
                        "jippnas_stemmer",
                    ],
                }
            },
        },
    }


def index_mappings(model: ModelInfo, fields: Registry = FIELDS) -> dict[str, Any]:
    """Strict mapping from the field registry: a keyword per term facet, the text fields
    analysed twice (by OpenSearch, and as our analyser's terms for exact BM25 parity)."""
    keyword = {"type": "keyword"}
    text = {"type": "text", "analyzer": ANALYZER}
    analysed = {"type": "text", "analyzer": "whitespace", "copy_to": "vocabulary"}
    return {
        "dynamic": "strict",
        "_meta": {
            "model": model.name,
            "dimension": model.dimension,
            "layout": store_layout(fields),
        },
        "properties": {
            "id": keyword,
            "fingerprint": {"type": "keyword", "index": False},
            "data": {"type": "object", "enabled": False},
            **{name: keyword for name in fields.term_facets},
            "year": {"type": "integer"},
            "digital": {"type": "boolean"},
            "text": {"properties": {name: text for name in fields.text_weights}},
            "analysed": {"properties": {name: analysed for name in fields.text_weights}},
            "vocabulary": {
                "type": "text",
                "analyzer": "whitespace",
                "index_options": "docs",
                "norms": False,
            },
            "vector": {
                "type": "knn_vector",
                "dimension": model.dimension,
                "method": {"name": "hnsw", "engine": "lucene", "space_type": "cosinesimil"},
            },
        },
    }


def document(
    record: Innovation, vector: Sequence[float] | np.ndarray, fields: Registry = FIELDS
) -> dict[str, Any]:
    """The indexed form of a record (``data`` is what ``get`` gives back)."""
    texts = {name: record.field_text(name, fields) for name in fields.text_weights}
    return {
        "id": record.id,
        "fingerprint": record.fingerprint(),
        "data": record.to_dict(),
        **{name: getattr(record, name) for name in fields.term_facets},
        "year": record.year,
        "digital": record.digital,
        "text": texts,
        "analysed": {name: analyzer().analyze(text) for name, text in texts.items()},
        "vector": np.asarray(vector, np.float32).tolist(),
    }


# -- query building ---------------------------------------------------------------------
def _filter_clauses(filters: Filters) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = [
        {"terms": {name: list(values)}} for name, values in filters.terms.items()
    ]
    bounds = {"gte": filters.year_from, "lte": filters.year_to}
    if any(v is not None for v in bounds.values()):
        clauses.append({"range": {"year": {k: v for k, v in bounds.items() if v is not None}}})
    if filters.digital is not None:
        clauses.append({"term": {"digital": filters.digital}})
    return clauses


def _restriction(filters: Filters, exclude: Sequence[str] = ()) -> dict[str, Any]:
    query: dict[str, Any] = {"filter": _filter_clauses(filters)}
    if exclude:
        query["must_not"] = [{"ids": {"values": list(exclude)}}]
    return {"bool": query}


def _completion_body(wanted: Completion, filters: Filters, k: int) -> dict[str, Any]:
    """Titles or tags holding every finished word (any of its terms) and a word starting
    with the prefix."""
    fields = [f"analysed.{name}" for name in COMPLETED_FIELDS]
    must: list[dict[str, Any]] = [
        {"multi_match": {"query": " ".join(word), "fields": fields}} for word in wanted.words
    ]
    prefixed = [{"prefix": {name: wanted.prefix}} for name in fields]
    must.append({"bool": {"should": prefixed, "minimum_should_match": 1}})
    query = {"bool": {"must": must, "filter": _filter_clauses(filters)}}
    return {"query": query, "size": k, "_source": False}


def _text_query(terms: list[str], fields: Registry) -> dict[str, Any]:
    """Any analysed term in any field; fields weighted like the embedded BM25."""
    if not terms:
        return {"match_none": {}}
    return {
        "multi_match": {
            "query": " ".join(terms),
            "fields": [f"analysed.{name}^{w}" for name, w in fields.text_weights.items()],
            "type": "most_fields",
            "operator": "or",
        }
    }


def _model_of(meta: dict[str, Any] | None) -> ModelInfo | None:
    return ModelInfo(meta["model"], int(meta["dimension"])) if meta else None


def _holding(word: Sequence[str]) -> dict[str, Any]:
    """Records holding a query word: any of its terms in "vocabulary" (every analysed
    field's terms). The one test behind both a hit's share of the words and the match set."""
    return {"terms": {"vocabulary": list(word)}}


def _named_words(query: QueryTerms) -> dict[str, Any]:
    """One named clause per query word, so that a hit's ``matched_queries`` say which
    words it holds.

    The clauses sit under a required clause no record matches (no id is empty), so the
    query phase never runs them; OpenSearch's fetch phase checks every named query
    against each returned hit all the same: keyword p95 at 500,000 records fell from 124
    to 93 ms (bench/search_latency.py), with the same hits, scores and matched_queries.
    """
    named = [
        {"constant_score": {"filter": _holding(word), "_name": f"w{i}"}}
        for i, word in enumerate(query.words)
    ]
    return {"bool": {"must": [{"term": {"id": ""}}], "should": named}}


def lexical_body(
    query: QueryTerms, filters: Filters, k: int, fields: Registry, source: Any = False
) -> dict[str, Any]:
    """Keyword top k under the filters, with which query words each hit holds."""
    return {
        "query": {
            "bool": {
                "must": [_text_query(query.terms, fields)],
                "should": [_named_words(query)],
                **_restriction(filters)["bool"],
            }
        },
        "size": max(k, 0),
        "sort": SCORE_ORDER,
        "track_scores": True,
        "track_total_hits": False,  # the match set's count is the total
        "_source": source,
    }


def knn_body(
    vector: np.ndarray,
    filters: Filters,
    k: int,
    exclude: Sequence[str] = (),
    source: Any = False,
) -> dict[str, Any]:
    """Top k by cosine with the filters applied inside the HNSW search (Lucene filter).

    The graph is searched at least KNN_BREADTH wide (Lucene's candidate queue is k):
    asked for 10 under a filter, an HNSW search missed the 10th-best of 502 records.
    """
    clause = {
        "vector": np.asarray(vector, np.float32).tolist(),
        "k": max(k, KNN_BREADTH),
        "filter": _restriction(filters, exclude),
    }
    return {"query": {"knn": {"vector": clause}}, "size": k, "_source": source}


def browse_body(filters: Filters, k: int, source: Any = False) -> dict[str, Any]:
    """Records passing the filters, newest first (for an empty query)."""
    return {
        "query": _restriction(filters),
        "size": max(k, 0),
        "sort": [{"year": "desc"}, {"id": "asc"}],
        "_source": source,
    }


def facets_body(
    match: MatchQuery,
    filters: Filters,
    fields: Sequence[str],
    candidates: Sequence[str] = (),
    listed: int = 0,
) -> dict[str, Any]:
    """Counts of the match set: each field under the other fields' filters (disjunctive),
    which ``candidates`` are in it, and the ids of up to ``listed`` of its records."""
    aggs: dict[str, Any] = {"matched": {"filter": _restriction(filters)}}
    for name in fields:
        aggs[name] = {
            "filter": _restriction(filters.without(name)),
            "aggs": {"values": {"terms": {"field": name, "size": MAX_FACET_VALUES}}},
        }
    if candidates:
        aggs["candidates"] = {
            "filter": {"ids": {"values": list(candidates)}},
            "aggs": {"values": {"terms": {"field": "id", "size": len(candidates)}}},
        }
    body = {"query": match_body(match), "size": listed, "track_total_hits": False, "aggs": aggs}
    # Ids from doc values: loading each hit's stored _id cost 35 ms per 1,000 at 100k.
    ids = {"stored_fields": "_none_", "docvalue_fields": ["id"], "sort": ["_doc"]}
    return body | (ids if listed else {})


def probe_bodies(terms: Sequence[str], asked: Sequence[str]) -> list[dict[str, Any]]:
    """Searches telling which of a query's terms the store holds, each stopping at the
    first record that holds its term (counting every record holding a common term cost
    as much as the keyword search itself), then the suggester's candidates for the
    ``asked`` terms (see indexer.fuzzy.closest)."""
    bodies: list[dict[str, Any]] = [
        {
            "query": {"term": {"vocabulary": t}},
            "size": 0,
            "track_total_hits": 1,
            "terminate_after": 1,
        }
        for t in terms
    ]
    if asked:
        suggest = {f"s{i}": {"text": t, "term": SUGGEST} for i, t in enumerate(asked)}
        bodies.append({"size": 0, "track_total_hits": False, "suggest": suggest})
    return bodies


def match_body(match: MatchQuery) -> dict[str, Any]:
    """The match set as one query: ``MatchQuery``'s score, cut at its threshold.

    Each query word is a constant-score clause worth its share of the coverage weight;
    a rule with a vector scores only the ``neighbours`` records nearest to it (an HNSW
    search), each by its cosine plus its words.
    """
    if match.everything:
        return {"match_all": {}}
    words = match.terms.words if match.terms and match.text is not None else ()
    share = match.coverage_weight / len(words) if words else 0.0
    clauses: list[dict[str, Any]] = [
        {"constant_score": {"filter": _holding(word), "boost": share}} for word in words
    ]
    threshold, query = match.threshold, {"bool": {"should": clauses}}
    if match.vector is not None:  # the nearest alone are scored, the words only for them
        near = {"vector": np.asarray(match.vector, np.float32).tolist(), "k": match.neighbours}
        query["bool"]["must"] = [{"knn": {"vector": near | {"boost": 2.0}}}]  # (1 + cos) / 2 x2
        threshold += 1.0
    elif not clauses:
        return {"match_none": {}}
    return {
        "script_score": {"query": query, "script": {"source": "_score"}, "min_score": threshold}
    }


def _cosine_of(score: float) -> float:
    return 2.0 * score - 1.0


def _counts(name: str, agg: dict[str, Any] | None) -> dict[Any, int]:
    buckets = (agg or {}).get("values", {}).get("buckets", [])
    cast: Callable[[Any], Any] = {"year": int, "digital": bool}.get(name, str)
    return {cast(b["key"]): int(b["doc_count"]) for b in buckets}


def _recorder(asked: list[str]) -> Callable[[list[str]], dict[str, str]]:
    """A ``correct`` for query_terms that notes which terms it was asked to correct."""

    def record(terms: list[str]) -> dict[str, str]:
        asked.extend(terms)
        return {}

    return record


def _fixed_by(fixed: dict[str, str]) -> Callable[[list[str]], dict[str, str]]:
    """A ``correct`` for query_terms that applies fixes already chosen."""
    return lambda terms: {t: fixed[t] for t in terms if t in fixed}


def _fixes(asked: Sequence[str], suggest: dict[str, Any]) -> dict[str, str]:
    """Unknown terms -> closest index term; the term suggester only supplies candidates."""
    fixed: dict[str, str] = {}
    for i, term in enumerate(asked):
        options = {o["text"]: o["freq"] for e in suggest.get(f"s{i}", []) for o in e["options"]}
        best = closest(term, options)
        if best is not None:
            fixed[term] = best
    return fixed


def _facet_counts(found: dict[str, Any], fields: Sequence[str]) -> FacetCounts:
    return FacetCounts(
        int(found.get("matched", {}).get("doc_count", 0)),
        {name: ordered_facet(name, _counts(name, found.get(name))) for name in fields},
        {name: int(found.get(name, {}).get("doc_count", 0)) for name in fields},
        frozenset(_counts("id", found.get("candidates"))),
    )


def _share(hit: dict[str, Any], words: int) -> float:
    """The share of the query's words a hit holds (its named clauses, see _named_words)."""
    return len(hit.get("matched_queries", [])) / words if words else 0.0


def _answer(
    plan: QueryPlan,
    first: list[dict[str, Any]],
    meaning: list[dict[str, Any]],
    found: dict[str, Any],
    fields: Sequence[str],
    registry: Registry,
) -> Answer:
    """A plan's answer from its _msearch responses: the ``first`` list's hits (keyword
    or browsed), the meaning list's, and the counting search. Which hits are in the
    match set: for a rule with a vector, those the counting search listed (the whole
    match set); for one without, those holding enough of the query's words
    (``MatchQuery.covered``)."""
    words = len(plan.terms.words) if plan.terms else 0
    coverage = {h["_id"]: _share(h, words) for h in first} if plan.terms else {}
    keyword = [Hit(h["_id"], float(h.get("_score") or 0.0)) for h in first]
    semantic = [Hit(h["_id"], _cosine_of(h["_score"])) for h in meaning]
    candidates = candidate_ids(keyword, semantic)
    if plan.match.vector is not None:
        within = {h["fields"]["id"][0] for h in found.get("hits", {}).get("hits", [])}
        matched = frozenset(i for i in candidates if i in within)
    else:
        matched = frozenset(i for i in candidates if plan.match.covered(coverage.get(i, 0.0)))
    counts = replace(_facet_counts(found.get("aggregations", {}), fields), matched=matched)
    sources = {h["_id"]: h.get("_source") or {} for h in [*meaning, *first]}
    return Answer(
        keyword,
        coverage,
        semantic,
        counts,
        {
            i: Innovation.from_dict(sources[i]["data"], registry)
            for i in matched
            if "data" in sources[i]
        },
    )


def _chunks(items: Iterable[R], size: int) -> Iterator[list[R]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _bulk_reason(item: dict[str, Any]) -> tuple[str, str]:
    (outcome,) = item.values()
    error = outcome.get("error", {})
    reason = error.get("reason", str(error)) if isinstance(error, dict) else str(error)
    return str(outcome.get("_id")), reason


def _guarded(
    method: Callable[Concatenate[OpenSearchEngine, P], R],
) -> Callable[Concatenate[OpenSearchEngine, P], R]:
    """Turn "node unreachable or overloaded" into EngineUnavailable (the API's 503)."""

    @functools.wraps(method)
    def wrapper(self: OpenSearchEngine, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except NodeUnreachable as exc:
            raise EngineUnavailable(
                f"OpenSearch at {self.location} cannot be reached ({type(exc).__name__}); "
                "search works again as soon as the node is back"
            ) from exc
        except TransportError as exc:
            if exc.status_code not in BUSY_STATUSES:
                raise
            raise EngineUnavailable(
                f"OpenSearch at {self.location} is not ready (HTTP {exc.status_code}: "
                f"{exc.error}); retry shortly"
            ) from exc

    return wrapper


class OpenSearchEngine:
    """Engine over the indices behind ``alias``; holds no state besides the HTTP client."""

    name = "opensearch"

    def __init__(
        self,
        url: str,
        alias: str,
        timeout: float = 30.0,
        fields: Registry = FIELDS,
        lock: StoreLock | None = None,
        layout: ShardLayout | None = None,
    ) -> None:
        """``lock`` makes writes wait out a rebuild; the service assembly passes one shared
        by every process (indexer/locks.py), the default covers this process only.
        ``layout`` applies to indices this engine creates."""
        self.alias = alias
        self.fields = fields
        self.shard_layout = layout or ShardLayout()
        self.lock = lock or ThreadLock()
        self._meta_read: tuple[float, dict[str, Any]] | None = None
        parts = urlsplit(url)
        self.location = f"{parts.scheme}://{parts.hostname}:{parts.port or 9200}"  # no secrets
        self.client = OpenSearch(
            url, timeout=timeout, max_retries=1, retry_on_timeout=False, pool_maxsize=16
        )

    # -- low-level helpers ------------------------------------------------------------
    def _search(self, body: dict[str, Any], scored: bool = False) -> dict[str, Any]:
        """Search the alias; a missing alias (nothing stored yet) answers empty. A
        ``scored`` search (its order is BM25's) uses global term statistics."""
        search_type = self.shard_layout.search_type if scored else None
        resp = self.client.search(
            index=self.alias, body=body, ignore_unavailable=True, search_type=search_type
        )
        return self._complete(resp)

    def _msearch(self, searches: Sequence[tuple[dict[str, Any], bool]]) -> list[dict[str, Any]]:
        """Several (body, scored) searches of the alias in one round trip, answered in
        order; each is checked as ``_search`` checks one."""
        lines: list[dict[str, Any]] = []
        for body, scored in searches:
            header: dict[str, Any] = {"index": self.alias, "ignore_unavailable": True}
            if scored and self.shard_layout.search_type:
                header["search_type"] = self.shard_layout.search_type
            lines += [header, body]
        answers = self.client.msearch(body=lines)["responses"]
        for answer in answers:
            if "error" in answer:
                error = answer["error"]
                kind = error.get("type", "error") if isinstance(error, dict) else str(error)
                raise TransportError(answer.get("status", 500), kind, error)
        return [self._complete(answer) for answer in answers]

    def _complete(self, resp: dict[str, Any]) -> dict[str, Any]:
        """A search answer, unless some shard failed (then searches must wait)."""
        shards = resp["_shards"]
        if shards["failed"]:
            raise EngineUnavailable(
                f"OpenSearch at {self.location} answered with {shards['failed']} failed "
                f"shard(s) of {shards['total']}: {shards.get('failures', [])[:1]}"
            )
        return resp

    def _sources(self, ids: Sequence[str], fields: Sequence[str] | None = None) -> dict[str, Any]:
        if not ids:
            return {}
        try:
            docs = self.client.mget(
                index=self.alias, body={"ids": list(ids)}, _source_includes=fields
            )["docs"]
        except NotFoundError:
            return {}
        return {d["_id"]: d["_source"] for d in docs if d.get("found")}

    def _bulk(self, actions: Iterable[dict[str, Any]]) -> tuple[int, list[tuple[str, str]]]:
        """Send actions in chunks; per-record failures come back as (id, reason)."""
        done, errors = helpers.bulk(
            self.client, actions, chunk_size=BULK_CHUNK, raise_on_error=False
        )
        return done, [_bulk_reason(item) for item in errors]

    def _indices(self) -> list[str]:
        """The concrete indices the alias points at (one, except by outside meddling)."""
        try:
            return sorted(self.client.indices.get_alias(name=self.alias))
        except NotFoundError:
            return []

    def generations(self) -> list[str]:
        """Every index generation of this alias, oldest first."""
        pattern = re.compile(rf"{re.escape(self.alias)}-\d+")
        names = self.client.indices.get(index=f"{self.alias}-*", expand_wildcards="all")
        return sorted(n for n in names if pattern.fullmatch(n))

    def _next_index(self) -> str:
        last = max((int(n.rsplit("-", 1)[1]) for n in self.generations()), default=0)
        return f"{self.alias}-{last + 1:06d}"

    def _create(self, index: str, model: ModelInfo, with_alias: bool) -> None:
        body: dict[str, Any] = {
            "settings": index_settings(self.shard_layout),
            "mappings": index_mappings(model, self.fields),
        }
        if with_alias:
            body["aliases"] = {self.alias: {}}
        self.client.indices.create(index=index, body=body)

    def _ensure_index(self, model: ModelInfo) -> None:
        """The first write creates generation 1 (the vector dimension comes from the model)."""
        if self.client.indices.exists_alias(name=self.alias):
            return
        try:
            self._create(self._next_index(), model, with_alias=True)
        except RequestError as exc:  # another process created it first
            if exc.error != "resource_already_exists_exception":
                raise

    # -- writes -------------------------------------------------------------------------
    def _meta(self, recent: bool = False) -> dict[str, Any] | None:
        """The live index's ``_meta`` (model and layout); None before the first write.
        ``recent`` accepts a read up to META_SECONDS old (searches check the store on
        every request; it changes only when a rebuild swaps the index)."""
        read = self._meta_read
        if recent and read is not None and time.monotonic() - read[0] < META_SECONDS:
            return read[1]
        try:
            mappings = self.client.indices.get_mapping(index=self.alias)
        except NotFoundError:
            return None
        meta = next(iter(mappings.values()))["mappings"].get("_meta") or {}
        self._meta_read = (time.monotonic(), meta)
        return meta

    @_guarded
    def model_info(self) -> ModelInfo | None:
        return _model_of(self._meta())

    @_guarded
    def layout(self) -> str | None:
        return (self._meta() or {}).get("layout")

    @_guarded
    def check_store(self, model: ModelInfo | None = None) -> None:
        self._check(self._meta(recent=True), model)

    def _check(self, meta: dict[str, Any] | None, model: ModelInfo | None) -> None:
        if meta is None:
            return  # nothing stored yet: the first write creates the index
        check_layout(meta.get("layout"), self.fields, f"{self.location} ({self.alias})")
        if model is not None:
            check_model(_model_of(meta), model)

    @_guarded
    def upsert(
        self, records: Sequence[Innovation], vectors: np.ndarray, model: ModelInfo
    ) -> list[WriteResult]:
        check_vectors(records, vectors, model)
        with self.lock.held():
            return self._upsert(records, vectors, model)

    def _upsert(
        self, records: Sequence[Innovation], vectors: np.ndarray, model: ModelInfo
    ) -> list[WriteResult]:
        self._check(self._meta(), model)  # never a cached read: a write must see a rebuild
        self._ensure_index(model)
        old = self._sources([r.id for r in records])
        now = utc_now()
        results: list[WriteResult] = []
        actions: list[dict[str, Any]] = []
        for record, vector in zip(records, vectors, strict=True):
            previous = old.get(record.id)
            status = write_status(record, previous["fingerprint"] if previous else None)
            results.append(WriteResult(record.id, status))
            if status != "unchanged":
                created = previous["data"]["created_at"] if previous else now
                stamped = record.replace(created_at=created, updated_at=now)
                actions.append(
                    {"_id": record.id, "_source": document(stamped, vector, self.fields)}
                )
        self._write(actions, old, len(records))
        return results

    def _write(self, actions: list[dict[str, Any]], old: dict[str, Any], batch: int) -> None:
        """Bulk-write a batch; if any record is refused, put the others back as they were."""
        if not actions:
            return
        _, errors = self._bulk({"_index": self.alias} | a for a in actions)
        if errors:
            refused = {record_id for record_id, _ in errors}
            self._restore([a["_id"] for a in actions if a["_id"] not in refused], old)
            raise WriteFailed(errors, batch)
        self.client.indices.refresh(index=self.alias)

    def _restore(self, ids: list[str], old: dict[str, Any]) -> None:
        undo = [
            {"_index": self.alias, "_id": i, "_source": old[i]}
            if i in old
            else {"_op_type": "delete", "_index": self.alias, "_id": i}
            for i in ids
        ]
        self._bulk(undo)
        self.client.indices.refresh(index=self.alias)

    @_guarded
    def delete(self, ids: Sequence[str]) -> int:
        if not ids:
            return 0
        with self.lock.held():
            return self._delete(ids)

    def _delete(self, ids: Sequence[str]) -> int:
        try:
            resp = self.client.delete_by_query(
                index=self.alias,
                body={"query": {"ids": {"values": list(ids)}}},
                refresh=True,
                conflicts="proceed",
            )
        except NotFoundError:
            return 0
        return int(resp["deleted"])

    # -- primitive reads ----------------------------------------------------------------
    @_guarded
    def get(self, record_id: str) -> Innovation | None:
        return self.get_many([record_id]).get(record_id)

    @_guarded
    def get_many(self, ids: Sequence[str]) -> dict[str, Innovation]:
        sources = self._sources(list(dict.fromkeys(ids)), ["data"])
        return {i: Innovation.from_dict(s["data"], self.fields) for i, s in sources.items()}

    @_guarded
    def get_vector(self, record_id: str) -> np.ndarray | None:
        source = self._sources([record_id], ["vector"]).get(record_id)
        return np.asarray(source["vector"], np.float32) if source else None

    @_guarded
    def fingerprints(self, ids: Sequence[str]) -> dict[str, str]:
        return {i: s["fingerprint"] for i, s in self._sources(ids, ["fingerprint"]).items()}

    @_guarded
    def count(self) -> int:
        return int(self.client.count(index=self.alias, ignore_unavailable=True)["count"])

    @_guarded
    def resolve(
        self, text: str | None, vector: np.ndarray | None, correct: bool = True
    ) -> Resolved:
        """One _msearch: which query terms the store holds, the suggester's
        candidates for the unknown ones (indexer.fuzzy.closest picks exactly as in the
        embedded engine), and the nearest record to ``vector`` with its vector."""
        budget = term_budget(self.fields)
        asked: list[str] = []
        typed = query_terms(text, _recorder(asked), budget) if text is not None else None
        asked = [t for t in asked if correct and max_edits(t) > 0]
        probed = typed.terms if typed and typed.words else ()
        searches = [(body, False) for body in probe_bodies(probed, asked)] if probed else []
        if vector is not None:
            searches.append((knn_body(vector, Filters(), 1, source=["vector"]), False))
        answers = self._msearch(searches) if searches else []
        found = zip(probed, answers[: len(probed)], strict=True)
        held = {term for term, answer in found if answer["hits"]["total"]["value"]}
        fixed = _fixes(asked, answers[len(probed)].get("suggest", {}) if asked else {})
        held |= set(fixed.values())
        terms = query_terms(text, _fixed_by(fixed), budget) if text is not None else None
        nearest = answers[-1]["hits"]["hits"][:1] if vector is not None else []
        return Resolved(
            terms,
            terms.known_share(lambda w: any(t in held for t in w)) if terms else 0.0,
            Hit(nearest[0]["_id"], _cosine_of(nearest[0]["_score"])) if nearest else None,
            np.asarray(nearest[0]["_source"]["vector"], np.float32) if nearest else None,
        )

    @_guarded
    def execute(self, plan: QueryPlan) -> Answer:
        """One _msearch: the keyword (or browsed) list, the meaning list and the counts.
        The keyword list carries the words each hit holds, the counting search (for a
        rule with a vector) the ids of the match set, and with ``plan.records`` the lists
        carry the records themselves, so the page needs no further request."""
        fields = self.fields.facets if plan.facet_fields is None else plan.facet_fields
        data = ["data"] if plan.records else False
        searches: list[tuple[dict[str, Any], bool]] = []
        if plan.terms is not None:
            searches.append(
                (lexical_body(plan.terms, plan.filters, plan.k, self.fields, data), True)
            )
        elif plan.vector is None:
            searches.append((browse_body(plan.filters, plan.k, data), False))
        if plan.vector is not None:
            searches.append((knn_body(plan.vector, plan.filters, plan.k, (), data), False))
        match = self._resolved(plan.match)
        listed = match.neighbours * self.shard_layout.shards if match.vector is not None else 0
        searches.append((facets_body(match, plan.filters, fields, (), listed), False))
        answers = self._msearch(searches)
        first = answers[0]["hits"]["hits"] if plan.terms is not None or plan.vector is None else []
        meaning = answers[-2]["hits"]["hits"] if plan.vector is not None else []
        return _answer(plan, first, meaning, answers[-1], fields, self.fields)

    @_guarded
    def knn(
        self,
        vector: np.ndarray,
        filters: Filters,
        k: int,
        min_similarity: float = -1.0,
        exclude: Sequence[str] = (),
    ) -> list[Hit]:
        if k <= 0:
            return []
        resp = self._search(knn_body(vector, filters, k, exclude))
        hits = [Hit(h["_id"], _cosine_of(h["_score"])) for h in resp["hits"]["hits"]]
        return ranked((h for h in hits if h.score >= min_similarity), k)

    @_guarded
    def browse(self, filters: Filters, k: int) -> list[Hit]:
        """Records passing the filters, newest first (for an empty query)."""
        resp = self._search(browse_body(filters, k))
        return [Hit(h["_id"], 0.0) for h in resp["hits"]["hits"]]

    @_guarded
    def complete(self, text: str, filters: Filters, k: int) -> list[Hit]:
        wanted = completion(text)
        if wanted is None or k <= 0:
            return []
        resp = self._search(_completion_body(wanted, filters, k), scored=True)
        return ranked((Hit(h["_id"], float(h["_score"])) for h in resp["hits"]["hits"]), k)

    def _resolved(self, match: MatchQuery) -> MatchQuery:
        """The rule with its text analysed (here, if ranking did not)."""
        if match.text is not None and match.terms is None:
            return replace(match, terms=self.resolve(match.text, None).terms)
        return match

    @_guarded
    def facets(
        self,
        match: MatchQuery,
        filters: Filters,
        fields: Sequence[str] | None = None,
        candidates: Sequence[str] = (),
    ) -> FacetCounts:
        """Each field counted under the query and the other fields' filters (disjunctive)."""
        fields = self.fields.facets if fields is None else fields
        body = facets_body(self._resolved(match), filters, fields, candidates)
        return _facet_counts(self._search(body).get("aggregations", {}), fields)

    # -- generations ----------------------------------------------------------------------
    @_guarded
    def reindex(self, embedder: Embedder) -> ReindexReport:
        """Build the next generation, fill it, swap the alias atomically, drop the old one.

        Vectors are copied unless the configured model differs from the one that built the
        current index; then every record is re-embedded. On any failure the new index is
        deleted and the alias keeps pointing at the old one. It holds the store lock
        throughout: writes wait for the swap and then land in the new generation.
        """
        with self.lock.held():
            return self._rebuild(embedder)

    def _rebuild(self, embedder: Embedder) -> ReindexReport:
        old = self._indices()
        model = embedder.info
        reembed = self.model_info() != model or stale_vectors(self.layout())
        new = self._next_index()
        self._create(new, model, with_alias=False)
        try:
            self._set_refresh(new, "-1")  # no searchable segments while filling: faster bulk
            copied = self._copy(old, new, embedder if reembed else None)
            self._set_refresh(new, None)
            self.client.indices.refresh(index=new)
            self.merge(new)
            swap = [{"remove": {"index": i, "alias": self.alias}} for i in old]
            swap.append({"add": {"index": new, "alias": self.alias}})
            self.client.indices.update_aliases(body={"actions": swap})
            self._meta_read = None
        except BaseException:
            with contextlib.suppress(TransportError):
                self.client.indices.delete(index=new, ignore_unavailable=True)
            raise
        if old:
            time.sleep(DRAIN_SECONDS)
            self.client.indices.delete(index=",".join(old), ignore_unavailable=True)
        return ReindexReport(tuple(old), new, copied, reembed and bool(old))

    @_guarded
    def merge(self, index: str | None = None) -> None:
        """Merge an index (the live generation by default) into one segment per shard.

        A bulk load leaves dozens of segments (29 for 500,000 records), each with its own
        HNSW graph that every k-NN search walks; merged, hybrid p95 at 100,000 records fell
        from 113 to 98 ms (bench/search_latency.py). Writes go on meanwhile and make new segments.
        """
        target = index or self.alias
        self.client.indices.forcemerge(
            index=target, max_num_segments=1, request_timeout=MERGE_SECONDS
        )
        self.client.indices.refresh(index=target)  # searches move to the merged segment

    def _set_refresh(self, index: str, interval: str | None) -> None:
        """None restores the default interval."""
        body = {"index": {"refresh_interval": interval}}
        self.client.indices.put_settings(index=index, body=body)

    def _copy(self, sources: list[str], target: str, embedder: Embedder | None) -> int:
        if not sources:
            return 0
        hits = helpers.scan(
            self.client,
            index=",".join(sources),
            size=BULK_CHUNK,
            _source_includes=["data", "vector"],
        )
        copied, errors = self._bulk(self._copy_actions(hits, target, embedder))
        if errors:
            raise WriteFailed(errors, copied + len(errors))
        return copied

    def _copy_actions(
        self, hits: Iterable[dict[str, Any]], target: str, embedder: Embedder | None
    ) -> Iterator[dict[str, Any]]:
        for chunk in _chunks(hits, BULK_CHUNK):
            self.lock.renew()  # a long rebuild keeps its lease
            records = [Innovation.from_dict(h["_source"]["data"], self.fields) for h in chunk]
            vectors: Sequence[Any] | np.ndarray = (
                embedder.encode([r.embedding_text() for r in records])
                if embedder
                else [h["_source"]["vector"] for h in chunk]
            )
            for record, vector in zip(records, vectors, strict=True):
                yield {
                    "_index": target,
                    "_id": record.id,
                    "_source": document(record, vector, self.fields),
                }

    @_guarded
    def drop(self) -> None:
        """Delete every generation of this alias (and with them the alias)."""
        names = self.generations()
        self._meta_read = None
        if names:
            self.client.indices.delete(index=",".join(names), ignore_unavailable=True)

    def close(self) -> None:
        self.client.close()
