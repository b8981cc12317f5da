"""Graded relevance metrics: nDCG@k, Recall@k and MRR (pure functions)."""

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
