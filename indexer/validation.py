"""Turn one raw input object into a normalised ``Innovation`` or a list of field errors.

Errors are data: the caller reports them per record and keeps going with the rest.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
import re
import unicodedata
from typing import Any

from indexer import regions
from indexer.schema import AGENCY_LEVELS, SECTORS, FieldError, Innovation
from indexer.text import separate

MAX_TEXT = 20_000
MAX_SHORT = 300
MAX_TAGS = 30
MIN_YEAR = 1990
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
# Lone surrogates: Python strings can hold them (JSON "\ud800"), UTF-8 cannot encode them.
UNENCODABLE = re.compile("[\ud800-\udfff]")
REQUIRED = (
    "title",
    "agency",
    "agency_level",
    "sector",
    "year",
    "source_program",
    "problem",
    "solution",
)

_SECTOR_ALIASES = {
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
}
_LEVEL_ALIASES = {
    "kab": "kabupaten",
    "kabupaten/kota": "kabupaten",
    "pemkot": "kota",
    "pemkab": "kabupaten",
    "pemprov": "provinsi",
    "ministry": "kementerian",
}
_PROGRAM_CODES = ("KIPP", "IGA", "UNPSA")
_TRUE = {"true", "1", "ya", "yes", "y"}
_FALSE = {"false", "0", "tidak", "no", "n", "t"}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(text.lower().split())


_SECTOR_KEYS = {_fold(s): s for s in SECTORS} | {
    _fold(a): s for s, aliases in _SECTOR_ALIASES.items() for a in aliases
}


def clean_text(value: Any) -> str | None:
    """Collapse whitespace (invisible format characters count as spaces); empty is absent."""
    if value is None:
        return None
    text = " ".join(separate(str(value)).split())
    return text or None


def plain_text(value: Any) -> str | None:
    """A text value (or a whole number written as one) cleaned, or ValueError saying why.

    Only what can be stored and shown as text passes: no booleans, lists, objects, NaN or
    infinities, and no code point that UTF-8 cannot encode.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected text, got {_kind(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected text, got the number {value}")
    text = clean_text(value)
    bad = UNENCODABLE.search(text or "")
    if bad:
        raise ValueError(
            f"contains an unpaired surrogate (U+{ord(bad.group()):04X}) at character "
            f"{bad.start() + 1}, which cannot be stored as UTF-8"
        )
    return text


def _kind(value: Any) -> str:
    names = {bool: "true/false", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def canonical_id(value: Any) -> str | None:
    """The one spelling of a given id: " dup-x " is "dup-x", 303 is "303"."""
    if isinstance(value, float):
        raise ValueError(f"expected text or a whole number, got {value!r}")
    text = plain_text(value)
    if text is not None and not ID_PATTERN.match(text):
        raise ValueError(f"must be 1-128 characters of a-z, 0-9, '.', '_' or '-', got {text!r}")
    return text


def derive_id(title: str, agency: str, year: int | str | None) -> str:
    """A stable id for records that come without one: same inputs, same id."""
    digest = hashlib.sha1(f"{_fold(title)}|{_fold(agency)}|{year}".encode()).hexdigest()[:10]
    slug = re.sub(r"[^a-z0-9]+", "-", _fold(title)).strip("-")[:60].strip("-")
    return f"{slug or 'inovasi'}-{digest}"


def normalise_sector(value: str) -> str:
    sector = _SECTOR_KEYS.get(_fold(value))
    if sector is None:
        raise ValueError(f"unknown sector {value!r}; expected one of: {', '.join(SECTORS)}")
    return sector


def normalise_program(value: str) -> str:
    """'IGA (Indeks Inovasi Daerah Kemendagri)' and 'IGA' are the same programme."""
    head = value.split("(")[0].strip()
    return head.upper() if head.upper() in _PROGRAM_CODES else value


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    folded = _fold(str(value))
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ValueError(f"expected true/false, got {value!r}")


class _Checker:
    """Collects every field error of one record instead of stopping at the first."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.errors: list[FieldError] = []

    def fail(self, name: str, reason: str) -> None:
        self.errors.append(FieldError(name, reason))

    def text(self, name: str, limit: int = MAX_TEXT) -> str | None:
        try:
            text = plain_text(self.raw.get(name))
        except ValueError as exc:
            self.fail(name, str(exc))
            return None
        if text is None and name in REQUIRED:
            self.fail(name, "is required")
        elif text is not None and len(text) > limit:
            self.fail(name, f"is {len(text)} characters long (limit {limit})")
            return None
        return text

    def convert(self, name: str, func: Any, value: Any) -> Any:
        try:
            return func(value)
        except (TypeError, ValueError) as exc:
            self.fail(name, str(exc))
            return None


def _year(value: Any) -> int:
    if isinstance(value, bool) or not re.fullmatch(r"\d{4}", str(value).strip()):
        raise ValueError(f"expected a four-digit year, got {value!r}")
    year = int(str(value).strip())
    if not MIN_YEAR <= year <= _dt.date.today().year + 1:
        raise ValueError(f"year {year} is outside {MIN_YEAR}..{_dt.date.today().year + 1}")
    return year


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("expected a list of tags")
    cleaned = []
    for number, item in enumerate(items, start=1):
        try:
            cleaned.append(plain_text(item))
        except ValueError as exc:
            raise ValueError(f"tag {number}: {exc}") from None
    tags = tuple(dict.fromkeys(t for t in cleaned if t))
    if len(tags) > MAX_TAGS or any(len(t) > MAX_SHORT for t in tags):
        raise ValueError(f"at most {MAX_TAGS} tags of at most {MAX_SHORT} characters")
    return tags


def _level(value: str) -> str:
    level = _LEVEL_ALIASES.get(_fold(value), _fold(value))
    if level not in AGENCY_LEVELS:
        raise ValueError(
            f"unknown agency level {value!r}; expected one of: {', '.join(AGENCY_LEVELS)}"
        )
    return level


def _url(value: str | None) -> str | None:
    if value is not None and not re.match(r"^https?://\S+$", value):
        raise ValueError(f"expected an http(s) URL, got {value!r}")
    return value


def _regions(check: _Checker) -> dict[str, str | None]:
    province_name = check.text("province", MAX_SHORT)
    regency_name = check.text("regency_city", MAX_SHORT)
    out: dict[str, str | None] = {
        "province": None,
        "province_code": None,
        "regency_city": None,
        "regency_code": None,
    }
    try:
        prov = regions.province(province_name) if province_name else None
        if prov:
            out.update(province=prov.name, province_code=prov.code)
    except regions.RegionError as exc:
        check.fail("province", str(exc))
        return out
    try:
        if regency_name:
            reg = regions.regency_city(regency_name, prov.code if prov else None)
            prov = prov or regions.province_of(reg)
            out.update(
                regency_city=reg.name,
                regency_code=reg.code,
                province=prov.name,
                province_code=prov.code,
            )
    except regions.RegionError as exc:
        check.fail("regency_city", str(exc))
    return out


def validate(raw: dict[str, Any]) -> Innovation | list[FieldError]:
    """Validate and normalise one record; return it, or every reason it is invalid."""
    check = _Checker(raw)
    texts = {name: check.text(name) for name in ("title", "problem", "solution", "impact")}
    short = {name: check.text(name, MAX_SHORT) for name in ("agency", "award", "source_program")}
    level = check.text("agency_level", MAX_SHORT)
    sector = check.text("sector", MAX_SHORT)
    year = raw.get("year")
    if year in (None, ""):
        check.fail("year", "is required")
    fields: dict[str, Any] = {
        **texts,
        **short,
        **_regions(check),
        "agency_level": level and check.convert("agency_level", _level, level),
        "sector": sector and check.convert("sector", normalise_sector, sector),
        "year": None if year in (None, "") else check.convert("year", _year, year),
        "source_program": short["source_program"] and normalise_program(short["source_program"]),
        "digital": check.convert("digital", parse_bool, raw.get("digital") or False),
        "tags": check.convert("tags", _tags, raw.get("tags")) or (),
        "source_url": check.convert("source_url", _url, check.text("source_url", 2000)),
    }
    given_id = check.convert("id", canonical_id, raw.get("id"))
    if check.errors:
        return check.errors
    fields["id"] = given_id or derive_id(fields["title"], fields["agency"], fields["year"])
    return Innovation(**fields)
