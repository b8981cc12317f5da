"""Request parameters parsed and checked once, before any engine sees them: one parser
per request type, shared by the JSON API and the pages.

Only the field registry's facets become filters, and user text only ever reaches an
engine as plain text to analyse, never as query syntax.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, cast

from indexer.engines.base import Filters
from indexer.fields import FIELDS, Registry
from indexer.normalise import clean_text, parse_bool
from ranking.signals import Home, UnknownRegion

Mode = Literal["lexical", "semantic", "hybrid"]
MODES: tuple[Mode, ...] = ("lexical", "semantic", "hybrid")
SORTS = ("relevance", "year")
Args = Mapping[str, Sequence[str]]  # query-string parameters: name -> values
MAX_QUERY_CHARS = 500
MAX_SIZE = 100
MAX_DEPTH = 1000
MAX_VALUES = 20
MAX_SIMILAR = 50
MAX_REGION_CHARS = 100
# ASCII digits only: str.isdigit() and int() also take "²", "٣", " 3", "+3" and "1_0".
INTEGER = re.compile(r"[0-9]+")
SIMILAR_PARAMS = frozenset({"size", "other_regions", "daerah"})
SUGGEST_PARAMS = frozenset({"q", "size"})
MAX_SUGGEST = 10
MAX_SUGGEST_CHARS = 100
SEARCH_OPTIONS = frozenset({"q", "mode", "page", "size", "sort", "daerah", "correct"})


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
    home: Home | None = None  # "daerah saya": prefer practices from comparable regions
    correct: bool = True  # fix typos (False: "Cari '<kata asli>' saja", the words as typed)

    @property
    def depth(self) -> int:
        return self.page * self.size


@dataclass(frozen=True)
class SimilarRequest:
    size: int = 5
    other_regions: bool = False
    home: Home | None = None


def search_params(fields: Registry = FIELDS) -> frozenset[str]:
    """Every parameter a search takes: the options plus the registry's filters."""
    return SEARCH_OPTIONS | frozenset(fields.params)


def known_args(args: Args, allowed: frozenset[str]) -> Args:
    """The parameters, or a QueryError naming the first unknown one."""
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise QueryError(unknown[0], f"unknown parameter; allowed: {', '.join(sorted(allowed))}")
    return args


def _int(args: Args, name: str, default: int | None, low: int, high: int) -> int | None:
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


def _query_text(args: Args, limit: int) -> str:
    """``q``'s last value with its whitespace collapsed, at most ``limit`` characters."""
    q = " ".join((args.get("q") or [""])[-1].split())
    if len(q) > limit:
        raise QueryError("q", f"at most {limit} characters, got {len(q)}")
    return q


def _choice(args: Args, name: str, options: Sequence[str], default: str) -> str:
    """The parameter's last value, one of ``options``; absent or empty: ``default``."""
    values = args.get(name) or []
    value = values[-1] if values and values[-1] else default
    if value not in options:
        raise QueryError(name, f"must be one of {', '.join(options)}, got {value!r}")
    return value


def _flag(args: Args, name: str) -> bool | None:
    """The parameter's last value as true/false; absent or empty: None."""
    value = (args.get(name) or [""])[-1]
    try:
        return parse_bool(value) if value else None
    except ValueError:
        raise QueryError(name, f"must be true or false, got {value!r}") from None


def parse_filters(args: Args, fields: Registry = FIELDS) -> Filters:
    """Term facets as their stored spellings ("Kab. Banyuwangi" is "Kabupaten
    Banyuwangi"), the year range and the digital flag."""
    terms: dict[str, tuple[str, ...]] = {}
    for name in fields.term_facets:
        values = [v for v in (clean_text(v) for v in args.get(name) or []) if v]
        if len(values) > MAX_VALUES:
            raise QueryError(name, f"at most {MAX_VALUES} values, got {len(values)}")
        if values:
            terms[name] = tuple(dict.fromkeys(fields[name].canonical(v) for v in values))
    year_from = _int(args, "year_from", None, 1900, 2100)
    year_to = _int(args, "year_to", None, 1900, 2100)
    if year_from and year_to and year_from > year_to:
        raise QueryError("year_from", "must not be after year_to")
    return Filters(terms, year_from, year_to, _flag(args, "digital"))


def parse_search(args: Args, fields: Registry = FIELDS) -> SearchRequest:
    """Turn query-string parameters into a SearchRequest; an unknown parameter is a 400.
    Defaults are SearchRequest's."""
    known_args(args, search_params(fields))
    q = _query_text(args, MAX_QUERY_CHARS)
    size = _int(args, "size", SearchRequest.size, 1, MAX_SIZE) or SearchRequest.size
    page = _int(args, "page", SearchRequest.page, 1, MAX_DEPTH) or SearchRequest.page
    if page * size > MAX_DEPTH:
        raise QueryError("page", f"page x size must be at most {MAX_DEPTH}")
    return SearchRequest(
        q=q,
        mode=cast(Mode, _choice(args, "mode", MODES, SearchRequest.mode)),
        filters=parse_filters(args, fields),
        page=page,
        size=size,
        sort=_choice(args, "sort", SORTS, SearchRequest.sort),
        home=parse_home(args),
        correct=_flag(args, "correct") is not False,
    )


def parse_similar(args: Args) -> SimilarRequest:
    """Parameters of "more like this": how many, and whether to prefer other regions."""
    known_args(args, SIMILAR_PARAMS)
    return SimilarRequest(
        size=_int(args, "size", SimilarRequest.size, 1, MAX_SIMILAR) or SimilarRequest.size,
        other_regions=bool(_flag(args, "other_regions")),
        home=parse_home(args),
    )


@dataclass(frozen=True)
class SuggestRequest:
    q: str = ""
    size: int = 8


def parse_suggest(args: Args) -> SuggestRequest:
    """What the search box holds so far, and how many suggestions to give."""
    known_args(args, SUGGEST_PARAMS)
    q = _query_text(args, MAX_SUGGEST_CHARS)
    size = _int(args, "size", SuggestRequest.size, 1, MAX_SUGGEST) or SuggestRequest.size
    return SuggestRequest(q, size)


def parse_home(args: Args) -> Home | None:
    """ "Daerah saya": a province or regency/city, or a QueryError saying it is unknown."""
    value = clean_text((args.get("daerah") or [""])[-1])
    if not value:
        return None
    if len(value) > MAX_REGION_CHARS:
        raise QueryError("daerah", f"at most {MAX_REGION_CHARS} characters, got {len(value)}")
    try:
        return Home.parse(value)
    except UnknownRegion as exc:
        raise QueryError("daerah", str(exc)) from None
