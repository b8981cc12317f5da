"""Prometheus metrics of one process: searches, engine calls, records written, jobs.

The web app serves them at /metrics (app/health.py); the queue depth is read from Redis
when scraped. Metrics live in this module's registry, shared by every app and service
assembly in the process (gunicorn runs one process with threads, so one registry holds
the whole server's figures).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from indexer.engines import Engine
from indexer.ingest import IngestReport

REGISTRY = CollectorRegistry()
SEARCH_SECONDS = Histogram(
    "jippnas_search_seconds",
    "Time to answer a search (ranking, engine calls and the page), by mode and engine",
    ["mode", "engine"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)
ENGINE_CALLS = Counter(
    "jippnas_engine_calls",
    "Calls to an engine primitive (for OpenSearch, each is one round trip to the node)",
    ["engine", "call"],
    registry=REGISTRY,
)
RECORDS = Counter(
    "jippnas_records_written",
    "Records through the write path, by outcome (created, updated, unchanged, rejected)",
    ["outcome"],
    registry=REGISTRY,
)
JOBS = Counter("jippnas_jobs_submitted", "Ingest jobs submitted", registry=REGISTRY)
QUEUE_DEPTH = Gauge(
    "jippnas_queue_depth", "Tasks waiting in the Celery queue (Redis)", registry=REGISTRY
)
# The engine primitives a request or a write costs.
PRIMITIVES = (
    "resolve",
    "execute",
    "knn",
    "browse",
    "facets",
    "get",
    "get_many",
    "get_vector",
    "fingerprints",
    "upsert",
    "delete",
    "count",
)


def count_calls(engine: Engine) -> Engine:
    """The engine with each primitive counted in ENGINE_CALLS (the same object, so it
    stays what it is)."""
    for name in PRIMITIVES:
        setattr(engine, name, _counted(engine.name, name, getattr(engine, name)))
    return engine


def _counted(engine: str, call: str, method: Callable[..., Any]) -> Callable[..., Any]:
    counter = ENGINE_CALLS.labels(engine=engine, call=call)

    @wraps(method)
    def counted(*args: Any, **kwargs: Any) -> Any:
        counter.inc()
        return method(*args, **kwargs)

    return counted


@contextmanager
def timed_search(mode: str, engine: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    SEARCH_SECONDS.labels(mode=mode, engine=engine).observe(time.perf_counter() - started)


def record_written(report: IngestReport) -> None:
    for outcome, n in report.summary().items():
        if n:
            RECORDS.labels(outcome=outcome).inc(n)


def exposition(queue_depth: int | None) -> bytes:
    """The text format, with the queue depth read just now (None: no queue configured)."""
    if queue_depth is not None:
        QUEUE_DEPTH.set(queue_depth)
    return generate_latest(REGISTRY)
