"""The engine contract: primitive writes and reads that every engine implements.

Engines store records with their analysed text and vectors and answer primitive reads
(lexical top-k, vector top-k, facet counts, get). Fusion, "more like this" and result
assembly live once, in ``ranking``, on top of these primitives.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

import numpy as np

from indexer.embeddings import Embedder, ModelInfo
from indexer.fields import Registry
from indexer.schema import Innovation, store_layout
from indexer.text import analyzer, raw_tokens

# OpenSearch counts every clause of a query against a limit of 1,024: a keyword query
# matches each term in every text field and names each word once (see term_budget).
MAX_CLAUSES = 1024
FILTER_CLAUSES = 128  # room left for the filters
ANY_WORD = 1e-9  # a match threshold just above zero: one word of the query is enough
# A query with a vector matches among this many records nearest to it in meaning (per
# shard on OpenSearch): scoring every record's cosine per search costs 55 ms per 100,000
# records on an OpenSearch node, which a national store cannot afford (README, "Match set").
MATCH_NEIGHBOURS = 1_000
FacetValue = str | int | bool
Facets = dict[str, list[tuple[FacetValue, int]]]
WriteStatus = Literal["created", "updated", "unchanged"]


class EngineUnavailable(RuntimeError):
    """The engine cannot be reached right now; callers answer 503 and retry later."""


class StoreOutdated(EngineUnavailable):
    """The store was built with another layout (an older or newer release, or another
    field registry); ``jippnas reindex`` rebuilds it in the current one."""


def check_layout(stored: str | None, fields: Registry, store: str) -> None:
    """Refuse a store whose recorded layout is not this version's, saying what to run."""
    current = store_layout(fields)
    if stored != current:
        built = f"layout {stored}" if stored else "a release that did not record its layout"
        raise StoreOutdated(
            f"the store {store} was built by {built}; this version needs layout {current}. "
            "Run `jippnas reindex` to rebuild it (records are kept; searches answer again "
            "once the rebuilt store is swapped in)"
        )


class WriteFailed(RuntimeError):
    """Some records of a batch were refused by the engine; none of the batch was kept."""

    def __init__(self, errors: Sequence[tuple[str, str]], batch_size: int) -> None:
        self.errors = list(errors)
        listed = "; ".join(f"{record_id}: {reason}" for record_id, reason in self.errors[:5])
        super().__init__(
            f"{len(self.errors)} of {batch_size} records could not be stored, so the batch "
            f"was not written: {listed}"
        )


@dataclass(frozen=True)
class Filters:
    """Repeated values of one field are OR-ed; different fields are AND-ed."""

    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    digital: bool | None = None

    def without(self, name: str) -> Filters:
        """The same filters minus one facet field (for disjunctive facet counts)."""
        if name == "year":
            return replace(self, year_from=None, year_to=None)
        if name == "digital":
            return replace(self, digital=None)
        return replace(self, terms={k: v for k, v in self.terms.items() if k != name})


@dataclass(frozen=True)
class Hit:
    id: str
    score: float


@dataclass
class LexicalResult:
    """Keyword hits, how many records matched, the typo fixes made, and how far to trust
    the list: per hit the share of the query's words it contains (``coverage``), and the
    share of the query's words the whole store holds at all (``known``: an English query
    over Indonesian records matches only incidental words)."""

    hits: list[Hit]
    total: int
    corrections: dict[str, str] = field(default_factory=dict)
    coverage: dict[str, float] = field(default_factory=dict)
    known: float = 0.0


@dataclass(frozen=True)
class MatchQuery:
    """Which records count as matching a query: the total, the facet counts, and which
    ranked hits are shown.

    A record's match score is ``coverage_weight`` x the share of the query's words it
    contains (a word matches through any of its terms, see ``QueryTerms``), plus its
    cosine to ``vector`` when one is given; it matches at ``threshold`` or above. With a
    vector only the ``neighbours`` records nearest to it in the whole store can match
    (OpenSearch finds them with its HNSW index, the embedded engine exactly; see
    bench/match-recall.md). With neither text nor vector every record matches.
    ranking.search sets the numbers (measured in bench/relevance/tune.py).
    """

    text: str | None = None
    vector: np.ndarray | None = None
    coverage_weight: float = 1.0
    threshold: float = ANY_WORD
    # ``text`` as resolve() analysed it (typos corrected or searched as typed): engines
    # reuse it instead of analysing (on OpenSearch: asking the suggester) again; without
    # it they analyse ``text`` and correct its typos.
    terms: QueryTerms | None = None
    neighbours: int = MATCH_NEIGHBOURS

    @property
    def everything(self) -> bool:
        return self.text is None and self.vector is None

    def covered(self, coverage: float) -> bool:
        """Whether a record holding ``coverage`` of the query's words matches a rule
        without a vector (for one with a vector, the engine's match set decides)."""
        return self.everything or self.coverage_weight * coverage >= self.threshold


