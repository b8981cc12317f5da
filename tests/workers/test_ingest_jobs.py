"""Ingest jobs through Redis and real Celery worker processes: nothing lost, no doubles."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from io import BytesIO
from pathlib import Path
from typing import NamedTuple

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from app.cli import main
from indexer.engines.embedded import EmbeddedEngine
from indexer.engines.opensearch import OpenSearchEngine
from tests.conftest import SAMPLE_SIZE, make_app
from tests.support.gate import Gate
from tests.workers.conftest import Workers

pytestmark = pytest.mark.redis


def _records(sample_records: list[dict], count: int) -> list[dict]:
    out = []
    for copy in range(count // len(sample_records) + 1):
        out += [r | {"id": f"{r['id']}-{copy}", "replicates": []} for r in sample_records]
    return out[:count]


def _wait(client, job: str, until, timeout: float, workers) -> dict:
    deadline = time.monotonic() + timeout
    status = {}
    while time.monotonic() < deadline:
        status = client.get(f"/api/v1/jobs/{job}").json
        if until(status):
            return status
        time.sleep(0.5)
    pytest.fail(f"job did not get there in {timeout}s: {status}\n{workers.logs()}")


def _env(data_dir: Path, redis_url: str) -> dict[str, str]:
    return {
        "JIPPNAS_DATA_DIR": str(data_dir),
        "JIPPNAS_REDIS_URL": redis_url,
        "JIPPNAS_TASK_VISIBILITY_TIMEOUT": "10",
    }


class Queue(NamedTuple):
    data_dir: Path
    workers: Workers
    first: subprocess.Popen
    client: FlaskClient


@pytest.fixture
def queue(tmp_path, redis_server, make_workers, embedder):
    """An embedded store, one running worker and a web client, all on the same Redis."""
    data_dir = tmp_path / "data"
    workers = make_workers(_env(data_dir, redis_server.url))
    first = workers.start()
    client = make_app(data_dir, embedder, redis_url=redis_server.url).test_client()
    return Queue(data_dir, workers, first, client)


def test_killed_worker_mid_job_loses_and_duplicates_nothing(queue, sample_records, auth):
    data_dir, workers, first, client = queue
    records = [*_records(sample_records, 2000), {"title": "rusak"}]
    resp = client.post("/api/v1/jobs", json=records, headers=auth)
    assert resp.status_code == 202, resp.json
    job = resp.json["id"]
    _wait(client, job, lambda s: s["progress"]["done"] >= 300, 240, workers)
    workers.kill(first)
    mid = client.get(f"/api/v1/jobs/{job}").json
    assert mid["state"] == "running" and mid["progress"]["done"] < 2001
    workers.start()
    done = _wait(client, job, lambda s: s["state"] == "succeeded", 400, workers)
    counts = done["counts"]
    assert counts["created"] + counts["updated"] + counts["unchanged"] == 2000
    assert counts["rejected"] == 1 and done["errors"][0]["index"] == 2000
    assert done["progress"] == {"done": 2001, "total": 2001, "chunks_done": 21, "chunks": 21}
    engine = EmbeddedEngine(data_dir)
    assert engine.count() == 2000
    assert {engine.get(r["id"]).title for r in records[:3]} == {r["title"] for r in records[:3]}


def test_job_state_survives_a_web_app_restart(queue, redis_server, embedder, sample_records, auth):
    workers, client = queue.workers, queue.client
    job = client.post("/api/v1/jobs", json=sample_records[:20], headers=auth).json["id"]
    restarted = make_app(queue.data_dir, embedder, redis_url=redis_server.url).test_client()
    done = _wait(restarted, job, lambda s: s["state"] == "succeeded", 240, workers)
    assert done["counts"]["created"] == 20


def test_file_upload_job_reports_bad_lines(queue, sample_records, auth):
    workers, client = queue.workers, queue.client
    lines = [json.dumps(r) for r in sample_records[:3]] + ["{oops"]
    payload = ("\n".join(lines) + "\n").encode()
    resp = client.post(
        "/api/v1/jobs",
        data={"file": (BytesIO(payload), "batch.jsonl")},
        headers=auth,
        content_type="multipart/form-data",
    )
    assert resp.status_code == 202
    done = _wait(client, resp.json["id"], lambda s: s["state"] == "succeeded", 240, workers)
    assert done["counts"]["created"] == 3
    assert done["errors"][0]["line"] == 4 and "invalid JSON" in json.dumps(done["errors"])


def test_a_job_proposes_duplicates_of_what_it_wrote(queue, sample_records, auth):
    """The worker looks for a second record of each practice it stores (here the same
    practice under two awards) and the job's status lists the pair with its reasons."""
    pair = (
        "smartcity-2021-kab-banyuwangi-smart-kampung",
        "surya-2019-kab-banyuwangi-smart-kampung",
    )
    by_id = {r["id"]: r for r in sample_records}
    records = [by_id[pair[0]], *sample_records[:5], by_id[pair[1]]]
    job = queue.client.post("/api/v1/jobs", json=records, headers=auth).json["id"]
    done = _wait(queue.client, job, lambda s: s["state"] == "succeeded", 240, queue.workers)
    (proposal,) = [p for p in done["duplicates"] if (p["a"], p["b"]) == pair]
    assert proposal["score"] >= 0.9
    assert any(reason.startswith("same place") for reason in proposal["reasons"])


