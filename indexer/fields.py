"""The field registry: every field of an innovation record, declared once.

A declaration says what a field holds (its kind), whether it is required, how a raw value
becomes its one stored spelling, whether searches filter and count on it and under which
parameter, how much its words weigh in keyword search, its Indonesian label and whether
result cards show it. The record type, validation, both engines' columns and mapping, the
search parameters, the OpenAPI document and the UI's facet groups all read this registry,
so a new facet is one entry here plus a rebuild (``jippnas reindex``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

from indexer import normalise

# text: free text; keyword: one short value (facets); integer; boolean; list: short texts;
# url; id; refs: links to other practices (normalise.Ref); timestamp: set by the store,
# never accepted as input.
Kind = Literal["text", "keyword", "integer", "boolean", "list", "url", "id", "refs", "timestamp"]
# terms: repeatable parameter, values OR-ed; range: <name>_from / <name>_to; flag: true/false.
FacetKind = Literal["terms", "range", "flag"]
FieldValue = str | int | bool | tuple[str, ...] | tuple[normalise.Ref, ...] | None


@dataclass(frozen=True)
class Field:
    """One record field and everything the service derives from it."""

    name: str
    kind: Kind
    label: str  # Indonesian, shown in the interface
    description: str  # English, for the API document
    required: bool = False
    max_chars: int = normalise.MAX_SHORT
    normalise: Callable[[Any], Any] | None = None  # raw value -> stored value or ValueError
    vocabulary: tuple[str, ...] = ()  # a closed set of stored values, in display order
    value_labels: Mapping[str, str] = field(default_factory=dict)
    facet: FacetKind | None = None
    text_weight: float | None = None  # searched by keyword with this BM25 weight
    card: bool = False  # shown on result cards
    derived: bool = False  # computed during validation (a region code), not an input
    shown: bool = True  # a facet the search page lists (else filtered and counted only)
    default: FieldValue = None

    @property
    def is_input(self) -> bool:
        return not self.derived and self.kind != "timestamp"

    @property
    def params(self) -> tuple[str, ...]:
        """The search parameters that filter on this field."""
        if self.facet == "range":
            return (f"{self.name}_from", f"{self.name}_to")
        return (self.name,) if self.facet else ()

    def text(self, value: Any) -> str:
        """The field's value as plain text for keyword search."""
        if self.kind == "list":
            return " ; ".join(value or ())
        return "" if value is None else str(value)

    def canonical(self, value: str) -> str:
        """A filter value in its stored spelling when it has one ("Adminduk" is
        "administrasi kependudukan"); an unknown value stays as given and matches nothing."""
        try:
            return str(self.normalise(value)) if self.normalise else value
        except ValueError:
            return value

    def value_label(self, value: Any) -> str:
        """How a stored value reads in the pages and the API's facet output (the one
        label source): its label, else the value capitalised ("lingkungan hidup" ->
        "Lingkungan hidup"); booleans read "Ya"/"Tidak"."""
        if self.kind == "boolean":
            return "Ya" if value in (True, "true") else "Tidak"
        text = "" if value is None else str(value)
        return self.value_labels.get(text) or text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Rule:
    """A normalisation across fields (a regency implies its province): it takes the
    validated values of ``inputs`` and returns the stored values of ``outputs``, or raises
    ``normalise.FieldValueError`` naming the field at fault."""

    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    apply: Callable[[dict[str, Any]], dict[str, Any]]


class Registry:
    """An ordered set of fields plus the cross-field rules that normalise them."""

    def __init__(self, fields: tuple[Field, ...], rules: tuple[Rule, ...] = ()) -> None:
        self.fields = fields
        self.rules = rules
        self._by_name = MappingProxyType({f.name: f for f in fields})
        if len(self._by_name) != len(fields):
            raise ValueError("field names must be unique")

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    def __getitem__(self, name: str) -> Field:
        return self._by_name[name]

    def with_fields(self, *fields: Field) -> Registry:
        """This registry plus more fields (a deployment's own facets, or a test's)."""
        return Registry((*self.fields, *fields), self.rules)

    @cached_property
    def facets(self) -> tuple[str, ...]:
        """Every field a search counts values of (the order facet groups are shown in)."""
        return tuple(f.name for f in self.fields if f.facet)

    @cached_property
    def term_facets(self) -> tuple[str, ...]:
        """Facets filtered by exact values: stored as keyword columns by both engines."""
        return tuple(f.name for f in self.fields if f.facet == "terms")

    @cached_property
    def text_weights(self) -> dict[str, float]:
        """Keyword-searched fields, in the order engines index them, with their weights."""
        return {f.name: f.text_weight for f in self.fields if f.text_weight is not None}

    @cached_property
    def card_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.card)

    @cached_property
    def params(self) -> dict[str, Field]:
        """Search parameter name -> the field it filters."""
        return {param: f for f in self.fields for param in f.params}

    @cached_property
    def fingerprint(self) -> str:
        """Changes whenever what a store keeps per field changes (names, kinds, facets,
        text weights), so a store built with another layout is recognised."""
        layout = [(f.name, f.kind, f.facet, f.text_weight) for f in self.fields]
        return hashlib.sha1(json.dumps(layout).encode()).hexdigest()[:12]


