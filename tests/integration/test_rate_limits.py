"""Rate limits per client: 429 with Retry-After, separate budgets, shared through Redis."""

from __future__ import annotations

import pytest

from app import create_app
from indexer.settings import ConfigError, Settings
from tests.conftest import make_app

SEARCH = "/api/v1/search?q=puskesmas"


def _client(app, address: str = "192.0.2.10"):
    """A test client that calls from its own address (every address has its own budget)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _retry_after(resp) -> int:
    seconds = int(resp.headers["Retry-After"])
    assert 0 < seconds <= 60
    return seconds


def test_the_fourth_search_gets_429_with_retry_after(sample_store, embedder):
    client = _client(make_app(sample_store, embedder, rate_limit_read="3 per minute"))
    assert [client.get(SEARCH).status_code for _ in range(3)] == [200, 200, 200]
    resp = client.get(SEARCH)
    assert resp.status_code == 429
    error = resp.json["error"]
    assert error["code"] == "rate_limited" and "3 per 1 minute" in error["message"]
    assert error["details"] == {"limit": "3 per 1 minute", "retry_after": _retry_after(resp)}
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]


def test_pages_over_the_limit_get_an_indonesian_page(sample_store, embedder):
    client = _client(make_app(sample_store, embedder, rate_limit_read="2 per minute"))
    assert client.get("/?q=puskesmas").status_code == 200
    assert client.get("/api/v1/facets").status_code == 200  # pages and API share reads
    resp = client.get("/inovasi/kipp-2019-prov-jateng-tele-apik")
    assert resp.status_code == 429 and resp.content_type.startswith("text/html")
    html = resp.get_data(as_text=True)
    assert '<html lang="id">' in html
    seconds = _retry_after(resp)
    assert f"Terlalu banyak permintaan. Silakan coba lagi dalam {seconds} detik." in html
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_reads_writes_and_jobs_have_separate_budgets(store_copy, embedder, auth):
    app = make_app(
        store_copy,
        embedder,
        rate_limit_read="2 per minute",
        rate_limit_write="2 per minute",
        rate_limit_jobs="1 per minute",
    )
    reader, writer = _client(app, "192.0.2.1"), _client(app, "192.0.2.2")
    while reader.get(SEARCH).status_code != 429:
        pass
    assert reader.post("/api/v1/innovations", json=[], headers=auth).status_code == 200
    while writer.post("/api/v1/innovations", json=[], headers=auth).status_code != 429:
        pass
    assert writer.delete("/api/v1/innovations/nope", headers=auth).status_code == 429
    assert writer.get(SEARCH).status_code == 200
    assert writer.post("/api/v1/jobs", json=[], headers=auth).status_code == 202
    resp = writer.post("/api/v1/jobs", json=[], headers=auth)
    assert resp.status_code == 429 and resp.json["error"]["details"]["limit"] == "1 per 1 minute"


def test_health_static_and_openapi_are_never_limited(sample_store, embedder):
    client = _client(make_app(sample_store, embedder, rate_limit_read="1 per minute"))
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
        document = client.get("/api/v1/openapi.json")
        assert "429" in document.json["paths"]["/api/v1/search"]["get"]["responses"]
        assert client.get("/static/ui.css").status_code == 200
    assert client.get(SEARCH).status_code == 200
    assert client.get(SEARCH).status_code == 429
    assert client.get("/healthz").status_code == 200


def test_behind_a_trusted_proxy_each_real_client_has_its_own_budget(sample_store, embedder):
    def calls(app, forwarded_for: str) -> int:
        client = _client(app, "10.0.0.2")  # every request arrives from the proxy
        return client.get(SEARCH, headers={"X-Forwarded-For": forwarded_for}).status_code

    proxied = make_app(sample_store, embedder, rate_limit_read="1 per minute", trusted_proxies=1)
    assert [calls(proxied, ip) for ip in ("198.51.100.1", "198.51.100.2")] == [200, 200]
    assert calls(proxied, "198.51.100.1") == 429
    direct = make_app(sample_store, embedder, rate_limit_read="1 per minute")
    assert calls(direct, "198.51.100.1") == 200
    assert calls(direct, "198.51.100.2") == 429, "without trusted proxies the header is ignored"


def test_limits_are_on_by_default_and_off_disables_them():
    defaults = Settings.from_env({})
    assert defaults.rate_limit_read == "120 per minute"
    assert defaults.rate_limit_write == "30 per minute"
    assert defaults.rate_limit_jobs == "10 per minute"
    assert defaults.trusted_proxies == 0
    off = Settings.from_env({"JIPPNAS_RATE_LIMIT_READ": "off", "JIPPNAS_RATE_LIMIT_WRITE": ""})
    assert off.rate_limit_read is None and off.rate_limit_write is None
    assert off.rate_limit_jobs == "10 per minute"


@pytest.mark.parametrize("rate", ["lots", "120 per fortnight", "0 per minute", "120 minute"])
def test_a_malformed_limit_stops_startup(rate, tmp_path):
    with pytest.raises(ConfigError, match="JIPPNAS_RATE_LIMIT_READ must be a rate"):
        Settings.from_env({"JIPPNAS_RATE_LIMIT_READ": rate})
    with pytest.raises(ConfigError, match="rate_limit_jobs must be a rate"):
        create_app(Settings(data_dir=tmp_path, rate_limit_jobs=rate))


@pytest.mark.redis
def test_app_instances_on_one_redis_share_the_budget(redis_server, sample_store, embedder):
    def app():
        url = redis_server.url
        return make_app(sample_store, embedder, redis_url=url, rate_limit_read="3 per minute")

    first, second = _client(app()), _client(app())
    assert [c.get(SEARCH).status_code for c in (first, second, first)] == [200, 200, 200]
    resp = second.get(SEARCH)
    assert resp.status_code == 429 and resp.json["error"]["code"] == "rate_limited"
    _retry_after(resp)
    assert _client(app(), "192.0.2.99").get(SEARCH).status_code == 200


@pytest.mark.redis
def test_search_keeps_answering_when_redis_stops(redis_server, sample_store, embedder):
    url = redis_server.url
    client = _client(
        make_app(sample_store, embedder, redis_url=url, rate_limit_read="2 per minute")
    )
    assert client.get(SEARCH).status_code == 200
    redis_server.stop()
    # Counted in this process's memory until Redis is back: still answering, still limited.
    assert [client.get(SEARCH).status_code for _ in range(3)] == [200, 200, 429]
