"""Celery tasks. They take ids and small arguments; payloads live in the job store."""

from __future__ import annotations

from collections.abc import Iterable

from celery import shared_task
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from app.services import services
from indexer.engines.base import EngineUnavailable
from indexer.ingest import mark_duplicate_ids
from indexer.readers import RawItem, batched
from workers.jobs import JobQueueUnavailable

RETRY = {
    "autoretry_for": (EngineUnavailable,),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 30,
}


@shared_task(name="jippnas.ingest_chunk", **RETRY)
def ingest_chunk(job: str, number: int) -> dict[str, int]:
    """Validate, embed and upsert one chunk; idempotent, so a rerun after a crash is safe."""
    svc = services()
    items = svc.jobs.chunk(job, number)
    report = svc.ingestor().ingest_batch(items)
    svc.jobs.record_chunk(job, number, len(items), report)
    return report.summary()


@shared_task(name="jippnas.delete_innovations", **RETRY)
def delete_innovations(ids: list[str]) -> int:
    return services().engine.delete(ids)


@shared_task(name="jippnas.reindex")
def reindex_index() -> dict[str, object]:
    """Rebuild the store: a new index generation or store file, then an atomic swap (not
    retried: a failed rebuild leaves the live store as it was, and starts over when rerun)."""
    svc = services()
    report = svc.engine.reindex(svc.embedder)
    return {
        "new": report.new,
        "records": report.records,
        "how": "re-embedded" if report.reembedded else "copied",
        "dropped": list(report.old),
    }


def submit_ingest(items: Iterable[RawItem], source: str) -> str:
    """Store the job's chunks, then enqueue one task per chunk; returns the job id."""
    svc = services()
    chunks = list(batched(mark_duplicate_ids(items), svc.settings.job_chunk_size))
    try:
        job = svc.jobs.create(chunks, source)
        for number in range(len(chunks)):
            ingest_chunk.apply_async((job, number), retry=False)
    except (RedisError, OperationalError) as exc:
        raise JobQueueUnavailable(
            "the job queue (Redis) is unreachable; try again later — search still works"
        ) from exc
    return job
