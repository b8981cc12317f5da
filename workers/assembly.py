"""The service assembly: one place that builds a process's settings, field registry,
engine, embedder, search, job store and Celery app.

The web app (app/__init__.py), the Celery workers (workers/worker.py) and the CLI all
build their services here, so the same JIPPNAS_* variables give the same parts
everywhere, and nothing below the web app needs to import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import redis
from celery import Celery

from indexer.embeddings import Embedder
from indexer.engines import Engine, open_engine
from indexer.fields import FIELDS, Registry
from indexer.ingest import Ingestor
from indexer.settings import Settings
from ranking.search import SearchService
from workers.celery_app import make_celery
from workers.jobs import JobStore, MemoryKeyValue
from workers.metrics import count_calls


@dataclass
class Services:
    settings: Settings
    fields: Registry = field(default=FIELDS)

    @cached_property
    def engine(self) -> Engine:
        return count_calls(open_engine(self.settings, self.fields))

    @cached_property
    def embedder(self) -> Embedder:
        return Embedder(self.settings.embedding_model)

    @cached_property
    def search(self) -> SearchService:
        return SearchService(self.engine, self.embedder)

    @cached_property
    def jobs(self) -> JobStore:
        if not self.settings.redis_url:
            return JobStore(MemoryKeyValue())
        client = redis.Redis.from_url(
            self.settings.redis_url,
            decode_responses=True,
            socket_connect_timeout=2,
            socket_timeout=10,
        )
        return JobStore(client)

    @cached_property
    def celery(self) -> Celery:
        """This process's Celery app; its tasks reach these services (``services_of``)."""
        return make_celery(self)

    def ingestor(self) -> Ingestor:
        """A fresh ingestor per job: duplicate ids are detected within one job."""
        return Ingestor(self.engine, self.embedder, self.settings.ingest_batch_size)
