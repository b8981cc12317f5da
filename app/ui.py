"""Server-rendered search pages in Bahasa Indonesia.

The pages use the same parser and SearchService as the JSON API, so a page URL and an API
URL with the same parameters give the same results. Every bit of state lives in the query
string: links are built from it, and the forms submit it with GET, so pages work without
JavaScript and can be shared or bookmarked.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound, RequestURITooLarge

from app.errors import error_response, uri_too_long_response
from app.home import home_context
from app.services import services
from indexer import regions
from indexer.engines.base import EngineUnavailable, Facets, FacetValue
from indexer.fields import Registry
from ranking.lineage import lineage
from ranking.query import (
    MAX_DEPTH,
    MAX_QUERY_CHARS,
    QueryError,
    SearchRequest,
    parse_home,
    parse_search,
    search_params,
)
from ranking.search import SearchResponse
from ranking.similar import similar
from workers.metrics import timed_search

bp = Blueprint("ui", __name__)
SIMILAR_SIZE = 6
FACET_SHOWN = 8  # values listed before "show more"
FACET_SEARCHABLE = 12  # longer lists get a search field (with JavaScript)
HOME_RECENT = 6
PAGE_WINDOW = 2
# Labels of the search options; the fields' labels come from the field registry.
OPTION_LABELS = {
    "q": "Kata kunci",
    "mode": "Mode pencarian",
    "page": "Halaman",
    "size": "Jumlah per halaman",
    "sort": "Urutan",
    "daerah": "Daerah saya",
    "correct": "Perbaiki ejaan",
}
# Modes named by what an officer gets, not how the engine finds it; the hint says it in
# one line (the selector's title: a tooltip, and its description for screen readers).
MODE_LABELS = {
    "hybrid": "Gabungan (disarankan)",
    "lexical": "Kata persis",
    "semantic": "Makna serupa",
}
MODE_HINTS = {
    "hybrid": "Memadukan kata persis dan makna serupa: hasil terbaik untuk kebanyakan pencarian.",
    "lexical": "Hanya inovasi yang memuat kata-kata yang Anda ketik.",
    "semantic": "Inovasi dengan maksud yang sama, walau kata-katanya berbeda.",
}
SORT_LABELS = {"relevance": "Paling relevan", "year": "Tahun terbaru"}


def _fields() -> Registry:
    return services().fields


def field_labels(fields: Registry) -> dict[str, str]:
    """Every parameter's and field's Indonesian label ("year_from" is "Dari tahun")."""
    labels = dict(OPTION_LABELS)
    for spec in fields:
        labels[spec.name] = spec.label
        if spec.facet == "range":
            low, high = spec.params
            labels |= {low: f"Dari {spec.label.lower()}", high: f"Sampai {spec.label.lower()}"}
    return labels


def value_label(name: str, value: FacetValue | None) -> str:
    """How a facet value reads in the interface (stored values stay untouched)."""
    return _fields()[name].value_label(value)


@dataclass(frozen=True)
class PageState:
    """The search page's query parameters; every link on the page is derived from them."""

    args: MultiDict[str, str]

    @classmethod
    def from_request(cls) -> PageState:
        """Known, non-empty parameters only, so generated links stay short."""
        known = search_params(_fields())
        kept = [(k, v) for k, v in request.args.items(multi=True) if k in known and v]
        return cls(MultiDict(kept))

    def url(self, args: MultiDict[str, str]) -> str:
        query = urlencode(list(args.items(multi=True)))
        return url_for("ui.search") + (f"?{query}" if query else "")

    def with_values(self, **values: str | int) -> str:
        """This page with single-valued parameters replaced (e.g. another page number)."""
        args = self.args.copy()
        for name, value in values.items():
            args.setlist(name, [str(value)])
        return self.url(args)

    def export(self, kind: str) -> str:
        """The API download of this page's whole result set (every page, same order)."""
        kept = [(k, v) for k, v in self.args.items(multi=True) if k not in ("page", "size")]
        return url_for("api.export_search") + "?" + urlencode([*kept, ("format", kind)])

    def without(self, name: str, value: str) -> str:
        """This page minus one value of a filter, back on page one."""
        return self._dropping(lambda k, v: k == name and v == value)

    def without_fields(self, *names: str) -> str:
        """This page minus whole parameters, back on page one."""
        return self._dropping(lambda k, v: k in names)

    def _dropping(self, drop: Callable[[str, str], bool]) -> str:
        kept = [(k, v) for k, v in self.args.items(multi=True) if k != "page" and not drop(k, v)]
        return self.url(MultiDict(kept))


@dataclass(frozen=True)
class Chip:
    """One active filter value and the link that drops it."""

    label: str
    value: str
    remove_url: str


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    count: int
    checked: bool
    group: str | None = None  # a regency's province, the heading it is listed under


