"""The per-process objects the views share: engine, embedder, search and ingest."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import redis
from flask import Flask, current_app

from indexer.embeddings import Embedder
from indexer.engines import Engine, open_engine
from indexer.ingest import Ingestor
from indexer.settings import Settings
from ranking.search import SearchService
from workers.jobs import JobStore, MemoryKeyValue

EXTENSION = "jippnas"


@dataclass
class Services:
    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        return open_engine(self.settings)

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

    def ingestor(self) -> Ingestor:
        """A fresh ingestor per job: duplicate ids are detected within one job."""
        return Ingestor(self.engine, self.embedder, self.settings.ingest_batch_size)


def init_services(app: Flask, settings: Settings) -> Services:
    services = Services(settings)
    app.extensions[EXTENSION] = services
    return services


def services() -> Services:
    return current_app.extensions[EXTENSION]
