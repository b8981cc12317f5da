"""A new facet is one registry entry: validated, stored, filtered, counted, documented and
labelled on both engines, with no other code change (here: the stage a practice is at)."""

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

STAGE = vocabulary_field(
    "stage",
    ("penerapan", "ujicoba"),
    {"sudah diterapkan": "penerapan", "uji coba": "ujicoba", "pilot": "ujicoba"},
    label="Tahap inovasi",
    description="Whether the practice is applied or still piloted",
    value_labels={"penerapan": "Sudah diterapkan", "ujicoba": "Masih uji coba"},
    facet="terms",
    card=True,
)
WITH_STAGE = FIELDS.with_fields(STAGE)


def _records(sample_records: list[dict]) -> list[dict]:
    """Twelve sample records: the first four piloted, the rest applied."""
    return [
        raw | {"stage": "Uji coba" if n < 4 else "Sudah Diterapkan"}
        for n, raw in enumerate(sample_records[:12])
    ]


@pytest.fixture(params=["embedded", pytest.param("opensearch", marks=pytest.mark.opensearch)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "embedded":
        store: Engine = EmbeddedEngine(tmp_path / "store", fields=WITH_STAGE)
    else:
        url = request.getfixturevalue("opensearch_url")
        store = OpenSearchEngine(url, f"test-{uuid.uuid4().hex}", fields=WITH_STAGE)
    yield store
    if isinstance(store, OpenSearchEngine):
        store.drop()
    store.close()


def test_the_new_field_is_validated_with_the_record(sample_records):
    raw = sample_records[0]
    assert validate(raw | {"stage": "Pilot"}, WITH_STAGE).stage == "ujicoba"
    errors = validate(raw | {"stage": "entah"}, WITH_STAGE)
    assert [(e.field, e.reason.split(";")[0]) for e in errors] == [
        ("stage", "unknown stage 'entah'")
    ]
    assert validate(raw, WITH_STAGE).stage is None  # optional, like any undeclared fact


def test_the_new_facet_is_stored_filtered_counted_documented_and_labelled(
    engine: Engine, embedder: Embedder, sample_records, tmp_path: Path
):
    report = Ingestor(engine, embedder).run(items_from_objects(_records(sample_records)))
    assert (report.created, report.rejected) == (12, 0)
    services = Services(Settings(data_dir=tmp_path, rate_limit_read=None), WITH_STAGE)
    services.__dict__.update(engine=engine, embedder=embedder)  # the engine under test
    client = create_app(services=services).test_client()

    piloted = client.get("/api/v1/search?stage=ujicoba&size=20").json
    assert piloted["total"] == 4
    assert {r["stage"] for r in piloted["results"]} == {"ujicoba"}
    counts = {f["value"]: f["count"] for f in client.get("/api/v1/facets").json["facets"]["stage"]}
    assert counts == {"penerapan": 8, "ujicoba": 4}
    by_alias = client.get("/api/v1/search?stage=Sudah+diterapkan&size=20").json
    assert by_alias["total"] == 8

    document = client.get("/api/v1/openapi.json").json
    params = {p["name"] for p in document["paths"]["/api/v1/search"]["get"]["parameters"]}
    record = document["components"]["schemas"]["Innovation"]["properties"]["stage"]
    assert "stage" in params and record["enum"] == ["penerapan", "ujicoba"]

    page = client.get("/?stage=ujicoba").get_data(as_text=True)
    assert "Tahap inovasi" in page and "Masih uji coba" in page
