"""Measure the duplicate proposals (ranking/duplicates.py) on labelled pairs of real records.

    python -m bench.duplicates.run [--out FILE]

labels.csv holds pairs of sample records labelled 1 (one practice recorded twice: a
second programme's or year's record of it, found and written from its own public page)
or 0 (different practices: every pair the default rule scores 0.45 or more, read and
labelled, plus lookalikes written on purpose). The sample is loaded into the embedded
engine; every eligible pair (same place, another programme or year, among each record's
nearest neighbours) gets its features once. The weights and the threshold are chosen on
one half of the labelled pairs (by a stable hash of the pair) and reported on the other
half, and the reverse; proposals of unlabelled pairs count as wrong. Recall is pooled:
it counts the labelled same-practice pairs, so a pair nobody found is missing from both
sides. Writes bench/duplicates/results.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import itertools
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.relevance.run import engine_app
from indexer.embeddings import DEFAULT_MODEL, Embedder
from indexer.engines.base import Filters
from indexer.settings import Settings
from ranking.duplicates import DuplicateTuning, Features, pairs

HERE = Path(__file__).parent
LABELS = HERE / "labels.csv"
RESULTS = HERE / "results.md"
Pair = tuple[str, str]
GRID = {
    "name": (0.3, 0.5, 0.7),
    "agency": (0.1, 0.2, 0.3),
    "meaning": (0.2, 0.3, 0.5),
    "threshold": tuple(round(0.4 + 0.05 * i, 2) for i in range(12)),
}


@dataclass(frozen=True)
class Outcome:
    precision: float
    recall: float
    proposed: int
    correct: int
    labelled_same: int

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def load_labels(path: Path = LABELS) -> dict[Pair, bool]:
    with path.open(encoding="utf-8") as fh:
        return {tuple(sorted((r["a"], r["b"]))): r["same"] == "1" for r in csv.DictReader(fh)}  # type: ignore[misc]


def half(pair: Pair) -> int:
    return hashlib.md5("|".join(pair).encode()).digest()[0] % 2


def outcome(
    features: dict[Pair, Features], labels: dict[Pair, bool], tuning: DuplicateTuning
) -> Outcome:
    """Precision and recall of the proposals among ``labels``' pairs (and any unlabelled
    pair proposed within the same half is ignored: only labelled pairs are split)."""
    proposed = {
        p for p, f in features.items() if p in labels and f.score(tuning) >= tuning.threshold
    }
    correct = sum(labels[p] for p in proposed)
    same = sum(labels.values())
    return Outcome(
        correct / len(proposed) if proposed else 0.0,
        correct / same if same else 0.0,
        len(proposed),
        correct,
        same,
    )


def tunings() -> list[DuplicateTuning]:
    keys = list(GRID)
    return [
        DuplicateTuning(**dict(zip(keys, v, strict=True)))
        for v in itertools.product(*GRID.values())
    ]


def best(features: dict[Pair, Features], labels: dict[Pair, bool]) -> DuplicateTuning:
    return max(tunings(), key=lambda t: (outcome(features, labels, t).f1, t.threshold))


def unlabelled(
    features: dict[Pair, Features], labels: dict[Pair, bool], tuning: DuplicateTuning
) -> int:
    return sum(
        1 for p, f in features.items() if p not in labels and f.score(tuning) >= tuning.threshold
    )


def measure(model: str) -> list[str]:
    embedder = Embedder(model)
    with tempfile.TemporaryDirectory() as tmp:
        app = engine_app(Settings(data_dir=Path(tmp), embedding_model=model), embedder)
        engine = app.extensions["jippnas"].engine
        records = engine.get_many([h.id for h in engine.browse(Filters(), engine.count())])
        default = DuplicateTuning()
        features = {key: f for key, (_, _, f) in pairs(engine, records.values(), default).items()}
    labels = load_labels()
    halves = [{p: v for p, v in labels.items() if half(p) == h} for h in (0, 1)]
    lines = [
        f"Run {dt.date.today()}, model {embedder.name}: {len(records)} sample records, "
        f"{len(features)} eligible neighbour pairs, {len(labels)} labelled pairs "
        f"({sum(labels.values())} one practice). Halves: {len(halves[0])} / "
        f"{len(halves[1])} pairs.",
        "",
        "| chosen on | reported on | weights (name/agency/meaning) | threshold | precision "
        "| recall | F1 | proposed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for tune_on, report_on in ((0, 1), (1, 0)):
        chosen = best(features, halves[tune_on])
        got = outcome(features, halves[report_on], chosen)
        lines.append(
            f"| half {tune_on} | half {report_on} | "
            f"{chosen.name}/{chosen.agency}/{chosen.meaning} | "
            f"{chosen.threshold} | {got.precision:.2f} | {got.recall:.2f} | {got.f1:.2f} | "
            f"{got.proposed} ({got.correct} right of {got.labelled_same}) |"
        )
    got = outcome(features, labels, default)
    lines += [
        "",
        f"Shipped default (name {default.name}, agency {default.agency}, meaning "
        f"{default.meaning}, threshold {default.threshold}) on all labelled pairs: precision "
        f"{got.precision:.2f}, recall {got.recall:.2f}, F1 {got.f1:.2f} ({got.correct} of "
        f"{got.proposed} proposals right, {got.labelled_same} labelled one-practice pairs); "
        f"unlabelled pairs it proposes: {unlabelled(features, labels, default)}.",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    text = "# Duplicate proposals: precision and recall\n\n" + "\n".join(measure(args.model)) + "\n"
    args.out.write_text(text, "utf-8")
    print(text)


if __name__ == "__main__":
    main()
