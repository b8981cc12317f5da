"""Every store records the layout it was built with; a store of another layout (an older
release, or another field registry) is refused with a message naming `jippnas reindex`,
and that command upgrades it on both engines, keeping every record."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from indexer.embeddings import Embedder
from indexer.engines.base import Engine, Filters, StoreOutdated
from indexer.engines.embedded import EmbeddedEngine
from indexer.engines.opensearch import OpenSearchEngine
from indexer.fields import FIELDS, Field
from indexer.ingest import Ingestor
from indexer.readers import items_from_objects
from indexer.schema import store_layout
from ranking.query import parse_search
from ranking.search import SearchService
from tests.conftest import make_app

# An older layout: the registry of a release that also indexed a "contact" text field.
OLDER = FIELDS.with_fields(Field("contact", "text", "Kontak", "Contact", text_weight=0.5))


@pytest.fixture(params=["embedded", pytest.param("opensearch", marks=pytest.mark.opensearch)])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def where(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[dict]:
    """The JIPPNAS_* settings naming one store, dropped afterwards."""
    if kind == "embedded":
        yield {"JIPPNAS_DATA_DIR": str(tmp_path / "store")}
        return
    url, alias = request.getfixturevalue("opensearch_url"), f"test-{uuid.uuid4().hex}"
    yield {
        "JIPPNAS_DATA_DIR": str(tmp_path),  # the store lock file goes here
        "JIPPNAS_ENGINE": "opensearch",
        "JIPPNAS_OPENSEARCH_URL": url,
        "JIPPNAS_OPENSEARCH_INDEX": alias,
    }
    OpenSearchEngine(url, alias).drop()


def _open(where: dict, fields=FIELDS) -> Engine:
    if "JIPPNAS_ENGINE" not in where:
        return EmbeddedEngine(Path(where["JIPPNAS_DATA_DIR"]), fields=fields)
    return OpenSearchEngine(
        where["JIPPNAS_OPENSEARCH_URL"], where["JIPPNAS_OPENSEARCH_INDEX"], fields=fields
    )


def test_a_store_of_another_layout_is_refused_until_reindex_upgrades_it(
    where, embedder: Embedder, sample_records, monkeypatch, tmp_path
):
    old = _open(where, OLDER)
    Ingestor(old, embedder).run(items_from_objects(sample_records[:20]))
    old.close()

    engine = _open(where)
    service = SearchService(engine, embedder)
    with pytest.raises(StoreOutdated, match="jippnas reindex"):
        service.search(parse_search({"q": ["puskesmas"]}))
    with pytest.raises(StoreOutdated):  # nothing is written into the old layout
        Ingestor(engine, embedder).run(items_from_objects(sample_records[20:21]))
    app = make_app(tmp_path / "unused", embedder)
    app.extensions["jippnas"].__dict__["engine"] = engine
    health = app.test_client().get("/healthz")
    assert health.status_code == 503 and health.json["status"] == "outdated"

    for name, value in where.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["reindex"])
    assert result.exit_code == 0, result.output
    assert "20 records copied" in result.output  # same model and passages: vectors kept

    upgraded = _open(where)
    assert upgraded.layout() == store_layout(FIELDS)
    assert upgraded.count() == 20
    assert {h.id for h in upgraded.browse(Filters(), 50)} == {r["id"] for r in sample_records[:20]}
    found = SearchService(upgraded, embedder).search(parse_search({"q": ["puskesmas"]}))
    assert found.total > 0
    upgraded.close()


def test_a_store_from_before_layouts_were_recorded_is_reembedded(
    tmp_path: Path, embedder: Embedder, sample_records
):
    engine = EmbeddedEngine(tmp_path / "store")
    Ingestor(engine, embedder).run(items_from_objects(sample_records[:5]))
    with sqlite3.connect(engine.path) as db:  # as the releases before this one wrote it
        db.execute("DELETE FROM meta WHERE key = 'layout'")
    with pytest.raises(StoreOutdated, match="did not record its layout"):
        engine.check_store()
    report = engine.reindex(embedder)
    assert report.reembedded and report.records == 5  # its passages may be stale
    engine.check_store(embedder.info)