@dataclass(frozen=True)
class FacetCounts:
    """Counts for one query: how many records match, per-field value counts, for each
    field how many would match without that field's filter (an empty page's "drop this
    filter" hints come from these, never from extra searches), and which of the
    ranking's candidate ids are in the match set (so hits and counts agree)."""

    total: int
    facets: Facets
    without: dict[str, int] = field(default_factory=dict)
    matched: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Resolved:
    """A query resolved against the store, in one step (one round trip on OpenSearch):
    its words analysed and their typos corrected, the share of them the store holds
    (see LexicalResult.known), and the store's nearest record to the query vector, with
    that record's vector."""

    terms: QueryTerms | None = None
    known: float = 0.0
    nearest: Hit | None = None
    nearest_vector: np.ndarray | None = None


@dataclass(frozen=True)
class QueryPlan:
    """Everything one search asks of an engine, resolved once by ranking: the keyword
    list (``terms``), the meaning list (``vector``), each ``k`` long under ``filters``;
    the match rule and the facet fields to count. With neither terms nor vector the list
    is the filtered records, newest first (browsing)."""

    filters: Filters
    k: int
    terms: QueryTerms | None = None
    vector: np.ndarray | None = None
    match: MatchQuery = field(default_factory=MatchQuery)
    facet_fields: tuple[str, ...] | None = None  # None: every facet of the registry
    records: bool = True  # whether the answer carries the matched hits' records


@dataclass(frozen=True)
class Answer:
    """A plan executed: the keyword list (or the browsed one) with each hit's share of
    the query's words, the meaning list, the counts of the match set (``counts.matched``:
    which hits of either list are in it) and every matched hit's record."""

    keyword: list[Hit]
    coverage: dict[str, float]
    semantic: list[Hit]
    counts: FacetCounts
    records: dict[str, Innovation]

    @property
    def candidates(self) -> list[str]:
        return candidate_ids(self.keyword, self.semantic)


def candidate_ids(*lists: Sequence[Hit]) -> list[str]:
    """The ids of a plan's lists, once each, keyword hits first."""
    return list(dict.fromkeys(h.id for hits in lists for h in hits))


@dataclass(frozen=True)
class ReindexReport:
    """A rebuild: the stores (index generations or files) replaced, the new one, how many
    records it holds, and whether they were re-embedded with another model."""

    old: tuple[str, ...]
    new: str
    records: int
    reembedded: bool


@dataclass(frozen=True)
class WriteResult:
    id: str
    status: WriteStatus


class Engine(Protocol):
    name: str
    fields: Registry  # the record fields it stores, filters and counts

    def model_info(self) -> ModelInfo | None: ...

    def layout(self) -> str | None: ...  # see indexer.schema.store_layout

    def check_store(self, model: ModelInfo | None = None) -> None:
        """Refuse a store built with another layout (StoreOutdated) or, given ``model``,
        with another model (ModelMismatch); both messages say how to rebuild it."""
        ...

    def upsert(
        self, records: Sequence[Innovation], vectors: np.ndarray, model: ModelInfo
    ) -> list[WriteResult]: ...

    def delete(self, ids: Sequence[str]) -> int: ...

    def get(self, record_id: str) -> Innovation | None: ...

    def get_many(self, ids: Sequence[str]) -> dict[str, Innovation]: ...

    def get_vector(self, record_id: str) -> np.ndarray | None: ...

    def fingerprints(self, ids: Sequence[str]) -> dict[str, str]: ...

    def count(self) -> int: ...

    def resolve(
        self, text: str | None, vector: np.ndarray | None, correct: bool = True
    ) -> Resolved:
        """``text`` analysed (typos corrected unless ``correct`` is off) and ``vector``'s
        nearest record in the whole store; either may be None."""
        ...

    def execute(self, plan: QueryPlan) -> Answer:
        """Run a plan: at most one round trip to a search node."""
        ...

    def knn(
        self,
        vector: np.ndarray,
        filters: Filters,
        k: int,
        min_similarity: float = -1.0,
        exclude: Sequence[str] = (),
    ) -> list[Hit]: ...

    def browse(self, filters: Filters, k: int) -> list[Hit]: ...

    def complete(self, text: str, filters: Filters, k: int) -> list[Hit]:
        """Records whose title or tags hold every word of ``text`` and a word starting
        with its last, unfinished one (see ``completion``), best first: autocomplete."""
        ...

    def facets(
        self,
        match: MatchQuery,
        filters: Filters,
        fields: Sequence[str] | None = None,  # None: every facet of the registry
        candidates: Sequence[str] = (),
    ) -> FacetCounts: ...

    def reindex(self, embedder: Embedder) -> ReindexReport: ...

    def close(self) -> None: ...


