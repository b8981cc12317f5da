"""The embedded engine: SQLite FTS5 for BM25, numpy for vectors and facet counts.

SQLite is the only durable state: a record's JSON, facet columns, analysed text and
vector are written in one transaction, so a crash never leaves them out of step. Reads
use an in-memory snapshot (facet codes, the vector matrix, the vocabulary) that is
rebuilt whenever another connection has committed a write (a generation counter).

A reindex builds a new store file beside the live one and swaps the name in CURRENT
atomically; every connection follows the name, so readers keep answering throughout,
and a crash before the swap leaves the old store as it was.

A snapshot and everything later read into it (BM25 postings) come from SQLite read
transactions at the snapshot's own generation, so rowids always agree with it however
writers interleave: a posting read finds a newer generation, it rebuilds the snapshot
inside the same transaction instead of mixing the two.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

import numpy as np

from indexer.embeddings import Embedder, ModelInfo, check_model
from indexer.engines.base import (
    COMPLETED_FIELDS,
    Answer,
    EngineUnavailable,
    FacetCounts,
    Filters,
    Hit,
    MatchQuery,
    QueryPlan,
    QueryTerms,
    ReindexReport,
    Resolved,
    WriteResult,
    as_typed,
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
from indexer.fuzzy import corrections
from indexer.schema import Innovation, stale_vectors, store_layout
from indexer.text import analyzer

DB_NAME = "jippnas.sqlite3"  # the first store file; reindex writes jippnas-000002.sqlite3, ...
CURRENT = "CURRENT"  # names the live store file once a reindex has swapped it
COPY_BATCH = 256


def _schema(fields: Registry) -> str:
    """The store's tables: one keyword column per term facet, one FTS5 column per
    keyword-searched field (both from the field registry), and the layout they make,
    recorded only by the process that creates them (one write transaction, so a process
    opening the file at the same moment waits and finds the layout recorded)."""
    return f"""
