"""A new facet is one registry entry: validated, stored, filtered, counted, documented and
labelled on both engines, with no other code change (here: a practice's status)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import create_app
from indexer.embeddings import Embedder
from indexer.engines.base import Engine
from indexer.engines.embedded import EmbeddedEngine
from indexer.engines.opensearch import OpenSearchEngine
from indexer.fields import FIELDS, vocabulary_field
from indexer.ingest import Ingestor
from indexer.readers import items_from_objects
from indexer.settings import Settings
from indexer.validation import validate
from workers.assembly import Services

STATUS = vocabulary_field(
    "status",
    ("aktif", "berhenti"),
    {"masih berjalan": "aktif", "sudah berhenti": "berhenti", "active": "aktif"},
    label="Status inovasi",
    description="Whether the practice still runs",
    value_labels={"aktif": "Masih berjalan", "berhenti": "Sudah berhenti"},
    facet="terms",
    card=True,
)
WITH_STATUS = FIELDS.with_fields(STATUS)


def _records(sample_records: list[dict]) -> list[dict]:
    """Twelve sample records: the first four stopped, the rest still running."""
    return [
        raw | {"status": "Sudah berhenti" if n < 4 else "Masih Berjalan"}
        for n, raw in enumerate(sample_records[:12])
    ]


@pytest.fixture(params=["embedded", pytest.param("opensearch", marks=pytest.mark.opensearch)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "embedded":
        store: Engine = EmbeddedEngine(tmp_path / "store", fields=WITH_STATUS)
    else:
        url = request.getfixturevalue("opensearch_url")
        store = OpenSearchEngine(url, f"test-{uuid.uuid4().hex}", fields=WITH_STATUS)
    yield store
    if isinstance(store, OpenSearchEngine):
        store.drop()
    store.close()


def test_the_new_field_is_validated_with_the_record(sample_records):
    raw = sample_records[0]
    assert validate(raw | {"status": "Active"}, WITH_STATUS).status == "aktif"
    errors = validate(raw | {"status": "entah"}, WITH_STATUS)
    assert [(e.field, e.reason.split(";")[0]) for e in errors] == [
        ("status", "unknown status 'entah'")
    ]
    assert validate(raw, WITH_STATUS).status is None  # optional, like any undeclared fact


def test_the_new_facet_is_stored_filtered_counted_documented_and_labelled(
    engine: Engine, embedder: Embedder, sample_records, tmp_path: Path
):
    report = Ingestor(engine, embedder).run(items_from_objects(_records(sample_records)))
    assert (report.created, report.rejected) == (12, 0)
    services = Services(Settings(data_dir=tmp_path, rate_limit_read=None), WITH_STATUS)
    services.__dict__.update(engine=engine, embedder=embedder)  # the engine under test
    client = create_app(services=services).test_client()

    stopped = client.get("/api/v1/search?status=berhenti&size=20").json
    assert stopped["total"] == 4
    assert {r["status"] for r in stopped["results"]} == {"berhenti"}
    counts = {f["value"]: f["count"] for f in client.get("/api/v1/facets").json["facets"]["status"]}
    assert counts == {"aktif": 8, "berhenti": 4}
    by_alias = client.get("/api/v1/search?status=Masih+berjalan&size=20").json
    assert by_alias["total"] == 8

    document = client.get("/api/v1/openapi.json").json
    params = {p["name"] for p in document["paths"]["/api/v1/search"]["get"]["parameters"]}
    record = document["components"]["schemas"]["Innovation"]["properties"]["status"]
    assert "status" in params and record["enum"] == ["aktif", "berhenti"]

    page = client.get("/?status=berhenti").get_data(as_text=True)
    assert "Status inovasi" in page and "Sudah berhenti" in page
