"""Search latency over HTTP against the real server, per corpus size and mode.

For each size and engine a cached store is served by ``jippnas serve`` in a subprocess;
the client sends distinct, realistic queries one at a time over a keep-alive connection
and times request to response (query embedding, fusion, facets and snippets included).
Both engines of a size hold the same records and vectors and get the same queries.
The serving process tree's resident memory is read from /proc after the run (for
OpenSearch that excludes the node's JVM).

    python -m bench.search_latency --sizes 1000 10000 --engines embedded opensearch
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import numpy as np
from opensearchpy import OpenSearch
from tqdm import tqdm

from bench.machine import Stopwatch
from bench.queries import QueryMix
from bench.servers import free_port, log_file, opensearch_node
from bench.stores import ENGINES, ReusingEmbedder, cached_store, opensearch_store
from indexer.settings import Settings
from ranking.query import MODES

SIZES = (1_000, 10_000, 50_000)
VECTOR_BUDGET = 1_000  # distinct real vectors per store; see bench/stores.py
WARMUP = 20  # requests per mode before timing
SEED = 7  # a size's query stream is seeded with SEED + size
FACETED = "hybrid, 3 filters"  # a row of facet-heavy searches (see QueryMix.take_faceted)
SIMILAR = "similar"  # a row of "more like this" for the top hit of each hybrid search
JIPPNAS = Path(sys.executable).parent / "jippnas"


@dataclass(frozen=True)
class LatencyResult:
    engine: str
    records: int
    mode: str
    queries: int
    p50_ms: float
    p95_ms: float
    mean_ms: float
    rss_mib: float
    cpu_wait: float | None  # share of the run's wall time some task waited for a CPU
    load_s: float = 0.0  # seconds this run spent loading the store (0 = cached)
    disk_mib: float = 0.0  # the store on disk (OpenSearch: the index's primaries)
    heap_mib: float | None = None  # OpenSearch: the node's JVM heap in use after the row

    def targets(self, ratio: float | None) -> list[tuple[str, bool | None]]:
        """Each target this row is held to, and whether it is met (None: not measurable);
        ``ratio`` is its p95 over the embedded engine's for the same size and mode."""
        held = [t for t in TARGETS if t.holds(self)]
        return [(t.text, t.met(self.p95_ms, ratio)) for t in held]


@dataclass(frozen=True)
class Target:
    """A p95 bound, or a bound on OpenSearch p95 / embedded p95, for one engine (None:
    either), mode and size."""

    engine: str | None
    mode: str
    records: int
    p95_ms: float | None = None
    ratio: float | None = None

    def holds(self, row: LatencyResult) -> bool:
        same = (row.mode, row.records) == (self.mode, self.records)
        return same and self.engine in (None, row.engine)

    @property
    def text(self) -> str:
        return f"p95 <= {self.p95_ms:.0f} ms" if self.p95_ms else f"os/emb <= {self.ratio}x"

    def met(self, p95_ms: float, ratio: float | None) -> bool | None:
        if self.p95_ms is not None:
            return p95_ms <= self.p95_ms
        return None if ratio is None or self.ratio is None else ratio <= self.ratio


TARGETS = (
    Target(None, "hybrid", 50_000, p95_ms=50.0),  # the first latency goal
    Target("opensearch", "hybrid", 50_000, ratio=1.3),  # the national engine at scale
    Target("embedded", "hybrid", 100_000, p95_ms=150.0),
    Target("opensearch", "hybrid", 500_000, p95_ms=150.0),
)


def p50_p95(values: Sequence[float]) -> tuple[float, float]:
    """Median and 95th percentile (linear interpolation), as every latency table uses."""
    p50, p95 = np.percentile(values, [50, 95])
    return float(p50), float(p95)


def _rss_mib(pid: int) -> float:
    """Resident memory of a process and its descendants (gunicorn master + worker)."""
    total_kib = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        status = Path(f"/proc/{current}/status").read_text()
        total_kib += next(int(line.split()[1]) for line in status.splitlines() if "VmRSS" in line)
        for task in Path(f"/proc/{current}/task").iterdir():
            pending += [int(c) for c in (task / "children").read_text().split()]
    return total_kib / 1024


