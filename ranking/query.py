"""Search parameters parsed and checked once, before any engine sees them.

Only whitelisted fields become filters, and user text only ever reaches an engine as
plain text to analyse, never as query syntax.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from indexer import regions
from indexer.engines.base import Filters
from indexer.schema import KEYWORD_FACETS
from indexer.validation import clean_text, normalise_sector, parse_bool

Mode = Literal["lexical", "semantic", "hybrid"]
MODES: tuple[Mode, ...] = ("lexical", "semantic", "hybrid")
SORTS = ("relevance", "year")
MAX_QUERY_CHARS = 500
MAX_SIZE = 100
MAX_DEPTH = 1000
MAX_VALUES = 20
MAX_SIMILAR = 50
# ASCII digits only: str.isdigit() and int() also take "²", "٣", " 3", "+3" and "1_0".
INTEGER = re.compile(r"[0-9]+")
SIMILAR_PARAMS = frozenset({"size", "other_regions"})
SEARCH_PARAMS = frozenset(
    {"q", "mode", "page", "size", "sort", "year_from", "year_to", "digital", *KEYWORD_FACETS}
)


class QueryError(ValueError):
    """A bad search parameter: which one and why (answered as HTTP 400)."""

    def __init__(self, param: str, reason: str) -> None:
        super().__init__(f"{param}: {reason}")
        self.param = param
        self.reason = reason


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    mode: Mode = "hybrid"
    filters: Filters = field(default_factory=Filters)
    page: int = 1
    size: int = 10
    sort: str = "relevance"

    @property
    def depth(self) -> int:
        return self.page * self.size


def _canonical_region(kind: Callable[[str], regions.Region]) -> Callable[[str], str]:
    def canonical(value: str) -> str:
        try:
            return kind(value).name
        except regions.RegionError:
            return value

    return canonical


def _canonical_sector(value: str) -> str:
    try:
        return normalise_sector(value)
    except ValueError:
        return value


_CANONICAL: dict[str, Callable[[str], str]] = {
    "province": _canonical_region(regions.province),
    "regency_city": _canonical_region(regions.regency_city),
    "sector": _canonical_sector,
    "agency_level": str.lower,
}


@dataclass(frozen=True)
class SimilarRequest:
    size: int = 5
    other_regions: bool = False


def _int(
    args: Mapping[str, Sequence[str]], name: str, default: int | None, low: int, high: int
) -> int | None:
    """The parameter's last value as an integer in [low, high]; absent or empty: default."""
    values = args.get(name) or []
    if not values or values[-1] == "":
        return default
    value = values[-1]
    if not INTEGER.fullmatch(value):
        raise QueryError(name, f"must be a whole number written with 0-9, got {value[:20]!r}")
    if len(value.lstrip("0")) > len(str(high)) or not low <= int(value) <= high:
        raise QueryError(name, f"must be between {low} and {high}, got {value[:20]}")
    return int(value)


def _choice(args: Mapping[str, Sequence[str]], name: str, options: Sequence[str]) -> str:
    values = args.get(name) or []
    value = values[-1] if values and values[-1] else options[-1 if name == "mode" else 0]
    if value not in options:
        raise QueryError(name, f"must be one of {', '.join(options)}, got {value!r}")
    return value


def _flag(args: Mapping[str, Sequence[str]], name: str) -> bool | None:
    """The parameter's last value as true/false; absent or empty: None."""
    value = (args.get(name) or [""])[-1]
    try:
        return parse_bool(value) if value else None
    except ValueError:
        raise QueryError(name, f"must be true or false, got {value!r}") from None


def parse_filters(args: Mapping[str, Sequence[str]]) -> Filters:
    terms: dict[str, tuple[str, ...]] = {}
    for name in KEYWORD_FACETS:
        values = [v for v in (clean_text(v) for v in args.get(name) or []) if v]
        if len(values) > MAX_VALUES:
            raise QueryError(name, f"at most {MAX_VALUES} values, got {len(values)}")
        if values:
            canonical = _CANONICAL.get(name, str)
            terms[name] = tuple(dict.fromkeys(canonical(v) for v in values))
    year_from = _int(args, "year_from", None, 1900, 2100)
    year_to = _int(args, "year_to", None, 1900, 2100)
    if year_from and year_to and year_from > year_to:
        raise QueryError("year_from", "must not be after year_to")
    return Filters(terms, year_from, year_to, _flag(args, "digital"))


def parse_search(args: Mapping[str, Sequence[str]]) -> SearchRequest:
    """Turn query-string parameters (name -> list of values) into a SearchRequest."""
    q = " ".join((args.get("q") or [""])[-1].split())
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError("q", f"at most {MAX_QUERY_CHARS} characters, got {len(q)}")
    size = _int(args, "size", 10, 1, MAX_SIZE) or 10
    page = _int(args, "page", 1, 1, MAX_DEPTH) or 1
    if page * size > MAX_DEPTH:
        raise QueryError("page", f"page x size must be at most {MAX_DEPTH}")
    return SearchRequest(
        q=q,
        mode=_choice(args, "mode", MODES),  # type: ignore[arg-type]
        filters=parse_filters(args),
        page=page,
        size=size,
        sort=_choice(args, "sort", SORTS),
    )


def parse_similar(args: Mapping[str, Sequence[str]]) -> SimilarRequest:
    """Parameters of "more like this": how many, and whether to prefer other regions."""
    return SimilarRequest(
        size=_int(args, "size", SimilarRequest.size, 1, MAX_SIMILAR) or SimilarRequest.size,
        other_regions=bool(_flag(args, "other_regions")),
    )
