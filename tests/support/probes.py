"""What a reader sees of a store, in one tuple: compared before, during and after a rebuild."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from indexer.engines.base import Engine, Filters, MatchQuery, keyword_search


def probe(engine: Engine, vector: np.ndarray) -> tuple:
    """Lexical total and ids, a facet total and filtered k-NN ids of the sample store."""
    lexical = keyword_search(engine, "antrean puskesmas", Filters(), 20)
    return (
        lexical.total,
        [h.id for h in lexical.hits],
        engine.facets(MatchQuery(text="sampah"), Filters()).total,
        [h.id for h in engine.knn(vector, Filters({"province": ("Bali",)}), 5)],
    )


@dataclass
class Probing:
    answers: list[tuple] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)


@contextmanager
def probing(engine: Engine, vector: np.ndarray) -> Iterator[Probing]:
    """Probe ``engine`` without pause from another thread while the block runs."""
    seen, done = Probing(), threading.Event()

    def keep_probing() -> None:
        while not done.is_set():
            try:
                seen.answers.append(probe(engine, vector))
            except Exception as exc:
                seen.failures.append(exc)

    thread = threading.Thread(target=keep_probing)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join()