def ordered_facet(name: str, counts: dict[FacetValue, int]) -> list[tuple[FacetValue, int]]:
    """One order for every engine: years newest first, others by count then value."""
    items = [(v, c) for v, c in counts.items() if c > 0]
    if name == "year":
        return sorted(items, key=lambda vc: -int(vc[0]))
    return sorted(items, key=lambda vc: (-vc[1], str(vc[0])))


def check_vectors(records: Sequence[Innovation], vectors: np.ndarray, model: ModelInfo) -> None:
    """Refuse a batch whose vectors do not fit it, before anything is written."""
    shape = np.shape(vectors)
    if shape != (len(records), model.dimension):
        raise ValueError(
            f"expected {len(records)} vectors of dimension {model.dimension}, got shape {shape}"
        )


def utc_now() -> str:
    """Timestamp for created_at/updated_at, the same format in every engine."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def write_status(record: Innovation, old_fingerprint: str | None) -> WriteStatus:
    """What an upsert does to a record, given the fingerprint stored for its id (if any)."""
    if old_fingerprint is None:
        return "created"
    return "unchanged" if old_fingerprint == record.fingerprint() else "updated"


def ranked(hits: Iterable[Hit], k: int) -> list[Hit]:
    """Best k by score; ties broken by id so every engine orders them the same way."""
    return sorted(hits, key=lambda h: (-h.score, h.id))[: max(k, 0)]


@dataclass(frozen=True)
class QueryTerms:
    """An analysed query: each word as the index terms that match it (its stem and its
    surface form, or its typo correction), and the corrections made."""

    words: tuple[tuple[str, ...], ...] = ()
    corrections: dict[str, str] = field(default_factory=dict)

    @property
    def terms(self) -> list[str]:
        return list(dict.fromkeys(t for word in self.words for t in word))

    def known_share(self, known: Callable[[tuple[str, ...]], bool]) -> float:
        """The share of the query's words that ``known`` says the store holds."""
        return sum(map(known, self.words)) / len(self.words) if self.words else 0.0


def term_budget(fields: Registry) -> int:
    """How many terms of a query are used: each costs a clause per text field, plus one
    per word, under OpenSearch's clause limit (8 text fields: 99 terms)."""
    return (MAX_CLAUSES - FILTER_CLAUSES) // (len(fields.text_weights) + 1)


COMPLETED_FIELDS = ("title", "tags")  # what autocomplete matches
MIN_PREFIX = 2


@dataclass(frozen=True)
class Completion:
    """A query being typed: its finished words, each as the index terms that match it
    (stem and surface form), and the start of the word being typed (folded, as typed: a
    prefix is not stemmed)."""

    words: tuple[tuple[str, ...], ...]
    prefix: str


def completion(text: str) -> Completion | None:
    """The completion a text asks for; None when its last word is shorter than MIN_PREFIX."""
    tokens = raw_tokens(text)
    if not tokens or len(tokens[-1]) < MIN_PREFIX:
        return None
    words: dict[str, list[str]] = {}
    for surface, term in analyzer().pairs(" ".join(tokens[:-1])):
        words.setdefault(surface, []).append(term)
    return Completion(tuple(tuple(dict.fromkeys(t)) for t in words.values()), tokens[-1])


def as_typed(terms: list[str]) -> dict[str, str]:
    """The ``correct`` of a query searched as typed: no term is replaced."""
    return {}


def query_terms(
    text: str, correct: Callable[[list[str]], dict[str, str]], budget: int
) -> QueryTerms:
    """The query's words with unknown terms replaced by ``correct``'s fixes.

    At most ``budget`` terms (``term_budget``), in order of appearance: a long text
    ("more like this" from a huge record) costs what a long query does, and every engine
    cuts it at the same place.
    """
    words: dict[str, list[str]] = {}
    for surface, term in analyzer().pairs(text):
        known = words.get(surface)
        if known is None and budget < 2:  # a new word may bring two terms
            break
        if known is None:
            known = words[surface] = []
        if term not in known:
            known.append(term)
            budget -= 1
    # A word the stemmer changed has a known stem ("harganya" -> "harga"); correcting its
    # surface form would add a different word ("warganya"). Only single-term words are
    # corrected.
    fixed = correct([terms[0] for terms in words.values() if len(terms) == 1])
    grouped = (tuple(dict.fromkeys(fixed.get(t, t) for t in terms)) for terms in words.values())
    return QueryTerms(tuple(dict.fromkeys(grouped)), fixed)


def keyword_search(
    engine: Engine, text: str, filters: Filters, k: int, correct: bool = True
) -> LexicalResult:
    """A keyword search alone: the query resolved, then its keyword list executed and
    the records holding any of its words counted."""
    resolved = engine.resolve(text, None, correct)
    terms = resolved.terms or QueryTerms()
    any_word = MatchQuery(text, terms=terms)
    found = engine.execute(
        QueryPlan(filters, k, terms, match=any_word, facet_fields=(), records=False)
    )
    return LexicalResult(
        found.keyword, found.counts.total, terms.corrections, found.coverage, resolved.known
    )
