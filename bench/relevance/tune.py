"""Choose the match set and the hybrid fusion by measurement, judged on queries they were
not chosen on.

The judged queries are split by id parity. On each half, for each query expansion (how
far the query vector moves toward its best match), the match rule of every mode (see
ranking.search.Tuning) is chosen by the F1 of its match set among the rules whose recall
is at least MIN_RECALL, then the fusion (weighted RRF or min-max score fusion, the
semantic weight, RRF's k) by hybrid nDCG@10 under that rule; the expansion whose result
ranks best in hybrid mode wins. Both are reported on the
other half, per query kind. The shipped tuning (ranking/search.py) is then chosen the
same way on all the queries; its figures there are not held out. Writes
bench/relevance/tuning.md (--out).

    python -m bench.relevance.tune [--model NAME] [--out FILE]
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
from bench.relevance.run import Ranked, _params, load_queries, score
from indexer.embeddings import Embedder
from indexer.engines.embedded import EmbeddedEngine
from indexer.ingest import Ingestor
from indexer.readers import read_file
from ranking.query import parse_search
from ranking.search import SearchService, Tuning, tuning_for

RESULTS = Path(__file__).parent / "tuning.md"
MIN_RECALL = 0.85
MODES = ("lexical", "semantic", "hybrid")
EXPANSIONS = (0.0, 0.5, 1.0)


class CachedQueries:
    """The model's query embeddings, computed once per distinct query text."""

    def __init__(self, embedder: Embedder) -> None:
        self.name, self.info = embedder.name, embedder.info
        self.encode_query = lru_cache(maxsize=None)(embedder.encode_query)


def match_rules(base: Tuning, mode: str) -> list[Tuning]:
    """Candidate match rules for one mode, around the model's own cosine scale."""
    if mode == "lexical":
        return [replace(base, lexical_coverage=c) for c in (0.01, 0.2, 0.25, 0.34, 0.5, 0.67)]
    floors = [base.floor + d for d in (-0.05, -0.02, 0.0, 0.02, 0.04)]
    margins = (0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2)
    if mode == "semantic":
        return [
            replace(base, floor=f, semantic_margin=m) for f, m in itertools.product(floors, margins)
        ]
    weights = (0.0, 0.05, 0.08, 0.1, 0.15, 0.3)
    return [
        replace(base, floor=f, margin=m, coverage_weight=w)
        for f, m, w in itertools.product(floors, margins, weights)
    ]


def fusions(base: Tuning) -> list[Tuning]:
    rrf = [
        replace(base, fusion="rrf", rrf_k=k, semantic_weight=w)
        for k, w in itertools.product((5, 10, 20, 60), (0.2, 0.5, 1.0, 1.5, 2.0))
    ]
    fused = [
        replace(base, fusion="score", semantic_weight=w)
        for w in (0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0)
    ]
    return rrf + fused


def ranker(service: SearchService, mode: str):
    """Rank as GET /api/v1/search would; the judged records found in the match set come
    from the engine's own match rule (one facets call)."""

    def rank(query: dict) -> Ranked:
        args: dict[str, list[str]] = {}
        for name, value in _params(query, mode):
            args.setdefault(name, []).append(value)
        request = parse_search(args)
        ranking = service.rank(request)
        judged = list(query["judgments"])
        found = service.engine.facets(ranking.match, request.filters, (), judged).matched
        return Ranked([h.id for h in ranking.hits], ranking.counts.total, found)

    return rank


def best_match(service: SearchService, queries: list[dict], base: Tuning, mode: str) -> Tuning:
    """The rule with the best match-set F1 among those reaching MIN_RECALL (else recall)."""
    scored = []
    for tuning in match_rules(base, mode):
        service.tuning = tuning
        found = score(ranker(service, mode), queries)["all"]
        scored.append((found["set recall"] >= MIN_RECALL, found["set F1"], found["set recall"]))
    top = max(scored)
    return match_rules(base, mode)[scored.index(top)]  # first of equals: the simplest


