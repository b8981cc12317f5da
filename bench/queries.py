"""A realistic, varied stream of search requests derived from the real sample.

Officers type problem phrases, a few keywords or a programme's tag, sometimes with a
typo and sometimes narrowed by province or sector. Every request in a stream is
distinct so that no cache on the serving side can answer it trivially.
"""

from __future__ import annotations

import random
from typing import Any

from bench.generate import load_sample

KINDS = (("problem", 0.5), ("keywords", 0.3), ("typo", 0.2))
FILTER_SHARE = 0.2


class QueryMix:
    """Seeded generator of (query text, filter params) pairs; never repeats one."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.records = load_sample()
        self._seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()

    def _problem_phrase(self) -> str:
        words = self.rng.choice(self.records)["problem"].lower().replace(",", "").split()
        size = self.rng.randint(4, 9)
        start = self.rng.randint(0, max(0, len(words) - size))
        return " ".join(words[start : start + size]).strip(".")

    def _keywords(self) -> str:
        record = self.rng.choice(self.records)
        pool = list(record.get("tags") or []) + record["title"].lower().split()
        return " ".join(self.rng.sample(pool, k=min(len(pool), self.rng.randint(1, 3))))

    def _typo(self) -> str:
        words = (self._problem_phrase() if self.rng.random() < 0.5 else self._keywords()).split()
        long = [i for i, w in enumerate(words) if len(w) >= 5] or [0]
        i = self.rng.choice(long)
        word, cut = words[i], self.rng.randint(1, max(1, len(words[i]) - 2))
        edits = (
            word[:cut] + word[cut + 1 :],  # dropped letter
            word[:cut] + word[cut + 1 : cut + 2] + word[cut : cut + 1] + word[cut + 2 :],  # swap
            word[:cut] + self.rng.choice("aeiouy") + word[cut + 1 :],  # wrong vowel
        )
        words[i] = self.rng.choice(edits)
        return " ".join(words)

    def _filters(self) -> dict[str, str]:
        if self.rng.random() >= FILTER_SHARE:
            return {}
        record = self.rng.choice(self.records)
        name = "province" if record.get("province") and self.rng.random() < 0.5 else "sector"
        return {name: record[name]}

    def draw(self) -> dict[str, Any]:
        """One distinct request's parameters (without the mode)."""
        while True:
            kind = self.rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
            text = {"problem": self._problem_phrase, "keywords": self._keywords}.get(
                kind, self._typo
            )()
            params = {"q": text, **self._filters()}
            key = (text, tuple(sorted(params.items())))
            if text and key not in self._seen:
                self._seen.add(key)
                return params

    def take(self, count: int) -> list[dict[str, Any]]:
        return [self.draw() for _ in range(count)]

    def take_faceted(self, count: int) -> list[dict[str, Any]]:
        """Distinct queries narrowed three ways at once (a province, a sector and a first
        year, each from a real record), so every facet is counted under other filters."""
        drawn = []
        for params in self.take(count):
            place, topic = self.rng.choice(self.records), self.rng.choice(self.records)
            narrowed = {"province": place.get("province"), "sector": topic["sector"]}
            year = {"year_from": str(self.rng.randint(2015, 2022))}
            drawn.append(params | {k: v for k, v in narrowed.items() if v} | year)
        return drawn
