"""The JSON API over the memory engine and the model-free embedder: the request and error
handling, filters and facets of the real app, without a model or a node."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from app import create_app
from app.cli import sample_path
from indexer.readers import read_file
from indexer.settings import Settings
from tests.conftest import SAMPLE_SIZE
from tests.support.hashing import hashing_embedder
from workers.assembly import Services


@pytest.fixture(scope="module")
def client() -> Iterator[FlaskClient]:
    services = Services(Settings(engine="memory", rate_limit_read=None))
    services.__dict__["embedder"] = hashing_embedder()
    report = services.ingestor().run(read_file(sample_path()))
    assert report.created == SAMPLE_SIZE
    yield create_app(services=services).test_client()
    services.engine.close()


def test_a_search_pages_its_results_and_counts_them(client):
    body = client.get("/api/v1/search?q=antrean+puskesmas&size=5").json
    assert 0 < len(body["results"]) <= 5 and body["total"] >= len(body["results"])
    sectors = {f["value"]: f["count"] for f in body["facets"]["sector"]}
    assert sum(sectors.values()) == body["total"]


def test_filters_take_any_spelling_and_only_matching_records_come_back(client):
    body = client.get("/api/v1/search?province=jatim&agency_level=Pemkab&size=50").json
    assert body["total"] > 0
    assert {(r["province"], r["agency_level"]) for r in body["results"]} == {
        ("Jawa Timur", "kabupaten")
    }


def test_bad_parameters_are_400s_that_name_the_parameter(client):
    for query, param in [("colour=red", "colour"), ("page=0", "page"), ("mode=magic", "mode")]:
        resp = client.get(f"/api/v1/search?{query}")
        assert resp.status_code == 400, query
        assert resp.json["error"]["details"]["parameter"] == param


def test_unknown_records_are_json_404s(client):
    for path in ("/api/v1/innovations/tidak-ada", "/api/v1/innovations/tidak-ada/similar"):
        resp = client.get(path)
        assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"


def test_the_facets_endpoint_counts_every_record(client):
    body = client.get("/api/v1/facets").json
    assert body["total"] == SAMPLE_SIZE  # no duplicates joined in this store
    assert sum(f["count"] for f in body["facets"]["province"]) <= SAMPLE_SIZE
    assert sum(f["count"] for f in body["facets"]["digital"]) == SAMPLE_SIZE


def test_the_api_document_lists_the_registry_filters(client):
    document = client.get("/api/v1/openapi.json").json
    params = {p["name"] for p in document["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert {"province", "regency_city", "sector", "year_from", "year_to", "digital"} <= params