@dataclass(frozen=True)
class FacetGroup:
    """A facet's values: chosen ones first (they never move as counts change), then by
    count; the first ``FACET_SHOWN`` are listed, the rest behind "show more"."""

    name: str
    label: str
    options: list[Option]

    @property
    def shown(self) -> list[Option]:
        chosen = sum(o.checked for o in self.options)
        return self.options[: max(FACET_SHOWN, chosen)]

    @property
    def more(self) -> list[Option]:
        return self.options[len(self.shown) :]

    @property
    def searchable(self) -> bool:
        return len(self.options) > FACET_SEARCHABLE


@dataclass(frozen=True)
class Relaxation:
    """An empty page's way out: drop one filter field, and how many results that gives."""

    label: str
    total: int
    url: str


def active_chips(req: SearchRequest, state: PageState, labels: dict[str, str]) -> list[Chip]:
    chips = [
        Chip(labels[name], value_label(name, value), state.without(name, value))
        for name, values in req.filters.terms.items()
        for value in values
    ]
    for name in ("year_from", "year_to"):
        if (year := getattr(req.filters, name)) is not None:
            chips.append(Chip(labels[name], str(year), state.without_fields(name)))
    if req.filters.digital is not None:
        digital = value_label("digital", req.filters.digital)
        chips.append(Chip(labels["digital"], digital, state.without_fields("digital")))
    return chips


def facet_groups(req: SearchRequest, facets: Facets, fields: Registry) -> list[FacetGroup]:
    """Checkbox groups; a chosen value stays listed even when its count drops to zero,
    otherwise submitting the form would silently drop that filter."""
    groups = []
    for name in (n for n in fields.term_facets if fields[n].shown):
        chosen = req.filters.terms.get(name, ())
        counts = dict(facets.get(name, []))
        values = [*chosen, *(v for v in counts if v not in chosen)]
        options = [
            Option(str(v), value_label(name, v), counts.get(v, 0), v in chosen) for v in values
        ]
        if name == "regency_city":
            options = by_province(options, len(chosen))
        groups.append(FacetGroup(name, fields[name].label, options))
    return groups


def by_province(options: list[Option], pinned: int) -> list[Option]:
    """Regencies/cities under their province (provinces with the most results first);
    the ``pinned`` chosen ones stay on top."""
    grouped = [replace(o, group=regions.province_of_name(o.value)) for o in options]
    totals: dict[str | None, int] = {}
    for o in grouped[pinned:]:
        totals[o.group] = totals.get(o.group, 0) + o.count
    rest = sorted(grouped[pinned:], key=lambda o: (-totals[o.group], o.group or "", -o.count))
    return grouped[:pinned] + rest


def year_options(req: SearchRequest, facets: Facets) -> list[Option]:
    """Years with counts for the from/to selects, newest first (chosen years included)."""
    counts = {int(v): c for v, c in facets.get("year", [])}
    for year in (req.filters.year_from, req.filters.year_to):
        if year is not None:
            counts.setdefault(year, 0)
    return [Option(str(y), str(y), c, False) for y, c in sorted(counts.items(), reverse=True)]


def digital_counts(facets: Facets) -> dict[str, int]:
    return {str(v).lower(): c for v, c in facets.get("digital", [])}


def relaxations(
    req: SearchRequest, response: SearchResponse, state: PageState, fields: Registry
) -> list[Relaxation]:
    """For an empty page: how many results each active filter field would give if dropped.

    Read from the counts the search already made (``total_without``): no extra search.
    """
    out = []
    for name in fields.facets:
        if req.filters.without(name) == req.filters:
            continue
        total = response.total_without.get(name, 0)
        label = fields[name].label
        out.append(Relaxation(label, total, state.without_fields(*fields[name].params)))
    return sorted((r for r in out if r.total), key=lambda r: -r.total)


def corrected_query(q: str, corrections: dict[str, str]) -> str:
    """The query as it was searched, with each corrected word replaced."""
    return " ".join(corrections.get(word.lower(), word) for word in q.split())


