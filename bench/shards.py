"""BM25 across shards: does a keyword search on a 2-shard, 1-replica index rank like a
1-shard index of the same records, with and without ``dfs_query_then_fetch``?

    python -m bench.shards [--opensearch-url URL_OF_A_2_NODE_CLUSTER] [--out bench/shards.md]

Without a URL it starts a two-node cluster (scripts/opensearch-local, OPENSEARCH_NODES=2).
The sample is stored in a 1-primary and a 2-primary index on that cluster; each judged
query's keyword top 10 from the 2-primary index is compared with the 1-primary one (same
ids in the same order) and scored (nDCG@10 against the judgments), and the search's
median time is measured. The engine's
choice (``ShardLayout.search_type``) follows this table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from app.cli import sample_path
from bench.relevance.metrics import ndcg
from bench.relevance.run import load_queries, sample_size
from bench.report import table
from bench.servers import opensearch_node
from indexer.embeddings import DEFAULT_MODEL, Embedder
from indexer.engines.base import Engine, Filters, keyword_search
from indexer.engines.opensearch import OpenSearchEngine, ShardLayout
from indexer.ingest import Ingestor
from indexer.readers import read_file
from ranking.query import parse_filters

RESULTS = Path(__file__).parent / "shards.md"
CLUSTER = ShardLayout(shards=2, replicas=1)
ONE_SHARD = ShardLayout(shards=1, replicas=1)
K = 10


def top(engine: Engine, query: dict) -> tuple[list[str], float]:
    """The keyword top K for a judged query, and how long the search took (ms)."""
    given = {k: v if isinstance(v, list) else [v] for k, v in query["filters"].items()}
    args = {
        k: [str(x).lower() if isinstance(x, bool) else str(x) for x in v] for k, v in given.items()
    }
    filters = parse_filters(args) if args else Filters()
    started = time.perf_counter()
    hits = keyword_search(engine, query["query"], filters, K).hits
    return [h.id for h in hits], (time.perf_counter() - started) * 1000


def compare(reference: Engine, engine: Engine, queries: list[dict]) -> dict[str, float]:
    same, gains, times = 0, [], []
    for query in queries:
        expected, _ = top(reference, query)
        found, took = top(engine, query)
        same += found == expected
        gains.append(ndcg(found, query["judgments"], K))
        times.append(took)
    return {
        "same": same / len(queries),
        "ndcg": statistics.mean(gains),
        "p50": statistics.median(times),
    }


def loaded(make: Callable[[], Engine], embedder: Embedder) -> Engine:
    engine = make()
    Ingestor(engine, embedder).run(read_file(sample_path()))
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opensearch-url", help="a running cluster of two nodes")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    os.environ.setdefault("OPENSEARCH_NODES", "2")
    queries = load_queries()
    embedder = Embedder(DEFAULT_MODEL)
    alias = f"bench-shards-{uuid.uuid4().hex[:8]}"
    with opensearch_node(args.opensearch_url) as url:
        assert url is not None
        one = loaded(lambda: OpenSearchEngine(url, f"{alias}-one", layout=ONE_SHARD), embedder)
        dfs = loaded(lambda: OpenSearchEngine(url, alias, layout=CLUSTER), embedder)
        plain = OpenSearchEngine(url, alias)  # the same 2-shard index, searched without dfs
        try:
            rows = {
                "query_then_fetch (per-shard statistics)": compare(one, plain, queries),
                "dfs_query_then_fetch (global statistics)": compare(one, dfs, queries),
                "one shard (the reference)": compare(one, one, queries),
            }
        finally:
            dfs.drop()
            one.drop()
    lines = [
        f"# BM25 on a 2-shard index ({dt.date.today().isoformat()})\n",
        f"`python -m bench.shards`: the {sample_size()} sample "
        f"records, {len(queries)} judged queries, keyword mode, top {K}; a 2-node cluster "
        "(one JVM) on this machine, index of 2 primaries with 1 replica each.\n",
        *table(
            ("search type", "same top 10 as one shard", "nDCG@10", "p50 ms"),
            (
                (name, f"{r['same']:.0%}", f"{r['ndcg']:.3f}", f"{r['p50']:.1f}")
                for name, r in rows.items()
            ),
            "lrrr",
        ),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