def _footprint(store: Store) -> tuple[float, float | None]:
    """(store on disk, node heap in use) in MiB; the heap only for OpenSearch."""
    if store.engine != "opensearch":
        files = Path(store.env["JIPPNAS_DATA_DIR"]).rglob("*")
        return sum(f.stat().st_size for f in files if f.is_file()) / 2**20, None
    client = OpenSearch(store.env["JIPPNAS_OPENSEARCH_URL"])
    stats = client.indices.stats(index=store.env["JIPPNAS_OPENSEARCH_INDEX"], metric="store")
    nodes = client.nodes.stats(metric="jvm")["nodes"].values()
    heap = sum(n["jvm"]["mem"]["heap_used_in_bytes"] for n in nodes)
    return stats["_all"]["primaries"]["store"]["size_in_bytes"] / 2**20, heap / 2**20


def _wait_healthy(port: int, server: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}; see bench/out/logs")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"server on port {port} not healthy after {timeout} s")


@dataclass(frozen=True)
class Store:
    """A loaded store of one engine: the settings that point a server at it."""

    engine: str
    records: int
    env: dict[str, str]
    load_s: float = 0.0  # seconds spent loading it in this run (0 = cached)


def prepare(
    engine: str, records: int, embedder: ReusingEmbedder, opensearch_url: str | None
) -> Store:
    """The cached store of ``records`` synthetic records for ``engine`` (built if missing)."""
    data_dir = cached_store(records, embedder)
    env = {"JIPPNAS_ENGINE": engine, "JIPPNAS_DATA_DIR": str(data_dir)}
    if engine != "opensearch":
        return Store(engine, records, env)
    if not opensearch_url:
        raise ValueError("the opensearch engine needs an OpenSearch URL")
    alias, load_s = opensearch_store(records, embedder, opensearch_url)
    env |= {"JIPPNAS_OPENSEARCH_URL": opensearch_url, "JIPPNAS_OPENSEARCH_INDEX": alias}
    return Store(engine, records, env, load_s)


