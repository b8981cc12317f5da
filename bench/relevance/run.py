"""Relevance evaluation through the public search API, per engine, mode and query kind.

    python -m bench.relevance.run [--opensearch-url URL] [--model NAME] [--out FILE]

Loads the sample innovations into each engine, sends every judged query of
bench/relevance/queries.jsonl to GET /api/v1/search (the app's own HTTP handlers),
and writes nDCG@10, Recall@20 and MRR to bench/relevance/results.md. A baseline row
ranks with plain BM25 over unanalysed text (no stemming, synonyms or typo path), so the
gain of the Indonesian analysis is visible.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from statistics import mean
from urllib.parse import urlencode

from app import create_app
from app.cli import sample_path
from bench.relevance.metrics import mrr, ndcg, recall
from indexer.embeddings import Embedder
from indexer.readers import read_file
from indexer.schema import TEXT_FIELDS, Innovation
from indexer.settings import Settings
from indexer.text import raw_tokens
from indexer.validation import validate

HERE = Path(__file__).parent
QUERIES = HERE / "queries.jsonl"
RESULTS = HERE / "results.md"
MODES = ("lexical", "semantic", "hybrid")
Ranker = Callable[[dict], list[str]]


def load_queries() -> list[dict]:
    return [json.loads(line) for line in QUERIES.read_text("utf-8").splitlines() if line]


def _params(query: dict, mode: str) -> list[tuple[str, str]]:
    params = [("q", query["query"]), ("mode", mode), ("size", "20")]
    for name, value in query["filters"].items():
        values = value if isinstance(value, list) else [value]
        params += [(name, str(v).lower() if isinstance(v, bool) else str(v)) for v in values]
    return params


def api_ranker(client, mode: str) -> Ranker:
    def rank(query: dict) -> list[str]:
        resp = client.get("/api/v1/search?" + urlencode(_params(query, mode)))
        assert resp.status_code == 200, resp.json
        return [r["id"] for r in resp.json["results"]]

    return rank


def baseline_ranker(records: list[Innovation]) -> Ranker:
    """Plain BM25 over raw words (FTS5 defaults), filters applied afterwards."""
    db = sqlite3.connect(":memory:")
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5(id UNINDEXED, {', '.join(TEXT_FIELDS)})")
    db.executemany(
        f"INSERT INTO t VALUES ({', '.join('?' * (len(TEXT_FIELDS) + 1))})",
        [(r.id, *(r.field_text(f) for f in TEXT_FIELDS)) for r in records],
    )
    by_id = {r.id: r for r in records}

    def passes(record: Innovation, filters: dict) -> bool:
        for name, value in filters.items():
            if (name == "year_from" and record.year < value) or (
                name == "year_to" and record.year > value
            ):
                return False
            if name == "digital" and record.digital != value:
                return False
            if isinstance(value, list) and getattr(record, name) not in value:
                return False
        return True

    def rank(query: dict) -> list[str]:
        terms = " OR ".join(f'"{t}"' for t in raw_tokens(query["query"]))
        rows = (
            db.execute("SELECT id FROM t WHERE t MATCH ? ORDER BY rank", (terms,)) if terms else []
        )
        return [i for (i,) in rows if passes(by_id[i], query["filters"])][:20]

    return rank


def score(rank: Ranker, queries: Iterable[dict]) -> dict[str, dict[str, float]]:
    """Mean metrics per query kind, plus 'all'."""
    per_kind: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for query in queries:
        ids, judged = rank(query), query["judgments"]
        row = (ndcg(ids, judged, 10), recall(ids, judged, 20), mrr(ids, judged))
        per_kind[query["kind"]].append(row)
        per_kind["all"].append(row)
    return {
        kind: {
            "ndcg@10": mean(r[0] for r in rows),
            "recall@20": mean(r[1] for r in rows),
            "mrr": mean(r[2] for r in rows),
        }
        for kind, rows in per_kind.items()
    }


def engine_app(settings: Settings, embedder: Embedder):
    app = create_app(settings.with_overrides(rate_limit_read=None))  # hundreds of queries
    services = app.extensions["jippnas"]
    services.__dict__["embedder"] = embedder
    if services.engine.count() == 0:
        services.ingestor().run(read_file(sample_path()))
    return app


def evaluate(settings: Settings, embedder: Embedder, queries: list[dict]) -> dict[str, dict]:
    client = engine_app(settings, embedder).test_client()
    return {mode: score(api_ranker(client, mode), queries) for mode in MODES}


def _table(rows: dict[str, dict[str, dict[str, float]]], metric: str, kinds: list[str]) -> str:
    head = f"| run | {' | '.join(kinds)} |\n|---|{'---:|' * len(kinds)}\n"
    body = "".join(
        f"| {name} | "
        + " | ".join(f"{scores.get(k, {}).get(metric, 0):.3f}" for k in kinds)
        + " |\n"
        for name, scores in rows.items()
    )
    return head + body


def report(rows: dict[str, dict[str, dict[str, float]]], queries: list[dict], model: str) -> str:
    kinds = ["all", *sorted({q["kind"] for q in queries})]
    counts = ", ".join(f"{k} {sum(q['kind'] == k for q in queries)}" for k in kinds[1:])
    text = [
        f"# Relevance ({dt.date.today()})\n",
        f"{len(queries)} judged queries ({counts}) over the 155 sample innovations; "
        f"embedding model `{model}`. Produced by `python -m bench.relevance.run`.\n",
    ]
    for metric in ("ndcg@10", "recall@20", "mrr"):
        text.append(f"\n## {metric}\n\n" + _table(rows, metric, kinds))
    return "".join(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opensearch-url", help="also evaluate the OpenSearch engine")
    parser.add_argument("--model", default=None, help="embedding model (default: packaged)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default: {RESULTS}")
    args = parser.parse_args()
    queries = load_queries()
    embedder = Embedder(args.model)
    records = [r for i in read_file(sample_path()) if not isinstance(r := validate(i.data), list)]
    rows = {"baseline: BM25, unanalysed text": score(baseline_ranker(records), queries)}
    with tempfile.TemporaryDirectory() as tmp:
        engines = {"embedded": Settings(data_dir=Path(tmp), embedding_model=args.model)}
        if args.opensearch_url:
            engines["opensearch"] = Settings(
                engine="opensearch",
                opensearch_url=args.opensearch_url,
                opensearch_index=f"relevance-{uuid.uuid4().hex[:8]}",
                embedding_model=args.model,
            )
        for name, settings in engines.items():
            for mode, scores in evaluate(settings, embedder, queries).items():
                rows[f"{name} {mode}"] = scores
    text = report(rows, queries, embedder.name)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