def best_ranking(
    service: SearchService, queries: list[dict], tunings: list[Tuning], mode: str
) -> Tuning:
    """The first tuning with the best nDCG@10 in ``mode``."""
    scored = []
    for tuning in tunings:
        service.tuning = tuning
        scored.append(score(ranker(service, mode), queries)["all"]["ndcg@10"])
    return tunings[scored.index(max(scored))]


def choose(service: SearchService, queries: list[dict]) -> Tuning:
    """For each query expansion, the best match rules then fusion; the expansion whose
    tuning ranks best in hybrid mode wins."""
    chosen = []
    for expansion in EXPANSIONS:
        tuning = replace(tuning_for(service.embedder.name), expansion=expansion)
        lexical = best_match(service, queries, tuning, "lexical")
        semantic = best_match(service, queries, tuning, "semantic")
        hybrid = best_match(service, queries, tuning, "hybrid")
        tuning = replace(
            hybrid,
            lexical_coverage=lexical.lexical_coverage,
            semantic_margin=semantic.semantic_margin,
        )
        chosen.append(best_ranking(service, queries, fusions(tuning), "hybrid"))
    return best_ranking(service, queries, chosen, "hybrid")


def describe(t: Tuning) -> str:
    fusion = f"RRF k={t.rrf_k}" if t.fusion == "rrf" else "min-max score fusion"
    return (
        f"expansion {t.expansion}, {fusion}, semantic weight {t.semantic_weight}; "
        f"match: floor {t.floor:.2f}, "
        f"margin {t.margin}, coverage weight {t.coverage_weight}, semantic margin "
        f"{t.semantic_margin}, lexical coverage {t.lexical_coverage}"
    )


def held_out_row(service: SearchService, chosen_on: str, held_out: list[dict]) -> str:
    tuning = service.tuning
    scores = {}
    for mode in MODES:
        service.tuning = tuning
        scores[mode] = score(ranker(service, mode), held_out)
    hybrid = scores["hybrid"]
    kinds = ", ".join(
        f"{k} {v['ndcg@10']:.3f} / F1 {v['set F1']:.2f}"
        for k, v in sorted(hybrid.items())
        if k != "all"
    )
    modes = " / ".join(f"{scores[m]['all']['ndcg@10']:.3f}" for m in MODES)
    sets = " / ".join(
        f"{scores[m]['all']['set F1']:.2f} @ {scores[m]['all']['set recall']:.2f}" for m in MODES
    )
    return f"| {chosen_on} | {describe(tuning)} | {modes} | {sets} | {kinds} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default: {RESULTS}")
    args = parser.parse_args()
    embedder = Embedder(args.model)
    queries = load_queries()
    halves = {
        "odd": [q for q in queries if int(q["id"][1:]) % 2],
        "even": [q for q in queries if not int(q["id"][1:]) % 2],
    }
    lines = [
        f"# Match set and fusion tuning on held-out halves ({dt.date.today()})",
        "",
        f"Model `{embedder.name}`; `python -m bench.relevance.tune`. Match rules chosen by "
        f"match-set F1 at recall >= {MIN_RECALL}, then the fusion by hybrid nDCG@10, on one "
        "half of the judged queries; every figure is on the other half.",
        "",
        "| chosen on | tuning | held-out nDCG@10 (lexical / semantic / hybrid) "
        "| held-out set F1 @ recall (lexical / semantic / hybrid) "
        "| held-out hybrid per kind (nDCG@10 / set F1) |",
        "|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        engine = EmbeddedEngine(Path(tmp))
        Ingestor(engine, embedder).run(read_file(sample_path()))
        service = SearchService(engine, CachedQueries(embedder))  # type: ignore[arg-type]
        for chosen_on, held_out in (("odd", "even"), ("even", "odd")):
            service.tuning = choose(service, halves[chosen_on])
            lines.append(held_out_row(service, chosen_on, halves[held_out]))
        service.tuning = choose(service, queries)
        lines.append(held_out_row(service, "all (shipped; not held out)", queries))
    args.out.write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
