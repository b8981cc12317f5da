"""How much of a query's match set OpenSearch's HNSW search finds.

The total and the facet counts of a search come from its match set (see MatchQuery and
``opensearch.match_body``): with a vector, the records among the 1,000 nearest that pass
the rule. The embedded engine finds those nearest exactly (every record's cosine);
OpenSearch with an HNSW search, which may miss some. Per store size, the same records
and vectors in both engines, the benchmark's semantic and hybrid queries
(bench/queries.py) are ranked on the embedded engine; its match rule is then counted on
OpenSearch, and the counts are compared.

    python -m bench.match_recall --sizes 100000 500000 [--opensearch-url URL] [--queries 100]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from bench.queries import QueryMix
from bench.report import table
from bench.search_latency import VECTOR_BUDGET, p50_p95
from bench.servers import opensearch_node
from bench.stores import ReusingEmbedder, cached_store, opensearch_store
from indexer.embeddings import Embedder
from indexer.engines.base import FacetCounts
from indexer.engines.embedded import EmbeddedEngine
from indexer.engines.opensearch import OpenSearchEngine
from indexer.settings import Settings
from ranking.practices import listed
from ranking.query import parse_search
from ranking.search import SearchService

RESULTS = Path(__file__).parent / "match-recall.md"
MODES = ("semantic", "hybrid")
SEED = 11
CLOSE = 0.05  # a total within 5% of the exact one
HEADER = ("records", "mode", "queries", "mean exact total", "same total", "total within 5%",
          "mean error", "worst error", "same facet counts", "count p50 ms",
          "count p95 ms")  # fmt: skip


@dataclass(frozen=True)
class Recall:
    records: int
    mode: str
    queries: int
    exact_total: float  # mean size of the exact match set
    same_total: float  # share of queries whose total is the exact one
    close_total: float  # share of queries whose total is within 5% of the exact one
    error: float  # mean over queries of |found - exact| / exact (0 for both empty)
    worst: float  # the largest per-query error
    same_facets: float  # share of facet value counts equal to the exact ones
    p50_ms: float  # the OpenSearch counting request alone
    p95_ms: float

    def cells(self) -> tuple[object, ...]:
        """This row of the report's table (``HEADER``)."""
        return (f"{self.records:,}", self.mode, self.queries, f"{self.exact_total:,.0f}",
                f"{self.same_total:.0%}", f"{self.close_total:.0%}", f"{self.error:.1%}",
                f"{self.worst:.0%}", f"{self.same_facets:.1%}", f"{self.p50_ms:.1f}",
                f"{self.p95_ms:.1f}")  # fmt: skip


def _facet_agreement(exact: FacetCounts, found: FacetCounts) -> tuple[int, int]:
    """(equal value counts, all value counts) of one query's facets."""
    pairs = [
        (count, dict(found.facets.get(name, [])).get(value, 0))
        for name, values in exact.facets.items()
        for value, count in values
    ]
    return sum(a == b for a, b in pairs), len(pairs)


def measure(
    size: int, mode: str, exact: SearchService, national: OpenSearchEngine, queries: int
) -> Recall:
    totals, errors, equal, facets, times = [], [], 0, [0, 0], []
    for params in tqdm(QueryMix(SEED + size).take(queries), desc=f"{size} {mode}", unit="q"):
        request = parse_search({k: [v] for k, v in (params | {"mode": mode}).items()})
        ranking = exact.rank(request)
        started = time.perf_counter()
        found = national.facets(ranking.match, listed(request.filters))
        times.append((time.perf_counter() - started) * 1000)
        totals.append(ranking.counts.total)
        missed = abs(found.total - ranking.counts.total)
        errors.append(missed / ranking.counts.total if ranking.counts.total else float(missed > 0))
        equal += found.total == ranking.counts.total
        same, counted = _facet_agreement(ranking.counts, found)
        facets = [facets[0] + same, facets[1] + counted]
    p50, p95 = p50_p95(times)
    return Recall(
        size,
        mode,
        queries,
        statistics.mean(totals),
        equal / queries,
        sum(e <= CLOSE for e in errors) / queries,
        statistics.mean(errors),
        max(errors),
        facets[0] / facets[1] if facets[1] else 1.0,
        p50,
        p95,
    )


def run(sizes: Sequence[int], queries: int, url: str) -> list[Recall]:
    settings = Settings.from_env()
    builder = ReusingEmbedder(settings.embedding_model, VECTOR_BUDGET)
    embedder = Embedder(settings.embedding_model)
    rows: list[Recall] = []
    for size in sizes:
        alias, _ = opensearch_store(size, builder, url)
        embedded = EmbeddedEngine(cached_store(size, builder))
        national = OpenSearchEngine(url, alias)
        exact = SearchService(embedded, embedder)
        try:
            rows += [measure(size, mode, exact, national, queries) for mode in MODES]
        finally:
            embedded.close()
            national.close()
    return rows


def report(rows: Sequence[Recall]) -> str:
    lines = [
        f"# Match-set recall of OpenSearch's HNSW search ({dt.date.today().isoformat()})\n",
        "`python -m bench.match_recall`: the latency benchmark's synthetic stores (same "
        "records and vectors in both engines) and its kind of queries; each query's match "
        "rule comes from the embedded engine, which counts it exactly, and is counted again "
        "on OpenSearch (one request: `facets`, whose time is given). Error: |OpenSearch's "
        "total - the exact one| / the exact one, per query. Where more than 1,000 records "
        "pass the rule, both totals are 1,000 for an unfiltered query but the two sets of "
        "nearest records differ where the HNSW search is approximate, so a filtered total "
        "(20% of the queries) or a facet value's count can be higher or lower.\n",
        *table(HEADER, (r.cells() for r in rows), "rlrrrrrrrrr"),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--queries", type=int, default=100, help="per mode and size")
    parser.add_argument("--opensearch-url", help="default: start a node for the run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with opensearch_node(args.opensearch_url) as url:
        assert url is not None
        text = report(run(args.sizes, args.queries, url))
    print(text)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