@contextmanager
def serving(store: Store) -> Iterator[tuple[int, int]]:
    """Run ``jippnas serve`` on a free port over ``store``; yield (port, pid)."""
    port = free_port()
    env = os.environ | store.env | {"JIPPNAS_RATE_LIMIT_READ": "off"}  # a load test
    with log_file(f"serve-{store.engine}-{store.records}.log").open("w") as out:
        server = subprocess.Popen(
            [str(JIPPNAS), "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
        try:
            _wait_healthy(port, server)
            yield port, server.pid
        finally:
            server.terminate()
            server.wait(timeout=30)


def _timed_get(
    conn: http.client.HTTPConnection, params: dict[str, Any], path: str = "/api/v1/search"
) -> tuple[float, Any]:
    """Milliseconds from sending the request to having read the whole JSON response,
    and the response."""
    started = time.perf_counter()
    conn.request("GET", path + "?" + urlencode(params))
    response = conn.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status != 200:
        raise RuntimeError(f"{path} {params} -> {response.status}: {body[:300]!r}")
    return elapsed, json.loads(body)


def query_batches(
    seed: int, queries: int, warmup: int = WARMUP
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """Warm-up requests and each row's own distinct search requests, drawn from one
    stream: one row per mode, and hybrid queries under three filters (``FACETED``)."""
    mix = QueryMix(seed)
    warm = mix.take(warmup)
    batches = {mode: [p | {"mode": mode} for p in mix.take(queries)] for mode in MODES}
    batches[FACETED] = [p | {"mode": "hybrid"} for p in mix.take_faceted(queries)]
    return warm, batches


def hybrid_texts(size: int, queries: int, warmup: int = WARMUP, seed: int = SEED) -> list[str]:
    """The query texts the hybrid run of ``size`` records sends (see ``measure``)."""
    _, batches = query_batches(seed + size, queries, warmup)
    return [params["q"] for params in batches["hybrid"]]


def _timed_rows(
    store: Store, conn: http.client.HTTPConnection, batches: dict[str, list[dict[str, Any]]]
) -> Iterator[tuple[str, list[float], float | None]]:
    """Each search row's timings and CPU wait, then the same for "similar": the top hit
    of each hybrid search."""
    opened: list[str] = []
    for row, batch in batches.items():
        timings = []
        with Stopwatch() as watch:
            for params in tqdm(batch, desc=f"{store.engine} {store.records}, {row}", unit="q"):
                elapsed, found = _timed_get(conn, params)
                timings.append(elapsed)
                opened += (
                    [found["results"][0]["id"]] if row == "hybrid" and found["results"] else []
                )
        yield row, timings, watch.cpu_wait
    with Stopwatch() as watch:
        timings = [
            _timed_get(conn, {}, f"/api/v1/innovations/{quote(record_id)}/similar")[0]
            for record_id in tqdm(opened, desc=f"{store.engine} {store.records}, similar")
        ]
    yield SIMILAR, timings, watch.cpu_wait


def measure_store(store: Store, queries: int, warmup: int, seed: int) -> list[LatencyResult]:
    """Every row against one served store; each row gets its own distinct requests."""
    warm, batches = query_batches(seed, queries, warmup)
    results: list[LatencyResult] = []
    with serving(store) as (port, pid):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for params in warm:
            for mode in MODES:
                _timed_get(conn, params | {"mode": mode})
        for row, timings, cpu_wait in _timed_rows(store, conn, batches):
            results.append(_summarise(store, row, timings, _rss_mib(pid), cpu_wait))
        conn.close()
    return results


def _summarise(
    store: Store, mode: str, timings: list[float], rss: float, cpu_wait: float | None
) -> LatencyResult:
    p50, p95 = p50_p95(timings)
    disk, heap = _footprint(store)
    return LatencyResult(
        store.engine,
        store.records,
        mode,
        len(timings),
        p50,
        p95,
        float(np.mean(timings)),
        rss,
        cpu_wait,
        store.load_s,
        disk,
        heap,
    )


def measure(
    plan: Sequence[tuple[str, int]],
    queries: int = 200,
    warmup: int = WARMUP,
    vector_budget: int | None = VECTOR_BUDGET,
    seed: int = SEED,
    opensearch_url: str | None = None,
) -> list[LatencyResult]:
    """Latency per (engine, size) in ``plan``; a size's engines get the same queries."""
    embedder = ReusingEmbedder(Settings.from_env().embedding_model, vector_budget)
    results: list[LatencyResult] = []
    for engine, size in plan:
        store = prepare(engine, size, embedder, opensearch_url)
        results += measure_store(store, queries, warmup, seed + size)
    return results


def plan_for(
    engines: Sequence[str], sizes: Sequence[int], opensearch_sizes: Sequence[int] | None = None
) -> list[tuple[str, int]]:
    """(engine, size) pairs, size by size; OpenSearch may be limited to fewer sizes."""
    allowed = {"opensearch": set(opensearch_sizes or sizes)}
    return [
        (engine, size)
        for size in sizes
        for engine in engines
        if size in allowed.get(engine, set(sizes))
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--queries", type=int, default=200, help="per mode and size")
    parser.add_argument("--warmup", type=int, default=WARMUP)
    parser.add_argument(
        "--vector-budget", type=int, default=VECTOR_BUDGET, help="0 = embed every record"
    )
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=["embedded"])
    parser.add_argument("--opensearch-url", help="default: start a node for the run")
    args = parser.parse_args(argv)
    budget = args.vector_budget or None
    plan = plan_for(args.engines, args.sizes)
    with opensearch_node(args.opensearch_url, "opensearch" in args.engines) as url:
        results = measure(plan, args.queries, args.warmup, budget, opensearch_url=url)
    for r in results:
        print(
            f"{r.engine:<10} {r.records:>6} {r.mode:<8} p50 {r.p50_ms:6.1f} ms  "
            f"p95 {r.p95_ms:6.1f} ms  "
            f"mean {r.mean_ms:6.1f} ms  rss {r.rss_mib:6.0f} MiB  cpu wait {r.cpu_wait}"
        )


if __name__ == "__main__":
    main()
