"""A model-free embedder for the fast test layer: character trigrams of each word hashed
into a fixed number of dimensions, so texts sharing words or word parts get close vectors,
and nothing is loaded."""

from __future__ import annotations

import zlib

import numpy as np

from indexer.embeddings import Embedder
from indexer.text import analyzer

DIMENSION = 256


class HashingBackend:
    model = None
    dimension = DIMENSION

    def passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([_vector(t) for t in texts]) if texts else np.zeros((0, DIMENSION))

    def queries(self, texts: list[str]) -> np.ndarray:
        return self.passages(texts)


def _vector(text: str) -> np.ndarray:
    vector = np.zeros(DIMENSION, dtype=np.float32)
    for term in analyzer().analyze(text).split():
        padded = f" {term} "
        for start in range(len(padded) - 2):
            vector[zlib.crc32(padded[start : start + 3].encode()) % DIMENSION] += 1.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def hashing_embedder() -> Embedder:
    return Embedder("test-hashed-trigrams", backend=HashingBackend())