def test_redis_down_search_answers_and_submission_is_503(
    store_copy, redis_server, embedder, sample_records, auth
):
    client = make_app(store_copy, embedder, redis_url=redis_server.url).test_client()
    redis_server.stop()
    assert client.get("/api/v1/search?q=puskesmas").status_code == 200
    resp = client.post("/api/v1/jobs", json=sample_records[:2], headers=auth)
    assert resp.status_code == 503
    assert resp.json["error"]["code"] == "queue_unavailable"
    assert "Redis" in resp.json["error"]["message"]


@pytest.mark.opensearch
def test_engine_outage_mid_job_is_retried_until_nothing_is_lost(
    tmp_path, redis_server, make_workers, embedder, sample_records, auth, opensearch_url
):
    gate = Gate(opensearch_url)
    gate.open()
    alias = f"jobs-{uuid.uuid4().hex[:8]}"
    env = _env(tmp_path, redis_server.url) | {
        "JIPPNAS_ENGINE": "opensearch",
        "JIPPNAS_OPENSEARCH_URL": gate.url,
        "JIPPNAS_OPENSEARCH_INDEX": alias,
    }
    workers = make_workers(env)
    workers.start()
    client = make_app(tmp_path, embedder, redis_url=redis_server.url).test_client()
    records = _records(sample_records, 600)
    job = client.post("/api/v1/jobs", json=records, headers=auth).json["id"]
    try:
        _wait(client, job, lambda s: s["progress"]["done"] >= 100, 240, workers)
        gate.shut()
        time.sleep(8)
        stalled = client.get(f"/api/v1/jobs/{job}").json
        assert stalled["state"] == "running" and stalled["progress"]["done"] < 600
    finally:
        gate.open()
    done = _wait(client, job, lambda s: s["state"] == "succeeded", 300, workers)
    assert done["counts"]["created"] + done["counts"]["unchanged"] == 600
    engine = OpenSearchEngine(opensearch_url, alias)
    try:
        assert engine.count() == 600
    finally:
        engine.drop()
        gate.shut()


def test_delete_runs_as_a_task_on_a_worker(store_copy, redis_server, make_workers, monkeypatch):
    env = _env(store_copy, redis_server.url)
    workers = make_workers(env)
    workers.start()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(
        main, ["delete", "--async", "kipp-2015-prov-dki-gendis-system-sigareng"]
    )
    assert result.exit_code == 0 and "submitted as task" in result.output
    engine = EmbeddedEngine(store_copy)
    deadline = time.monotonic() + 120
    while engine.count() != SAMPLE_SIZE - 1 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert engine.count() == SAMPLE_SIZE - 1, workers.logs()


