"""A practice's lineage as people read it: what it replicates, who replicated it (where and
when), the other programmes that recorded the same practice, and its spread by province.

The write path keeps the links on each record (indexer/lineage.py); this resolves them
with one read of the linked records, for the detail page and the lineage API.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from indexer.engines.base import Engine
from indexer.lineage import linked_ids
from indexer.normalise import Ref, resolve_place
from indexer.schema import Innovation


@dataclass(frozen=True)
class Link:
    """One linked practice: a stored record (``stored``), a record since deleted (only its
    id), or one outside the store as a source names it."""

    id: str | None
    title: str | None
    agency: str | None
    region: str | None
    province: str | None
    year: int | None
    source_program: str | None
    award: str | None
    stored: bool

    @classmethod
    def of(cls, ref: Ref, record: Innovation | None) -> Link:
        if record is None:
            province = _province(ref.region)
            return cls(
                ref.id,
                ref.title,
                ref.agency,
                ref.region,
                province,
                ref.year,
                ref.source_program,
                None,
                False,
            )
        return cls(
            record.id,
            record.title,
            record.agency,
            record.regency_city or record.province,
            record.province,
            record.year,
            record.source_program,
            record.award,
            True,
        )


@dataclass(frozen=True)
class Lineage:
    id: str
    replicates: list[Link]
    replicated_by: list[Link]
    same_practice: list[Link]

    @property
    def spread(self) -> list[tuple[str, int]]:
        """Replications per province (or per place a source names), most first."""
        places = Counter(link.province or link.region for link in self.replicated_by)
        return [(place, n) for place, n in places.most_common() if place]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "replicates": [asdict(link) for link in self.replicates],
            "replicated_by": [asdict(link) for link in self.replicated_by],
            "same_practice": [asdict(link) for link in self.same_practice],
            "spread": [{"region": place, "replications": n} for place, n in self.spread],
        }


def _province(region: str | None) -> str | None:
    """The official province a source's place name lies in ("Kab. Bantaeng" is in
    Sulawesi Selatan), or None when it names no known province or regency/city."""
    try:
        return resolve_place(region)["province"] if region else None
    except ValueError:
        return None


def lineage(engine: Engine, record: Innovation) -> Lineage:
    """Resolve every link of ``record`` (one ``get_many`` for all of them)."""
    groups = (record.replicates, record.replicated_by, record.practice)
    found = engine.get_many(sorted(set().union(*(linked_ids(refs) for refs in groups))))

    def links(refs: tuple[Ref, ...]) -> list[Link]:
        resolved = [Link.of(ref, found.get(ref.id) if ref.id else None) for ref in refs]
        return sorted(resolved, key=lambda link: (link.year or 0, link.title or ""))

    return Lineage(record.id, *(links(refs) for refs in groups))
