"""Judge "Inovasi serupa": which rule ranks the practices people judged alike first?

    python -m bench.relevance.similar [--model NAME ...] [--out FILE] [--generic-terms]

The judged queries (queries.jsonl) give the judged set: records graded 2 for one query
answer the same problem, so for each such record (the source) the other records graded
2 for that query count with gain 2 and those graded 1 with gain 1, over every query the
source answers. Filtered queries are left out: their judgments stop at the filter, so
they would reward sharing the filtered province or sector rather than the problem.

The sample is loaded into the embedded engine through the app, once per model (the
default and MiniLM unless --model says otherwise). Each rule ranks every source's similar
list (other_regions off, as the API's default); nDCG@5 and precision@5 are averaged over
sources. A rule with weights has them chosen on one half of the sources (sorted ids, even
or odd position) and is reported on the other half, and the reverse. Writes
bench/relevance/similar.md. ``--generic-terms`` prints the stems that ranking/similar.py
treats as too common to name a concept, measured on the sample.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean

from app.cli import sample_path
from bench.relevance.metrics import ndcg
from bench.relevance.run import engine_app, load_queries, sample_size
from indexer.embeddings import DEFAULT_MODEL, MINILM, Embedder
from indexer.engines.base import Engine, Filters, Hit, keyword_search
from indexer.readers import read_file
from indexer.schema import Innovation
from indexer.settings import Settings
from indexer.validation import validate
from ranking.fusion import reciprocal_rank_fusion, score_fusion
from ranking.search import Tuning
from ranking.similar import (
    MAX_KEY_WORDS,
    MIN_TERM_CHARS,
    SimilarTuning,
    candidates,
    concepts,
    rank,
    similar_tuning_for,
)

HERE = Path(__file__).parent
RESULTS = HERE / "similar.md"
K = 5
DEPTH = 100  # candidates fetched once per source; each rule uses its own share
GENERIC_MIN_SECTORS = 7
Judged = dict[str, dict[str, int]]
Ranker = Callable[[str], list[str]]
WEIGHTS = {
    "shared_term": (0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.08),
    "same_sector": (0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2),
    "same_level": (0.005, 0.01, 0.02, 0.05),
}
LEXICAL_WEIGHTS = (0.25, 0.5, 1.0, 1.5, 2.0)
SECTOR_BOOSTS = (0.0, 0.05, 0.1, 0.2)


def judged_similar(queries: Iterable[dict]) -> Judged:
    """Source id -> {similar id: gain}, from the queries the source answers (grade 2)."""
    judged: Judged = defaultdict(dict)
    for query in queries:
        if query["kind"] == "filtered":
            continue
        grades = query["judgments"]
        for source in (r for r, g in grades.items() if g == 2):
            for other, gain in grades.items():
                if other != source and gain > 0:
                    judged[source][other] = max(judged[source].get(other, 0), gain)
    return dict(judged)


def precision(ranked: list[str], gains: dict[str, int], k: int = K) -> float:
    return sum(gains.get(i, 0) > 0 for i in ranked[:k]) / k


@dataclass
class Pool:
    """Per source: the record, its nearest by vector and its lexical "more like this"
    list, fetched once so every rule ranks the same candidates."""

    sources: dict[str, Innovation] = field(default_factory=dict)
    by_vector: dict[str, list[tuple[Hit, Innovation]]] = field(default_factory=dict)
    by_terms: dict[str, list[Hit]] = field(default_factory=dict)

    @classmethod
    def load(cls, engine: Engine, ids: Iterable[str]) -> Pool:
        pool = cls()
        for record_id in ids:
            source, pairs = candidates(engine, record_id, DEPTH)
            pool.sources[record_id], pool.by_vector[record_id] = source, pairs
            hits = keyword_search(engine, _key_text(source), Filters(), DEPTH + 1).hits
            pool.by_terms[record_id] = [h for h in hits if h.id != record_id]
        return pool


def _key_text(record: Innovation) -> str:
    """The text the former rule searched for (title, tags, problem)."""
    return " ".join(" ".join([record.title, *record.tags, record.problem]).split()[:MAX_KEY_WORDS])


def vector_rule(pool: Pool, tuning: SimilarTuning, other_regions: bool = False) -> Ranker:
    """The shipped ranking (ranking.similar.rank) with the given weights."""

    def ranked(record_id: str) -> list[str]:
        pairs = pool.by_vector[record_id][: tuning.candidates]
        return [h.id for h, _ in rank(pool.sources[record_id], pairs, tuning, other_regions)]

    return ranked


def rrf_rule(pool: Pool) -> Ranker:
    """The former rule: RRF of the lexical list and the knn list, 100 deep each."""
    k = Tuning().rrf_k

    def ranked(record_id: str) -> list[str]:
        vector = [h for h, _ in pool.by_vector[record_id]]
        fused = reciprocal_rank_fusion([(pool.by_terms[record_id], 1.0), (vector, 1.0)], k)
        return [h.id for h in fused]

    return ranked


def lexical_rule(pool: Pool) -> Ranker:
    return lambda record_id: [h.id for h in pool.by_terms[record_id]]


def fused_rule(pool: Pool, lexical_weight: float, sector_boost: float) -> Ranker:
    """Min-max score fusion of the lexical and knn lists, plus a same-sector boost."""

    def ranked(record_id: str) -> list[str]:
        source = pool.sources[record_id]
        sectors = {h.id: r.sector for h, r in pool.by_vector[record_id]}
        vector = [h for h, _ in pool.by_vector[record_id]]
        fused = score_fusion([(pool.by_terms[record_id], lexical_weight), (vector, 1.0)])
        boosted = [
            Hit(h.id, h.score + sector_boost * (sectors.get(h.id) == source.sector)) for h in fused
        ]
        return [h.id for h in sorted(boosted, key=lambda h: (-h.score, h.id))]

    return ranked


def evaluate(rule: Ranker, judged: Judged, ids: Iterable[str]) -> tuple[float, float]:
    rows = [(ndcg(rule(i), judged[i], K), precision(rule(i), judged[i])) for i in ids]
    return mean(r[0] for r in rows), mean(r[1] for r in rows)


@dataclass(frozen=True)
class Family:
    """A rule with its weight grid; a single point means nothing is tuned."""

    name: str
    calls: int
    grid: list[tuple[str, Ranker]]


def tuned(pool: Pool, *names: str) -> list[tuple[str, Ranker]]:
    """The shipped ranking over every combination of the named weights (others 0)."""
    grid = []
    for values in itertools.product(*(WEIGHTS[n] for n in names)):
        weights = dict(zip(names, values, strict=True))
        tuning = SimilarTuning(**{n: weights.get(n, 0.0) for n in WEIGHTS})
        label = ", ".join(f"{n} {v}" for n, v in weights.items()) or "-"
        grid.append((label, vector_rule(pool, tuning)))
    return grid


def families(pool: Pool) -> list[Family]:
    fused = [
        (f"lexical weight {w}, same_sector {b}", fused_rule(pool, w, b))
        for w, b in itertools.product(LEXICAL_WEIGHTS, SECTOR_BOOSTS)
    ]
    return [
        Family("before: RRF of lexical more-like-this and vectors", 5, [("-", rrf_rule(pool))]),
        Family("lexical more-like-this only", 3, [("-", lexical_rule(pool))]),
        Family("vectors only", 3, tuned(pool)),
        Family("vectors + same sector", 3, tuned(pool, "same_sector")),
        Family("vectors + same level", 3, tuned(pool, "same_level")),
        Family("vectors + same sector + same level", 3, tuned(pool, "same_sector", "same_level")),
        Family("vectors + shared concepts", 3, tuned(pool, "shared_term")),
        Family(
            "vectors + shared concepts + same sector", 3, tuned(pool, "shared_term", "same_sector")
        ),
        Family(
            "vectors + shared concepts + same sector + same level",
            3,
            tuned(pool, "shared_term", "same_sector", "same_level"),
        ),
        Family("min-max fusion of lexical and vectors + same sector", 5, fused),
    ]


def choose(family: Family, judged: Judged, ids: list[str]) -> tuple[str, Ranker]:
    """The grid point with the best nDCG@5 on ``ids``; the first (smallest) of equals."""
    scores = [evaluate(rule, judged, ids)[0] for _, rule in family.grid]
    return family.grid[scores.index(max(scores))]


def table(pool: Pool, judged: Judged) -> list[str]:
    ids = sorted(judged)
    halves = {"even": ids[0::2], "odd": ids[1::2]}
    lines = [
        "| rule | engine calls | chosen on even: weights | odd nDCG@5 / P@5 "
        "| chosen on odd: weights | even nDCG@5 / P@5 | mean held-out nDCG@5 / P@5 "
        "| chosen on all: weights |",
        "|---|---:|---|---:|---|---:|---:|---|",
    ]
    for family in families(pool):
        cells, held = [], []
        for chosen_on, held_out in (("even", "odd"), ("odd", "even")):
            label, rule = choose(family, judged, halves[chosen_on])
            score = evaluate(rule, judged, halves[held_out])
            held.append(score)
            cells += [label, f"{score[0]:.3f} / {score[1]:.3f}"]
        overall = " / ".join(f"{mean(s[i] for s in held):.3f}" for i in (0, 1))
        cells += [overall, choose(family, judged, ids)[0]]
        lines.append(f"| {family.name} | {family.calls} | {' | '.join(cells)} |")
    return lines


def shipped(pool: Pool, judged: Judged, tuning: SimilarTuning) -> list[str]:
    """The shipped weights on every source, with other_regions off (the API's default)
    and on (the practice page)."""
    lines = ["| shipped rule, all sources | nDCG@5 | P@5 |", "|---|---:|---:|"]
    for other_regions in (False, True):
        ndcg5, p5 = evaluate(vector_rule(pool, tuning, other_regions), judged, sorted(judged))
        lines.append(f"| `{tuning}`, other_regions={other_regions} | {ndcg5:.3f} | {p5:.3f} |")
    return lines


def generic_terms() -> list[str]:
    """Stems (of at least MIN_TERM_CHARS letters, not numbers) in the tags, title or
    problem of records from at least GENERIC_MIN_SECTORS sectors of the sample."""
    sectors: dict[str, set[str]] = defaultdict(set)
    for item in read_file(sample_path()):
        record = validate(item.data)
        if isinstance(record, Innovation):
            for stem in concepts(record).present:
                sectors[stem].add(record.sector)
    return sorted(
        s
        for s, found in sectors.items()
        if len(found) >= GENERIC_MIN_SECTORS and len(s) >= MIN_TERM_CHARS and not s.isdigit()
    )


def header(judged: Judged) -> list[str]:
    sizes = [len(v) for v in judged.values()]
    return [
        f"# Inovasi serupa: judged similar lists ({dt.date.today()})",
        "",
        f"Produced by `python -m bench.relevance.similar`; the {sample_size()} sample innovations "
        "in the embedded engine.",
        "",
        f"{len(judged)} sources (records graded 2 for an unfiltered judged query), "
        f"{mean(sizes):.1f} judged similar records each on average (the other records "
        "graded 2, gain 2, or 1, gain 1, for the queries the source answers), so P@5 "
        "cannot reach 1. Weights are chosen by nDCG@5 on one half of the sources and "
        "reported on the other; the last column is the choice on all sources. Engine "
        "calls: per request, get_vector and get_many included.",
    ]


def section(model: str, judged: Judged, pool: Pool) -> list[str]:
    return [
        "",
        f"## `{model}`",
        "",
        *table(pool, judged),
        "",
        *shipped(pool, judged, similar_tuning_for(model)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", action="append", help=f"embedding model (default: {DEFAULT_MODEL} and MiniLM)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default: {RESULTS}")
    parser.add_argument("--generic-terms", action="store_true", help="print them and stop")
    args = parser.parse_args()
    if args.generic_terms:
        print(" ".join(generic_terms()))
        return
    judged = judged_similar(load_queries())
    lines = header(judged)
    for model in args.model or (DEFAULT_MODEL, MINILM):
        embedder = Embedder(model)
        with tempfile.TemporaryDirectory() as tmp:
            app = engine_app(Settings(data_dir=Path(tmp), embedding_model=model), embedder)
            pool = Pool.load(app.extensions["jippnas"].engine, sorted(judged))
        lines += section(embedder.name, judged, pool)
    text = "\n".join(lines) + "\n"
    args.out.write_text(text, "utf-8")
    print(text)


if __name__ == "__main__":
    main()
