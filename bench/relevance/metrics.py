"""Graded relevance metrics: nDCG@k, Recall@k, MRR and match-set F1 (pure functions)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def ndcg(ranked: Sequence[str], judgments: Mapping[str, int], k: int = 10) -> float:
    gains = [judgments.get(doc, 0) for doc in ranked[:k]]
    dcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted(judgments.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranked: Sequence[str], judgments: Mapping[str, int], k: int = 20) -> float:
    relevant = {d for d, g in judgments.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr(ranked: Sequence[str], judgments: Mapping[str, int]) -> float:
    for rank, doc in enumerate(ranked, start=1):
        if judgments.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def match_set(total: int, found: int, judgments: Mapping[str, int]) -> tuple[float, float, float]:
    """Precision, recall and F1 of a match set of ``total`` records holding ``found`` of
    the judged relevant ones."""
    relevant = sum(1 for g in judgments.values() if g > 0)
    precision = found / total if total else 0.0
    recall = found / relevant if relevant else 0.0
    f1 = 2 * precision * recall / (precision + recall) if found else 0.0
    return precision, recall, f1
