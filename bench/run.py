"""Run the search-latency and ingest benchmarks and write bench/results.md.

Tables have an ``engine`` column: both engines run in the same run on the same data
(OpenSearch on a node this run starts, unless ``--opensearch-url`` is given), and ingest
through the Celery queue adds rows to the ingest table.

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
from bench.ingest_throughput import IngestResult
from bench.search_latency import LatencyResult
from bench.servers import opensearch_node
from bench.stores import ENGINES, LOAD_BATCH

RESULTS = Path(__file__).parent / "results.md"


def _met(value: bool | None) -> str:
    return "" if value is None else ("met" if value else "NOT met")


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def _cpu_pressure() -> str:
    """Share of time runnable tasks waited for a CPU (Linux PSI), if the kernel says."""
    try:
        some = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except OSError:
        return "n/a"
    return next(f"{p.split('=')[1]}%" for p in some.split() if p.startswith("avg60="))


def _machine(load_before: tuple[float, ...]) -> list[str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return [
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}",
        f"- load average before / after: {load_before[0]:.1f} / {os.getloadavg()[0]:.1f}; "
        f"CPU pressure after (some, avg60): {_cpu_pressure()} (the machine is shared; other "
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


def render(
    latency: Sequence[LatencyResult],
    ingest: Sequence[IngestResult],
    machine: Sequence[str],
    vector_budget: int | None,
) -> str:
    reuse = (
        f"Stores embed at most {vector_budget:,} distinct texts with the real model; larger "
        "stores reuse those vectors (same matrix shape and scoring cost; see bench/stores.py)."
        if vector_budget
        else "Every record of every store is embedded with the real model."
    )
    ratios = _p95_ratios(latency)
    search_rows = [
        (
            r.engine,
            f"{r.records:,}",
            r.mode,
            r.queries,
            f"{r.p50_ms:.1f}",
            f"{r.p95_ms:.1f}",
            f"{r.mean_ms:.1f}",
            f"{ratios[r.records, r.mode]:.2f}x"
            if r.engine == "opensearch" and (r.records, r.mode) in ratios
            else "",
            f"{r.rss_mib:.0f}",
            "n/a" if r.cpu_wait is None else f"{r.cpu_wait:.0%}",
            r.target,
            _met(r.met),
        )
        for r in latency
    ]
    ingest_rows = [
        (
            r.engine,
            r.path,
            f"{r.records:,}",
            r.batch_size,
            f"{r.encode_per_s:.1f}",
            f"{r.ingest_per_s:.1f}",
            f"{r.ratio:.1%}",
            r.target,
            _met(r.met),
        )
        for r in ingest
    ]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `python -m bench` (bench/run.py); do not edit by hand.",
        "",
        *machine,
        "",
        "## Search latency over HTTP",
        "",
        "Client-measured, request to complete JSON response, one request at a time against "
        "`jippnas serve` (gunicorn, 1 worker, 4 threads); query embedding, fusion, facet "
        "counts and snippets included. Distinct Indonesian queries derived from the sample "
        "(problem phrases, keywords, 20% with a typo, 20% with a filter). Synthetic "
        f"records from `bench/generate.py`. {reuse} Memory: resident set of the serving "
        "process tree after the run. CPU wait: share of the run's wall time in which some task "
        "on the machine was waiting for a CPU (Linux PSI); high values mean other work was "
        "competing and the latencies are inflated. Each size gets a fresh server and 20 "
        "warm-up requests per mode; the embedded engine keeps per-term BM25 lists per "
        "snapshot, so terms met earlier in the run cost less, as in a running service. "
        + _opensearch_notes(latency),
        "",
        *_table(
            (
                "engine",
                "records",
                "mode",
                "queries",
                "p50 ms",
                "p95 ms",
                "mean ms",
                "os/emb p95",
                "server RSS MiB",
                "CPU wait",
                "target",
                "status",
            ),
            search_rows,
        ),
        "",
        "## Ingest throughput",
        "",
        "Same synthetic texts, same process and run: bare `SentenceTransformer.encode` "
        "(same model and encode batch size as the Embedder) against the full ingest "
        "(validate + analyse + embed + store into a fresh store of each engine); medians of "
        "back-to-back rounds; the ratio is ingest / bare encode. Celery rows: one job "
        "submitted with `workers.tasks.submit_ingest` (what `POST /api/v1/jobs` calls) to a "
        "real redis-server and N real `celery worker` processes (one pool process each, "
        "after a warm-up job so model loading is not timed), timed from submission until "
        "the job store reports `succeeded`, next to a bare encode of the same texts in the "
        "bench process just before (one round each). Their batch is the job chunk size "
        "(records per task, so per encode call). With 2 cores, 2 workers share the CPU with "
        "each other's torch threads (and with other work on the machine).",
        "",
        *_table(
            (
                "engine",
                "path",
                "records",
                "batch",
                "bare encode rec/s",
                "ingest rec/s",
                "ratio",
                "target",
                "status",
            ),
            ingest_rows,
        ),
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(search_latency.SIZES))
    parser.add_argument("--queries", type=int, default=200, help="per mode and size")
    parser.add_argument("--ingest-count", type=int, default=2000)
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
    plan = search_latency.plan_for(args.engines, args.sizes, args.opensearch_sizes)
    with opensearch_node(args.opensearch_url, "opensearch" in args.engines) as url:
        latency = search_latency.measure(
            plan, args.queries, vector_budget=budget, opensearch_url=url
        )
        ingest = ingest_throughput.measure(
            args.ingest_count, engines=args.engines, opensearch_url=url
        )
    if args.queue_workers:
        ingest += queue_throughput.measure(args.ingest_count, args.queue_workers)
    report = render(latency, ingest, _machine(load_before), budget)
    args.out.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
