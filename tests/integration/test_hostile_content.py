"""Defects found by attacking the service with the sample data, each kept as a test.

Numbers refer to issue 10: (2) lone surrogates, (3) non-ASCII digits in integer
parameters, (4) one id spelled several ways, (5) pathological stored records,
(6) empty pages with many filters, (7) invisible format characters, (8) NaN in JSON.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from app.cli import main
from indexer.engines.embedded import EmbeddedEngine

SOURCE = "kipp-2015-prov-dki-gendis-system-sigareng"


def _new(sample_records: list[dict], n: int, prefix: str = "baru") -> list[dict]:
    return [
        r | {"id": f"{prefix}-{i}", "title": f"{r['title']} (replikasi {i})"}
        for i, r in enumerate(sample_records[:n])
    ]


def _post(client, auth, records: list) -> dict:
    resp = client.post("/api/v1/innovations", json=records, headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.json


def _rejections(body: dict) -> dict[int, tuple[str | None, str, str]]:
    return {
        r["index"]: (r["id"], r["errors"][0]["field"], r["errors"][0]["reason"])
        for r in body["results"]
        if r["status"] == "rejected"
    }


# -- (2) lone surrogates ----------------------------------------------------------------
def test_lone_surrogate_rejects_only_its_record_through_the_api(write_client, auth, sample_records):
    good, bad, other = _new(sample_records, 3)
    body = _post(write_client, auth, [good, bad | {"problem": "antrean \ud800 panjang"}, other])
    assert [r["status"] for r in body["results"]] == ["created", "rejected", "created"]
    (record_id, field, reason) = _rejections(body)[1]
    assert (record_id, field) == ("baru-1", "problem") and "surrogate" in reason
    assert write_client.get("/api/v1/innovations/baru-0").status_code == 200
    assert write_client.get("/api/v1/innovations/baru-2").status_code == 200
    assert write_client.get("/api/v1/innovations/baru-1").status_code == 404


def test_lone_surrogate_in_a_file_is_reported_and_the_rest_stored(
    tmp_path: Path, sample_records, monkeypatch
):
    records = _new(sample_records, 3)
    records[1]["tags"] = ["antrean", "\udc80"]
    source = tmp_path / "hostile.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    monkeypatch.setenv("JIPPNAS_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(main, ["ingest", str(source)])
    assert result.exit_code == 0, result.output
    (report,) = (tmp_path / "data" / "reports").glob("hostile-*-rejected.jsonl")
    (rejected,) = [json.loads(line) for line in report.read_text("utf-8").splitlines()]
    assert rejected["line"] == 2 and rejected["id"] == "baru-1"
    assert rejected["errors"][0]["field"] == "tags"
    assert "surrogate" in rejected["errors"][0]["reason"]
    assert EmbeddedEngine(tmp_path / "data").count() == 2


# -- (3) integer parameters -------------------------------------------------------------
def test_integer_parameters_take_ascii_digits_only(client):
    for value in ("²", "٣", "+3", " 3", "1_0", "3.0", "9" * 1000):
        similar = client.get(f"/api/v1/innovations/{SOURCE}/similar", query_string={"size": value})
        assert similar.status_code == 400, value
        assert similar.json["error"]["details"]["parameter"] == "size"
        for name in ("size", "page", "year_from", "year_to"):
            resp = client.get("/api/v1/search", query_string={"q": "sampah", name: value})
            assert resp.status_code == 400 and resp.json["error"]["details"]["parameter"] == name
        assert client.get("/", query_string={"page": value}).status_code == 400
    assert client.get(f"/api/v1/innovations/{SOURCE}/similar?size=3").status_code == 200


# -- (4) one id, several spellings ------------------------------------------------------
def test_ids_are_compared_in_canonical_form(write_client, auth, sample_records):
    a, b, c, d, e = _new(sample_records, 5)
    derived = {k: v for k, v in c.items() if k != "id"}
    first = _post(write_client, auth, [derived])["results"][0]["id"]
    body = _post(
        write_client,
        auth,
        [
            a | {"id": "dup-x"},
            b | {"id": " dup-x "},
            c | {"id": "303"},
            d | {"id": 303},
            e | {"id": first},  # a given id equal to a derived one of this batch
            derived,
        ],
    )
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["created", "rejected", "created", "rejected", "updated", "rejected"]
    rejected = _rejections(body)
    assert rejected[1][:2] == ("dup-x", "id") and "first at index 0" in rejected[1][2]
    assert rejected[3][:2] == ("303", "id") and "first at index 2" in rejected[3][2]
    assert rejected[5][:2] == (first, "id") and "first at index 4" in rejected[5][2]
    assert write_client.get("/api/v1/innovations/dup-x").json["title"] == a["title"]


def test_an_exact_duplicate_is_reported_with_its_id(write_client, auth, sample_records):
    (record,) = _new(sample_records, 1)
    body = _post(write_client, auth, [record, record])
    assert _rejections(body)[1][:2] == ("baru-0", "id")


# -- (5) pathological stored records ----------------------------------------------------
def test_huge_fields_give_short_snippets_and_answer(write_client, auth, sample_records):
    many_words = " ".join(["7"] * 10_000)  # 10,000 words within the 20,000-character cap
    one_word = "puskesmas" * 2_000
    a, b = _new(sample_records, 2, prefix="raksasa")
    body = _post(
        write_client, auth, [a | {"problem": many_words}, b | {"solution": one_word + " antrean"}]
    )
    assert [r["status"] for r in body["results"]] == ["created", "created"]
    # Keyword mode: both giants match a word of the query whatever their meaning scores.
    found = write_client.get("/api/v1/search?q=7 antrean puskesmas&size=100&mode=lexical").json
    cards = {r["id"]: r for r in found["results"]}
    assert {"raksasa-0", "raksasa-1"} <= set(cards)
    hybrid = write_client.get("/api/v1/search?q=7 antrean puskesmas&size=100").json["results"]
    for card in [*cards.values(), *hybrid]:
        assert len(card["snippet"]) < 1_000
    assert "<mark>7</mark>" in cards["raksasa-0"]["snippet"]
    similar = write_client.get("/api/v1/innovations/raksasa-0/similar")
    assert similar.status_code == 200 and similar.json["results"]


# -- (6) empty pages with many filters --------------------------------------------------
def test_empty_page_hints_come_from_the_counts(client):
    """Each "Hapus filter" hint gives exactly what dropping that filter gives."""
    params = {
        "q": "sampah",
        "province": "Bali",
        "sector": "pendidikan",
        "agency_level": "kabupaten",
        "year_from": "2015",
    }
    assert client.get("/api/v1/search", query_string=params).json["total"] == 0
    html = client.get("/", query_string=params).get_data(as_text=True)
    hints = re.findall(r"Hapus filter ([^<]+)</a> — (\d+) inovasi", html)
    labels = {"province": "Provinsi", "sector": "Sektor", "agency_level": "Tingkat instansi"}
    expected = []
    for name, label in labels.items():
        without = {k: v for k, v in params.items() if k != name}
        total = client.get("/api/v1/search", query_string=without).json["total"]
        if total:
            expected.append((label, str(total)))
    assert expected and sorted(hints) == sorted(expected)


# -- (7) invisible format characters ----------------------------------------------------
def test_format_characters_separate_words(client, write_client, auth, sample_records):
    plain = client.get("/api/v1/search?q=antrean puskesmas&mode=lexical").json
    for joiner in ("\u200b", "\u200c", "\u2060", "\ufeff"):
        glued = client.get(
            "/api/v1/search", query_string={"q": f"antrean{joiner}puskesmas", "mode": "lexical"}
        ).json
        assert glued["total"] == plain["total"] > 0
    (record,) = _new(sample_records, 1, prefix="zwsp")
    _post(write_client, auth, [record | {"title": "Layanan\u200bjemputbola\u200bterpadu"}])
    found = write_client.get("/api/v1/search?q=jemputbola&mode=lexical").json
    assert [r["id"] for r in found["results"]] == ["zwsp-0"]


# -- (8) NaN in JSON --------------------------------------------------------------------
def test_nan_and_infinity_are_not_text(write_client, auth, sample_records):
    a, b, c = _new(sample_records, 3)
    raw = (
        json.dumps([a, b, c])
        .replace(json.dumps(a["title"]), "NaN", 1)
        .replace(json.dumps(b["agency"]), "Infinity", 1)
    )
    resp = write_client.post(
        "/api/v1/innovations", data=raw, content_type="application/json", headers=auth
    )
    rejected = _rejections(resp.json)
    assert rejected[0][1] == "title" and "NaN" in rejected[0][2].replace("nan", "NaN")
    assert rejected[1][1] == "agency"
    assert [r["status"] for r in resp.json["results"]][2] == "created"
