"""Job status from chunk outcomes (plain data: the in-process key-value store)."""

from __future__ import annotations

from indexer.ingest import IngestReport
from indexer.readers import RawItem
from workers.jobs import JobStore, MemoryKeyValue


def _job(store: JobStore, sizes: tuple[int, ...]) -> str:
    chunks = [[RawItem(n, {"title": f"t{n}"}) for n in range(size)] for size in sizes]
    return store.create(chunks, "test")


def _done(created: int) -> IngestReport:
    return IngestReport(created=created)


def test_a_job_runs_then_succeeds_and_a_rerun_chunk_counts_once():
    store = JobStore(MemoryKeyValue())
    job = _job(store, (3, 2))
    assert store.status(job)["state"] == "queued"
    store.record_chunk(job, 0, 3, _done(3))
    store.record_chunk(job, 0, 3, _done(3))  # a worker died after writing: chunk ran twice
    assert store.status(job)["state"] == "running"
    store.record_chunk(job, 1, 2, _done(2))
    status = store.status(job)
    assert status["state"] == "succeeded" and status["counts"]["created"] == 5
    assert status["progress"] == {"done": 5, "total": 5, "chunks_done": 2, "chunks": 2}


def test_a_chunk_that_gave_up_fails_the_job_once_every_chunk_ended():
    store = JobStore(MemoryKeyValue())
    job = _job(store, (3, 2))
    store.record_failure(job, 1, "EngineUnavailable: OpenSearch cannot be reached")
    assert store.status(job)["state"] == "running"  # chunk 0 may still succeed
    store.record_chunk(job, 0, 3, _done(3))
    status = store.status(job)
    assert status["state"] == "failed"
    assert status["counts"]["created"] == 3 and status["counts"]["failed"] == 2
    assert status["chunk_errors"] == [
        {"chunk": 1, "records": 2, "reason": "EngineUnavailable: OpenSearch cannot be reached"}
    ]
