"""One card per practice: of the records confirmed to describe one practice (``practice``
links, see ranking/duplicates.py) searches show and count the one whose
``practice_role`` is "utama" (the latest), with a line naming where else the practice is
recorded ("juga tercatat di IGA 2021")."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from indexer.engines.base import Filters
from indexer.lineage import linked_ids
from indexer.schema import Innovation

ROLE = "practice_role"


def listed(filters: Filters) -> Filters:
    """The filters plus "one record per practice", unless they choose a role themselves."""
    if ROLE in filters.terms:
        return filters
    return replace(filters, terms={**filters.terms, ROLE: ("utama",)})


def practice_ids(record: Innovation) -> set[str]:
    """The practice's other records."""
    return linked_ids(record.practice)


def also_recorded(record: Innovation) -> list[dict[str, Any]]:
    """The practice's other records, oldest first, as a card names them (from the links
    themselves: a page of results reads no more records for them)."""
    found = sorted((ref for ref in record.practice if ref.id), key=lambda r: (r.year or 0, r.id))
    return [{"id": r.id, "source_program": r.source_program, "year": r.year} for r in found]
