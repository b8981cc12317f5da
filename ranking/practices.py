"""One card per practice: records confirmed to describe one practice (``practice`` links,
see ranking/duplicates.py) are shown once, as their best-ranked record, with a line
naming where else the practice is recorded ("juga tercatat di IGA 2021")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from indexer.engines.base import Hit
from indexer.lineage import linked_ids
from indexer.schema import Innovation


def practice_ids(record: Innovation) -> set[str]:
    """The practice's other records."""
    return linked_ids(record.practice)


def practice_key(record: Innovation) -> str:
    """The same for every record of one practice: the smallest of their ids."""
    return min(practice_ids(record) | {record.id})


def collapse(hits: Sequence[Hit], records: Mapping[str, Innovation]) -> list[Hit]:
    """The hits in order, keeping each practice's first (best-ranked) record."""
    seen: set[str] = set()
    kept = []
    for hit in hits:
        record = records.get(hit.id)
        key = practice_key(record) if record else hit.id
        if key not in seen:
            seen.add(key)
            kept.append(hit)
    return kept


def also_recorded(record: Innovation, others: Mapping[str, Innovation]) -> list[dict[str, Any]]:
    """The practice's other records, oldest first, as a card names them."""
    found = [others[i] for i in sorted(practice_ids(record)) if i in others]
    return [
        {"id": r.id, "source_program": r.source_program, "year": r.year, "award": r.award}
        for r in sorted(found, key=lambda r: (r.year, r.id))
    ]
