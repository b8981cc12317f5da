"""Relevance evaluation through the public search API, per model, engine, mode and kind.

    python -m bench.relevance.run [--opensearch-url URL] [--model NAME ...] [--out FILE]

Loads the sample innovations into each engine, sends every judged query of
bench/relevance/queries.jsonl to GET /api/v1/search (the app's own HTTP handlers),
and writes nDCG@10, Recall@20, MRR and the match set's precision, recall and F1 (the
``total`` against every page of results) to bench/relevance/results.md, for the default
model and MiniLM unless --model says otherwise. A baseline row ranks with plain BM25 over
unanalysed text (no stemming, synonyms or typo path; its match set is every record with
a query word), so the gain of the Indonesian analysis is visible.
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
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from urllib.parse import urlencode

from app import create_app
from app.cli import sample_path
from bench.relevance.metrics import match_set, mrr, ndcg, recall
from indexer.embeddings import DEFAULT_MODEL, MINILM, Embedder
from indexer.fields import FIELDS
from indexer.readers import read_file
from indexer.schema import Innovation
from indexer.settings import Settings
from indexer.text import raw_tokens
from indexer.validation import validate
from ranking.query import MAX_DEPTH

HERE = Path(__file__).parent
QUERIES = HERE / "queries.jsonl"
RESULTS = HERE / "results.md"
MODES = ("lexical", "semantic", "hybrid")
METRICS = ("ndcg@10", "recall@20", "mrr", "set precision", "set recall", "set F1")
PAGE = 100


@dataclass(frozen=True)
class Ranked:
    """A query's ranked ids, the size of its match set, and the relevant ids in that set."""

    ids: list[str]
    total: int
    found: frozenset[str]


Ranker = Callable[[dict], Ranked]


def sample_size() -> int:
    return sum(1 for line in sample_path().read_text("utf-8").splitlines() if line)


def load_queries() -> list[dict]:
    return [json.loads(line) for line in QUERIES.read_text("utf-8").splitlines() if line]


def _params(query: dict, mode: str) -> list[tuple[str, str]]:
    params = [("q", query["query"]), ("mode", mode)]
    for name, value in query["filters"].items():
        values = value if isinstance(value, list) else [value]
        params += [(name, str(v).lower() if isinstance(v, bool) else str(v)) for v in values]
    return params


def api_ranker(client, mode: str) -> Ranker:
    """Every page of GET /api/v1/search (to its depth limit) for one mode."""

    def rank(query: dict) -> Ranked:
        ids: list[str] = []
        total, page = 1, 1
        while len(ids) < total and page * PAGE <= MAX_DEPTH:
            params = [*_params(query, mode), ("size", str(PAGE)), ("page", str(page))]
            resp = client.get("/api/v1/search?" + urlencode(params))
            assert resp.status_code == 200, resp.json
            if not resp.json["results"]:
                break
            ids += [r["id"] for r in resp.json["results"]]
            total, page = resp.json["total"], page + 1
        return Ranked(ids, total, frozenset(ids) & set(query["judgments"]))

    return rank


def baseline_ranker(records: list[Innovation]) -> Ranker:
    """Plain BM25 over raw words (FTS5 defaults), filters applied afterwards."""
    db = sqlite3.connect(":memory:")
    texts = FIELDS.text_weights
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5(id UNINDEXED, {', '.join(texts)})")
    db.executemany(
        f"INSERT INTO t VALUES ({', '.join('?' * (len(texts) + 1))})",
        [(r.id, *(r.field_text(f) for f in texts)) for r in records],
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

    def rank(query: dict) -> Ranked:
        terms = " OR ".join(f'"{t}"' for t in raw_tokens(query["query"]))
        rows = (
            db.execute("SELECT id FROM t WHERE t MATCH ? ORDER BY rank", (terms,)) if terms else []
        )
        ids = [i for (i,) in rows if passes(by_id[i], query["filters"])]
        return Ranked(ids, len(ids), frozenset(ids) & set(query["judgments"]))

    return rank


def score(rank: Ranker, queries: Iterable[dict]) -> dict[str, dict[str, float]]:
    """Mean metrics (METRICS) per query kind, plus 'all'."""
    per_kind: dict[str, list[tuple[float, ...]]] = defaultdict(list)
    for query in queries:
        ranked, judged = rank(query), query["judgments"]
        found = sum(1 for i in ranked.found if judged[i] > 0)
        row = (
            ndcg(ranked.ids, judged, 10),
            recall(ranked.ids, judged, 20),
            mrr(ranked.ids, judged),
            *match_set(ranked.total, found, judged),
        )
        per_kind[query["kind"]].append(row)
        per_kind["all"].append(row)
    return {
        kind: {metric: mean(r[i] for r in rows) for i, metric in enumerate(METRICS)}
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


def report(
    rows: dict[str, dict[str, dict[str, float]]], queries: list[dict], models: list[str]
) -> str:
    kinds = ["all", *sorted({q["kind"] for q in queries})]
    counts = ", ".join(f"{k} {sum(q['kind'] == k for q in queries)}" for k in kinds[1:])
    models = ", ".join(f"`{m}`" for m in models)
    text = [
        f"# Relevance ({dt.date.today()})\n",
        f"{len(queries)} judged queries ({counts}) over the {sample_size()} sample innovations; "
        f"embedding models: {models}. Each model uses its own measured tuning "
        "(ranking/search.py). Produced by `python -m bench.relevance.run`.\n",
    ]
    for metric in METRICS:
        text.append(f"\n## {metric}\n\n" + _table(rows, metric, kinds))
    return "".join(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opensearch-url", help="also evaluate the OpenSearch engine")
    parser.add_argument(
        "--model", action="append", help=f"embedding model (default: {DEFAULT_MODEL} and MiniLM)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default: {RESULTS}")
    args = parser.parse_args()
    queries = load_queries()
    records = [r for i in read_file(sample_path()) if not isinstance(r := validate(i.data), list)]
    rows = {"baseline: BM25, unanalysed text": score(baseline_ranker(records), queries)}
    embedders = [Embedder(m) for m in args.model or (DEFAULT_MODEL, MINILM)]
    with tempfile.TemporaryDirectory() as tmp:
        for n, embedder in enumerate(embedders):
            stores = Path(tmp) / str(n)
            for name, settings in engines(stores, args.opensearch_url, embedder.name).items():
                for mode, scores in evaluate(settings, embedder, queries).items():
                    rows[f"{embedder.name} {name} {mode}"] = scores
    text = report(rows, queries, [e.name for e in embedders])
    args.out.write_text(text, encoding="utf-8")
    print(text)


def engines(data_dir: Path, opensearch_url: str | None, model: str) -> dict[str, Settings]:
    """A fresh embedded store, and a fresh OpenSearch index if a node is given."""
    found = {"embedded": Settings(data_dir=data_dir, embedding_model=model)}
    if opensearch_url:
        found["opensearch"] = Settings(
            engine="opensearch",
            opensearch_url=opensearch_url,
            opensearch_index=f"relevance-{uuid.uuid4().hex[:8]}",
            embedding_model=model,
        )
    return found


if __name__ == "__main__":
    main()
