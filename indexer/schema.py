"""The innovation record, its closed vocabularies and the facet fields."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

AGENCY_LEVELS: tuple[str, ...] = (
    "kementerian",
    "lembaga",
    "provinsi",
    "kabupaten",
    "kota",
    "bumn",
    "bumd",
)

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

# Facets a search can filter and count on; anything else is never passed to an engine.
KEYWORD_FACETS: tuple[str, ...] = (
    "province",
    "regency_city",
    "sector",
    "agency_level",
    "source_program",
)
FACET_FIELDS: tuple[str, ...] = (*KEYWORD_FACETS, "year", "digital")

# Text fields, in the order engines index them, with their BM25 weights.
TEXT_FIELDS: dict[str, float] = {
    "title": 2.0,
    "tags": 2.0,
    "problem": 2.0,
    "solution": 1.5,
    "impact": 1.0,
    "agency": 1.0,
    "region": 0.5,
}


@dataclass(frozen=True, slots=True)
class Innovation:
    """One validated, normalised innovation as it is stored and returned."""

    id: str
    title: str
    agency: str
    agency_level: str
    sector: str
    year: int
    source_program: str
    problem: str
    solution: str
    province: str | None = None
    province_code: str | None = None
    regency_city: str | None = None
    regency_code: str | None = None
    award: str | None = None
    digital: bool = False
    impact: str | None = None
    tags: tuple[str, ...] = ()
    source_url: str | None = None
    created_at: str | None = None
    updated_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tags"] = list(self.tags)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Innovation:
        return cls(**{**data, "tags": tuple(data.get("tags") or ())})

    def embedding_text(self) -> str:
        """The text a record is embedded from: its name, its concepts and the problem it
        solves. Users search for a problem; measured on held-out query halves, leaving
        out the solution's wording ranks better in every query kind (bench/relevance)."""
        return f"{self.title}. {'; '.join(self.tags)}. {self.problem}"

    def field_text(self, name: str) -> str:
        """Plain text of one indexed field (``region`` and ``tags`` are composed)."""
        if name == "tags":
            return " ; ".join(self.tags)
        if name == "region":
            return " ".join(p for p in (self.regency_city, self.province) if p)
        return getattr(self, name) or ""

    def fingerprint(self) -> str:
        """Hash of the content (timestamps excluded): equal means re-ingest is a no-op."""
        data = self.to_dict()
        del data["created_at"], data["updated_at"]
        return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class FieldError:
    """Why one field of one input record was rejected."""

    field: str
    reason: str


@dataclass(slots=True)
class Rejection:
    """A rejected input record: where it was, which id it had (if any) and why."""

    position: int
    errors: list[FieldError] = field(default_factory=list)
    id: str | None = None
    position_label: str = "line"

    def to_dict(self) -> dict[str, Any]:
        return {
            self.position_label: self.position,
            "id": self.id,
            "errors": [{"field": e.field, "reason": e.reason} for e in self.errors],
        }
