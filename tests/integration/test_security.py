"""Limits and access: headers, CORS, tokens, unknown parameters, nesting, job size."""

from __future__ import annotations

import pytest

from indexer.settings import ConfigError, Settings
from tests.conftest import TOKEN, make_app


def test_pages_and_api_carry_security_headers(client):
    for path in ("/", "/api/v1/search?q=desa"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_cors_is_off_unless_configured(client, store_copy, embedder):
    origin = {"Origin": "https://portal.example.go.id"}
    assert "Access-Control-Allow-Origin" not in client.get("/api/v1/facets", headers=origin).headers
    app = make_app(store_copy, embedder, cors_origins=("https://portal.example.go.id",))
    allowed = app.test_client().get("/api/v1/facets", headers=origin).headers
    assert allowed["Access-Control-Allow-Origin"] == "https://portal.example.go.id"


def test_production_refuses_to_start_without_a_token(tmp_path):
    with pytest.raises(ConfigError, match="API_TOKEN"):
        Settings.from_env({"JIPPNAS_ENV": "production", "JIPPNAS_DATA_DIR": str(tmp_path)}).check()


def test_rotated_tokens_both_work_and_never_echo(store_copy, embedder):
    app = make_app(store_copy, embedder)
    app.extensions["jippnas"].settings = app.extensions["jippnas"].settings.with_overrides(
        api_tokens=(TOKEN, "new-token")
    )
    client = app.test_client()
    for token in (TOKEN, "new-token"):
        resp = client.post(
            "/api/v1/innovations", json=[], headers={"Authorization": f"Bearer {token}"}
        )
        assert resp.status_code == 200
    resp = client.post(
        "/api/v1/innovations", json=[], headers={"Authorization": "Bearer secret-guess"}
    )
    assert resp.status_code == 401 and "secret-guess" not in resp.text


def test_unknown_search_parameters_are_refused(client):
    resp = client.get("/api/v1/search?q=desa&script=doc['x']")
    assert resp.status_code == 400
    assert resp.json["error"]["details"]["parameter"] == "script"


def test_query_syntax_is_plain_text(client):
    for q in ('"puskesmas', "title:* OR 1=1", "NEAR(a b)", "a AND (b", "*", "\\", "{{7*7}}"):
        assert client.get("/api/v1/search", query_string={"q": q}).status_code == 200


def test_deeply_nested_json_is_a_400(write_client, auth):
    body = "[" * 100_000 + "]" * 100_000
    resp = write_client.post(
        "/api/v1/innovations", data=body, headers=auth, content_type="application/json"
    )
    assert resp.status_code == 400 and resp.json["error"]["code"] == "bad_body"


def test_too_many_records_per_request_or_job(write_client, auth):
    resp = write_client.post("/api/v1/innovations", json=[{}] * 1001, headers=auth)
    assert resp.status_code == 413
    app = write_client.application
    services = app.extensions["jippnas"]
    services.settings = services.settings.with_overrides(max_job_records=5)
    resp = write_client.post("/api/v1/jobs", json=[{}] * 6, headers=auth)
    assert resp.status_code == 413 and "at most 5" in resp.json["error"]["message"]
