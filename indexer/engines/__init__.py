"""Search engines behind one contract (see ``base.Engine``)."""

from __future__ import annotations

from indexer.engines.base import Engine, EngineUnavailable
from indexer.fields import FIELDS, Registry
from indexer.settings import Settings


def open_engine(settings: Settings, fields: Registry = FIELDS) -> Engine:
    """The engine the settings ask for; OpenSearch is imported only when chosen."""
    if settings.engine == "opensearch":
        from indexer.engines.opensearch import OpenSearchEngine, ShardLayout
        from indexer.locks import store_lock

        index = settings.opensearch_index
        lock = store_lock(settings, index)
        layout = ShardLayout(settings.opensearch_shards, settings.opensearch_replicas)
        return OpenSearchEngine(
            settings.opensearch_url, index, fields=fields, lock=lock, layout=layout
        )
    if settings.engine == "memory":
        from indexer.engines.memory import MemoryEngine

        return MemoryEngine(fields)
    from indexer.engines.embedded import EmbeddedEngine

    return EmbeddedEngine(settings.data_dir, fields=fields)


__all__ = ["Engine", "EngineUnavailable", "open_engine"]