def vocabulary_field(
    name: str, values: tuple[str, ...], aliases: Mapping[str, str], **spec: Any
) -> Field:
    """A keyword field with a closed set of values; any spelling of a value or an alias
    is stored as the value."""
    noun = name.replace("_", " ")
    return Field(
        name,
        "keyword",
        vocabulary=values,
        normalise=normalise.vocabulary(noun, values, aliases),
        **spec,
    )


AGENCY_LEVELS = {
    "kementerian": "Kementerian",
    "lembaga": "Lembaga",
    "provinsi": "Provinsi",
    "kabupaten": "Kabupaten",
    "kota": "Kota",
    "bumn": "BUMN",
    "bumd": "BUMD",
}
_LEVEL_ALIASES = {
    "kab": "kabupaten",
    "kabupaten/kota": "kabupaten",
    "pemkot": "kota",
    "pemkab": "kabupaten",
    "pemprov": "provinsi",
    "ministry": "kementerian",
}
SECTORS: tuple[str, ...] = (
    "administrasi kependudukan",
    "air bersih dan sanitasi",
    "ekonomi dan UMKM",
    "infrastruktur dan transportasi",
    "keamanan dan ketertiban",
    "kebencanaan",
    "kesehatan",
    "ketenagakerjaan",
    "keuangan daerah dan pajak",
    "lingkungan hidup",
    "pariwisata dan budaya",
    "pendidikan",
    "pengaduan dan partisipasi masyarakat",
    "perempuan dan anak",
    "perizinan dan investasi",
    "pemerintahan dan tata kelola",
    "pertanian dan pangan",
    "sosial dan penanggulangan kemiskinan",
)
_SECTOR_ALIASES = {
    alias: sector
    for sector, aliases in {
        "kesehatan": ("health", "kesehatan masyarakat"),
        "pendidikan": ("education",),
        "ekonomi dan UMKM": ("umkm", "ekonomi", "economy", "ekonomi kreatif"),
        "administrasi kependudukan": ("adminduk", "kependudukan", "dukcapil"),
        "lingkungan hidup": ("lingkungan", "environment"),
        "pertanian dan pangan": ("pertanian", "pangan", "agriculture"),
        "sosial dan penanggulangan kemiskinan": ("sosial", "kemiskinan", "social"),
        "perizinan dan investasi": ("perizinan", "investasi", "licensing"),
        "pemerintahan dan tata kelola": ("pemerintahan", "tata kelola", "governance"),
        "infrastruktur dan transportasi": ("infrastruktur", "transportasi", "transport"),
        "kebencanaan": ("bencana", "disaster"),
        "keuangan daerah dan pajak": ("pajak", "keuangan daerah", "tax"),
    }.items()
    for alias in aliases
}
PROGRAM_CODES = ("KIPP", "IGA", "UNPSA")
STATUSES = {
    "berjalan": "Masih berjalan",
    "dikembangkan": "Dikembangkan",
    "berhenti": "Berhenti",
    "tidak diketahui": "Tidak diketahui",
}
_STATUS_ALIASES = {"aktif": "berjalan", "running": "berjalan", "stopped": "berhenti"}
REPLICATION = {"direplikasi": "Sudah direplikasi", "belum tercatat": "Belum tercatat"}
PRACTICE_ROLES = {"utama": "Catatan utama praktik", "lain": "Catatan lain praktik yang sama"}


def replication(values: dict[str, Any]) -> dict[str, Any]:
    """Whether anyone is known to have replicated the practice (the facet's value)."""
    return {"replication": "direplikasi" if values.get("replicated_by") else "belum tercatat"}


_LONG = normalise.MAX_TEXT