def pages(response: SearchResponse) -> list[int | None]:
    """Page numbers around the current one plus first and last; None marks a gap."""
    last = min(math.ceil(response.total / response.size), MAX_DEPTH // response.size)
    near = range(max(1, response.page - PAGE_WINDOW), min(last, response.page + PAGE_WINDOW) + 1)
    shown = sorted({1, last, *near} - {0})
    out: list[int | None] = []
    for number in shown:
        if out and number - (out[-1] or 0) > 1:
            out.append(None)
        out.append(number)
    return out


@bp.get("/")
def search():
    # Only known parameters: links shared from chat apps and social sites gain tracking
    # parameters (fbclid, utm_*), and a person should still see the page.
    state = PageState.from_request()
    fields = _fields()
    if not state.args:  # no query, filter or option: the discovery home
        newest = SearchRequest(size=HOME_RECENT)
        with timed_search(newest.mode, services().engine.name):
            browsed = services().search.search(newest)
        return render_template("home.html", **home_context(browsed, fields))
    req = parse_search(state.args.to_dict(flat=False), fields)
    with timed_search(req.mode, services().engine.name):
        response = services().search.search(req)
    context: dict[str, Any] = {
        "req": req,
        "response": response,
        "state": state,
        "chips": active_chips(req, state, field_labels(fields)),
        "groups": facet_groups(req, response.facets, fields),
        "years": year_options(req, response.facets),
        "digital": digital_counts(response.facets),
        "pages": pages(response),
        "corrected": corrected_query(req.q, response.corrections),
        "relaxations": relaxations(req, response, state, fields) if not response.total else [],
        "region_names": regions.names(),
    }
    return render_template("search.html", **context)


@bp.get("/inovasi/<record_id>")
def detail(record_id: str):
    svc = services()
    record = svc.engine.get(record_id)
    if record is None:
        abort(404)
    home = parse_home(request.args.to_dict(flat=False))
    related = similar(svc.search, record_id, SIMILAR_SIZE, other_regions=True, home=home)
    return render_template(
        "detail.html", record=record, similar=related, lineage=lineage(svc.engine, record)
    )


def _error_page(status: int, title: str, message: str):
    return render_template("error.html", title=title, message=message), status


def rate_limited_page(retry_after: int):
    """429 for pages (app/ratelimit.py): people get Indonesian, not the API's JSON."""
    return _error_page(
        429,
        "Terlalu banyak permintaan",
        f"Terlalu banyak permintaan. Silakan coba lagi dalam {retry_after} detik.",
    )


@bp.errorhandler(QueryError)
def bad_parameter(err: QueryError):
    """What went wrong, in the officer's words where we know them (a too-long query, an
    unknown region), else which parameter could not be used."""
    label = field_labels(_fields()).get(err.param, err.param)
    given = " ".join(request.args.get(err.param, "").split())
    specific = {
        "q": f"Kata kunci terlalu panjang: {len(given)} karakter, paling banyak "
        f"{MAX_QUERY_CHARS}. Persingkat kata kunci lalu cari lagi.",
        "daerah": f"“{given[:60]}” bukan provinsi atau kabupaten/kota dalam daftar "
        "Kemendagri. Tulis nama resminya, misalnya “Kabupaten Sleman” atau “Jawa Timur”.",
    }
    if err.param in specific:  # the query's only limit is its length
        return _error_page(400, f"{label} tidak dapat dipakai", specific[err.param])
    return _error_page(
        400,
        "Parameter tidak valid",
        f"Nilai untuk “{label}” tidak dapat dipakai. Periksa alamat atau mulai pencarian baru.",
    )


@bp.errorhandler(EngineUnavailable)
def unavailable(err: EngineUnavailable):
    return _error_page(
        503,
        "Layanan tidak tersedia",
        "Layanan pencarian sedang tidak tersedia. Silakan coba beberapa saat lagi.",
    )


@bp.app_errorhandler(404)
def not_found(err: NotFound):
    """Pages get an Indonesian page; API paths keep the JSON error shape."""
    if request.path.startswith("/api/"):
        return error_response(404, "not_found", err.description or "not found")
    return _error_page(
        404,
        "Halaman tidak ditemukan",
        "Halaman yang Anda cari tidak ada. Mungkin alamatnya salah atau inovasi ini telah dihapus.",
    )


@bp.app_errorhandler(414)
def uri_too_long(err: RequestURITooLarge):
    """URLs over MAX_URL_BYTES (app/errors.py): an Indonesian page, JSON on API paths."""
    if request.path.startswith("/api/"):
        return uri_too_long_response()
    return _error_page(
        414,
        "Alamat terlalu panjang",
        "Alamat halaman ini terlalu panjang. Persingkat kata kunci pencarian atau hapus "
        "beberapa filter, lalu coba lagi.",
    )


@bp.app_context_processor
def labels() -> dict[str, Any]:
    fields = _fields()
    return {
        "FIELD_LABELS": field_labels(fields),
        "FILTER_PARAMS": tuple(fields.params),
        "MODE_LABELS": MODE_LABELS,
        "MODE_HINTS": MODE_HINTS,
        "SORT_LABELS": SORT_LABELS,
        "value_label": value_label,
        "DAERAH": request.args.get("daerah") or None,  # kept on links between pages
    }
