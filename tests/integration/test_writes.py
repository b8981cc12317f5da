"""Writes through the API: token, per-record results, nothing lost."""

from __future__ import annotations

from tests.conftest import LISTED

GOOD = {
    "title": "Posyandu Remaja Digital",
    "agency": "Dinas Kesehatan Kabupaten Uji",
    "agency_level": "kabupaten",
    "province": "Jawa Tengah",
    "regency_city": "Kab. Kebumen",
    "sector": "Kesehatan",
    "year": 2023,
    "source_program": "IGA (Indeks Inovasi Daerah)",
    "problem": "Remaja jarang memeriksakan kesehatan.",
    "solution": "Posyandu remaja daring.",
}


def test_writes_need_the_token(write_client):
    assert write_client.post("/api/v1/innovations", json=[GOOD]).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    resp = write_client.post("/api/v1/innovations", json=[GOOD], headers=wrong)
    assert resp.status_code == 401 and "nope" not in resp.text
    assert write_client.delete("/api/v1/innovations/x", headers=wrong).status_code == 401


def test_mixed_batch_stores_good_and_reports_bad(write_client, auth):
    bad = GOOD | {"title": "Tanpa Tahun", "year": "kemarin", "province": "Atlantis"}
    resp = write_client.post("/api/v1/innovations", json=[GOOD, bad, "x"], headers=auth)
    assert resp.status_code == 200
    body = resp.json
    assert body["summary"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 2}
    created, rejected, not_object = body["results"]
    assert created["status"] == "created"
    assert {e["field"] for e in rejected["errors"]} == {"year", "province"}
    assert not_object["index"] == 2 and not_object["status"] == "rejected"
    record = write_client.get(f"/api/v1/innovations/{created['id']}").json
    assert record["regency_city"] == "Kabupaten Kebumen"
    assert record["source_program"] == "IGA" and record["sector"] == "kesehatan"
    assert write_client.get("/api/v1/facets").json["total"] == len(LISTED) + 1
    again = write_client.post("/api/v1/innovations", json=[GOOD], headers=auth).json
    assert again["summary"]["unchanged"] == 1


def test_delete(write_client, auth):
    url = "/api/v1/innovations/kipp-2015-prov-dki-gendis-system-sigareng"
    assert write_client.delete(url, headers=auth).status_code == 204
    assert write_client.get(url).status_code == 404
    assert write_client.delete(url, headers=auth).status_code == 404
    assert write_client.get("/api/v1/facets").json["total"] == len(LISTED) - 1


def test_body_must_be_an_array_and_not_too_large(write_client, auth):
    resp = write_client.post("/api/v1/innovations", json={"title": "x"}, headers=auth)
    assert resp.status_code == 400 and resp.json["error"]["code"] == "bad_body"
    huge = b"[" + b'"' + b"x" * (11 * 1024 * 1024) + b'"]'
    resp = write_client.post(
        "/api/v1/innovations", data=huge, headers=auth, content_type="application/json"
    )
    assert resp.status_code == 413 and "error" in resp.json
