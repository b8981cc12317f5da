"""Time to rebuild a store with ``reindex``, per engine and size.

The latency benchmark's cached stores are rebuilt as `jippnas reindex` rebuilds them
(same model: records and vectors are copied, not re-embedded): the embedded engine from a
copy of its cached store file, OpenSearch in place (a new generation is filled from the
live one, merged into one segment and swapped in under the same alias).

    python -m bench.reindex_time --sizes 100000 [--opensearch-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.report import table
from bench.search_latency import VECTOR_BUDGET
from bench.servers import opensearch_node
from bench.stores import ReusingEmbedder, cached_store, opensearch_store
from indexer.embeddings import Embedder
from indexer.engines import Engine
from indexer.engines.embedded import EmbeddedEngine
from indexer.engines.opensearch import OpenSearchEngine
from indexer.settings import Settings

RESULTS = Path(__file__).parent / "reindex.md"


def timed_reindex(engine: Engine, embedder: Embedder) -> tuple[float, int]:
    """(seconds, records copied) of one reindex."""
    started = time.perf_counter()
    try:
        report = engine.reindex(embedder)
    finally:
        engine.close()
    return time.perf_counter() - started, report.records


def run(sizes: Sequence[int], url: str) -> list[tuple[str, int, float, int]]:
    settings = Settings.from_env()
    builder = ReusingEmbedder(settings.embedding_model, VECTOR_BUDGET)
    embedder = Embedder(settings.embedding_model)
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory(dir=cached_store(size, builder).parent) as copy:
            shutil.copytree(cached_store(size, builder), copy, dirs_exist_ok=True)
            seconds, copied = timed_reindex(EmbeddedEngine(Path(copy)), embedder)
        rows.append(("embedded", size, seconds, copied))
        alias, _ = opensearch_store(size, builder, url)
        seconds, copied = timed_reindex(OpenSearchEngine(url, alias), embedder)
        rows.append(("opensearch", size, seconds, copied))
    return rows


def report(rows: Sequence[tuple[str, int, float, int]]) -> str:
    lines = [
        f"# Time to reindex ({dt.date.today().isoformat()})\n",
        "`python -m bench.reindex_time`: the latency benchmark's synthetic stores rebuilt "
        "with the same model (records and vectors copied); OpenSearch: a single node "
        "(1 GiB heap) on the same 2-core machine, the new generation merged into one "
        "segment before the swap.\n",
        *table(
            ("engine", "records", "seconds", "records/s"),
            ((e, f"{n:,}", f"{s:.0f}", f"{c / s:,.0f}") for e, n, s, c in rows),
            "lrrr",
        ),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--opensearch-url", help="default: start a node for the run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    with opensearch_node(args.opensearch_url) as url:
        assert url is not None
        text = report(run(args.sizes, url))
    print(text)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
