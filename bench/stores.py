"""Stores of synthetic records, built through the real ingest path and cached.

Embedding 50k texts takes one to several hours on this 2-core machine, so a finished
store is kept under bench/out/stores/ and reused while its key is unchanged, and the
stores (prefixes of one synthetic stream) share the vectors computed for each text.
With ``vector_budget`` set, only that many distinct texts are embedded; later texts
reuse those real model vectors in turn, each turned by a small random angle (see
``JITTER``) so that no two records share a vector: exact copies would be unlike any
real corpus and would distort an approximate (HNSW) index's graph. Scoring cost is the
same (one dense matrix of the same shape), which is what the latency benchmark
measures; relevance is measured elsewhere (bench/relevance) on real records. An
OpenSearch store is loaded from the embedded one (same records, same vectors), so both
engines are measured on the same data.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from bench.generate import synthetic
from indexer.embeddings import Embedder
from indexer.engines import Engine
from indexer.engines.base import Filters
from indexer.engines.embedded import EmbeddedEngine
from indexer.engines.opensearch import OpenSearchEngine
from indexer.ingest import Ingestor, IngestReport
from indexer.readers import items_from_objects
from indexer.settings import Settings

OUT = Path(__file__).parent / "out"
STORES = OUT / "stores"
DONE = "bench-store.json"
SEED = 20240601
ENGINES = ("embedded", "opensearch")
LOAD_BATCH = 5_000  # records per OpenSearch upsert (one refresh each) when loading a store
# Norm of the random vector added to a reused vector before it is normalised again: the
# reuse stays at cosine ~0.98 to the real vector it comes from.
JITTER = 0.2


class ReusingEmbedder(Embedder):
    """Embeds each distinct text once, and at most ``vector_budget`` texts in all."""

    def __init__(self, model_name: str | None = None, vector_budget: int | None = None) -> None:
        super().__init__(model_name)
        self.vector_budget = vector_budget
        self._vectors: dict[str, np.ndarray] = {}
        self._embedded: list[np.ndarray] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        budget = self.vector_budget
        room = len(missing) if budget is None else max(0, budget - len(self._embedded))
        fresh = list(super().encode(missing[:room]))
        self._embedded += fresh
        start = len(self._vectors) + len(fresh)
        fresh += [
            _jittered(self._embedded[(start + i) % len(self._embedded)], start + i)
            for i in range(len(missing) - len(fresh))
        ]
        self._vectors.update(zip(missing, fresh, strict=True))
        return np.stack([self._vectors[t] for t in texts]) if texts else super().encode([])


def _jittered(vector: np.ndarray, seed: int) -> np.ndarray:
    """``vector`` turned by a small random angle (reproducible per ``seed``), unit length."""
    noise = np.random.default_rng(seed).standard_normal(vector.shape)
    moved = vector + JITTER * noise / np.linalg.norm(noise)
    return (moved / np.linalg.norm(moved)).astype(vector.dtype)


def fresh_dir(label: str) -> Path:
    """An empty data dir under bench/out (a previous run's contents are removed)."""
    data_dir = OUT / label
    shutil.rmtree(data_dir, ignore_errors=True)
    return data_dir


def fresh_engine(name: str, label: str, opensearch_url: str | None = None) -> Engine:
    """An empty store of engine ``name``: a new data dir, or a dropped OpenSearch alias."""
    if name != "opensearch":
        return EmbeddedEngine(fresh_dir(label))
    if not opensearch_url:
        raise ValueError("the opensearch engine needs an OpenSearch URL")
    engine = OpenSearchEngine(opensearch_url, f"bench-{label}")
    engine.drop()
    return engine


def ingest(
    records: list[dict[str, Any]],
    engine: Engine,
    embedder: Embedder,
    batch_size: int = Settings.ingest_batch_size,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Validate, analyse, embed and store ``records`` with ``engine``, then close it."""
    try:
        return Ingestor(engine, embedder, batch_size).run(items_from_objects(records), progress)
    finally:
        engine.close()


def _store_key(count: int, embedder: ReusingEmbedder, seed: int) -> dict[str, Any]:
    budget = embedder.vector_budget
    return {
        "count": count,
        "seed": seed,
        "model": embedder.name,
        "distinct_vectors": count if budget is None else min(count, budget),
        "jitter": JITTER,
    }


def cached_store(count: int, embedder: ReusingEmbedder, seed: int = SEED) -> Path:
    """Data dir holding ``count`` synthetic records; built once, then reused."""
    key = _store_key(count, embedder, seed)
    data_dir = STORES / f"embedded-{count}"
    marker = data_dir / DONE
    if marker.exists() and json.loads(marker.read_text()) == key:
        return data_dir
    shutil.rmtree(data_dir, ignore_errors=True)
    records = synthetic(count, seed)
    with tqdm(total=count, desc=f"building {count}-record store", unit="rec") as bar:
        report = ingest(records, EmbeddedEngine(data_dir), embedder, progress=bar.update)
    if report.rejected:
        raise RuntimeError(f"{report.rejected} synthetic records rejected: {report.rejections[:3]}")
    marker.write_text(json.dumps(key))
    return data_dir


def opensearch_store(
    count: int, embedder: ReusingEmbedder, url: str, seed: int = SEED
) -> tuple[str, float]:
    """Alias holding the cached embedded store's records and vectors; (alias, load seconds).

    Loaded once per node (an alias already holding ``count`` records is reused, 0 s),
    then merged into one segment as ``jippnas reindex`` leaves an index (a no-op when it
    already is; the load time includes the merge).
    """
    data_dir = cached_store(count, embedder, seed)
    digest = hashlib.sha1(json.dumps(_store_key(count, embedder, seed)).encode()).hexdigest()
    alias = f"bench-{count}-{digest[:8]}"
    source, target = EmbeddedEngine(data_dir), OpenSearchEngine(url, alias)
    try:
        if target.count() == count:
            target.merge()
            return alias, 0.0
        target.drop()
        started = time.perf_counter()
        _copy(source, target, count)
        target.merge()
        return alias, time.perf_counter() - started
    finally:
        source.close()
        target.close()


def _copy(source: EmbeddedEngine, target: OpenSearchEngine, count: int) -> None:
    """Upsert the stored records with their stored vectors (no re-embedding), in bulk."""
    model = source.model_info()
    if model is None:
        raise RuntimeError("the embedded store has no model recorded")
    ids = [hit.id for hit in source.browse(Filters(), count)]
    with tqdm(total=len(ids), desc=f"loading {count} records into OpenSearch", unit="rec") as bar:
        for start in range(0, len(ids), LOAD_BATCH):
            batch = ids[start : start + LOAD_BATCH]
            records = [record for i in batch if (record := source.get(i))]
            vectors = np.stack(
                [vector for i in batch if (vector := source.get_vector(i)) is not None]
            )
            target.upsert(records, vectors, model)
            bar.update(len(batch))
