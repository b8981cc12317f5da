"""The embedded engine on an in-memory SQLite database: the same code, no files.

For the fast test layer (ranking and API tests with no model and no node) and for
throw-away stores; the contract suite runs against it like the other engines. A memory
store lives until the engine is closed and cannot be rebuilt in place: load a new one.
"""

from __future__ import annotations

import sqlite3
import tempfile
import uuid
from pathlib import Path

from indexer.embeddings import Embedder
from indexer.engines.base import ReindexReport
from indexer.engines.embedded import EmbeddedEngine
from indexer.fields import FIELDS, Registry


class MemoryEngine(EmbeddedEngine):
    name = "memory"

    def __init__(self, fields: Registry = FIELDS) -> None:
        # A shared-cache memory database is one store for every connection of this
        # process (one per thread); it lasts while at least one is open.
        self._memory = Path(f"file:jippnas-{uuid.uuid4().hex}?mode=memory&cache=shared")
        self._keeper = sqlite3.connect(str(self._memory), uri=True, check_same_thread=False)
        super().__init__(Path(tempfile.gettempdir()), fields=fields)  # no file is written

    @property
    def path(self) -> Path:
        return self._memory

    def reindex(self, embedder: Embedder) -> ReindexReport:
        raise NotImplementedError("a memory store is rebuilt by loading a new one")

    def close(self) -> None:
        super().close()
        self._keeper.close()
