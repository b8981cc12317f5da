"""Engines under test. Every test in this package runs against each engine kind.

To plug in another engine, add its name to ENGINES and a branch to ``_open``; the
tests themselves do not change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from indexer.embeddings import Embedder
from indexer.engines.base import Engine
from indexer.engines.embedded import EmbeddedEngine
from indexer.engines.memory import MemoryEngine
from indexer.engines.opensearch import OpenSearchEngine, ShardLayout
from indexer.ingest import Ingestor
from indexer.readers import read_file
from tests.conftest import SAMPLE_SIZE
from tests.support.hashing import hashing_embedder

ENGINES = [
    pytest.param("memory", marks=pytest.mark.fast),
    "embedded",
    pytest.param("opensearch", marks=pytest.mark.opensearch),
    pytest.param("opensearch-cluster", marks=pytest.mark.opensearch),
]
# Two nodes, 2 primaries with a replica each: BM25 statistics are per shard there.
CLUSTER = ShardLayout(shards=2, replicas=1)


def _open(kind: str, tmp: Path, request: pytest.FixtureRequest) -> Engine:
    if kind == "memory":
        return MemoryEngine()
    if kind == "embedded":
        return EmbeddedEngine(tmp / uuid.uuid4().hex)
    if kind in ("opensearch", "opensearch-cluster"):
        cluster = kind == "opensearch-cluster"
        url = request.getfixturevalue("opensearch_cluster_url" if cluster else "opensearch_url")
        alias = f"test-{uuid.uuid4().hex}"
        request.addfinalizer(lambda: drop_alias(url, alias))
        return OpenSearchEngine(url, alias, layout=CLUSTER if cluster else None)
    raise ValueError(kind)


def drop_alias(url: str, alias: str) -> None:
    """Delete a test alias's indices with a client of its own (the engine may be closed)."""
    engine = OpenSearchEngine(url, alias)
    engine.drop()
    engine.close()


@pytest.fixture(params=ENGINES, scope="session")
def engine_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def embedder(engine_kind: str, request: pytest.FixtureRequest) -> Embedder:
    """The memory engine's runs use the model-free embedder: the contract holds for any
    vectors, and the fast layer loads no model."""
    if engine_kind == "memory":
        return hashing_embedder()
    return request.getfixturevalue("model_embedder")


@pytest.fixture
def new_engine(
    engine_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[], Engine]:
    """Factory for empty engines of the current kind."""
    return lambda: _open(engine_kind, tmp_path, request)


@pytest.fixture(scope="session")
def loaded_engine(
    engine_kind: str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
    embedder: Embedder,
    sample_file: Path,
) -> Iterator[Engine]:
    """One engine per kind holding the sample innovations (read-only tests)."""
    engine = _open(engine_kind, tmp_path_factory.mktemp(engine_kind), request)
    report = Ingestor(engine, embedder).run(read_file(sample_file))
    assert report.created == SAMPLE_SIZE
    yield engine
    engine.close()
