"""Searchers and writers together, on both engines, over real HTTP (bench/soak.py).

Before snapshot-consistent reads, about 7% of lexical searches answered 500 while
records were re-posted (a rowid read live from SQLite, looked up in an older snapshot).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.soak import Soak
from indexer.embeddings import Embedder
from indexer.engines.embedded import EmbeddedEngine
from indexer.engines.opensearch import OpenSearchEngine
from tests.conftest import TOKEN, make_app, serve
from tests.integration.test_opensearch import fill

SECONDS = 15
SEARCHERS = 6
WRITERS = 2


@pytest.fixture(params=["embedded", pytest.param("opensearch", marks=pytest.mark.opensearch)])
def served(request, store_copy: Path, embedder: Embedder) -> Iterator[str]:
    if request.param == "embedded":
        app = make_app(store_copy, embedder)
    else:
        url = request.getfixturevalue("opensearch_url")
        index = f"soak-{uuid.uuid4().hex}"
        engine = OpenSearchEngine(url, index)
        source = EmbeddedEngine(store_copy)
        fill(engine, source, embedder.info)
        source.close()
        app = make_app(
            store_copy, embedder, engine="opensearch", opensearch_url=url, opensearch_index=index
        )
        request.addfinalizer(engine.drop)
    with serve(app) as base:
        yield base


def test_searchers_and_writers_together_never_fail_or_resurrect(served: str):
    soak = Soak(served, TOKEN, SECONDS, SEARCHERS, WRITERS)
    report = soak.run()
    print(report.table())
    assert report.server_errors == []
    assert report.resurrected == []
    assert soak.inconsistencies() == []
    assert sum(report.reads.values()) > 50 and report.writes["delete"] > 0
