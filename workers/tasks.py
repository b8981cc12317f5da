"""Celery tasks. They take ids and small arguments; payloads live in the job store.

Each task reaches its process's services through the Celery app it runs in
(``services_of``), never through the web app.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from celery import Task, shared_task
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from indexer.engines.base import EngineUnavailable
from indexer.ingest import mark_duplicate_ids
from indexer.readers import RawItem, batched
from ranking.duplicates import propose
from workers.celery_app import services_of
from workers.jobs import JobQueueUnavailable
from workers.logs import REQUEST_ID, request_id
from workers.metrics import JOBS

if TYPE_CHECKING:
    from workers.assembly import Services

log = logging.getLogger("jippnas.worker")

# The budget (max_retries) is JIPPNAS_TASK_MAX_RETRIES, set in workers/celery_app.py.
RETRY = {
    "autoretry_for": (EngineUnavailable,),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
}


class ChunkTask(Task):
    """An ingest chunk that ran out of retries marks its job failed, with the reason."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        job, number = args
        services_of(self).jobs.record_failure(job, number, f"{type(exc).__name__}: {exc}")


@shared_task(bind=True, base=ChunkTask, name="jippnas.ingest_chunk", **RETRY)
def ingest_chunk(self: Task, job: str, number: int) -> dict[str, int]:
    """Validate, embed and upsert one chunk, then propose possible duplicates of what it
    wrote; idempotent, so a rerun after a crash is safe."""
    svc = services_of(self)
    with request_id(svc.jobs.request_id(job)):
        return _ingest_chunk(svc, job, number)


def _ingest_chunk(svc: Services, job: str, number: int) -> dict[str, int]:
    items = svc.jobs.chunk(job, number)
    report = svc.ingestor().ingest_batch(items)
    written = svc.engine.get_many([result.id for _, result in report.written])
    proposals = propose(svc.engine, written.values())
    svc.jobs.record_chunk(job, number, len(items), report, proposals)
    found = {"counts": report.summary(), "duplicates": len(proposals)}
    log.info("chunk stored", extra={"job": job, "chunk": number} | found)
    return report.summary()


@shared_task(bind=True, name="jippnas.delete_innovations", **RETRY)
def delete_innovations(self: Task, ids: list[str]) -> int:
    return services_of(self).ingestor().delete(ids)


@shared_task(bind=True, name="jippnas.reindex")
def reindex_index(self: Task) -> dict[str, object]:
    """Rebuild the store: a new index generation or store file, then an atomic swap (not
    retried: a failed rebuild leaves the live store as it was, and starts over when rerun)."""
    svc = services_of(self)
    report = svc.engine.reindex(svc.embedder)
    return {
        "new": report.new,
        "records": report.records,
        "how": "re-embedded" if report.reembedded else "copied",
        "dropped": list(report.old),
    }


def submit_ingest(svc: Services, items: Iterable[RawItem], source: str) -> str:
    """Store the job's chunks, then enqueue one task per chunk; returns the job id."""
    chunks = list(batched(mark_duplicate_ids(items, svc.fields), svc.settings.job_chunk_size))
    task = svc.celery.tasks[ingest_chunk.name]
    try:
        job = svc.jobs.create(chunks, source, REQUEST_ID.get())
        for number in range(len(chunks)):
            task.apply_async((job, number), retry=False)
    except (RedisError, OperationalError) as exc:
        raise JobQueueUnavailable(
            "the job queue (Redis) is unreachable; try again later — search still works"
        ) from exc
    JOBS.inc()
    return job