BEGIN IMMEDIATE;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta SELECT 'layout', '{store_layout(fields)}'
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'docs');
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    {", ".join(f"{f} TEXT" for f in fields.term_facets)},
    year INTEGER NOT NULL,
    digital INTEGER NOT NULL,
    vector BLOB NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(
    {", ".join(fields.text_weights)}, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE IF NOT EXISTS docs_vocab USING fts5vocab(docs_fts, row);
INSERT OR IGNORE INTO meta VALUES ('generation', '0');
COMMIT;
"""


POSTINGS_LIMIT = 4_000_000  # cached (row, score) pairs per snapshot, about 48 MB
COMPLETION_POOL = 200  # best title/tag matches read before filtering, per completion
GET_CHUNK = 500  # ids per SELECT ... IN (...), under SQLite's variable limit
BUSY_SECONDS = 30.0  # how long a statement waits for another connection's lock
Generation = tuple[str, int]  # store file and its write counter
Postings = tuple[np.ndarray, np.ndarray]  # rows holding a term, and its BM25 part there


def _quoted(term: str) -> str:
    """An analysed term ([a-z0-9]+) as an FTS5 string, so it is never query syntax."""
    return f'"{term}"'


def _bm25(fields: Registry) -> str:
    return f"bm25(docs_fts, {', '.join(str(w) for w in fields.text_weights.values())})"


@dataclass
class _Snapshot:
    """Columnar, read-only view of the store at one generation."""

    generation: Generation
    ids: list[str]
    position: dict[int, int]  # rowid -> row in the arrays below
    codes: dict[str, np.ndarray]  # keyword facet -> int32 code per record (-1 = none)
    values: dict[str, list[str]]  # keyword facet -> value per code
    year: np.ndarray
    digital: np.ndarray
    vectors: np.ndarray
    vocabulary: dict[str, int]
    postings: dict[str, Postings] = field(default_factory=dict)
    postings_size: int = 0
    postings_lock: threading.Lock = field(default_factory=threading.Lock)
    last_similarities: tuple[np.ndarray, np.ndarray] | None = None

    def keep_postings(self, term: str, rows: np.ndarray, scores: np.ndarray) -> Postings:
        """Cache one term's postings; past POSTINGS_LIMIT the cache starts over."""
        with self.postings_lock:
            if self.postings_size > POSTINGS_LIMIT:
                self.postings, self.postings_size = {}, 0
            self.postings[term] = (rows, scores)
            self.postings_size += len(rows)
        return rows, scores

    @cached_property
    def row_of(self) -> dict[str, int]:
        return {record_id: row for row, record_id in enumerate(self.ids)}

    @cached_property
    def row_at(self) -> np.ndarray:
        """``position`` as an array indexed by rowid (-1: no such row), for whole lists."""
        rows = np.full(max(self.position, default=-1) + 1, -1, dtype=np.int64)
        rows[list(self.position)] = list(self.position.values())
        return rows

    def mask(self, filters: Filters) -> np.ndarray:
        keep = np.ones(len(self.ids), dtype=bool)
        for name, wanted in filters.terms.items():
            index = {v: i for i, v in enumerate(self.values[name])}
            codes = [index[v] for v in wanted if v in index]
            keep &= np.isin(self.codes[name], codes)
        if filters.year_from is not None:
            keep &= self.year >= filters.year_from
        if filters.year_to is not None:
            keep &= self.year <= filters.year_to
        if filters.digital is not None:
            keep &= self.digital == filters.digital
        return keep

    def counts(self, name: str, rows: np.ndarray) -> dict:
        if name == "year":
            years, counts = np.unique(self.year[rows], return_counts=True)
            return {int(y): int(c) for y, c in zip(years, counts, strict=True)}
        if name == "digital":
            flags = self.digital[rows]
            return {True: int(flags.sum()), False: int((~flags).sum())}
        codes = self.codes[name][rows]
        tally = np.bincount(codes[codes >= 0], minlength=len(self.values[name]))
        return {v: int(c) for v, c in zip(self.values[name], tally, strict=True)}


class EmbeddedEngine:
    """Engine over one SQLite file in ``data_dir``; safe for one writer, many readers."""

    name = "embedded"

    def __init__(self, data_dir: Path, file: str | None = None, fields: Registry = FIELDS) -> None:
        """``file`` pins one store file (a reindex fills its new file through it)."""
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self.fields = fields
        self._pinned = file
        self._local = threading.local()
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._matches: dict[tuple, _Matches] = {}
        self._db()

    @property
    def path(self) -> Path:
        """The live store file: the one CURRENT names (after a reindex), else the first."""
        if self._pinned:
            return self.data_dir / self._pinned
        try:
            return self.data_dir / (self.data_dir / CURRENT).read_text("utf-8").strip()
        except FileNotFoundError:
            return self.data_dir / DB_NAME

    # -- connections and snapshot -------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        """This thread's connection to the live store file (reopened after a swap)."""
        path = self.path
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.file != path and not conn.in_transaction:
            conn.close()
            conn = None
        if conn is None:
            conn = self._connect(path)
            self._local.conn, self._local.file = conn, path
        return conn

    def _connect(self, path: Path) -> sqlite3.Connection:
        """A connection in WAL mode to a store with its schema.

        Two processes opening a new store at once can both wait to switch it to WAL, and
        SQLite then fails one at once instead of waiting ("database is locked"): that is
        a busy store, not a broken one, so it is EngineUnavailable (a worker task retries
        it, the API answers 503).
        """
        conn = sqlite3.connect(  # uri: a "file:...?mode=memory" path is a memory store
            str(path), timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False, uri=True
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'docs'").fetchone():
                conn.executescript(_schema(self.fields))
        except sqlite3.OperationalError as exc:
            conn.close()
            if "locked" not in str(exc):
                raise
            raise EngineUnavailable(
                f"the store {path} is busy ({exc}): another process is opening or writing "
                "it; retry shortly"
            ) from exc
        return conn

    def _generation(self) -> Generation:
        db = self._db()
        row = db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return self._local.file.name, int(row[0])

    @contextmanager
    def _reading(self) -> Iterator[Generation]:
        """One read transaction: every read inside sees the generation it yields."""
        db = self._db()
        db.execute("BEGIN")
        try:
            yield self._generation()
        finally:
            db.execute("COMMIT")

    def _view(self) -> _Snapshot:
        snap = self._snapshot
        if snap is not None and snap.generation == self._generation():
            return snap
        with self._reading() as generation:
            return self._current(generation)

    def _current(self, generation: Generation) -> _Snapshot:
        """The snapshot of ``generation``, loaded if needed; call inside ``_reading``."""
        snap = self._snapshot
        if snap is None or snap.generation != generation:
            with self._lock:
                snap = self._snapshot
                if snap is None or snap.generation != generation:
                    snap = self._load(generation)
                    self._snapshot, self._matches = snap, {}
        return snap

    def _load(self, generation: Generation) -> _Snapshot:
        db = self._db()
        rows = db.execute(
            f"SELECT rowid, id, {', '.join(self.fields.term_facets)}, year, digital, vector "
            "FROM docs ORDER BY rowid"
        ).fetchall()
        codes: dict[str, np.ndarray] = {}
        values: dict[str, list[str]] = {}
        for i, name in enumerate(self.fields.term_facets, start=2):
            column = [r[i] for r in rows]
            values[name] = sorted({v for v in column if v is not None})
            index = {v: c for c, v in enumerate(values[name])}
            codes[name] = np.array([index.get(v, -1) for v in column], dtype=np.int32)
        info = self.model_info()
        dim = info.dimension if info else 0
        vectors = (
            np.frombuffer(b"".join(r[-1] for r in rows), dtype=np.float32).reshape(len(rows), dim)
            if rows
            else np.zeros((0, dim), np.float32)
        )
        vocabulary = dict(db.execute("SELECT term, doc FROM docs_vocab").fetchall())
        return _Snapshot(
            generation=generation,
            ids=[r[1] for r in rows],
            position={r[0]: p for p, r in enumerate(rows)},
            codes=codes,
            values=values,
            year=np.array([r[-3] for r in rows], dtype=np.int32),
            digital=np.array([bool(r[-2]) for r in rows], dtype=bool),
            vectors=vectors,
            vocabulary=vocabulary,
        )

    # -- writes ---------------------------------------------------------------------
    def model_info(self) -> ModelInfo | None:
        rows = dict(
            self._db()
            .execute("SELECT key, value FROM meta WHERE key IN ('model', 'dimension')")
            .fetchall()
        )
        return ModelInfo(rows["model"], int(rows["dimension"])) if rows else None

    def layout(self) -> str | None:
        row = self._db().execute("SELECT value FROM meta WHERE key = 'layout'").fetchone()
        return row[0] if row else None

    def check_store(self, model: ModelInfo | None = None) -> None:
        check_layout(self.layout(), self.fields, str(self.path))
        if model is not None:
            check_model(self.model_info(), model)

    def upsert(
        self, records: Sequence[Innovation], vectors: np.ndarray, model: ModelInfo
    ) -> list[WriteResult]:
        check_vectors(records, vectors, model)
        texts = [
            [analyzer().analyze(r.field_text(f, self.fields)) for f in self.fields.text_weights]
            for r in records
        ]
        with self._writing() as db:
            self.check_store(model)
            db.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [("model", model.name), ("dimension", str(model.dimension))],
            )
            return [
                self._write(db, record, vector, text)
                for record, vector, text in zip(records, vectors, texts, strict=True)
            ]

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction on the live store file, committed with a new generation.

        A writer that waited for the lock while a reindex swapped the file starts over on
        the new one, so no write lands in a store that is no longer live.
        """
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        while self._local.file != self.path:
            db.execute("ROLLBACK")
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _write(
        self, db: sqlite3.Connection, record: Innovation, vector: np.ndarray, text: list[str]
    ) -> WriteResult:
        old = db.execute(
            "SELECT rowid, fingerprint, created_at FROM docs WHERE id = ?", (record.id,)
        ).fetchone()
        status = write_status(record, old[1] if old else None)
        if status == "unchanged":
            return WriteResult(record.id, status)
        # A record copied by reindex keeps its timestamps; new content gets fresh ones.
        now = record.updated_at or utc_now()
        created = old[2] if old else (record.created_at or now)
        data = record.to_dict() | {"created_at": created, "updated_at": now}
        columns = (
            record.id,
            json.dumps(data, ensure_ascii=False),
            record.fingerprint(),
            *(getattr(record, f) for f in self.fields.term_facets),
            record.year,
            int(record.digital),
            np.asarray(vector, np.float32).tobytes(),
            created,
            now,
        )
        if old is not None:
            db.execute("DELETE FROM docs WHERE rowid = ?", (old[0],))
            db.execute("DELETE FROM docs_fts WHERE rowid = ?", (old[0],))
        marks = ", ".join("?" * len(columns))
        cursor = db.execute(
            f"INSERT INTO docs (id, data, fingerprint, {', '.join(self.fields.term_facets)}, year, "
            f"digital, vector, created_at, updated_at) VALUES ({marks})",
            columns,
        )
        db.execute(
            f"INSERT INTO docs_fts (rowid, {', '.join(self.fields.text_weights)}) "
            f"VALUES (?, {', '.join('?' * len(text))})",
            (cursor.lastrowid, *text),
        )
        return WriteResult(record.id, status)

    def delete(self, ids: Sequence[str]) -> int:
        with self._writing() as db:
            rowids = [
                r[0] for i in ids for r in db.execute("SELECT rowid FROM docs WHERE id = ?", (i,))
            ]
            db.executemany("DELETE FROM docs WHERE rowid = ?", [(r,) for r in rowids])
            db.executemany("DELETE FROM docs_fts WHERE rowid = ?", [(r,) for r in rowids])
        return len(rowids)

    # -- rebuild --------------------------------------------------------------------
    def reindex(self, embedder: Embedder) -> ReindexReport:
        """Build the next store file from the live one, then swap CURRENT to it.

        Vectors are copied unless the configured model differs from the one that built
        the store; then every record is re-embedded. Records written while the copy runs
        are caught up under the live store's write lock just before the swap, so none is
        lost; searches keep answering from the old file until the swap.
        """
        old, model = self.path, embedder.info
        reembed = self.model_info() != model or stale_vectors(self.layout())
        new = _remove_store(self.data_dir / _next_name(old.name))  # leftovers of a crash
        target = EmbeddedEngine(self.data_dir, file=new.name, fields=self.fields)
        try:
            last = self._copy(target, 0, embedder if reembed else None, model)
            with self._writing():  # writers wait here until the swap is done
                self._copy(target, last, embedder if reembed else None, model)
                live = set(self.get_ids())  # same connection: inside the write lock
                target.delete([i for i in target.get_ids() if i not in live])
                _replace_text(self.data_dir / CURRENT, new.name)
            copied = target.count()
        except BaseException:
            target.close()
            _remove_store(new)
            raise
        target.close()
        self.close()
        _remove_store(old)
        return ReindexReport((old.name,), new.name, copied, reembed)

    def _copy(
        self, target: EmbeddedEngine, after: int, embedder: Embedder | None, model: ModelInfo
    ) -> int:
        """Copy rows past rowid ``after`` into ``target``; returns the last rowid copied.

        An update re-inserts its row, so every record changed since ``after`` is past it.
        """
        while (
            rows := self._db()
            .execute(
                "SELECT rowid, data, vector FROM docs WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (after, COPY_BATCH),
            )
            .fetchall()
        ):
            records = [Innovation.from_dict(json.loads(r[1]), self.fields) for r in rows]
            vectors = (
                embedder.encode([r.embedding_text() for r in records])
                if embedder
                else np.stack([np.frombuffer(r[2], dtype=np.float32) for r in rows])
            )
            target.upsert(records, vectors, model)
            after = rows[-1][0]
        return after

    def get_ids(self) -> list[str]:
        return [r[0] for r in self._db().execute("SELECT id FROM docs")]

    # -- primitive reads --------------------------------------------------------------
    def get(self, record_id: str) -> Innovation | None:
        return self.get_many([record_id]).get(record_id)

    def get_many(self, ids: Sequence[str]) -> dict[str, Innovation]:
        db, found = self._db(), {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), GET_CHUNK):
            chunk = unique[start : start + GET_CHUNK]
            marks = ", ".join("?" * len(chunk))
            for record_id, data in db.execute(
                f"SELECT id, data FROM docs WHERE id IN ({marks})", chunk
            ):
                found[record_id] = Innovation.from_dict(json.loads(data), self.fields)
        return found

    def get_vector(self, record_id: str) -> np.ndarray | None:
        row = self._db().execute("SELECT vector FROM docs WHERE id = ?", (record_id,)).fetchone()
        return np.frombuffer(row[0], dtype=np.float32).copy() if row else None

    def fingerprints(self, ids: Sequence[str]) -> dict[str, str]:
        db = self._db()
        return {
            i: r[0]
            for i in ids
            for r in db.execute("SELECT fingerprint FROM docs WHERE id = ?", (i,))
        }

    def count(self) -> int:
        return int(self._db().execute("SELECT count(*) FROM docs").fetchone()[0])

    def _lexical_matches(self, query: QueryTerms) -> tuple[_Snapshot, _Matches]:
        """Rows matching any of the query's terms, with BM25 scores and how many of its
        words each holds.

        The rows, their scores and the snapshot they index all belong to one generation.
        """
        snap = self._view()
        found = self._matches.get((snap.generation, query.words))
        if found is None:
            postings = {t: snap.postings.get(t) for t in query.terms}
            if None in postings.values():
                with self._reading() as generation:
                    if generation != snap.generation:
                        snap = self._current(generation)
                        postings = {t: snap.postings.get(t) for t in query.terms}
                    for term, cached in postings.items():
                        postings[term] = cached or snap.keep_postings(
                            term, *self._read_postings(snap, term)
                        )
            found = _summed(len(snap.ids), query, postings)  # type: ignore[arg-type]
            matches = self._matches if len(self._matches) <= 256 else {}
            matches[(snap.generation, query.words)] = found
            self._matches = matches
        return snap, found

    def _terms(self, snap: _Snapshot, text: str, correct: bool) -> QueryTerms:
        budget = term_budget(self.fields)
        fix = (lambda ts: corrections(ts, snap.vocabulary)) if correct else as_typed
        return query_terms(text, fix, budget)

    def _read_postings(self, snap: _Snapshot, term: str) -> tuple[np.ndarray, np.ndarray]:
        """Rows holding one term and its BM25 part; call inside ``_reading`` at snap's
        generation.

        FTS5's bm25() of an OR query is the sum over its terms of each term's own score
        (IDF and document lengths do not depend on the other terms), so adding cached
        per-term lists gives the same scores without re-scoring the large match sets of
        common terms on every query.
        """
        rows = (
            self._db()
            .execute(
                f"SELECT rowid, {_bm25(self.fields)} FROM docs_fts WHERE docs_fts MATCH ?",
                (f'"{term}"',),
            )
            .fetchall()
        )
        found = np.array(rows, dtype=np.float64).reshape(-1, 2)
        return snap.row_at[found[:, 0].astype(np.int64)], -found[:, 1]

    def _similarities(self, snap: _Snapshot, vector: np.ndarray) -> np.ndarray:
        """Cosine of every record to ``vector``; a search's knn and facets share one product."""
        query = np.asarray(vector, np.float32)
        last = snap.last_similarities
        if last is None or not np.array_equal(last[0], query):
            last = (query.copy(), snap.vectors @ query)
            snap.last_similarities = last
        return last[1]

    def resolve(
        self, text: str | None, vector: np.ndarray | None, correct: bool = True
    ) -> Resolved:
        snap = self._view()
        terms = self._terms(snap, text, correct) if text is not None else None
        nearest = self.knn(vector, Filters(), 1) if vector is not None else []
        return Resolved(
            terms,
            terms.known_share(lambda w: any(t in snap.vocabulary for t in w)) if terms else 0.0,
            nearest[0] if nearest else None,
            self.get_vector(nearest[0].id) if nearest else None,
        )

    def execute(self, plan: QueryPlan) -> Answer:
        keyword: list[Hit] = []
        coverage: dict[str, float] = {}
        if plan.terms is not None:
            keyword, coverage = self._keyword(plan.terms, plan.filters, plan.k)
        elif plan.vector is None:
            keyword = self.browse(plan.filters, plan.k)
        semantic = self.knn(plan.vector, plan.filters, plan.k) if plan.vector is not None else []
        candidates = candidate_ids(keyword, semantic)
        counts = self.facets(plan.match, plan.filters, plan.facet_fields, candidates)
        matched = [i for i in candidates if i in counts.matched]
        return Answer(
            keyword,
            coverage,
            semantic,
            counts,
            self.get_many(matched) if plan.records and matched else {},
        )

    def _keyword(
        self, query: QueryTerms, filters: Filters, k: int
    ) -> tuple[list[Hit], dict[str, float]]:
        """Keyword top k under the filters, and each hit's share of the query's words."""
        snap, found = self._lexical_matches(query)
        positions, scores = found.positions, found.scores
        keep = snap.mask(filters)[positions] if len(positions) else np.zeros(0, bool)
        positions, scores, words = positions[keep], scores[keep], found.words[keep]
        hits = _top(snap, positions, scores, k)
        share = dict(zip(positions.tolist(), words / max(len(query.words), 1), strict=True))
        return hits, {h.id: float(share[snap.row_of[h.id]]) for h in hits}

    def knn(
        self,
        vector: np.ndarray,
        filters: Filters,
        k: int,
        min_similarity: float = -1.0,
        exclude: Sequence[str] = (),
    ) -> list[Hit]:
        snap = self._view()
        if not snap.ids:
            return []
        sims = self._similarities(snap, vector)
        keep = snap.mask(filters) & (sims >= min_similarity)
        keep[[snap.row_of[i] for i in exclude if i in snap.row_of]] = False
        positions = np.flatnonzero(keep)
        return _top(snap, positions, sims[positions].astype(np.float64), k)

    def browse(self, filters: Filters, k: int) -> list[Hit]:
        """Records passing the filters, newest first (for an empty query)."""
        snap = self._view()
        positions = np.flatnonzero(snap.mask(filters))
        order = sorted(positions.tolist(), key=lambda p: (-int(snap.year[p]), snap.ids[p]))
        return [Hit(snap.ids[p], 0.0) for p in order[:k]]

    def complete(self, text: str, filters: Filters, k: int) -> list[Hit]:
        wanted = completion(text)
        if wanted is None or k <= 0:
            return []
        # Terms are [a-z0-9]+ (the analyzer's output), so quoting them is all the escaping
        # FTS5 needs; the column filter keeps the match to titles and tags.
        columns = "{" + " ".join(COMPLETED_FIELDS) + "}"
        clauses = [f"{columns} : ({' OR '.join(map(_quoted, word))})" for word in wanted.words]
        query = " AND ".join([*clauses, f"{columns} : {_quoted(wanted.prefix)}*"])
        with self._reading() as generation:
            snap = self._current(generation)
            rows = (
                self._db()
                .execute(
                    f"SELECT rowid, {_bm25(self.fields)} AS score FROM docs_fts "
                    "WHERE docs_fts MATCH ? ORDER BY score LIMIT ?",
                    (query, COMPLETION_POOL),
                )
                .fetchall()
            )
        keep = snap.mask(filters)
        hits = [
            Hit(snap.ids[snap.position[r]], -score) for r, score in rows if keep[snap.position[r]]
        ]
        return ranked(hits, k)

    def facets(
        self,
        match: MatchQuery,
        filters: Filters,
        fields: Sequence[str] | None = None,
        candidates: Sequence[str] = (),
    ) -> FacetCounts:
        fields = self.fields.facets if fields is None else fields
        snap, matched = self._match_set(match)
        rows = {name: matched & snap.mask(filters.without(name)) for name in fields}
        return FacetCounts(
            int((matched & snap.mask(filters)).sum()),
            {name: ordered_facet(name, snap.counts(name, rows[name])) for name in fields},
            {name: int(rows[name].sum()) for name in fields},
            frozenset(i for i in candidates if i in snap.row_of and matched[snap.row_of[i]]),
        )

    def _match_set(self, match: MatchQuery) -> tuple[_Snapshot, np.ndarray]:
        """Which rows match (see ``MatchQuery``), over the whole store."""
        if match.text is not None:
            query = match.terms or self._terms(self._view(), match.text, correct=True)
            snap, found = self._lexical_matches(query)
            score = np.zeros(len(snap.ids), dtype=np.float64)
            if query.words:
                score[found.positions] = match.coverage_weight * found.words / len(query.words)
        else:
            snap = self._view()
            score = np.zeros(len(snap.ids), dtype=np.float64)
        if match.everything:
            return snap, np.ones(len(snap.ids), dtype=bool)
        if match.vector is None or not len(snap.ids):
            return snap, score >= match.threshold
        sims = self._similarities(snap, match.vector)
        near = np.zeros(len(snap.ids), dtype=bool)
        near[_nearest(sims, match.neighbours)] = True
        return snap, near & (score + sims >= match.threshold)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _next_name(name: str) -> str:
    """jippnas.sqlite3 -> jippnas-000002.sqlite3 -> jippnas-000003.sqlite3 ..."""
    found = re.fullmatch(r"jippnas-(\d+)\.sqlite3", name)
    return f"jippnas-{(int(found[1]) if found else 1) + 1:06d}.sqlite3"


def _remove_store(path: Path) -> Path:
    """Delete a store file with its WAL and shared-memory files; returns the path."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def _replace_text(path: Path, text: str) -> None:
    """Write a small file atomically: readers see the old text or the new, never half."""
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class _Matches(NamedTuple):
    """Rows holding any query term, their summed BM25, and how many query words each has."""

    positions: np.ndarray
    scores: np.ndarray
    words: np.ndarray


def _summed(size: int, query: QueryTerms, postings: dict[str, Postings]) -> _Matches:
    """FTS5's score of the OR query (per-term BM25 parts added in query order, so sums
    round exactly as FTS5's do), and the words matched per row."""
    scores = np.zeros(size, dtype=np.float64)
    hit = np.zeros(size, dtype=bool)
    for term in query.terms:
        rows, term_scores = postings[term]
        scores[rows] += term_scores
        hit[rows] = True
    words = np.zeros(size, dtype=np.int32)
    for word in query.words:
        has = np.zeros(size, dtype=bool)
        for term in word:
            has[postings[term][0]] = True
        words += has
    positions = np.flatnonzero(hit)
    return _Matches(positions, scores[positions], words[positions])


def _nearest(sims: np.ndarray, k: int) -> np.ndarray:
    """Rows of the ``k`` highest similarities (any order)."""
    if k >= len(sims):
        return np.arange(len(sims))
    return np.argpartition(-sims, k - 1)[:k] if k > 0 else np.zeros(0, np.int64)


def _top(snap: _Snapshot, positions: np.ndarray, scores: np.ndarray, k: int) -> list[Hit]:
    """Best k by score (see ``ranked``); the partition keeps every tie at the cut."""
    if k <= 0 or not len(positions):
        return []
    if len(positions) > k:
        cut = np.argpartition(-scores, k - 1)[:k]
        threshold = scores[cut].min()
        cut = np.flatnonzero(scores >= threshold)
        positions, scores = positions[cut], scores[cut]
    hits = (Hit(snap.ids[p], s) for p, s in zip(positions.tolist(), scores.tolist(), strict=True))
    return ranked(hits, k)
