"""The replication network on both engines, through the API and the pages: lineage kept
both ways, the "sudah direplikasi" facet, duplicate proposals and confirmed practices
shown once."""

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
from indexer.settings import Settings
from ranking.duplicates import scan
from tests.conftest import TOKEN
from workers.assembly import Services

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(params=["embedded", pytest.param("opensearch", marks=pytest.mark.opensearch)])
def services(request: pytest.FixtureRequest, tmp_path: Path, embedder: Embedder) -> Iterator:
    if request.param == "embedded":
        engine: Engine = EmbeddedEngine(tmp_path / "store")
    else:
        url = request.getfixturevalue("opensearch_url")
        engine = OpenSearchEngine(url, f"test-{uuid.uuid4().hex}")
    settings = Settings(data_dir=tmp_path, api_tokens=(TOKEN,), rate_limit_read=None)
    svc = Services(settings)
    svc.__dict__.update(engine=engine, embedder=embedder)
    yield svc
    if isinstance(engine, OpenSearchEngine):
        engine.drop()
    engine.close()


@pytest.fixture
def client(services: Services):
    return create_app(services=services).test_client()


@pytest.fixture
def network(sample_records: list[dict]) -> dict[str, dict]:
    """An original, two stored replications of it and one named only by a source."""
    original, copy, other, unrelated = (dict(r) for r in sample_records[:4])
    original |= {
        "status": "berjalan",
        "status_year": 2024,
        "replicated_by": [{"agency": "Pemerintah Kabupaten Contoh", "region": "Aceh"}],
    }
    copy |= {"replicates": [original["id"]]}
    other |= {"replicates": [original["id"]], "status": "berhenti"}
    return {"original": original, "copy": copy, "other": other, "unrelated": unrelated}


def _post(client, records: list[dict]) -> dict:
    response = client.post("/api/v1/innovations", json=records, headers=AUTH)
    assert response.status_code == 200, response.json
    return response.json


def test_lineage_is_kept_both_ways_and_counted_by_the_facet(client, network):
    # Replications may come before their original in a batch.
    _post(client, [network["copy"], network["other"], network["original"], network["unrelated"]])
    original = network["original"]["id"]

    lineage = client.get(f"/api/v1/innovations/{original}/lineage").json
    stored = {link["id"] for link in lineage["replicated_by"] if link["stored"]}
    named = [link["agency"] for link in lineage["replicated_by"] if not link["stored"]]
    assert stored == {network["copy"]["id"], network["other"]["id"]}
    assert named == ["Pemerintah Kabupaten Contoh"]
    assert {s["region"] for s in lineage["spread"]} >= {"Aceh"}
    copy_lineage = client.get(f"/api/v1/innovations/{network['copy']['id']}/lineage").json
    assert [link["id"] for link in copy_lineage["replicates"]] == [original]

    facet = client.get("/api/v1/search?replication=direplikasi").json
    assert [r["id"] for r in facet["results"]] == [original]
    counts = dict(
        (f["value"], f["count"]) for f in client.get("/api/v1/facets").json["facets"]["replication"]
    )
    assert counts == {"direplikasi": 1, "belum tercatat": 3}

    page = client.get(f"/inovasi/{original}").get_data(as_text=True)
    assert "Telah direplikasi oleh 3 instansi" in page
    assert "Masih berjalan" in page and "dikonfirmasi 2024" in page
    assert network["copy"]["title"] in page and "di luar basis data" in page
    results = client.get("/?status=berhenti").get_data(as_text=True)
    assert "badge--status-berhenti" in results and network["other"]["title"] in results


def test_removing_replications_unmarks_the_original(client, network):
    _post(client, [network["original"], network["copy"], network["other"]])
    original = network["original"]["id"]
    assert (
        client.delete(f"/api/v1/innovations/{network['copy']['id']}", headers=AUTH).status_code
        == 204
    )
    _post(client, [network["other"] | {"replicates": []}])

    record = client.get(f"/api/v1/innovations/{original}").json
    assert record["replicated_by"] == [{"agency": "Pemerintah Kabupaten Contoh", "region": "Aceh"}]
    assert record["replication"] == "direplikasi"  # a source still names one
    _post(client, [network["original"] | {"replicated_by": []}])
    assert client.get(f"/api/v1/innovations/{original}").json["replication"] == "belum tercatat"


def test_a_link_to_an_unknown_record_is_rejected_and_the_rest_stored(client, network):
    stray = network["copy"] | {"replicates": ["tidak-ada-di-basis-data"]}
    body = _post(client, [stray, network["unrelated"]])
    assert body["summary"]["created"] == 1 and body["summary"]["rejected"] == 1
    (error,) = next(r for r in body["results"] if r["status"] == "rejected")["errors"]
    assert error["field"] == "replicates" and "tidak-ada-di-basis-data" in error["reason"]


def test_a_confirmed_duplicate_is_one_card_naming_its_other_record(
    client, services, sample_records
):
    first = dict(sample_records[5])
    second = first | {
        "id": f"{first['id']}-iga",
        "source_program": "IGA",
        "year": first["year"] + 2,
        "award": None,
    }
    _post(client, [first, second, *sample_records[6:12]])
    (proposal,) = [p for p in scan(services.engine) if {p.a, p.b} == {first["id"], second["id"]}]
    assert proposal.score > 0.9 and any("IGA" in reason for reason in proposal.reasons)

    query = f"/api/v1/search?q={first['title']}"
    before = client.get(query).json
    assert {first["id"], second["id"]} <= {r["id"] for r in before["results"]}
    joined = client.post(
        "/api/v1/practices", json={"ids": [first["id"], second["id"]]}, headers=AUTH
    )
    assert joined.status_code == 200 and sorted(joined.json["ids"]) == sorted(
        [first["id"], second["id"]]
    )

    after = client.get(query).json
    ids = [r["id"] for r in after["results"]]
    assert len({first["id"], second["id"]} & set(ids)) == 1
    assert after["total"] == before["total"] - 1
    card = next(r for r in after["results"] if r["id"] in (first["id"], second["id"]))
    assert [a["source_program"] for a in card["also"]] in (["IGA"], [first["source_program"]])
    assert "Juga tercatat di" in client.get(f"/?q={first['title']}").get_data(as_text=True)
    assert not [p for p in scan(services.engine) if {p.a, p.b} == {first["id"], second["id"]}]

    assert client.delete(f"/api/v1/practices/{second['id']}", headers=AUTH).status_code == 204
    again = client.get(query).json
    assert {first["id"], second["id"]} <= {r["id"] for r in again["results"]}


def test_practices_need_the_token_and_known_ids(client, sample_records):
    _post(client, sample_records[:2])
    ids = [sample_records[0]["id"], sample_records[1]["id"]]
    assert client.post("/api/v1/practices", json={"ids": ids}).status_code == 401
    unknown = client.post("/api/v1/practices", json={"ids": [ids[0], "tidak-ada"]}, headers=AUTH)
    assert unknown.status_code == 404 and "tidak-ada" in unknown.json["error"]["message"]
    single = client.post("/api/v1/practices", json={"ids": ids[:1]}, headers=AUTH)
    assert single.status_code == 400