FIELDS = Registry(
    (
        Field(
            "id",
            "id",
            "ID",
            "Stable id; derived from title, agency and year when absent",
            normalise=normalise.canonical_id,
        ),
        Field(
            "title",
            "text",
            "Judul",
            "Name of the innovation",
            required=True,
            max_chars=_LONG,
            text_weight=2.0,
            card=True,
        ),
        Field(
            "agency",
            "text",
            "Instansi",
            "Agency that runs it",
            required=True,
            text_weight=1.0,
            card=True,
        ),
        vocabulary_field(
            "agency_level",
            tuple(AGENCY_LEVELS),
            _LEVEL_ALIASES,
            label="Tingkat instansi",
            description="Level of government",
            required=True,
            value_labels=AGENCY_LEVELS,
            facet="terms",
            card=True,
        ),
        Field(
            "province",
            "keyword",
            "Provinsi",
            "Official province name (Kemendagri)",
            normalise=normalise.province,
            facet="terms",
            text_weight=0.5,
            card=True,
        ),
        Field(
            "province_code", "keyword", "Kode provinsi", "Kemendagri province code", derived=True
        ),
        Field(
            "regency_city",
            "keyword",
            "Kabupaten/Kota",
            "Official regency or city name (Kemendagri)",
            normalise=normalise.regency_city,
            facet="terms",
            text_weight=0.5,
            card=True,
        ),
        Field(
            "regency_code",
            "keyword",
            "Kode kabupaten/kota",
            "Kemendagri regency/city code",
            derived=True,
        ),
        vocabulary_field(
            "sector",
            SECTORS,
            _SECTOR_ALIASES,
            label="Sektor",
            description="Public-service sector",
            required=True,
            facet="terms",
            card=True,
        ),
        Field(
            "year",
            "integer",
            "Tahun",
            "Year the innovation started or was awarded",
            required=True,
            normalise=normalise.year,
            facet="range",
            card=True,
        ),
        Field(
            "source_program",
            "keyword",
            "Program",
            "Programme that recorded it (KIPP, IGA, UNPSA, a provincial hub)",
            required=True,
            normalise=normalise.program(PROGRAM_CODES),
            facet="terms",
            card=True,
        ),
        Field("award", "text", "Penghargaan", "Award received, if any", card=True),
        Field(
            "digital",
            "boolean",
            "Digital",
            "Whether it is a digital service",
            normalise=normalise.parse_bool,
            facet="flag",
            card=True,
            default=False,
        ),
        Field(
            "problem",
            "text",
            "Masalah",
            "The problem it solves",
            required=True,
            max_chars=_LONG,
            text_weight=2.0,
        ),
        Field(
            "solution",
            "text",
            "Solusi",
            "What was done",
            required=True,
            max_chars=_LONG,
            text_weight=1.5,
        ),
        Field(
            "impact",
            "text",
            "Dampak",
            "Measured or reported results",
            max_chars=_LONG,
            text_weight=1.0,
        ),
        Field(
            "tags",
            "list",
            "Kata kunci",
            "Short topic labels",
            normalise=normalise.tags,
            text_weight=2.0,
            default=(),
        ),
        Field(
            "source_url",
            "url",
            "Sumber",
            "Public page the facts come from",
            max_chars=normalise.MAX_URL,
            normalise=normalise.url,
        ),
        vocabulary_field(
            "status",
            tuple(STATUSES),
            _STATUS_ALIASES,
            label="Status",
            description="Whether it still runs, as a source last confirmed it",
            value_labels=STATUSES,
            facet="terms",
            card=True,
            default="tidak diketahui",
        ),
        Field(
            "status_year",
            "integer",
            "Status dikonfirmasi",
            "Year a source last confirmed the status",
            normalise=normalise.year,
            card=True,
        ),
        Field(
            "replicates",
            "refs",
            "Replikasi dari",
            "The practice this one replicates: an id in the store, or title, agency, "
            "region and year of one outside it",
            normalise=normalise.refs,
            default=(),
        ),
        Field(
            "replicated_by",
            "refs",
            "Direplikasi oleh",
            "Who replicated it: agencies a source names (agency, region, year), plus the "
            "id of every stored record whose `replicates` names this one (kept by the store)",
            normalise=normalise.refs,
            default=(),
        ),
        Field(
            "replication",
            "keyword",
            "Replikasi",
            "Whether anyone is known to have replicated it",
            derived=True,
            value_labels=REPLICATION,
            facet="terms",
            card=True,
            default="belum tercatat",
        ),
        Field(
            "practice",
            "refs",
            "Juga tercatat sebagai",
            "The other records of the same practice (confirmed duplicates, e.g. the same "
            "practice in KIPP one year and IGA another); empty for a practice recorded once",
            derived=True,
            default=(),
        ),
        Field(
            "practice_role",
            "keyword",
            "Peran dalam praktik",
            "utama: the record search shows for its practice (its latest); lain: another "
            "record of a practice, reached from the practice's card and lineage. Searches "
            "count and show `utama` records unless this filter says otherwise",
            vocabulary=tuple(PRACTICE_ROLES),
            value_labels=PRACTICE_ROLES,
            derived=True,
            facet="terms",
            shown=False,
            default="utama",
        ),
        Field("created_at", "timestamp", "Dibuat", "When the store first saw it"),
        Field("updated_at", "timestamp", "Diperbarui", "When its content last changed"),
    ),
    rules=(
        Rule(
            ("province", "regency_city"),
            ("province", "province_code", "regency_city", "regency_code"),
            normalise.resolve_regions,
        ),
        Rule(("replicated_by",), ("replication",), replication),
    ),
)
