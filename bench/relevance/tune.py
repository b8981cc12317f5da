"""Choose the hybrid fusion by measurement, judged on queries it was not chosen on.

The judged queries are split by id parity. On each half every candidate ``Tuning``
(weighted RRF or min-max score fusion, the semantic weight, RRF's k, and the similarity a
record found by meaning alone needs) is scored by hybrid nDCG@10; the best is then
reported on the other half, per query kind. Writes bench/relevance/tuning.md.

    python -m bench.relevance.tune [--model NAME]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import tempfile
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from app.cli import sample_path
from bench.relevance.run import _params, load_queries, score
from indexer.embeddings import Embedder
from indexer.engines.embedded import EmbeddedEngine
from indexer.ingest import Ingestor
from indexer.readers import read_file
from ranking.query import parse_search
from ranking.search import SearchService, Tuning

RESULTS = Path(__file__).parent / "tuning.md"
THRESHOLDS = (0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.75, 0.78, 0.8, 0.82, 0.84, 0.86, 0.88)


class CachedQueries:
    """The model's query embeddings, computed once per distinct query text."""

    def __init__(self, embedder: Embedder) -> None:
        self.name, self.info = embedder.name, embedder.info
        self.encode_query = lru_cache(maxsize=None)(embedder.encode_query)


def candidates() -> list[Tuning]:
    rrf = [
        Tuning(fusion="rrf", rrf_k=k, semantic_weight=w, min_similarity=m)
        for k, w, m in itertools.product((5, 10, 20, 60), (0.2, 0.5, 1.0, 1.5, 2.0), THRESHOLDS)
    ]
    fused = [
        Tuning(fusion="score", semantic_weight=w, min_similarity=m)
        for w, m in itertools.product((0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0), THRESHOLDS)
    ]
    return rrf + fused


def ranker(service: SearchService, mode: str):
    """Rank as GET /api/v1/search would, with the service's current tuning."""

    def rank(query: dict) -> list[str]:
        args: dict[str, list[str]] = {}
        for name, value in _params(query, mode):
            args.setdefault(name, []).append(value)
        return [h.id for h in service.rank(parse_search(args))[0]]

    return rank


def best(service: SearchService, queries: list[dict]) -> tuple[Tuning, float]:
    scored = []
    for tuning in candidates():
        service.tuning = tuning
        scored.append((score(ranker(service, "hybrid"), queries)["all"]["ndcg@10"], tuning))
    top = max(s for s, _ in scored)
    return next(t for s, t in scored if s == top), top  # first of equals: the simplest


def describe(t: Tuning) -> str:
    fusion = f"RRF k={t.rrf_k}" if t.fusion == "rrf" else "min-max score fusion"
    return f"{fusion}, semantic weight {t.semantic_weight}, min similarity {t.min_similarity}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    embedder = Embedder(args.model)
    queries = load_queries()
    halves = {
        "odd": [q for q in queries if int(q["id"][1:]) % 2],
        "even": [q for q in queries if not int(q["id"][1:]) % 2],
    }
    lines = [
        f"# Fusion tuning on held-out halves ({dt.date.today()})",
        "",
        f"Model `{embedder.name}`; `python -m bench.relevance.tune`. Chosen by hybrid "
        "nDCG@10 on one half of the judged queries, reported on the other.",
        "",
        "| chosen on | tuning | nDCG@10 there | held-out half | held-out nDCG@10 "
        "(lexical / semantic / hybrid) | held-out hybrid per kind |",
        "|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        engine = EmbeddedEngine(Path(tmp))
        Ingestor(engine, embedder).run(read_file(sample_path()))
        service = SearchService(engine, CachedQueries(embedder))  # type: ignore[arg-type]
        for chosen_on, held_out in (("odd", "even"), ("even", "odd")):
            tuning, there = best(service, halves[chosen_on])
            scores = {}
            for mode in ("lexical", "semantic", "hybrid"):
                service.tuning = replace(tuning)
                scores[mode] = score(ranker(service, mode), halves[held_out])
            kinds = ", ".join(
                f"{k} {v['ndcg@10']:.3f}" for k, v in sorted(scores["hybrid"].items()) if k != "all"
            )
            modes = " / ".join(f"{scores[m]['all']['ndcg@10']:.3f}" for m in scores)
            lines.append(
                f"| {chosen_on} | {describe(tuning)} | {there:.3f} | {held_out} | {modes} "
                f"| {kinds} |"
            )
    RESULTS.write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
