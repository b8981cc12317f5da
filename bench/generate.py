"""Synthetic innovation records for benchmarks, recombined from the real sample.

Benchmarks need corpora of 1k-50k records; we only have 155 real ones. Every field of a
synthetic record is drawn from the sample's own vocabulary (title words, problem and
solution clauses, tags of the same sector, real agency/region combinations, years and
programmes in their observed proportions), so text length, term statistics and facet
spread stay close to real data. Same seed, same records.

    python -m bench.generate --count 50000 --out bench/out/synthetic-50k.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.cli import sample_path

CLAUSE_SPLIT = re.compile(r"(?<=,)\s+|\s+(?=sehingga |karena |namun |dan akibatnya )")
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")
PROFILE_FIELDS = ("agency", "agency_level", "province", "regency_city")


def load_sample(path: Path | None = None) -> list[dict[str, Any]]:
    lines = (path or sample_path()).read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _sentences(text: str | None) -> list[str]:
    return [s for s in SENTENCE_SPLIT.split(text or "") if s]


def _clauses(sentence: str) -> list[str]:
    return [c for c in CLAUSE_SPLIT.split(sentence.rstrip(".!? ")) if c]


def _lower_first(clause: str) -> str:
    """Lowercase a clause's first letter unless it starts an acronym or a name."""
    head = clause.split(" ", 1)[0]
    return clause if head[1:2].isupper() or head.isupper() else clause[:1].lower() + clause[1:]


def _title_parts(title: str) -> tuple[str, str | None]:
    """'Sumpah Beruang (Sulap Sampah Berubah Uang)' -> name and expansion."""
    name, _, rest = title.partition("(")
    return name.strip(" :-"), rest.replace("(", "").replace(")", "").strip() or None


@dataclass(frozen=True)
class Vocabulary:
    """What the sample offers to recombine, grouped by sector where meaning depends on it."""

    records: list[dict[str, Any]]
    by_sector: dict[str, list[dict[str, Any]]]
    clauses: dict[tuple[str, str], list[str]]  # (sector, field) -> clauses
    name_words: list[str]
    expansions: dict[str, list[str]]  # sector -> title expansions / plain titles
    tags: dict[str, list[str]]
    awards: dict[str, list[str]]  # programme -> awards seen with it

    @classmethod
    def from_records(cls, records: list[dict[str, Any]]) -> Vocabulary:
        by_sector: dict[str, list[dict[str, Any]]] = defaultdict(list)
        clauses: dict[tuple[str, str], list[str]] = defaultdict(list)
        expansions: dict[str, list[str]] = defaultdict(list)
        tags: dict[str, list[str]] = defaultdict(list)
        awards: dict[str, list[str]] = defaultdict(list)
        name_words: list[str] = []
        for r in records:
            sector = r["sector"]
            by_sector[sector].append(r)
            for name in ("problem", "solution", "impact"):
                for sentence in _sentences(r.get(name)):
                    clauses[sector, name].extend(_clauses(sentence))
            name, expansion = _title_parts(r["title"])
            name_words.extend(w for w in name.split() if w[:1].isupper())
            expansions[sector].append(expansion or name)
            tags[sector].extend(r.get("tags") or [])
            if r.get("award"):
                awards[r["source_program"]].append(r["award"])
        return cls(
            records,
            dict(by_sector),
            dict(clauses),
            name_words,
            dict(expansions),
            dict(tags),
            dict(awards),
        )


class Generator:
    """Draws records one by one from a seeded random stream."""

    def __init__(self, vocabulary: Vocabulary, seed: int = 20240601) -> None:
        self.vocab = vocabulary
        self.rng = random.Random(seed)
        self.seed = seed

    def _text(self, sector: str, name: str, sentences: int) -> str:
        """Sentences whose clauses come from different real records of the same sector."""
        pool = self.vocab.clauses.get((sector, name)) or self.vocab.clauses[sector, "problem"]
        out = []
        for _ in range(sentences):
            parts = self.rng.sample(pool, k=min(len(pool), self.rng.randint(1, 3)))
            sentence = ", ".join(_lower_first(p.strip(",.;")) for p in parts)
            out.append(sentence[0].upper() + sentence[1:] + ".")
        return " ".join(out)

    def _title(self, sector: str) -> str:
        words = self.vocab.name_words
        name = " ".join(self.rng.sample(words, k=self.rng.randint(1, 2)))
        expansion = self.rng.choice(self.vocab.expansions[sector]).split()
        cut = self.rng.randint(max(1, len(expansion) // 2), len(expansion))
        extra = self.rng.choice(self.vocab.expansions[sector]).split()[: self.rng.randint(0, 3)]
        return f"{name} ({' '.join(expansion[:cut] + extra)})"

    def _award(self, program: str, year: int) -> str | None:
        seen = self.vocab.awards.get(program)
        if not seen or self.rng.random() < 0.1:
            return None
        return re.sub(r"\b(19|20)\d\d\b", str(year), self.rng.choice(seen))

    def record(self, index: int) -> dict[str, Any]:
        rng = self.rng
        base = rng.choice(self.vocab.records)  # programme, year and digital keep their mix
        sector = rng.choice(self.vocab.records)["sector"]
        profile = rng.choice(self.vocab.records)  # a real agency with its real region
        tag_pool = self.vocab.tags.get(sector) or [sector]
        year = base["year"]
        return {
            "id": f"syn-{self.seed}-{index:06d}",
            "title": self._title(sector),
            **{name: profile.get(name) for name in PROFILE_FIELDS},
            "sector": sector,
            "year": year,
            "source_program": base["source_program"],
            "award": self._award(base["source_program"], year),
            "digital": bool(base.get("digital")),
            "problem": self._text(sector, "problem", rng.randint(1, 2)),
            "solution": self._text(sector, "solution", rng.randint(1, 3)),
            "impact": self._text(sector, "impact", 1) if rng.random() < 0.65 else None,
            "tags": rng.sample(tag_pool, k=min(len(tag_pool), rng.randint(3, 6))),
        }

    def records(self, count: int) -> Iterator[dict[str, Any]]:
        for index in range(count):
            yield self.record(index)


def synthetic(count: int, seed: int = 20240601) -> list[dict[str, Any]]:
    """``count`` synthetic records; the first n of a larger draw equal a draw of n."""
    return list(Generator(Vocabulary.from_records(load_sample()), seed).records(count))


def write_jsonl(records: Iterator[dict[str, Any]] | list[dict[str, Any]], out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with out.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--out", type=Path, default=Path("bench/out/synthetic-50k.jsonl"))
    args = parser.parse_args(argv)
    generator = Generator(Vocabulary.from_records(load_sample()), args.seed)
    written = write_jsonl(generator.records(args.count), args.out)
    print(f"wrote {written} records to {args.out}")


if __name__ == "__main__":
    main()
