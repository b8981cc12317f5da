"""Ingest throughput against bare ``SentenceTransformer.encode`` on the same texts.

Embedding dominates ingest; the target is that validation, analysis and SQLite writes
add little on top, i.e. full ingest runs at >= 85% of bare encode throughput. Both
are timed in the same process, back to back in each round (which goes first alternates),
and the medians of the rounds are reported, so load from other work on a shared machine
hits both sides alike.

    python -m bench.ingest_throughput --count 2000
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from dataclasses import dataclass

from bench.generate import synthetic
from bench.stores import OUT, SEED, ingest
from indexer.embeddings import Embedder
from indexer.settings import Settings
from indexer.validation import validate

TARGET_RATIO = 0.85


@dataclass(frozen=True)
class IngestResult:
    engine: str
    records: int
    batch_size: int
    encode_per_s: float
    ingest_per_s: float
    ratio: float  # median of the per-round ratios

    @property
    def met(self) -> bool:
        return self.ratio >= TARGET_RATIO


def _bare_encode(embedder: Embedder, texts: list[str]) -> float:
    """Seconds for the plain library call the Embedder wraps, same model and batch size."""
    started = time.perf_counter()
    embedder.model.encode(
        texts,
        batch_size=embedder.batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return time.perf_counter() - started


def _full_ingest(embedder: Embedder, records: list[dict], batch_size: int) -> float:
    """Seconds for validate + analyse + embed + store into a fresh embedded store."""
    data_dir = OUT / "ingest-throughput"
    shutil.rmtree(data_dir, ignore_errors=True)
    started = time.perf_counter()
    report = ingest(records, data_dir, embedder, batch_size)
    elapsed = time.perf_counter() - started
    if report.created != len(records):
        raise RuntimeError(f"expected {len(records)} records stored, got {report.summary()}")
    return elapsed


def measure(count: int = 2000, rounds: int = 3) -> IngestResult:
    embedder = Embedder(Settings.from_env().embedding_model)
    batch_size = Settings.from_env().ingest_batch_size
    records = synthetic(count, SEED + 1)
    texts = [validate(r).embedding_text() for r in records]  # type: ignore[union-attr]
    _bare_encode(embedder, texts[:64])  # load the model and warm up kernels
    encode, full = [], []
    for round_ in range(rounds):
        if round_ % 2:
            full.append(_full_ingest(embedder, records, batch_size))
        encode.append(_bare_encode(embedder, texts))
        if not round_ % 2:
            full.append(_full_ingest(embedder, records, batch_size))
    ratios = [e / f for e, f in zip(encode, full, strict=True)]
    return IngestResult(
        "embedded",
        count,
        batch_size,
        count / statistics.median(encode),
        count / statistics.median(full),
        statistics.median(ratios),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    r = measure(args.count, args.rounds)
    print(
        f"{r.records} records: bare encode {r.encode_per_s:.1f}/s, "
        f"ingest {r.ingest_per_s:.1f}/s, ratio {r.ratio:.1%} (target {TARGET_RATIO:.0%})"
    )


if __name__ == "__main__":
    main()
