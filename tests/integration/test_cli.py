"""The `jippnas` command line on real files."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from app.cli import main
from indexer.engines.embedded import DB_NAME, EmbeddedEngine
from tests.conftest import SAMPLE_SIZE


def _write_mixed(path: Path, sample_records: list[dict]) -> None:
    good = sample_records[:3]
    lines = [
        json.dumps(good[0]),
        json.dumps(good[1] | {"year": "dulu"}),
        "{not json",
        json.dumps(good[2]),
        json.dumps(good[0] | {"title": "Duplikat"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_ingest_stores_good_records_and_reports_bad_ones(
    tmp_path, sample_records, embedder, monkeypatch
):
    source = tmp_path / "campuran.jsonl"
    _write_mixed(source, sample_records)
    monkeypatch.setenv("JIPPNAS_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(main, ["ingest", str(source)])
    assert result.exit_code == 0, result.output
    reports = list((tmp_path / "data" / "reports").glob("campuran-*-rejected.jsonl"))
    assert len(reports) == 1 and str(reports[0].name) in result.output.replace("\n", "")
    rejected = [json.loads(line) for line in reports[0].read_text().splitlines()]
    assert [(r["line"], r["errors"][0]["field"]) for r in rejected] == [
        (2, "year"),
        (3, "record"),
        (5, "id"),
    ]
    assert "duplicate id" in rejected[2]["errors"][0]["reason"]
    stats = CliRunner().invoke(main, ["stats"])
    assert "records: 2" in stats.output


def test_unknown_file_type_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("JIPPNAS_DATA_DIR", str(tmp_path / "data"))
    source = tmp_path / "data.txt"
    source.write_text("x")
    result = CliRunner().invoke(main, ["ingest", str(source)])
    assert result.exit_code != 0 and "unknown file type" in result.output


def _consistent(db: Path) -> int:
    """Every stored record has exactly one text row and a vector of the model's size."""
    conn = sqlite3.connect(db)
    docs = conn.execute("SELECT count(*) FROM docs").fetchone()[0]
    fts = conn.execute("SELECT count(*) FROM docs_fts").fetchone()[0]
    orphans = conn.execute(
        "SELECT count(*) FROM docs_fts WHERE rowid NOT IN (SELECT rowid FROM docs)"
    ).fetchone()[0]
    bad_vectors = conn.execute(
        "SELECT count(*) FROM docs WHERE length(vector) != 384 * 4"
    ).fetchone()[0]
    conn.close()
    assert docs == fts and orphans == 0 and bad_vectors == 0
    return docs


def test_kill_mid_ingest_leaves_a_consistent_store(tmp_path, sample_records):
    """SIGKILL during an ingest: what was committed is whole; a rerun completes it."""
    source = tmp_path / "besar.jsonl"
    with source.open("w") as out:
        for copy in range(3):
            for record in sample_records:
                copied = record | {"id": f"{record['id']}-{copy}", "replicates": []}
                out.write(json.dumps(copied) + "\n")
    env = os.environ | {
        "JIPPNAS_DATA_DIR": str(tmp_path / "data"),
        "JIPPNAS_INGEST_BATCH_SIZE": "16",
    }
    command = [sys.executable, "-m", "app.cli", "ingest", str(source)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = tmp_path / "data" / DB_NAME
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists() and _count(db) >= 32:
            break
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = _consistent(db)
    assert 0 < partial < 3 * SAMPLE_SIZE
    subprocess.run(command, env=env, check=True, capture_output=True)
    assert _consistent(db) == 3 * SAMPLE_SIZE


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM docs").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_delete_command(store_copy, monkeypatch):
    monkeypatch.setenv("JIPPNAS_DATA_DIR", str(store_copy))
    result = CliRunner().invoke(
        main, ["delete", "kipp-2015-prov-dki-gendis-system-sigareng", "tidak-ada"]
    )
    assert result.exit_code == 0 and "deleted 1 of 2" in result.output
    assert EmbeddedEngine(store_copy).count() == SAMPLE_SIZE - 1
