"""Proposals of records that describe one practice recorded twice (KIPP one year, IGA or a
hub catalogue another), each with a score and the reasons a curator can check.

Candidates of a record are its nearest neighbours in meaning within its own region (one
``knn`` under a region filter), so the scan costs one vector search per record whatever
the store's size. A pair is proposed when the two come from the same place, their names
or meaning are near-identical, and they were recorded by a different programme or in a
different year (the same list twice is an ingest duplicate, not a second record of a
practice). Weights and the threshold were chosen on half of a labelled set of real pairs
and checked on the other half (bench/duplicates.py, results in bench/duplicates.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from indexer.engines.base import Engine, Filters
from indexer.lineage import linked_ids
from indexer.normalise import fold
from indexer.schema import Innovation

NEIGHBOURS = 20  # nearest records in meaning looked at per record, in its province


@dataclass(frozen=True)
class DuplicateTuning:
    """A pair's score: a weighted mean of how alike the names, the agencies and the
    meaning are (each 0..1); proposals need ``threshold``."""

    name: float = 0.5
    agency: float = 0.2
    meaning: float = 0.3
    meaning_floor: float = 0.85  # E5 cosines under this count as nothing alike
    threshold: float = 0.6


@dataclass(frozen=True)
class Proposal:
    a: str
    b: str
    score: float
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "score": round(self.score, 3), "reasons": self.reasons}


@dataclass(frozen=True)
class Features:
    """How alike two records are, each 0..1."""

    name: float
    agency: float
    meaning: float

    def score(self, tuning: DuplicateTuning) -> float:
        return (
            tuning.name * self.name + tuning.agency * self.agency + tuning.meaning * self.meaning
        ) / (tuning.name + tuning.agency + tuning.meaning)


def name_of(record: Innovation) -> str:
    """A practice's name as programmes spell it: the acronym or short name before any
    parenthesised expansion ("Payjem Pas Ngamuk (Pelayanan ...)" is "payjem pas ngamuk")."""
    head = re.split(r"[(:–—]| - ", record.title)[0]
    return fold(head) or fold(record.title)


def features(a: Innovation, b: Innovation, cosine: float, tuning: DuplicateTuning) -> Features:
    name = max(
        fuzz.token_set_ratio(name_of(a), name_of(b)), fuzz.ratio(fold(a.title), fold(b.title))
    )
    spread = 1.0 - tuning.meaning_floor
    return Features(
        name / 100,
        fuzz.token_set_ratio(fold(a.agency), fold(b.agency)) / 100,
        min(max((cosine - tuning.meaning_floor) / spread, 0.0), 1.0),
    )


def same_place(a: Innovation, b: Innovation) -> bool:
    """The same regency/city when both name one, else the same province (a provincial
    record may or may not name the city its office sits in); national ones match."""
    if a.regency_code and b.regency_code:
        return a.regency_code == b.regency_code
    return a.province_code == b.province_code


def reasons(a: Innovation, b: Innovation, found: Features) -> tuple[str, ...]:
    place = a.regency_city if a.regency_city == b.regency_city else a.province
    said = [f"same place ({place or 'national'})", f"names {found.name:.0%} alike"]
    said.append(f"agencies {found.agency:.0%} alike")
    if found.meaning:
        said.append(f"descriptions close in meaning ({found.meaning:.0%})")
    said.append(f"recorded by {a.source_program} {a.year} and {b.source_program} {b.year}")
    return tuple(said)


def eligible(a: Innovation, b: Innovation) -> bool:
    """Whether two records could be one practice recorded twice: different records from
    the same place, by another programme or in another year, not already joined."""
    if a.id == b.id or not same_place(a, b):
        return False
    if (a.source_program, a.year) == (b.source_program, b.year):
        return False
    return b.id not in linked_ids(a.practice)


def pairs(
    engine: Engine, records: Iterable[Innovation], tuning: DuplicateTuning
) -> dict[tuple[str, str], tuple[Innovation, Innovation, Features]]:
    """Every eligible pair among ``records``' neighbours, ordered by id, with features."""
    found: dict[tuple[str, str], tuple[Innovation, Innovation, Features]] = {}
    for record in records:
        for other, cosine in candidates(engine, record):
            if eligible(record, other):
                first, second = sorted((record, other), key=lambda r: r.id)
                found[first.id, second.id] = (
                    first,
                    second,
                    features(first, second, cosine, tuning),
                )
    return found


def _region_filter(record: Innovation) -> Filters:
    if record.province:
        return Filters(terms={"province": (record.province,)})
    return Filters(terms={"agency_level": (record.agency_level,)})


def candidates(engine: Engine, record: Innovation) -> Iterator[tuple[Innovation, float]]:
    """A record's nearest neighbours in meaning within its own place, with their cosines."""
    vector = engine.get_vector(record.id)
    if vector is None:
        return
    hits = engine.knn(vector, _region_filter(record), NEIGHBOURS, exclude=[record.id])
    found = engine.get_many([h.id for h in hits])
    for hit in hits:
        if hit.id in found:
            yield found[hit.id], hit.score


def propose(
    engine: Engine, records: Iterable[Innovation], tuning: DuplicateTuning | None = None
) -> list[Proposal]:
    """Pairs among ``records`` and the store that may be one practice, best first."""
    tuning = tuning or DuplicateTuning()
    proposals = [
        Proposal(a.id, b.id, score, reasons(a, b, found))
        for a, b, found in pairs(engine, records, tuning).values()
        if (score := found.score(tuning)) >= tuning.threshold
    ]
    return sorted(proposals, key=lambda p: (-p.score, p.a, p.b))


def scan(engine: Engine, tuning: DuplicateTuning | None = None) -> list[Proposal]:
    """Every proposal in the store."""
    ids = [hit.id for hit in engine.browse(Filters(), engine.count())]
    return propose(engine, engine.get_many(ids).values(), tuning)
