"""Shared fixtures: the embedding model (loaded once), sample data, stores and apps."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.cli import join_sample_practices, sample_path
from indexer.embeddings import Embedder
from indexer.engines.embedded import EmbeddedEngine
from indexer.ingest import Ingestor
from indexer.readers import read_file
from indexer.settings import Settings

pytest_plugins = ["tests.support.redis_server"]  # the redis_server fixture
TOKEN = "test-token-123"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
OPENSEARCH_LOCAL = Path(__file__).resolve().parent.parent / "scripts" / "opensearch-local"
UNIT = Path(__file__).resolve().parent / "unit"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Unit tests that load no model join the fast layer (`pytest -m fast`)."""
    for item in items:
        if UNIT in Path(str(item.path)).parents and "model_embedder" not in item.fixturenames:
            item.add_marker(pytest.mark.fast)


def need(condition: bool, reason: str) -> None:
    """A real part that cannot start fails the run in CI and skips locally."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _opensearch(nodes: int, reuse: str) -> Iterator[str]:
    """A real OpenSearch cluster of ``nodes`` (scripts/opensearch-local) for the session,
    stopped at the end; the environment variable ``reuse`` names one already running."""
    given = os.environ.get(reuse)
    if given:
        yield given
        return
    java = os.environ.get("OPENSEARCH_JAVA") or shutil.which("java")
    need(java is not None, "Java is needed to run a real OpenSearch node")
    env = os.environ | {"OPENSEARCH_NODES": str(nodes)}
    started = subprocess.run(
        [OPENSEARCH_LOCAL, "start"], capture_output=True, text=True, timeout=900, env=env
    )
    if started.returncode != 0:
        pytest.fail(f"OpenSearch did not start:\n{started.stderr[-6000:]}", pytrace=False)
    url = started.stdout.strip()
    yield url
    subprocess.run([OPENSEARCH_LOCAL, "stop", url], capture_output=True, timeout=120, check=False)


@pytest.fixture(scope="session")
def opensearch_url() -> Iterator[str]:
    """One node (JIPPNAS_TEST_OPENSEARCH_URL reuses a running one)."""
    yield from _opensearch(1, "JIPPNAS_TEST_OPENSEARCH_URL")


@pytest.fixture(scope="session")
def opensearch_cluster_url() -> Iterator[str]:
    """Two nodes in one JVM, for indices of 2 primaries with a replica each
    (JIPPNAS_TEST_OPENSEARCH_CLUSTER_URL reuses a running cluster)."""
    yield from _opensearch(2, "JIPPNAS_TEST_OPENSEARCH_CLUSTER_URL")


@pytest.fixture(scope="session")
def model_embedder() -> Embedder:
    """The default model, loaded once per test session."""
    return Embedder()


@pytest.fixture(scope="session")
def embedder(model_embedder: Embedder) -> Embedder:
    return model_embedder


SAMPLE = [json.loads(line) for line in sample_path().read_text("utf-8").splitlines() if line]
SAMPLE_SIZE = len(SAMPLE)


def _listed_sample() -> list[dict]:
    """The sample records searches list once its confirmed duplicates are joined: of each
    practice, the latest record (then the smallest id)."""
    lines = sample_path("practices.csv").read_text("utf-8").splitlines()[1:]
    group = {r["id"]: {r["id"]} for r in SAMPLE}
    for a, b in (line.split(",") for line in lines if line):
        merged = group[a] | group[b]
        for member in merged:
            group[member] = merged
    year = {r["id"]: r["year"] for r in SAMPLE}
    shown = {min(g, key=lambda i: (-year[i], i)) for g in map(frozenset, group.values())}
    return [r for r in SAMPLE if r["id"] in shown]


# What the sample store (``sample_store``: duplicates joined) lists and counts.
LISTED = _listed_sample()


@pytest.fixture(scope="session")
def sample_file() -> Path:
    return sample_path()


@pytest.fixture(scope="session")
def sample_records(sample_file: Path) -> list[dict]:
    return [json.loads(line) for line in sample_file.read_text("utf-8").splitlines()]


@pytest.fixture(scope="session")
def sample_store(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, sample_file: Path
) -> Path:
    """A data dir holding the sample innovations, built once and copied per use."""
    data_dir = tmp_path_factory.mktemp("sample-store")
    engine = EmbeddedEngine(data_dir)
    ingestor = Ingestor(engine, embedder)
    report = ingestor.run(read_file(sample_file))
    assert report.rejected == 0
    join_sample_practices(ingestor)
    engine.close()
    return data_dir


@pytest.fixture
def store_copy(sample_store: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(sample_store, target)
    return target


def make_app(data_dir: Path, embedder: Embedder, **overrides: object):
    for scope in ("read", "write", "jobs"):  # the suite's many requests: limits off unless asked
        overrides.setdefault(f"rate_limit_{scope}", None)
    settings = Settings(data_dir=data_dir, api_tokens=(TOKEN,), **overrides)  # type: ignore[arg-type]
    app = create_app(settings)
    app.extensions["jippnas"].__dict__["embedder"] = embedder  # share the loaded model
    app.config["TESTING"] = True
    return app


@pytest.fixture(scope="session")
def read_app(sample_store: Path, embedder: Embedder):
    """An app over the sample data for tests that only read."""
    return make_app(sample_store, embedder)


@pytest.fixture
def client(read_app):
    return read_app.test_client()


@pytest.fixture
def write_client(store_copy: Path, embedder: Embedder) -> Iterator:
    yield make_app(store_copy, embedder).test_client()


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve an app with a real threaded HTTP server on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
