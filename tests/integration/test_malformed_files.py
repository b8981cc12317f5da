"""Hostile and messy bulk files: every valid record stored, every bad one reported,
nothing already stored changed, and the process never crashes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from indexer.engines.embedded import EmbeddedEngine
from indexer.ingest import Ingestor
from indexer.readers import UnsupportedFile, read_file

EXISTING = "kipp-2015-prov-dki-gendis-system-sigareng"


@pytest.fixture
def engine(store_copy: Path) -> EmbeddedEngine:
    return EmbeddedEngine(store_copy)


def _ingest(engine, embedder, path: Path):
    return Ingestor(engine, embedder, batch_size=8).run(read_file(path))


def _new(sample_records: list[dict], n: int) -> list[dict]:
    return [
        r | {"id": f"baru-{i}", "title": f"{r['title']} (replikasi {i})"}
        for i, r in enumerate(sample_records[:n])
    ]


def _reasons(report) -> dict[int, str]:
    return {r.position: f"{r.errors[0].field}: {r.errors[0].reason}" for r in report.rejections}


def test_jsonl_with_broken_utf8_truncation_and_huge_field(
    tmp_path, engine, embedder, sample_records
):
    good = _new(sample_records, 3)
    huge = good[0] | {"id": "raksasa", "problem": "x" * 10_000_000}
    lines = [
        json.dumps(good[0]).encode(),
        b'{"title": "\xff\xfe rusak"}',
        json.dumps(huge).encode(),
        json.dumps(good[1]).encode(),
        json.dumps(good[2]).encode()[:-25],
    ]
    path = tmp_path / "campur.jsonl"
    path.write_bytes(b"\n".join(lines))
    report = _ingest(engine, embedder, path)
    assert report.created == 2
    reasons = _reasons(report)
    assert set(reasons) == {2, 3, 5}
    assert "UTF-8" in reasons[2]
    assert reasons[3].startswith("problem:") and "limit" in reasons[3]
    assert "invalid JSON" in reasons[5]
    assert engine.get("baru-0") and engine.get("baru-1") and not engine.get("raksasa")


def test_semicolon_csv_with_bad_rows_and_duplicate_ids(tmp_path, engine, embedder, sample_records):
    rows = _new(sample_records, 4)
    rows[2] = rows[2] | {"year": "tahun lalu"}
    rows.append(rows[0] | {"title": "Salinan"})
    out = io.StringIO()
    fields = [
        "id",
        "title",
        "agency",
        "agency_level",
        "province",
        "regency_city",
        "sector",
        "year",
        "source_program",
        "problem",
        "solution",
        "tags",
    ]
    writer = csv.DictWriter(out, fields, delimiter=";", extrasaction="ignore")
    writer.writeheader()
    writer.writerows({**r, "tags": ", ".join(r["tags"])} for r in rows)
    path = tmp_path / "ekspor.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    report = _ingest(engine, embedder, path)
    assert report.created == 3
    reasons = _reasons(report)
    assert reasons.keys() == {4, 6}
    assert reasons[4].startswith("year:") and "duplicate id" in reasons[6]
    assert engine.get("baru-3").tags == tuple(sample_records[3]["tags"])


def test_csv_without_header_is_refused_and_changes_nothing(tmp_path, engine, embedder):
    before = engine.count()
    path = tmp_path / "tanpa-header.csv"
    path.write_text("Inovasi A,Dinas A,kota,2020\nInovasi B,Dinas B,kota,2021\n")
    with pytest.raises(UnsupportedFile, match="header"):
        _ingest(engine, embedder, path)
    assert engine.count() == before


def test_bad_version_of_a_stored_record_leaves_it_untouched(
    tmp_path, engine, embedder, sample_records
):
    original = engine.get(EXISTING)
    stored = next(r for r in sample_records if r["id"] == EXISTING)
    path = tmp_path / "rusak.jsonl"
    path.write_text(json.dumps(stored | {"year": 1800, "title": "Diubah"}) + "\n")
    report = _ingest(engine, embedder, path)
    assert report.rejected == 1 and report.created == report.updated == 0
    assert engine.get(EXISTING) == original


def test_upload_of_a_broken_file_through_the_jobs_api(write_client, auth):
    data = {"file": (io.BytesIO(b"\xff\xfe\x00garbage"), "data.json")}
    resp = write_client.post(
        "/api/v1/jobs", data=data, headers=auth, content_type="multipart/form-data"
    )
    assert resp.status_code == 400 and "UTF-8" in resp.json["error"]["message"]
