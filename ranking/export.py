"""A search's whole result set as CSV or JSON: every page up to EXPORT_LIMIT records, with
the filters and the order of the page it was asked from.

CSV is for people: Indonesian column labels, the pages' value labels, a byte order mark
so spreadsheet programs read it as UTF-8, and text that would start a formula
("=HYPERLINK(...)") made inert, since records come from many hubs. JSON is for programs:
every stored field of each record under its own name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from indexer.fields import Field, Registry
from indexer.schema import Innovation
from ranking.query import MAX_DEPTH, SearchRequest
from ranking.search import SearchService

EXPORT_LIMIT = MAX_DEPTH
FORMATS = ("csv", "json")
COLUMNS = (
    "id",
    "title",
    "agency",
    "agency_level",
    "province",
    "regency_city",
    "sector",
    "year",
    "source_program",
    "award",
    "digital",
    "status",
    "status_year",
    "replication",
    "problem",
    "solution",
    "impact",
    "tags",
    "source_url",
)
# A spreadsheet evaluates a cell starting with one of these as a formula (OWASP's list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Export:
    total: int  # how many records match, possibly more than were exported
    records: list[Innovation]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.records)


def export(service: SearchService, request: SearchRequest) -> Export:
    """The request's results in its order, from the first record to EXPORT_LIMIT."""
    everything = replace(request, page=1, size=EXPORT_LIMIT)
    ranking = service.rank(everything)
    hits = ranking.hits[:EXPORT_LIMIT]
    records = service.records(ranking, hits)
    return Export(ranking.counts.total, [records[h.id] for h in hits if h.id in records])


def inert(text: str) -> str:
    """Text a spreadsheet shows as written: a leading formula character is escaped."""
    return "'" + text if text.startswith(FORMULA_START) else text


def cell(spec: Field, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple | list):
        return inert("; ".join(str(v) for v in value))
    if spec.kind == "boolean" or spec.vocabulary:
        return spec.value_label(value)
    return inert(str(value))


def to_csv(result: Export, fields: Registry, link: Callable[[str], str]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["Peringkat", *(fields[c].label for c in COLUMNS), "Halaman JIPPNas"])
    for rank, record in enumerate(result.records, 1):
        row = [cell(fields[c], getattr(record, c)) for c in COLUMNS]
        writer.writerow([rank, *row, link(record.id)])
    return out.getvalue()


def to_json(result: Export, link: Callable[[str], str]) -> dict[str, Any]:
    return {
        "total": result.total,
        "exported": len(result.records),
        "limit": EXPORT_LIMIT,
        "truncated": result.truncated,
        "results": [record.to_dict() | {"url": link(record.id)} for record in result.records],
    }