def test_a_job_whose_engine_stays_unreachable_fails_with_its_chunk_errors(
    tmp_path, redis_server, make_workers, embedder, sample_records, monkeypatch
):
    """Past the retry budget a chunk gives up: the job ends `failed` (not `running` for
    ever), says which chunks and why, and `jippnas ingest --async` exits with the reason."""
    env = _env(tmp_path, redis_server.url) | {
        "JIPPNAS_ENGINE": "opensearch",
        "JIPPNAS_OPENSEARCH_URL": "http://127.0.0.1:9",  # nothing listens on discard
        "JIPPNAS_OPENSEARCH_INDEX": "unreachable",
        "JIPPNAS_TASK_MAX_RETRIES": "1",
        "JIPPNAS_JOB_CHUNK_SIZE": "4",
    }
    workers = make_workers(env)
    workers.start()
    source = tmp_path / "batch.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in sample_records[:6]), "utf-8")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["ingest", "--async", "--timeout", "180", str(source)])
    assert result.exit_code == 1, result.output + workers.logs()
    assert "failed" in result.output and "cannot be reached" in result.output
    job = result.output.split("Job ")[1].split()[0]
    client = make_app(tmp_path, embedder, redis_url=redis_server.url).test_client()
    status = client.get(f"/api/v1/jobs/{job}").json
    assert status["state"] == "failed" and status["counts"]["failed"] == 6
    assert [(c["chunk"], c["records"]) for c in status["chunk_errors"]] == [(0, 4), (1, 2)]
    assert all("EngineUnavailable" in c["reason"] for c in status["chunk_errors"])


def test_following_a_job_stops_at_the_deadline(tmp_path, redis_server, sample_records, monkeypatch):
    """No worker is running: the job stays queued, and the command says so instead of
    polling for ever."""
    monkeypatch.setenv("JIPPNAS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JIPPNAS_REDIS_URL", redis_server.url)
    source = tmp_path / "batch.jsonl"
    source.write_text(json.dumps(sample_records[0]) + "\n", "utf-8")
    result = CliRunner().invoke(main, ["ingest", "--async", "--timeout", "2", str(source)])
    assert result.exit_code == 1
    assert "still queued after 2 s" in result.output and "GET /api/v1/jobs/" in result.output


def _metrics(client) -> dict[str, float]:
    text = client.get("/metrics").get_data(as_text=True)
    return {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples}


def test_metrics_show_the_queue_depth_and_jobs(
    tmp_path, redis_server, embedder, sample_records, auth
):
    """No worker runs: a submitted job's chunks wait in Redis, and /metrics says so."""
    client = make_app(tmp_path / "data", embedder, redis_url=redis_server.url).test_client()
    before = _metrics(client)
    resp = client.post("/api/v1/jobs", json=sample_records[:3], headers=auth)
    assert resp.status_code == 202
    after = _metrics(client)
    assert after["jippnas_queue_depth"] >= 1
    assert after["jippnas_jobs_submitted_total"] == before["jippnas_jobs_submitted_total"] + 1


def test_the_request_id_reaches_the_worker_tasks_of_its_job(queue, sample_records, auth):
    headers = auth | {"X-Request-ID": "unggah-42"}
    job = queue.client.post("/api/v1/jobs", json=sample_records[:3], headers=headers).json["id"]
    done = _wait(queue.client, job, lambda s: s["state"] == "succeeded", 240, queue.workers)
    assert done["request_id"] == "unggah-42"
    lines = [json.loads(line) for line in queue.workers.logs().splitlines() if line[:1] == "{"]
    stored = [line for line in lines if line.get("message") == "chunk stored"]
    assert stored, queue.workers.logs()
    assert all(line["request_id"] == "unggah-42" for line in stored)
    assert stored[0]["job"] == job and stored[0]["counts"]["created"] == 3
